"""The reference host protocol (design.md §4): webhook payloads in (``payloads``), commands out (``commands``)."""
