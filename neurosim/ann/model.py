"""An ANN as a graph of layers, checked when it is built.

A :class:`Model` holds its layers in topological order; each layer reads the layers named
in its ``inputs``. Building a model checks every name, every shape and every weight, so a
model that exists is one that runs: later stages never re-check it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from neurosim.ann.activations import ACTIVATIONS
from neurosim.ann.layers import (
    ARRAY_FIELDS,
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
from neurosim.errors import NeurosimError

Shape = tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Model:
    """A feed-forward ANN: layers in topological order, one :class:`Input`, one output.

    ``metadata`` carries what a user wants to know about where the model came from
    (data set, split, training command, accuracy); ``source`` names the file it was read
    from, for error messages.
    """

    name: str
    layers: tuple[Layer, ...]
    output: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = "<model>"

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise NeurosimError("the model has no layers", where=self.source,
                                fix="a model needs at least an Input layer")
        if not self.output:
            object.__setattr__(self, "output", layers[-1].name)
        shapes = _infer_shapes(layers, self.source)
        if self.output not in shapes:
            raise NeurosimError(f"the output layer {self.output!r} is not a layer of the model",
                                where=self.source, fix="name one of its layers as the output")
        object.__setattr__(self, "_shapes", MappingProxyType(shapes))
        object.__setattr__(self, "_by_name", MappingProxyType({lyr.name: lyr for lyr in layers}))

    @property
    def shapes(self) -> MappingProxyType[str, Shape]:
        """The output shape of every layer, per sample."""
        return self._shapes  # type: ignore[attr-defined,no-any-return]

    @property
    def input(self) -> Input:
        return next(lyr for lyr in self.layers if isinstance(lyr, Input))

    def layer(self, name: str) -> Layer:
        return self._by_name[name]  # type: ignore[attr-defined,no-any-return]

    def parameter_count(self) -> int:
        return int(sum(getattr(lyr, f).size for lyr in self.layers
                       for f in ARRAY_FIELDS.get(type(lyr), ())))

    def with_layers(self, layers: Iterable[Layer], **changes: Any) -> Model:
        return replace(self, layers=tuple(layers), **changes)


def _where(source: str, layer: Layer) -> str:
    return f"{source}: layer {layer.name!r} ({type(layer).__name__})"


def _check_finite(source: str, layer: Layer) -> None:
    for name in ARRAY_FIELDS.get(type(layer), ()):
        values = np.asarray(getattr(layer, name))
        if not np.issubdtype(values.dtype, np.number):
            raise NeurosimError(f"{name} is not numeric (dtype {values.dtype})",
                                where=_where(source, layer), fix="store it as a float array")
        if not np.all(np.isfinite(values)):
            bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
            raise NeurosimError(f"{name} has {bad} NaN or infinite value(s)",
                                where=_where(source, layer),
                                fix="retrain or repair the weights; they must all be finite")


def _pool_out(size: int, kernel: int, stride: int, pad: int = 0) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _layer_shape(layer: Layer, ins: list[Shape], source: str) -> Shape:
    where = _where(source, layer)

    def need_map(shape: Shape) -> Shape:
        if len(shape) != 3:
            raise NeurosimError(f"expects a (channels, height, width) input, found shape {shape}",
                                where=where, fix="feed it a feature map, not a flattened vector")
        return shape

    if isinstance(layer, Input):
        if not layer.shape or any(s < 1 for s in layer.shape):
            raise NeurosimError(f"invalid input shape {layer.shape}", where=where,
                                fix="give positive sizes, e.g. (1, 8, 8) or (64,)")
        return layer.shape
    if isinstance(layer, Add):
        if len(ins) < 2 or any(s != ins[0] for s in ins):
            raise NeurosimError(f"adds inputs of shapes {ins}", where=where,
                                fix="an Add needs two or more inputs of the same shape")
        return ins[0]
    if len(ins) != 1:
        raise NeurosimError(f"takes one input, found {len(ins)}", where=where,
                            fix="list exactly one input layer")
    (shape,) = ins
    if isinstance(layer, Dense):
        w, b = np.asarray(layer.weight), np.asarray(layer.bias)
        if len(shape) != 1:
            raise NeurosimError(f"expects a vector input, found shape {shape}", where=where,
                                fix="put a Flatten before it")
        if w.ndim != 2 or w.shape[1] != shape[0] or b.shape != (w.shape[0],):
            raise NeurosimError(
                f"weight {w.shape} and bias {b.shape} do not fit an input of {shape[0]} features",
                where=where, fix=f"use a weight of shape (out, {shape[0]}) and a bias of shape (out,)")
        return (w.shape[0],)
    if isinstance(layer, Conv2d):
        c, h, wd = need_map(shape)
        w, b = np.asarray(layer.weight), np.asarray(layer.bias)
        if w.ndim != 4 or w.shape[1] != c:
            raise NeurosimError(
                f"weight {w.shape} does not fit an input of {c} channels",
                where=where, fix=f"use a weight of shape (out, {c}, kh, kw)")
        if min(layer.stride) < 1 or min(layer.padding) < 0:
            raise NeurosimError(f"stride {layer.stride} / padding {layer.padding} invalid",
                                where=where, fix="strides must be ≥ 1 and padding ≥ 0")
        ho = _pool_out(h, w.shape[2], layer.stride[0], layer.padding[0])
        wo = _pool_out(wd, w.shape[3], layer.stride[1], layer.padding[1])
        if ho < 1 or wo < 1:
            raise NeurosimError(f"kernel {w.shape[2:]} is larger than its padded input {shape}",
                                where=where, fix="use a smaller kernel or more padding")
        if b.shape not in ((w.shape[0],), (w.shape[0], ho, wo)):
            raise NeurosimError(
                f"bias {b.shape} fits neither {w.shape[0]} channels nor the output map "
                f"{(w.shape[0], ho, wo)}", where=where,
                fix=f"use a bias of shape ({w.shape[0]},) (or a bias map {(w.shape[0], ho, wo)})")
        return (w.shape[0], ho, wo)
    if isinstance(layer, AvgPool2d | MaxPool2d):
        c, h, wd = need_map(shape)
        if min(layer.kernel) < 1 or min(layer.stride) < 1:
            raise NeurosimError(f"kernel {layer.kernel} / stride {layer.stride} invalid",
                                where=where, fix="kernel and stride must be ≥ 1")
        ho = _pool_out(h, layer.kernel[0], layer.stride[0])
        wo = _pool_out(wd, layer.kernel[1], layer.stride[1])
        if ho < 1 or wo < 1:
            raise NeurosimError(f"kernel {layer.kernel} is larger than its input {shape}",
                                where=where, fix="use a smaller pooling kernel")
        return (c, ho, wo)
    if isinstance(layer, Flatten):
        return (int(np.prod(shape)),)
    if isinstance(layer, Activation):
        if layer.function not in ACTIVATIONS:
            raise NeurosimError(f"unknown activation {layer.function!r}", where=where,
                                fix=f"use one of: {', '.join(sorted(ACTIVATIONS))}")
        return shape
    if isinstance(layer, BatchNorm):
        channels = shape[0]
        for name in ("gamma", "beta", "mean", "var"):
            if np.asarray(getattr(layer, name)).shape != (channels,):
                raise NeurosimError(
                    f"{name} has shape {np.asarray(getattr(layer, name)).shape}, expected ({channels},)",
                    where=where, fix="give one value per channel of its input")
        if np.any(np.asarray(layer.var) + layer.eps <= 0):
            raise NeurosimError("var + eps is not positive", where=where,
                                fix="running variances must be ≥ 0 and eps > 0")
        return shape
    raise NeurosimError(f"unknown layer type {type(layer).__name__}", where=where)


def _infer_shapes(layers: tuple[Layer, ...], source: str) -> dict[str, Shape]:
    shapes: dict[str, Shape] = {}
    inputs = [lyr for lyr in layers if isinstance(lyr, Input)]
    if len(inputs) != 1:
        raise NeurosimError(f"the model has {len(inputs)} Input layers", where=source,
                            fix="a model needs exactly one Input layer")
    for layer in layers:
        if layer.name in shapes:
            raise NeurosimError("two layers share this name", where=_where(source, layer),
                                fix="give every layer a unique name")
        missing = [n for n in layer.inputs if n not in shapes]
        if missing:
            raise NeurosimError(
                f"reads {missing}, which is not a layer before it",
                where=_where(source, layer),
                fix="list layers in topological order and name existing inputs")
        _check_finite(source, layer)
        shapes[layer.name] = _layer_shape(layer, [shapes[n] for n in layer.inputs], source)
    return shapes


def fold_batchnorm(model: Model) -> Model:
    """The same function with every BatchNorm folded into the Dense or Conv2d before it.

    With ``g = γ / √(σ² + ε)``, the layer ``W x + b`` followed by the BatchNorm equals
    ``(g·W) x + (g·(b − μ) + β)`` exactly; consumers of the BatchNorm read the folded layer.
    """
    if not any(isinstance(lyr, BatchNorm) for lyr in model.layers):
        return model
    layers: dict[str, Layer] = {lyr.name: lyr for lyr in model.layers}
    renamed: dict[str, str] = {}
    for bn in [lyr for lyr in model.layers if isinstance(lyr, BatchNorm)]:
        (read_name,) = bn.inputs
        # After an earlier fold, a BatchNorm that read a folded BatchNorm reads its layer.
        src_name = renamed.get(read_name, read_name)
        src = layers[src_name]
        readers = [lyr for lyr in model.layers if read_name in lyr.inputs]
        if (not isinstance(src, Dense | Conv2d) or len(readers) != 1
                or read_name == model.output):
            raise NeurosimError(
                f"follows {src_name!r} ({type(src).__name__}), which it cannot be folded into",
                where=_where(model.source, bn),
                fix="place each BatchNorm directly after the Dense or Conv2d it normalises")
        g = np.asarray(bn.gamma, np.float64) / np.sqrt(np.asarray(bn.var, np.float64) + bn.eps)
        shape = (-1,) + (1,) * (np.ndim(src.weight) - 1)
        bias = np.asarray(src.bias, np.float64)
        per_channel = (-1,) + (1,) * (bias.ndim - 1)  # a Conv2d may carry a bias map
        layers[src_name] = replace(
            src,
            weight=np.asarray(src.weight, np.float64) * g.reshape(shape),
            bias=(g.reshape(per_channel) * (bias - np.reshape(bn.mean, per_channel))
                  + np.reshape(bn.beta, per_channel)),
        )
        del layers[bn.name]
        renamed[bn.name] = src_name
    out = [replace(lyr, inputs=tuple(renamed.get(n, n) for n in lyr.inputs))
           for lyr in layers.values()]
    return model.with_layers(out, output=renamed.get(model.output, model.output))


def fold_input_normalisation(model: Model, mean: Iterable[float], std: Iterable[float]) -> Model:
    """The same function applied to raw inputs ``x`` instead of ``(x − mean) / std``.

    A model trained on normalised inputs (e.g. torchvision's ``Normalize(mean, std)``, one
    value per input channel) then runs on the data set's own [0, 1] pixels. The affine map
    is folded exactly into every layer that reads the input: a Dense (directly, or after a
    Flatten) gets ``W' = W / s`` and ``b' = b − W (m / s)``; a Conv2d gets ``W' = W / s`` and
    the bias ``b − conv(m / s)`` of a constant image of the means, computed with the layer's
    own zero padding — at a padded border the taps that fall outside the image carried a
    normalised zero, so there the bias differs and becomes a bias map.
    """
    shape = model.input.shape
    channels = shape[0]
    mean_c = np.atleast_1d(np.asarray(list(mean), np.float64))
    std_c = np.atleast_1d(np.asarray(list(std), np.float64))
    where = f"{model.source}: input normalisation"
    for label, values in (("mean", mean_c), ("std", std_c)):
        if values.size not in (1, channels) or not np.all(np.isfinite(values)):
            raise NeurosimError(f"{label} {values.tolist()} is not one finite value or one per "
                                f"input channel ({channels})", where=where,
                                fix="give (mean, std) as numbers or sequences of one per channel")
    if np.any(std_c <= 0):
        raise NeurosimError(f"std {std_c.tolist()} has a value ≤ 0", where=where,
                            fix="give positive standard deviations")
    extra = (1,) * (len(shape) - 1)
    shift = np.broadcast_to((mean_c / std_c).reshape(-1, *extra), shape)  # m / s per input
    scale = np.broadcast_to((1.0 / std_c).reshape(-1, *extra), shape)     # 1 / s per input
    layers = {lyr.name: lyr for lyr in model.layers}
    readers = [lyr for lyr in model.layers if model.input.name in lyr.inputs]
    for reader in readers:
        target = reader
        if isinstance(reader, Flatten):
            after = [lyr for lyr in model.layers if reader.name in lyr.inputs]
            if len(after) != 1 or not isinstance(after[0], Dense):
                raise NeurosimError(f"the input's Flatten {reader.name!r} feeds "
                                    f"{[lyr.name for lyr in after]}, not one Dense layer",
                                    where=where, fix="normalise the data before importing")
            target = after[0]
        if isinstance(target, Dense):
            w = np.asarray(target.weight, np.float64)
            layers[target.name] = replace(target, weight=w * scale.reshape(1, -1),
                                          bias=np.asarray(target.bias) - w @ shift.reshape(-1))
        elif isinstance(target, Conv2d) and len(shape) == 3:
            from neurosim.ann.ops import conv2d

            w = np.asarray(target.weight, np.float64)
            shifted = conv2d(np.ascontiguousarray(shift)[None], w, None, target.stride,
                             target.padding)[0]
            bias = np.asarray(target.bias, np.float64)
            bias = (bias.reshape(-1, 1, 1) if bias.ndim == 1 else bias) - shifted
            if np.allclose(bias, bias[:, :1, :1], rtol=0.0, atol=0.0):
                bias = bias[:, 0, 0].copy()  # no padding reached: one bias per channel
            layers[target.name] = replace(target, weight=w / std_c.reshape(1, -1, 1, 1),
                                          bias=bias)
        else:
            raise NeurosimError(f"the input feeds {reader.name!r} ({type(reader).__name__}), "
                                "which a normalisation cannot be folded into", where=where,
                                fix="let the input feed Dense, Conv2d or Flatten→Dense layers, or "
                                    "normalise the data before importing")
    return model.with_layers([layers[lyr.name] for lyr in model.layers])
