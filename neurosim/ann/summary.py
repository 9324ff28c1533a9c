"""A per-layer summary of a model: type, output shape, parameters and neurons.

Neurons are counted as a spike code will need them: the Input layer becomes an encoding
layer of ``prod(shape)`` input neurons; every non-identity Activation becomes a population
of spiking neurons, one per output value; the output layer becomes ``prod(shape)``
read-out units, which accumulate and do not spike. Linear layers (Dense, Conv2d,
AvgPool2d, Flatten, Add) hold no neurons of their own: they are the synapses between
populations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.ann.layers import (
    ARRAY_FIELDS,
    Activation,
    AvgPool2d,
    Conv2d,
    Input,
    Layer,
    MaxPool2d,
)
from neurosim.ann.model import Model


@dataclass(frozen=True)
class LayerSummary:
    """One row of :func:`summarize`. ``role`` is "input", "spiking", "read-out" or ""."""

    name: str
    kind: str
    shape: tuple[int, ...]
    parameters: int
    neurons: int
    role: str


def describe_layer(layer: Layer) -> str:
    """The layer's type with its settings, e.g. ``Conv2d 3x3 s1 p1`` or ``Activation relu``."""
    kind = type(layer).__name__
    if isinstance(layer, Conv2d):
        kh, kw = np.shape(layer.weight)[2:]
        return (f"{kind} {kh}x{kw} s{_pair_text(layer.stride)} p{_pair_text(layer.padding)}")
    if isinstance(layer, AvgPool2d | MaxPool2d):
        return f"{kind} {layer.kernel[0]}x{layer.kernel[1]} s{_pair_text(layer.stride)}"
    if isinstance(layer, Activation):
        return f"{kind} {layer.function}"
    return kind


def _pair_text(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def summarize(model: Model) -> list[LayerSummary]:
    """One :class:`LayerSummary` per layer, in the model's order."""
    rows = []
    for layer in model.layers:
        shape = tuple(model.shapes[layer.name])
        size = int(np.prod(shape, dtype=np.int64))
        parameters = int(sum(np.size(getattr(layer, f)) for f in ARRAY_FIELDS.get(type(layer), ())))
        if layer.name == model.output:
            role = "read-out"
        elif isinstance(layer, Input):
            role = "input"
        elif isinstance(layer, Activation) and layer.function != "identity":
            role = "spiking"
        else:
            role = ""
        rows.append(LayerSummary(layer.name, describe_layer(layer), shape, parameters,
                                 size if role else 0, role))
    return rows
