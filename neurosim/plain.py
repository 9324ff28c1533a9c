"""Plain Python values for the files neurosim writes (JSON, YAML, CSV, .npz metadata)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def plain(value: Any, *, nan_to_none: bool = False) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists, tuples
    into lists and dict keys into strings, recursively. ``nan_to_none`` also turns NaN and
    infinities into ``None``, for JSON and CSV, which have no such numbers."""
    if isinstance(value, dict):
        return {str(k): plain(v, nan_to_none=nan_to_none) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v, nan_to_none=nan_to_none) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if nan_to_none and isinstance(value, float) and not math.isfinite(value):
        return None
    return value
