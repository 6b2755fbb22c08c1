"""SQL ``LIKE`` / ``ILIKE`` matching without backtracking.

A pattern is cut at each ``%`` into segments of fixed length (literal characters and ``_``,
which stands for exactly one character). The first segment must match at the start, the last
at the end, and each segment between them is searched for left to right, taking the leftmost
match: a leftmost match never rules out a match that a later one would allow, so the matcher
never goes back. A literal segment is found with ``str.find`` (linear in the text). A short
segment holding ``_`` is a regular expression without repetition, costing at most its own
(bounded) length per position of the text; a long one is found with the shift-and (bitap)
algorithm, one pass over the text with the segment's positions as the bits of an integer.
So a value is scanned once per segment, ``O(len(value))`` for a given filter. A regex built from the whole pattern (``%`` as ``.*``) backtracks instead:
``'%a%a%b'`` took 30 s on a 6,000-character value.

``ILIKE`` compares lower-cased value and pattern, as SQL databases do with ``LOWER()``.
"""
from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["compile_like"]

#: Longest ``_``-holding segment searched with a regex; longer ones use shift-and, whose cost
#: per character of the text does not grow with the segment faster than a machine word does.
_REGEX_SEGMENT_MAX = 32


class _Segment:
    """One ``%``-free piece of a pattern: ``_`` runs at its ends, and a core between them.

    The core is found with ``str.find`` when it is literal, else with a fixed-length regex;
    the ``_`` runs at the ends only need that many characters to be there.
    """

    __slots__ = ("size", "lead", "trail", "core", "regex", "masks", "wild")

    def __init__(self, text: str):
        core = text.strip("_")
        self.size = len(text)
        self.lead = len(text) - len(text.lstrip("_"))
        self.trail = len(text) - self.lead - len(core)
        self.core = core
        self.regex = None
        self.masks: dict[str, int] = {}
        self.wild = 0
        if "_" in core:
            body = "".join("." if c == "_" else re.escape(c) for c in core)
            self.regex = re.compile(body, re.DOTALL)
            for bit, char in enumerate(core):
                if char == "_":
                    self.wild |= 1 << bit
                else:
                    self.masks[char] = self.masks.get(char, 0) | 1 << bit

    def at(self, value: str, pos: int) -> bool:
        """True if the segment matches ``value`` exactly at ``pos`` (``pos + size <= len``)."""
        start = pos + self.lead
        if self.regex is None:
            return value.startswith(self.core, start)
        return self.regex.match(value, start) is not None

    def find(self, value: str, start: int, stop: int) -> int:
        """End of the leftmost match inside ``value[start:stop]``, or -1."""
        low, high = start + self.lead, stop - self.trail
        if low > high:
            return -1
        if self.regex is None:
            found = value.find(self.core, low, high)
            end = found + len(self.core)
        elif len(self.core) <= _REGEX_SEGMENT_MAX:
            match = self.regex.search(value, low, high)
            found, end = (-1, -1) if match is None else (match.start(), match.end())
        else:
            end = self._shift_and(value, low, high)
            found = end
        return -1 if found < 0 else end + self.trail

    def _shift_and(self, value: str, start: int, stop: int) -> int:
        """End of the leftmost match of the core in ``value[start:stop]``, or -1 (bitap)."""
        masks, wild, goal = self.masks, self.wild, 1 << (len(self.core) - 1)
        state = 0
        for i in range(start, stop):
            state = ((state << 1) | 1) & (masks.get(value[i], 0) | wild)
            if state & goal:
                return i + 1
        return -1


def compile_like(pattern: str, ignore_case: bool = False) -> Callable[[str], bool]:
    """Return a test ``value -> bool`` for the SQL LIKE ``pattern`` (ILIKE if ``ignore_case``).

    ``%`` matches any run of characters (none included), ``_`` exactly one; every other
    character matches itself. The whole value must match.
    """
    if ignore_case:
        lowered = compile_like(pattern.lower())
        return lambda value: lowered(value.lower())
    pieces = pattern.split("%")
    if len(pieces) == 1:
        whole = _Segment(pattern)
        return lambda value: len(value) == whole.size and whole.at(value, 0)
    head, *middle, tail = (_Segment(piece) for piece in pieces)
    inner = [segment for segment in middle if segment.size]

    def match(value: str) -> bool:
        stop = len(value) - tail.size
        if stop < head.size or not head.at(value, 0) or not tail.at(value, stop):
            return False
        pos = head.size
        for segment in inner:
            pos = segment.find(value, pos, stop)
            if pos < 0:
                return False
        return True

    return match
