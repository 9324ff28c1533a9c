"""The reference forward pass: vectorised numpy over a batch, float64.

Every later stage (conversion, functional simulation, event engine) is tested against
this function, so it stays a plain transcription of each layer's equation.
"""

from __future__ import annotations

import numpy as np

from neurosim.ann import ops
from neurosim.ann.activations import get_activation
from neurosim.ann.layers import (
    Activation,
    Add,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    Dense,
    Flatten,
    Input,
    Layer,
    MaxPool2d,
)
from neurosim.ann.model import Model
from neurosim.errors import NeurosimError


def apply_layer(layer: Layer, ins: list[np.ndarray]) -> np.ndarray:
    """The output of one layer for the batches ``ins`` of its inputs."""
    if isinstance(layer, Add):
        return np.sum(ins, axis=0)
    (x,) = ins
    if isinstance(layer, Dense):
        return x @ np.asarray(layer.weight, np.float64).T + layer.bias
    if isinstance(layer, Conv2d):
        return ops.conv2d(x, np.asarray(layer.weight, np.float64),
                          np.asarray(layer.bias, np.float64), layer.stride, layer.padding)
    if isinstance(layer, AvgPool2d):
        return ops.avg_pool2d(x, layer.kernel, layer.stride)
    if isinstance(layer, MaxPool2d):
        return ops.max_pool2d(x, layer.kernel, layer.stride)
    if isinstance(layer, Flatten):
        return x.reshape(x.shape[0], -1)
    if isinstance(layer, Activation):
        return get_activation(layer.function)(x)
    if isinstance(layer, BatchNorm):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        g = np.asarray(layer.gamma) / np.sqrt(np.asarray(layer.var) + layer.eps)
        return (x - np.reshape(layer.mean, shape)) * g.reshape(shape) + np.reshape(layer.beta, shape)
    raise NeurosimError(f"cannot run layer type {type(layer).__name__}")


def forward_all(model: Model, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's output for the batch ``x`` of shape (B, *input_shape)."""
    x = np.asarray(x, dtype=np.float64)
    expected = model.input.shape
    if x.shape[1:] != expected:
        raise NeurosimError(
            f"input batch has shape {x.shape}, expected (batch, {', '.join(map(str, expected))})",
            where=f"model {model.name!r}", fix="reshape the data to the model's input shape")
    values: dict[str, np.ndarray] = {}
    for layer in model.layers:
        if isinstance(layer, Input):
            values[layer.name] = x
        else:
            values[layer.name] = apply_layer(layer, [values[n] for n in layer.inputs])
    return values


FORWARD_BATCH = 256
"""Images per pass of :func:`forward`: every layer's output is held for a pass, so a deep
network over a whole test split (65k neurons × 10,000 images is 5 GB a layer set) runs in
slices of bounded memory."""


def forward(model: Model, x: np.ndarray) -> np.ndarray:
    """The model's output for the batch ``x`` of shape (B, *input_shape), computed in
    slices of :data:`FORWARD_BATCH` images (each image's output does not depend on the
    others)."""
    x = np.asarray(x)
    if len(x) <= FORWARD_BATCH:
        return forward_all(model, x)[model.output]
    return np.concatenate([forward_all(model, x[i:i + FORWARD_BATCH])[model.output]
                           for i in range(0, len(x), FORWARD_BATCH)])


def accuracy(model: Model, x: np.ndarray, labels: np.ndarray) -> float:
    """Top-1 accuracy of the arg-max of the output."""
    return float(np.mean(np.argmax(forward(model, x), axis=1) == labels))
