"""The reports' chart over HTTP (GET /api/v1/reports/hourly/chart and /daily/chart), on the worked
example: SVG that says in words what it shows, following the report's filters, every text escaped."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest

API = "/api/v1"
SVG = "{http://www.w3.org/2000/svg}"


def test_the_daily_chart_is_svg_with_a_title_a_description_and_a_bar_per_day(client, worked_example):
    answer = client.get(f"{API}/reports/daily/chart", query_string={"from": "2026-03-01", "to": "2026-03-08"},
                        headers=worked_example.auth("agent"))
    assert answer.status_code == 200
    assert answer.mimetype == "image/svg+xml"
    svg = ET.fromstring(answer.get_data(as_text=True))
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Daily achieved against targeted success rate"
    description = svg.find(f"{SVG}desc").text
    assert "Orange urgent email · First response: 70.0 % achieved (70 of 100 met) against 80 % targeted" in description
    bars = [bar.find(f"{SVG}title").text for bar in svg.iter(f"{SVG}rect") if bar.find(f"{SVG}title") is not None]
    assert bars == ["Mon 2 Mar 2026: 70.0 % achieved, 80 % targeted (70 of 100 met, 10 missed)"]


def test_the_hourly_chart_follows_the_filters_and_an_empty_range_says_so(client, worked_example):
    headers = worked_example.auth()
    hourly = client.get(f"{API}/reports/hourly/chart", headers=headers)
    rects = ET.fromstring(hourly.get_data()).iter(f"{SVG}rect")
    assert len([rect for rect in rects if rect.find(f"{SVG}title") is not None]) == 4
    empty = client.get(f"{API}/reports/daily/chart", query_string={"metric": "resolution"}, headers=headers)
    assert empty.status_code == 200
    assert "No targets were decided in this range" in empty.get_data(as_text=True)


@pytest.mark.parametrize(("query", "problem"), [
    ({"format": "csv"}, "format: Unknown field."),
    ({"from": "2026-03-05", "to": "2026-03-01"}, "to: must be after from"),
    ({"policy": "nobody"}, "policy: no policy has id 'nobody'"),
])
def test_a_chart_query_it_cannot_draw_is_refused_naming_the_parameter(client, configured, query, problem):
    answer = client.get(f"{API}/reports/daily/chart", query_string=query, headers=configured.auth())
    assert answer.status_code == 400
    assert problem in answer.get_json()["problems"]


def test_a_policy_name_with_markup_is_drawn_as_text(app, client, worked_example, example_settings):
    document = copy.deepcopy(example_settings)
    document["sla_policies"][0]["name"] = '<script>alert("x")</script> & Co'
    worked_example.configure(app, document)
    answer = client.get(f"{API}/reports/daily/chart", headers=worked_example.auth())
    text = answer.get_data(as_text=True)
    assert "<script>" not in text
    headings = [node.text for node in ET.fromstring(text).iter(f"{SVG}text")]
    assert '<script>alert("x")</script> & Co · First response' in headings
