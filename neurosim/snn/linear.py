"""Folding the linear layers between two spiking layers into one projection.

Between the activations of an ANN sit only linear maps (Dense, Conv2d, AvgPool2d,
Flatten, Add and identity activations). Average pooling is linear, so it costs no neurons
on a chip: it folds into the weights of the projection it belongs to. A chain of Conv2d
and AvgPool2d layers becomes one convolution with a composed kernel when that is exact
(checked numerically); anything else becomes an explicit dense matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.ann import ops
from neurosim.ann.layers import Activation, Add, AvgPool2d, Conv2d, Dense, Flatten, Input, Layer
from neurosim.ann.model import Model
from neurosim.errors import NeurosimError
from neurosim.limits import require_memory

# The largest explicit matrix (entries) a chain may fold into.
MAX_DENSE_ENTRIES = 50_000_000


def is_spiking_layer(layer: Layer) -> bool:
    """Layers that become populations: the input and every non-identity activation."""
    return isinstance(layer, Input) or (
        isinstance(layer, Activation) and layer.function != "identity")


@dataclass(frozen=True)
class Term:
    """One path of linear layers from a spiking layer (``source``) to a target's input."""

    source: str
    chain: tuple[Layer, ...]


def linear_terms(model: Model, name: str) -> list[Term]:
    """The spiking sources of layer ``name``'s output and the linear chain from each."""
    layer = model.layer(name)
    if is_spiking_layer(layer):
        return [Term(name, ())]
    if isinstance(layer, Activation):  # identity
        return linear_terms(model, layer.inputs[0])
    if isinstance(layer, Add):
        return [t for src in layer.inputs for t in linear_terms(model, src)]
    if isinstance(layer, Dense | Conv2d | AvgPool2d | Flatten):
        return [Term(t.source, (*t.chain, layer)) for t in linear_terms(model, layer.inputs[0])]
    kind = type(layer).__name__
    fix = ("replace max pooling by average pooling (nn.AvgPool2d), as Stöckl & Maass (2021) did, "
           "and retrain" if kind == "MaxPool2d" else "neurosim converts Dense, Conv2d, AvgPool2d, "
           "Flatten, Add and elementwise activations")
    raise NeurosimError(f"a spiking network cannot contain a {kind} layer",
                        where=f"{model.source}: layer {name!r}", fix=fix)


def _apply_linear(layer: Layer, x: np.ndarray) -> np.ndarray:
    """The layer without its bias."""
    if isinstance(layer, Dense):
        return x @ np.asarray(layer.weight, np.float64).T
    if isinstance(layer, Conv2d):
        return ops.conv2d(x, np.asarray(layer.weight, np.float64), None, layer.stride, layer.padding)
    if isinstance(layer, AvgPool2d):
        return ops.avg_pool2d(x, layer.kernel, layer.stride)
    return x.reshape(x.shape[0], -1)  # Flatten


def apply_chain(chain: tuple[Layer, ...], x: np.ndarray) -> np.ndarray:
    for layer in chain:
        x = _apply_linear(layer, x)
    return x


@dataclass(frozen=True)
class _ConvOp:
    weight: np.ndarray  # (O, C, kh, kw)
    stride: tuple[int, int]
    padding: tuple[int, int]


def _as_conv(layer: Layer, channels: int) -> _ConvOp:
    if isinstance(layer, Conv2d):
        return _ConvOp(np.asarray(layer.weight, np.float64), layer.stride, layer.padding)
    assert isinstance(layer, AvgPool2d)
    kh, kw = layer.kernel
    # As a convolution, pooling over C channels is a C×C×kh×kw kernel, mostly zeros.
    require_memory(3 * 8 * channels * channels * kh * kw,
                   f"folding pooling layer {layer.name!r} over {channels:,} channels",
                   fix="use fewer channels, or put an activation after the pooling")
    weight = np.eye(channels)[:, :, None, None] * np.full((kh, kw), 1.0 / (kh * kw))
    return _ConvOp(weight, layer.stride, (0, 0))


def _compose(a: _ConvOp, b: _ConvOp) -> _ConvOp:
    """The convolution equal to ``a`` then ``b`` (exact unless ``b`` pads ``a``'s output)."""
    (sa_h, sa_w), (kb_h, kb_w) = a.stride, b.weight.shape[2:]
    ka_h, ka_w = a.weight.shape[2:]
    require_memory(2 * 8 * b.weight.shape[0] * a.weight.shape[1] * (ka_h + (kb_h - 1) * sa_h)
                   * (ka_w + (kb_w - 1) * sa_w), "composing two linear layers into one kernel",
                   fix="put an activation between the layers, or use smaller layers")
    weight = np.zeros((b.weight.shape[0], a.weight.shape[1],
                       ka_h + (kb_h - 1) * sa_h, ka_w + (kb_w - 1) * sa_w))
    for i in range(kb_h):
        for j in range(kb_w):
            weight[:, :, i * sa_h:i * sa_h + ka_h, j * sa_w:j * sa_w + ka_w] += np.einsum(
                "om,mcuv->ocuv", b.weight[:, :, i, j], a.weight)
    return _ConvOp(weight,
                   (sa_h * b.stride[0], sa_w * b.stride[1]),
                   (a.padding[0] + b.padding[0] * sa_h, a.padding[1] + b.padding[1] * sa_w))


PROBE_ENTRIES = 4_000_000
"""Values (about 32 MB) of one block of unit vectors pushed through a chain that is folded
into a dense matrix."""


def fold_chain(chain: tuple[Layer, ...], source_shape: tuple[int, ...], where: str
               ) -> tuple[str, np.ndarray, tuple[int, int], tuple[int, int]]:
    """One projection for a linear chain: (kind, weight, stride, padding).

    The result is checked against the chain on random inputs; a composed convolution
    that does not match (zero padding inside the chain) falls back to a dense matrix.
    """
    n_src = int(np.prod(source_shape))
    require_memory(4 * 8 * n_src, f"probing a {n_src:,}-neuron source", where=where,
                   fix="use smaller layers")
    if all(isinstance(layer, Conv2d | AvgPool2d) for layer in chain) and len(source_shape) == 3:
        if not chain:  # a shortcut straight from a population: the identity, as a 1x1 conv
            op = _ConvOp(np.eye(source_shape[0])[:, :, None, None], (1, 1), (0, 0))
        else:
            op = _as_conv(chain[0], source_shape[0])
            for layer in chain[1:]:
                op = _compose(op, _as_conv(layer, op.weight.shape[0]))
        probe = np.random.default_rng(0).normal(size=(2, *source_shape))
        expected = apply_chain(chain, probe)
        got = ops.conv2d(probe, op.weight, None, op.stride, op.padding)
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-9, atol=1e-9):
            return "conv", op.weight, op.stride, op.padding
    n_tgt = int(np.prod(apply_chain(chain, np.zeros((1, *source_shape))).shape[1:]))
    if n_src * n_tgt > MAX_DENSE_ENTRIES:
        raise NeurosimError(
            f"the linear layers {[lyr.name for lyr in chain]} fold into a {n_tgt}×{n_src} matrix, "
            "too large to store explicitly", where=where,
            fix="put an activation between convolutions that pad, or use smaller layers")
    require_memory(8 * n_tgt * n_src, f"the folded {n_tgt}×{n_src} matrix", where=where,
                   fix="put an activation between the layers, or use smaller layers")
    matrix = np.empty((n_tgt, n_src))
    # Probe PROBE_ENTRIES values at a time: a block of unit vectors is (step, n_src) in and
    # (step, n_tgt) out, so the larger side sizes it (a Flatten -> Dense read-out from a
    # 57 k-neuron map into 10 classes would otherwise probe 57 k × 57 k at once).
    step = max(1, PROBE_ENTRIES // max(n_src, n_tgt, 1))
    for start in range(0, n_src, step):
        stop = min(start + step, n_src)
        basis = np.zeros((stop - start, n_src))
        basis[np.arange(stop - start), np.arange(start, stop)] = 1.0
        matrix[:, start:stop] = apply_chain(chain, basis.reshape(-1, *source_shape)).reshape(
            stop - start, n_tgt).T
    return "dense", matrix, (1, 1), (0, 0)


def affine_bias(model: Model, name: str, sources: set[str]) -> np.ndarray:
    """The value of layer ``name`` when every spiking source outputs zero: the total bias."""
    cache: dict[str, np.ndarray] = {}

    def value(layer_name: str) -> np.ndarray:
        if layer_name in cache:
            return cache[layer_name]
        layer = model.layer(layer_name)
        if layer_name in sources or is_spiking_layer(layer):
            out = np.zeros((1, *model.shapes[layer_name]))
        elif isinstance(layer, Add):
            out = sum(value(n) for n in layer.inputs)
        elif isinstance(layer, Activation):
            out = value(layer.inputs[0])
        else:
            out = _apply_linear(layer, value(layer.inputs[0]))
            if isinstance(layer, Dense | Conv2d):
                bias = np.asarray(layer.bias, np.float64)
                # per channel, or (a Conv2d's) bias map of the whole output
                shape = (1, -1) + (1,) * (out.ndim - 2) if bias.ndim == 1 else (1, *bias.shape)
                out = out + bias.reshape(shape)
        cache[layer_name] = out
        return out

    return value(name).reshape(-1)
