"""The one spelling of non-finite floats in JSON: ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

JSON has no NaN or infinity; orjson writes them as ``null`` and ``JSON.parse`` in a browser
rejects Python's ``NaN`` token. So wherever nbtrack writes JSON (store files, REST replies, the
CLI's ``--json`` and CSV) a non-finite float becomes one of these strings, the spelling of
JavaScript's ``String(x)`` (``Number("NaN")`` turns it back), and is decoded back exactly.
"""
from __future__ import annotations

import math

__all__ = ["NON_FINITE", "encode_float", "decode_float"]

_ENCODE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
NON_FINITE: dict[str, float] = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode_float(value: float) -> float | str:
    """``value`` itself when finite, else its string spelling."""
    if value - value == 0.0:  # finite (fast path; inf - inf and nan - nan are nan)
        return value
    return _ENCODE[repr(float(value))]


def decode_float(value: float | str | int) -> float:
    """The float an encoded value stands for."""
    if type(value) is str:
        return NON_FINITE[value]
    return float(value)
