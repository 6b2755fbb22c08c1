"""LIKE / ILIKE worst cases: milliseconds per match over a 6,000-character value.

Usage: ``python bench/like.py``. Each pattern is matched 20 times; the median is printed. The
first pattern took ~30 s with the backtracking regex nbtrack used before its own matcher.
"""
from __future__ import annotations

import statistics
import time

from nbtrack.search.like import compile_like

VALUE = "a" * 6000
PATTERNS = {
    "%a%a%b": "%a%a%b",
    "%a% x40 b": "%" + "a%" * 40 + "b",
    "%_% x40 b": "%" + "_%" * 40 + "b",
    "%(a_) x1500 b%": "%" + "a_" * 1500 + "b%",
    "%(a_) x16 b%": "%" + "a_" * 16 + "b%",
}


def main() -> None:
    print(f"{'pattern':<18} {'median ms':>10}")
    for label, pattern in PATTERNS.items():
        match = compile_like(pattern)
        times = []
        for _ in range(20):
            started = time.perf_counter()
            match(VALUE)
            times.append((time.perf_counter() - started) * 1000)
        print(f"{label:<18} {statistics.median(times):>10.3f}")


if __name__ == "__main__":
    main()
