"""The report chart (``plugin.report_charts``): well-formed SVG whatever the rows hold, every text
escaped, words for those who cannot see it, and a message when there is nothing to draw."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from plugin.domain.reports import ReportRow
from plugin.report_charts import EMPTY_MESSAGE, MAX_PANELS, achieved_vs_target_svg, xml_text

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def row(start: datetime, met: int, total: int = 10, *, policy: str = "p1", metric: str = "first_response",
        target: float = 80) -> ReportRow:
    achieved = round(100 * met / total, 1)
    return ReportRow(start, policy, metric, total, met, total - met, achieved, target, 0, 60.0, 120.0)


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bar_tips(svg: ET.Element) -> list[str]:
    return [rect.find(f"{SVG}title").text or "" for rect in svg.iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None]


def test_no_rows_draw_a_chart_that_says_nothing_was_decided() -> None:
    svg = parsed(achieved_vs_target_svg([], period="daily", timezone="UTC"))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Daily achieved against targeted success rate"
    assert svg.find(f"{SVG}desc").text == f"{EMPTY_MESSAGE}."
    assert EMPTY_MESSAGE in [node.text for node in svg.iter(f"{SVG}text")]
    assert bar_tips(svg) == []


def test_a_bar_per_period_coloured_by_whether_it_met_its_target() -> None:
    rows = [row(MONDAY, 7), row(MONDAY + timedelta(days=1), 9)]
    svg = parsed(achieved_vs_target_svg(rows, period="daily", timezone="UTC", policy_names={"p1": "Orange"}))
    bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    assert [bar.get("fill") for bar in bars] == ["#d64545", "#2f9e66"]
    assert bar_tips(svg) == ["Mon 2 Mar 2026: 70.0 % achieved, 80 % targeted (7 of 10 met, 0 missed)",
                             "Tue 3 Mar 2026: 90.0 % achieved, 80 % targeted (9 of 10 met, 0 missed)"]
    description = svg.find(f"{SVG}desc").text or ""
    assert description == ("One bar per day with decided targets, Mon 2 Mar 2026 to Tue 3 Mar 2026. "
                           "Orange · First response: 80.0 % achieved (16 of 20 met) against 80 % targeted; "
                           "1 of 2 days below target.")


def test_hours_are_labelled_in_the_tenants_zone() -> None:
    rows = [row(MONDAY + timedelta(hours=hour), 8) for hour in (6, 7)]
    svg = parsed(achieved_vs_target_svg(rows, period="hourly", timezone="Europe/Istanbul"))
    assert bar_tips(svg)[0].startswith("Mon 2 Mar 2026 09:00: 80.0 % achieved")
    assert {"09:00", "10:00"} <= {node.text for node in svg.iter(f"{SVG}text")}


@pytest.mark.parametrize("name", [
    '<script>alert("x")</script>',
    "A & B's <b>team</b>",
    "]]><!-- -->",
    "bell \x07 and \x00 NUL \ufffe",
    "lone \ud800 surrogate",
])
def test_every_text_is_escaped_and_the_svg_stays_well_formed(name: str) -> None:
    rows = [row(MONDAY, 5, policy=name), row(MONDAY, 5, policy="p2", metric='"><x')]
    text = achieved_vs_target_svg(rows, period="daily", timezone="UTC", policy_names={"p2": name},
                                  id_prefix='c"><script>')
    assert "<script" not in text and "<b>" not in text
    svg = parsed(text)  # raises on anything XML cannot hold
    headings = [node.text or "" for node in svg.iter(f"{SVG}text")]
    readable = name.replace("\x07", "\ufffd").replace("\x00", "\ufffd").replace("\ufffe", "\ufffd")
    readable = readable.replace("\ud800", "\ufffd")
    assert f"{readable} · First response" in headings
    assert f"{readable} · \"><x" in headings


def test_xml_text_escapes_markup_and_quotes() -> None:
    assert xml_text("<a href='x'>&\"</a>") == "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&lt;/a&gt;"


def test_many_policies_draw_the_first_panels_and_say_how_many_more() -> None:
    rows = [row(MONDAY, 8, policy=f"p{number:02}") for number in range(MAX_PANELS + 3)]
    svg = parsed(achieved_vs_target_svg(rows, period="daily", timezone="UTC"))
    assert len(bar_tips(svg)) == MAX_PANELS
    assert "3 more policies and metrics are not drawn" in (svg.find(f"{SVG}desc").text or "")


def test_panels_share_the_periods_so_they_line_up() -> None:
    rows = [row(MONDAY, 8, policy="a"), row(MONDAY + timedelta(days=1), 8, policy="b")]
    svg = parsed(achieved_vs_target_svg(rows, period="daily", timezone="UTC"))
    bars = [rect for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    first, second = (float(bar.get("x") or 0) for bar in bars)
    assert second > first  # b's bar stands in the second day's slot, not the first
