"""Elementwise activation functions, by name.

These are the functions an ANN layer may apply and that a spike code approximates. Each
takes and returns a float64 array of any shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from neurosim.errors import NeurosimError

_erf = np.frompyfunc(math.erf, 1, 1)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0)."""
    return np.maximum(x, 0.0)


def silu(x: np.ndarray) -> np.ndarray:
    """x · σ(x), also called swish."""
    return x * sigmoid(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^(−x)), computed without overflow for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(x)


def gelu(x: np.ndarray) -> np.ndarray:
    """x · Φ(x) with the exact normal CDF Φ(x) = (1 + erf(x/√2)) / 2."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def identity(x: np.ndarray) -> np.ndarray:
    """x unchanged (a linear layer's output, such as the logits)."""
    return np.asarray(x, dtype=np.float64)


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": relu,
    "silu": silu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "gelu": gelu,
    "identity": identity,
}


def get_activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The function called ``name``; a clear error for a name that is not known."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise NeurosimError(
            f"unknown activation {name!r}", fix=f"use one of: {known}"
        ) from None
