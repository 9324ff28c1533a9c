"""The layers of an ANN model, one frozen dataclass each.

Shapes are per sample, without the batch axis: a feature map is ``(C, H, W)``, a vector
``(N,)``. Every layer names the layers it reads in ``inputs``; the equation it computes is
in its docstring, and :mod:`neurosim.ann.forward` computes exactly that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _pair(value: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(value, int | np.integer):
        return (int(value), int(value))
    a, b = value
    return (int(a), int(b))


@dataclass(frozen=True, eq=False)
class Input:
    """The network's input: ``y = x`` with ``x`` of shape ``shape``."""

    name: str
    shape: tuple[int, ...]
    inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))


@dataclass(frozen=True, eq=False)
class Dense:
    """A fully connected layer: ``y = W x + b`` with ``W`` of shape (out, in)."""

    name: str
    inputs: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray


@dataclass(frozen=True, eq=False)
class Conv2d:
    """A 2-D convolution (cross-correlation, as in PyTorch).

    ``y[o, i, j] = b[o] + Σ_{c,u,v} W[o, c, u, v] · x_pad[c, i·s_h + u, j·s_w + v]``, where
    ``x_pad`` is ``x`` with ``padding`` zeros on each side. ``W`` has shape (out, in, kh, kw).
    ``b`` has shape (out,), or (out, Ho, Wo) for a bias map ``b[o, i, j]``: folding an input
    normalisation into a padded convolution needs one, since the zeros of the padding are
    not normalised (:func:`neurosim.ann.model.fold_input_normalisation`).
    """

    name: str
    inputs: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stride", _pair(self.stride))
        object.__setattr__(self, "padding", _pair(self.padding))


@dataclass(frozen=True, eq=False)
class _Pool2d:
    """A pooling window of ``kernel`` moved by ``stride``, without padding."""

    name: str
    inputs: tuple[str, ...]
    kernel: tuple[int, int]
    stride: tuple[int, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel", _pair(self.kernel))
        object.__setattr__(self, "stride", _pair(self.stride))


@dataclass(frozen=True, eq=False)
class AvgPool2d(_Pool2d):
    """Average pooling: ``y[c, i, j] = mean_{u<k_h, v<k_w} x[c, i·s_h + u, j·s_w + v]``."""


@dataclass(frozen=True, eq=False)
class MaxPool2d(_Pool2d):
    """Max pooling: ``y[c, i, j] = max_{u<k_h, v<k_w} x[c, i·s_h + u, j·s_w + v]``.

    Read so that a model using it loads and runs as an ANN, but no spike code converts it:
    replace it by average pooling, as Stöckl & Maass (2021) did in the ResNet stem.
    """


@dataclass(frozen=True, eq=False)
class Flatten:
    """``y = x.reshape(-1)`` in C order (channel, row, column)."""

    name: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Add:
    """The sum of two or more inputs of equal shape (a residual connection): ``y = Σ x_k``."""

    name: str
    inputs: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Activation:
    """An elementwise function: ``y = f(x)`` with ``f`` named in :mod:`neurosim.ann.activations`."""

    name: str
    inputs: tuple[str, ...]
    function: str


@dataclass(frozen=True, eq=False)
class BatchNorm:
    """Batch normalisation at inference: ``y = γ (x − μ) / √(σ² + ε) + β`` per channel.

    It is an affine map, so loading folds it exactly into the Dense or Conv2d before it
    (:func:`neurosim.ann.model.fold_batchnorm`); a model never runs with one.
    """

    name: str
    inputs: tuple[str, ...]
    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    eps: float = 1e-5


Layer = Input | Dense | Conv2d | AvgPool2d | MaxPool2d | Flatten | Add | Activation | BatchNorm

LAYER_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (Input, Dense, Conv2d, AvgPool2d, MaxPool2d, Flatten, Add, Activation, BatchNorm)
}

# The array fields of each layer type, in the order they are stored.
ARRAY_FIELDS: dict[type, tuple[str, ...]] = {
    Dense: ("weight", "bias"),
    Conv2d: ("weight", "bias"),
    BatchNorm: ("gamma", "beta", "mean", "var"),
}
