"""UTC offsets of an IANA zone over time, found by probing zoneinfo (it exposes no transition list)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

OFFSET_PROBE_STEP = 3 * 3600  # no zone changes its offset twice within three hours


class OffsetTimeline:
    """A zone's UTC offsets over [lo, hi): where each offset starts, found by probing once."""

    def __init__(self, zone: ZoneInfo, lo: int, hi: int) -> None:
        offset = utc_offset(zone, lo)
        self.starts, self.offsets = [lo], [offset]
        probe = lo
        while probe < hi:
            following = min(probe + OFFSET_PROBE_STEP, hi)
            following_offset = utc_offset(zone, following)
            if following_offset != offset:
                self.starts.append(first_second_with_offset(zone, probe, following, following_offset))
                self.offsets.append(following_offset)
                offset = following_offset
            probe = following

    def segments(self, lo: int, hi: int) -> Iterator[tuple[int, int, int]]:
        """[lo, hi) split into pieces of constant offset: (start, end, offset)."""
        index = max(0, bisect_right(self.starts, lo) - 1)
        while index < len(self.starts) and self.starts[index] < hi:
            end = self.starts[index + 1] if index + 1 < len(self.starts) else hi
            yield max(lo, self.starts[index]), min(hi, end), self.offsets[index]
            index += 1


def utc_offset(zone: ZoneInfo, at: int) -> int:
    offset = datetime.fromtimestamp(at, zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def first_second_with_offset(zone: ZoneInfo, before: int, after: int, offset: int) -> int:
    """The first second in (before, after] at which ``zone`` has ``offset`` (one change between)."""
    while after - before > 1:
        middle = (before + after) // 2
        if utc_offset(zone, middle) == offset:
            after = middle
        else:
            before = middle
    return after


