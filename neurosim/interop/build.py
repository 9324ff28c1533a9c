"""A format-neutral description of an imported integrate-and-fire network, and the one
function that turns it into a neurosim :class:`~neurosim.snn.network.SNN`.

Readers (:mod:`neurosim.interop.nir`, :mod:`neurosim.interop.sanafe_net`) produce
:class:`Layer` and :class:`Edge` records; :func:`if_network` builds the network of the
rate code's dynamics (:mod:`neurosim.snn.network`, ``if``): at every step of its window a
neuron does ``v ← v + e + b``, fires when ``v ≥ θ`` and then ``v ← v − h`` (reset by
subtraction of ``h``; ``h = θ`` is the usual integrate-and-fire, another ``h`` expresses a
foreign tool's ``v > θ'`` comparison exactly, see the readers).

Timing follows the rate code's stage rule: a spike sent at step ``t`` is integrated at
``t + 1`` (plus the edge's delay), so ``offset_target = offset_source + 1 + delay`` for
every edge; edges that disagree are refused. The input layer is an encoder: an image's
pixel ``x`` becomes a bias ``x · θ_in`` per step (``unit = 1 / (θ_in · T)``), so a pixel of
1 fires at every step and a spike carries the value 1 into the imported weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.snn.network import SNN, Population, Projection

INPUT_THRESHOLD = 256
"""θ of an imported network's input encoder: pixel values resolved to 1/256."""
MAX_STEPS = 1 << 20


@dataclass
class Layer:
    """A population as a reader found it: uniform threshold ``θ`` and reset ``h``."""

    name: str
    shape: tuple[int, ...]
    role: str                      # "input", "hidden" or "output"
    threshold: float = 1.0
    reset: float = 1.0
    bias: np.ndarray | None = None  # one value per neuron (zeros if None)
    origin: str = ""               # the node or group it came from, for messages
    leak: int = 0                  # Population.leak (1/4096 per step) and the other
    reset_mode: str = "subtract"   # neuron-model fields of neurosim.snn.network
    reset_value: float = 0
    refractory: int = 0
    unit: float | None = None      # ANN value of one unit of v (None: the default below)
    out_unit: float = 1.0

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass
class Edge:
    """A projection: ``kind`` "dense" (weight (target, source)) or "conv" (C_out, C_in, kh, kw)."""

    source: str
    target: str
    kind: str
    weight: np.ndarray
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    delay: int = 0
    origin: str = ""


@dataclass
class Description:
    """Everything a reader found: layers in any order, edges, and notes for the metadata."""

    name: str
    layers: list[Layer]
    edges: list[Edge]
    notes: list[str] = field(default_factory=list)


# Integers beyond 2^53 are not all exact in float64 and overflow int64 arithmetic soon after;
# a file with such values becomes a float network, which the SNN checks then judge.
_MAX_EXACT_INTEGER = 2.0 ** 53


def _integral(values: list[np.ndarray]) -> bool:
    return all(np.all(np.isfinite(v)) and np.array_equal(v, np.rint(v))
               and np.all(np.abs(v) <= _MAX_EXACT_INTEGER) for v in values)


def check_steps(steps: int | None, where: str) -> int:
    if steps is None:
        raise NeurosimError("the file does not say how many steps an image runs", where=where,
                            fix="pass --steps T (e.g. --steps 64)")
    if not isinstance(steps, int | np.integer) or not 1 <= int(steps) <= MAX_STEPS:
        raise NeurosimError(f"steps {steps!r} is not a whole number in [1, {MAX_STEPS}]",
                            where=where, fix="pass --steps T (e.g. --steps 64)")
    return int(steps)


def if_network(desc: Description, steps: int, where: str, *,
               metadata: dict[str, Any] | None = None) -> SNN:
    """The SNN of ``desc``: integrate-and-fire populations with window ``steps``."""
    steps = check_steps(steps, where)
    by_name = {layer.name: layer for layer in desc.layers}
    if len(by_name) != len(desc.layers):
        raise NeurosimError("two layers share a name", where=where)
    inputs = [layer for layer in desc.layers if layer.role == "input"]
    outputs = [layer for layer in desc.layers if layer.role == "output"]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NeurosimError(f"{len(inputs)} input and {len(outputs)} output layers found",
                            where=where, fix="neurosim networks have one input and one output")
    for edge in desc.edges:
        for end in (edge.source, edge.target):
            if end not in by_name:
                raise NeurosimError(f"edge {edge.origin or edge.source + '->' + edge.target} "
                                    f"joins unknown layer {end!r}", where=where)
    offsets = _offsets(desc, inputs[0].name, where)
    order = sorted(desc.layers, key=lambda layer: (offsets[layer.name], layer.role != "input"))
    values = [e.weight for e in desc.edges] + [np.asarray([lay.threshold, lay.reset])
                                               for lay in desc.layers]
    values += [lay.bias for lay in desc.layers if lay.bias is not None]
    values += [np.asarray([lay.reset_value]) for lay in desc.layers]
    integer = _integral(values)
    dtype = np.int64 if integer else np.float64

    def seq(value: float) -> np.ndarray:
        return np.full(steps, value, dtype=dtype)

    pops = []
    for layer in order:
        bias = np.zeros(layer.size) if layer.bias is None else np.asarray(layer.bias, np.float64)
        if bias.shape != (layer.size,):
            raise NeurosimError(f"bias has {bias.size} values for {layer.size} neurons",
                                where=f"{where}: {layer.origin or layer.name}")
        if layer.role == "input" and layer.unit is None:
            threshold = reset = INPUT_THRESHOLD
            unit = 1.0 / (INPUT_THRESHOLD * steps)
        else:
            threshold, reset = layer.threshold, layer.reset
            unit = 1.0 if layer.unit is None else layer.unit
        pops.append(Population(
            name=layer.name, shape=tuple(int(s) for s in layer.shape), role=layer.role,
            dynamics="if", threshold=seq(threshold), reset=seq(reset), out_weight=seq(1),
            bias=bias.astype(dtype), offset=offsets[layer.name], unit=unit,
            out_unit=layer.out_unit,
            ann_layer=layer.origin, leak=int(layer.leak), reset_mode=layer.reset_mode,
            reset_value=(int(layer.reset_value) if integer else float(layer.reset_value)),
            refractory=int(layer.refractory)))
    projs = [Projection(name=edge.origin or f"{edge.source}->{edge.target}", source=edge.source,
                        target=edge.target, kind=edge.kind, weight=np.asarray(edge.weight, dtype),
                        stride=edge.stride, padding=edge.padding, delay=edge.delay)
             for edge in desc.edges]
    names = [p.name for p in projs]
    if len(set(names)) != len(names):
        projs = [Projection(**{**vars(p), "name": f"{p.name}#{i}"}) for i, p in enumerate(projs)]
    meta = {"imported_from": where, "notes": "; ".join(desc.notes), **(metadata or {})}
    try:
        return SNN(name=desc.name, code="rate", populations=tuple(pops),
                   projections=tuple(projs), integer=integer,
                   params={"T": steps, "input": "current"}, metadata=meta)
    except NeurosimError as exc:
        raise NeurosimError(exc.what, where=where, fix=exc.fix) from None


def _offsets(desc: Description, input_name: str, where: str) -> dict[str, int]:
    """Each layer's offset by the stage rule, in topological order; cycles are refused."""
    incoming: dict[str, list[Edge]] = {layer.name: [] for layer in desc.layers}
    for edge in desc.edges:
        incoming[edge.target].append(edge)
    offsets = {input_name: 0}
    remaining = [layer.name for layer in desc.layers if layer.name != input_name]
    if incoming[input_name]:
        raise NeurosimError(f"the input {input_name!r} receives edges", where=where,
                            fix="neurosim networks are feed-forward from one input")
    while remaining:
        ready = [n for n in remaining if all(e.source in offsets for e in incoming[n])]
        if not ready:
            raise NeurosimError(f"layers {remaining[:3]} are not fed from the input, or form a "
                                "recurrent loop", where=where,
                                fix="neurosim networks are feed-forward from one input")
        for name in ready:
            if not incoming[name]:
                raise NeurosimError(f"layer {name!r} has no incoming edge", where=where,
                                    fix="connect it, or remove it from the file")
            arrivals = {offsets[e.source] + 1 + e.delay for e in incoming[name]}
            if len(arrivals) != 1:
                raise NeurosimError(
                    f"layer {name!r}: its inputs arrive after different numbers of steps "
                    f"({sorted(arrivals)}); neurosim windows need them aligned",
                    where=where, fix="add Delay nodes so that every path to it has one length")
            offsets[name] = arrivals.pop()
            remaining.remove(name)
    return offsets


def check_weight_bits(snn: SNN, hw: Hardware, where: str) -> None:
    """Every weight of an imported integer network fits the chip's signed weight bits."""
    bits = int(hw.chip.core.weight_bits)
    if not snn.integer or bits <= 1:
        return
    limit = 2 ** (bits - 1) - 1
    for proj in snn.projections:
        top = int(np.abs(proj.weight).max(initial=0))
        if top > limit:
            raise NeurosimError(
                f"edge {proj.name!r} has weights up to ±{top}, beyond the {bits}-bit weights "
                f"(±{limit}) of {hw.name!r}", where=where,
                fix="rescale the weights and thresholds in the source tool, or choose a chip "
                    "with wider weights")
