"""One calendar shared by threads: the worker's jobs and a threaded server's requests share each
parsed settings version, so a calendar's lazily grown intervals must never be seen half grown."""

from __future__ import annotations

import json
import random
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from plugin.domain.calendar import BusinessCalendar
from plugin.settings.loading import load_settings

HOURS = {day: [(9 * 3600, 17 * 3600)] for day in ("mon", "tue", "wed", "thu", "fri")}
HOLIDAYS = frozenset({date(2026, 12, 25), date(2027, 1, 1), date(2027, 5, 1)})
START_2026 = 1_767_225_600  # 2026-01-01T00:00Z
EXAMPLE = Path(__file__).parents[1] / "data" / "desk360_example" / "settings.json"


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    """Let threads switch every few bytecodes instead of every 5 ms, so an interleaving that
    exposes a half-made change is likely within a short test."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def queries(seed: int, count: int) -> list[tuple[str, int, int]]:
    """Deadlines and sums spread over four years either side of 2026, so the covered days grow
    both ways, many times over, while the threads read."""
    rng = random.Random(seed)
    found: list[tuple[str, int, int]] = []
    for _ in range(count):
        start = START_2026 + rng.randrange(-4 * 366 * 86_400, 4 * 366 * 86_400)
        if rng.random() < 0.5:
            found.append(("deadline", start, rng.choice((1800, 8 * 3600, 40 * 3600, 400 * 3600))))
        else:
            found.append(("sum", start, start + rng.randrange(0, 90 * 86_400)))
    return found


def answer(calendar: BusinessCalendar, query: tuple[str, int, int]) -> int:
    kind, first, second = query
    if kind == "deadline":
        return calendar.deadline_ts(first, second)
    return calendar.business_seconds_ts(first, second)


def answers_in_threads(shared: BusinessCalendar, work: list[list[tuple[str, int, int]]]
                       ) -> list[list[int] | BaseException]:
    """Each thread's answers to its queries on ``shared``, the threads started together."""
    got: list[list[int] | BaseException] = [[] for _ in work]
    barrier = threading.Barrier(len(work))

    def run(index: int) -> None:
        barrier.wait()
        try:
            got[index] = [answer(shared, query) for query in work[index]]
        except BaseException as error:  # reported by the test, with the thread it happened in
            got[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return got


def assert_shared_calendar_answers_as_its_own(make_calendar: Callable[[], BusinessCalendar],
                                              work: list[list[tuple[str, int, int]]], attempts: int = 4) -> None:
    """Threads querying one new calendar together get, every attempt, what a calendar of each query's
    own answers (asked alone, on one thread)."""
    expected = [[answer(make_calendar(), query) for query in batch] for batch in work]
    for attempt in range(attempts):
        for index, result in enumerate(answers_in_threads(make_calendar(), work)):
            assert not isinstance(result, BaseException), f"attempt {attempt}, thread {index}: {result!r}"
            wrong = [(query, mine, theirs) for query, mine, theirs in zip(work[index], result, expected[index],
                                                                           strict=True) if mine != theirs]
            assert not wrong, f"attempt {attempt}, thread {index}: {len(wrong)} wrong, e.g. {wrong[:3]}"


@pytest.mark.usefixtures("frequent_thread_switches")
def test_threads_sharing_a_calendar_get_the_answers_of_a_calendar_of_their_own() -> None:
    work = [queries(thread, 60) for thread in range(6)]
    assert_shared_calendar_answers_as_its_own(lambda: BusinessCalendar("Europe/Berlin", HOURS, HOLIDAYS), work)


@pytest.mark.usefixtures("frequent_thread_switches")
def test_threads_first_touching_a_year_of_national_holidays_see_all_of_its_holidays() -> None:
    """The ``holidays`` package adds a year to a country's calendar on first use, and marks the year
    as there before its holidays are: another thread must not read the year half made."""
    data = json.loads(EXAMPLE.read_text())
    name = "berlin"
    data["calendars"] = [{"id": name, "name": "Berlin office", "timezone": "Europe/Berlin",
                          "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
                          "holiday_preset": {"country": "DE", "subdivision": "BE"}}]
    data["sla_policies"][0]["calendar"] = name
    work = [queries(thread, 40) for thread in range(6)]
    assert_shared_calendar_answers_as_its_own(lambda: load_settings(data).calendars[name], work)
