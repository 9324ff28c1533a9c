"""Numeric command-line options checked when they are parsed, against their allowed range.

``type=whole(1, MAX_IMAGES)`` refuses ``--images 1000000000`` or ``--seed -1`` in argparse,
one line naming the option and the range, before any work or allocation starts.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

MAX_IMAGES = 1_000_000
"""More test images than any data set neurosim reads holds (MNIST has 10,000)."""
MAX_SEED = 2**32 - 1
MAX_WORKERS = 1024
MAX_FS_K = 64
"""FS steps: d(k) = α·2^-k is below float64 resolution long before k = 64."""
MAX_T = 100_000
"""Rate and TTFS steps per image."""


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high]."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number (allowed: {low} to {high:,})") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside the allowed {low} to {high:,}")
        return value

    parse.__name__ = "whole number"
    return parse


def number(low: float, high: float, *, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (or (low, high] if ``low_open``)."""
    shown = f"{'(' if low_open else '['}{low:g}, {high:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (allowed: {shown})"
                                             ) from None
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low):
            raise argparse.ArgumentTypeError(f"{text} is outside the allowed {shown}")
        return value

    parse.__name__ = "number"
    return parse
