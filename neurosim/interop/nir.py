"""NIR graphs (Pedersen et al., Nat. Commun. 15, 8122, 2024; the ``nir`` package) in and out.

Reading (:func:`read_nir`). A graph is cut at its neuron nodes: every path from the
``Input`` node or a neuron node through linear nodes to the next neuron node (or the
``Output``) becomes one projection. Time is discrete with ``dt = 1`` step (a graph's
metadata ``dt`` overrides it), so ``dv/dt = R·I`` is ``v ← v + R·I`` per step.

=====================  ================================================================
NIR node               neurosim
=====================  ================================================================
Affine, Linear         a dense projection (Affine's bias → the target's bias)
Conv2d                 a conv projection (``groups`` expanded; dilation 1 only; its bias
                       per channel → the target's bias)
SumPool2d, AvgPool2d   a conv projection with kernel 1 (sum) or 1/k² (average) per channel
Flatten                nothing (a dense projection reads its source flat)
Scale                  multiplies the projection's weights (per source or target element)
Delay                  the projection's delay, in whole steps
IF                     ``v > θ``, reset to ``v_reset``: threshold θ+1 (integers) with
                       ``reset_mode="value"``; neurosim's own files (metadata
                       ``neurosim_threshold``/``neurosim_reset``) keep ``v ≥ θ``, ``v ← v − h``
LIF                    as IF with ``leak = 4096·dt/τ`` (``β = 1 − dt/τ``), input × ``R·dt/τ``,
                       ``v_leak`` folded into the bias
CubaLIF                as LIF when ``τ_syn = dt`` (the synaptic current lasts one step);
                       a longer synaptic current is a second state neurosim lacks: refused
I, LI                  the output population (never fires; LI leaks)
=====================  ================================================================

At most one weighted node (Affine, Linear, Conv2d, pooling) may sit between two neuron
nodes; a graph that chains two is refused (fuse them first). A neuron parameter must be
the same for every neuron of a node (neurosim populations share θ, reset and leak).

Writing (:func:`write_nir`): the rate code (IF neurons with reset by subtraction), each
population an ``IF`` node whose metadata records the exact rule (``v ≥ θ``, subtract ``h``)
— NIR's IF resets to a value — and whose ``v_threshold`` is θ − ½, which fires on the same
integer potentials under NIR's ``v > v_threshold``; the output population is an ``I``
node. The FS and TTFS codes are refused: NIR neurons have one fixed threshold and reset,
while FS neurons change T(k), h(k) and the spike's weight d(k) at every step of a window
(TTFS, besides, fires at most once). ``nir`` is an optional extra (``pip install nir``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.interop.build import Description, Edge, Layer, if_network
from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import LEAK_ONE, SNN, Population, Projection

LINEAR_NODES = ("Affine", "Linear", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten", "Scale",
                "Delay")
NEURON_NODES = ("IF", "LIF", "CubaLIF", "LI", "I")
SUPPORTED = ("Input", "Output", *LINEAR_NODES, *NEURON_NODES)


def _nir() -> Any:
    try:
        import nir
    except ImportError:
        raise NeurosimError("reading and writing NIR graphs needs the nir package",
                            fix="pip install nir (or pip install neurosim[nir])") from None
    return nir


def read_nir(path: str | Path, *, steps: int | None = None) -> SNN:
    """The SNN of the NIR graph in ``path`` (written by ``nir.write``)."""
    nir = _nir()
    where = str(path)
    if not Path(path).is_file():
        raise NeurosimError("no such file", where=where, fix="check the path")
    try:
        graph = nir.read(str(path))
    except Exception as exc:  # h5py and nir raise many kinds on a damaged file
        detail = " ".join(str(exc).split())[:100]
        raise NeurosimError(f"not a readable NIR graph ({type(exc).__name__}: {detail})",
                            where=where, fix="write it with nir.write from the source tool") from None
    return snn_from_graph(graph, where, steps=steps)


def _meta(node: Any) -> dict[str, Any]:
    raw = getattr(node, "metadata", None) or {}
    out = {}
    for key, value in dict(raw).items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, np.ndarray) and value.shape == ():
            value = value.item()
            value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        out[str(key)] = value
    return out


def _uniform(node_name: str, kind: str, field: str, value: Any, where: str) -> float:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise NeurosimError(f"{kind} node {node_name!r}: {field} is empty or not finite",
                            where=where, fix="give every neuron a finite value")
    if not np.all(arr == arr.flat[0]):
        raise NeurosimError(
            f"{kind} node {node_name!r}: {field} differs between neurons; a neurosim "
            "population shares one value", where=where,
            fix=f"give every neuron of the node the same {field}, or split the node")
    return float(arr.flat[0])


def _threshold_above(theta: float, integer: bool) -> float:
    """The neurosim threshold (fires on v ≥ it) of NIR's ``v > θ``."""
    return float(np.floor(theta) + 1) if integer else float(np.nextafter(theta, np.inf))


@dataclass
class _Chain:
    """A path through linear nodes: the weighted op found so far, scales and delay."""

    shape: tuple[int, ...]
    kind: str | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None     # per target element
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    pre_scale: np.ndarray | None = None  # per source element
    delay: float = 0.0
    names: tuple[str, ...] = ()


class _GraphReader:
    def __init__(self, graph: Any, where: str, steps: int | None):
        self.where = where
        self.nodes = dict(graph.nodes)
        self.meta = _meta(graph)
        self.dt = float(self.meta.get("dt", 1.0))
        if not np.isfinite(self.dt) or self.dt <= 0:
            raise NeurosimError(f"graph metadata dt = {self.dt} is not positive", where=where)
        self.steps = steps if steps is not None else self.meta.get("neurosim_steps")
        self.succ: dict[str, list[str]] = {name: [] for name in self.nodes}
        self.pred: dict[str, list[str]] = {name: [] for name in self.nodes}
        for edge in graph.edges:
            src, tgt = str(edge[0]), str(edge[1])
            for end in (src, tgt):
                if end not in self.nodes:
                    raise NeurosimError(f"edge {src} -> {tgt} names unknown node {end!r}",
                                        where=where)
            self.succ[src].append(tgt)
            self.pred[tgt].append(src)
        for name, node in self.nodes.items():
            kind = type(node).__name__
            if kind not in SUPPORTED:
                raise NeurosimError(
                    f"node {name!r} is a {kind}, which neurosim cannot import",
                    where=where, fix=f"use only {', '.join(SUPPORTED)} nodes")
        self.notes: list[str] = []
        self.visited: set[str] = set()                # linear nodes on a path
        self.gains: dict[str, float] = {}             # input × R·dt/τ, per layer
        self.leak_biases: dict[str, np.ndarray] = {}  # (dt/τ)·v_leak, per layer

    def kind(self, name: str) -> str:
        return type(self.nodes[name]).__name__

    def one(self, kind: str) -> str:
        found = [n for n in self.nodes if self.kind(n) == kind]
        if len(found) != 1:
            raise NeurosimError(f"the graph has {len(found)} {kind} nodes, neurosim needs one",
                                where=self.where, fix=f"give the network one {kind} node")
        return found[0]

    # --- the walk ------------------------------------------------------------------------
    def read(self) -> SNN:
        input_name, output_name = self.one("Input"), self.one("Output")
        shape = tuple(int(s) for s in np.atleast_1d(
            np.asarray(self.nodes[input_name].input_type["input"])))
        layers: dict[str, Layer] = {}
        edges: list[Edge] = []
        # A neurosim file: its input population is the IF node right after Input.
        first = self.succ[input_name]
        start = input_name
        layers[start] = Layer(start, shape, "input", origin=f"node {start!r}")
        if (len(first) == 1 and self.kind(first[0]) == "IF"
                and _meta(self.nodes[first[0]]).get("neurosim_role") == "input"):
            start = first[0]
            meta = _meta(self.nodes[start])
            layers = {start: Layer(start, shape, "input", threshold=float(meta["neurosim_threshold"]),
                                   reset=float(meta["neurosim_reset"]), origin=f"node {start!r}")}
            self.units(layers[start], meta)
        todo = [start]
        shapes = {start: shape}
        seen_sources: set[str] = set()
        while todo:
            source = todo.pop(0)
            if source in seen_sources:
                continue
            seen_sources.add(source)
            for nxt in self.succ[source]:
                for target, chain in self.walk(nxt, _Chain(shapes[source], names=())):
                    if target == output_name:
                        target = "output"
                        if "output" not in layers:
                            layers["output"] = Layer("output", chain.shape, "output",
                                                     origin=f"node {output_name!r}")
                            self.notes.append("the Output's value is the input it receives, "
                                              "summed over the window (spike counts of a "
                                              "neuron node that feeds it directly)")
                    elif target not in layers:
                        layers[target] = self.neuron_layer(target, chain.shape, output_name)
                        shapes[target] = chain.shape
                        if layers[target].role != "output":
                            todo.append(target)
                    edges.append(self.edge(source, target, chain, shapes[source], layers))
        unreached = sorted(set(self.nodes) - set(layers) - self.visited - {input_name, output_name})
        if unreached:
            raise NeurosimError(f"node(s) {unreached[:3]} are not reached from the Input",
                                where=self.where, fix="connect them, or remove them from the graph")
        self.fold_resistance(layers, edges)
        desc = Description(name=str(self.meta.get("neurosim_name", Path(self.where).stem)),
                           layers=list(layers.values()), edges=edges, notes=self.notes)
        return if_network(desc, self.steps, self.where,
                          metadata={"format": "nir", "model": self.meta.get("neurosim_model", "")})

    def walk(self, name: str, chain: _Chain) -> list[tuple[str, _Chain]]:
        """Follow linear nodes from ``name``; each neuron node or Output reached, with its chain."""
        kind = self.kind(name)
        if kind in NEURON_NODES or kind == "Output":
            return [(name, chain)]
        if kind == "Input":
            raise NeurosimError(f"an edge leads into the Input node {name!r}", where=self.where)
        if name in chain.names:
            raise NeurosimError(f"node {name!r} is on a loop of linear nodes", where=self.where)
        chain = self.apply(name, kind, _Chain(**vars(chain)))
        chain.names = (*chain.names, name)
        self.visited.add(name)
        out = []
        for nxt in self.succ[name]:
            out.extend(self.walk(nxt, chain))
        if not self.succ[name]:
            raise NeurosimError(f"node {name!r} leads nowhere", where=self.where,
                                fix="connect it to a neuron node or the Output")
        return out

    def apply(self, name: str, kind: str, chain: _Chain) -> _Chain:
        node = self.nodes[name]
        size = int(np.prod(chain.shape))
        if kind == "Flatten":
            chain.shape = (size,)
            return chain
        if kind == "Delay":
            chain.delay += _uniform(name, kind, "delay", node.delay, self.where)
            return chain
        if kind == "Scale":
            scale = np.broadcast_to(np.asarray(node.scale, np.float64), chain.shape).reshape(-1) \
                if np.size(node.scale) in (1, size) else None
            if scale is None:
                raise NeurosimError(f"Scale node {name!r} has {np.size(node.scale)} values for "
                                    f"{size} inputs", where=self.where)
            if chain.kind is None:
                chain.pre_scale = scale if chain.pre_scale is None else chain.pre_scale * scale
            elif chain.kind == "dense":
                chain.weight = chain.weight * scale[:, None]
                chain.bias = chain.bias * scale
            else:
                per_channel = scale.reshape(chain.shape)
                if not np.all(per_channel == per_channel[:, :1, :1]):
                    raise NeurosimError(f"Scale node {name!r} after a convolution varies within "
                                        "a channel", where=self.where)
                chain.weight = chain.weight * per_channel[:, 0, 0][:, None, None, None]
                chain.bias = chain.bias * scale
            return chain
        if chain.kind is not None:
            raise NeurosimError(
                f"node {name!r} ({kind}) follows {chain.names[-1]!r} with no neuron node "
                "between; a neurosim projection is one linear map", where=self.where,
                fix="fuse the two nodes into one in the source tool")
        if kind in ("Affine", "Linear"):
            weight = np.asarray(node.weight, np.float64)
            if weight.ndim != 2 or weight.shape[1] != size:
                raise NeurosimError(f"{kind} node {name!r} has weight shape {weight.shape} for "
                                    f"{size} inputs", where=self.where)
            bias = np.asarray(node.bias, np.float64) if kind == "Affine" else np.zeros(len(weight))
            chain.kind, chain.weight = "dense", weight
            chain.bias = np.broadcast_to(bias, (len(weight),)).astype(np.float64)
            chain.shape = (len(weight),)
            return chain
        if len(chain.shape) != 3:
            raise NeurosimError(f"{kind} node {name!r} needs a (channels, height, width) input, "
                                f"found shape {chain.shape}", where=self.where)
        channels = chain.shape[0]
        if kind == "Conv2d":
            weight = np.asarray(node.weight, np.float64)
            groups = int(node.groups)
            if weight.ndim != 4 or weight.shape[1] * groups != channels:
                raise NeurosimError(f"Conv2d node {name!r} has weight shape {weight.shape} for "
                                    f"{channels} input channels", where=self.where)
            if np.any(np.asarray(node.dilation) != 1):
                raise NeurosimError(f"Conv2d node {name!r} is dilated; neurosim convolutions "
                                    "are not", where=self.where, fix="use dilation 1")
            if groups > 1:
                full = np.zeros((weight.shape[0], channels, *weight.shape[2:]))
                per_out, per_in = weight.shape[0] // groups, channels // groups
                for g in range(groups):
                    full[g * per_out:(g + 1) * per_out, g * per_in:(g + 1) * per_in] = \
                        weight[g * per_out:(g + 1) * per_out]
                weight = full
            padding = self.padding(name, node.padding, weight.shape[2:], node.stride)
            bias = np.broadcast_to(np.asarray(node.bias, np.float64), (weight.shape[0],))
        else:  # SumPool2d, AvgPool2d: one kernel per channel
            k = tuple(int(v) for v in np.broadcast_to(np.asarray(node.kernel_size), (2,)))
            scale = 1.0 if kind == "SumPool2d" else 1.0 / (k[0] * k[1])
            weight = np.einsum("ij,kl->ijkl", np.eye(channels), np.full(k, scale))
            padding = self.padding(name, node.padding, k, node.stride)
            bias = np.zeros(channels)
        stride = tuple(int(v) for v in np.broadcast_to(np.asarray(node.stride), (2,)))
        proj = Projection("probe", "a", "b", "conv", weight=weight, stride=stride, padding=padding)
        out_shape = conv_output_shape(proj, chain.shape)
        if min(out_shape) < 1:
            raise NeurosimError(f"{kind} node {name!r} leaves no output for input {chain.shape}",
                                where=self.where)
        chain.kind, chain.weight, chain.stride, chain.padding = "conv", weight, stride, padding
        chain.bias = np.repeat(bias, out_shape[1] * out_shape[2])
        chain.shape = out_shape
        return chain

    def padding(self, name: str, padding: Any, kernel: tuple[int, ...], stride: Any
                ) -> tuple[int, int]:
        if isinstance(padding, bytes):
            padding = padding.decode()
        if isinstance(padding, str):
            if padding == "valid":
                return (0, 0)
            if padding == "same" and all(k % 2 == 1 for k in kernel) and np.all(
                    np.asarray(stride) == 1):
                return (kernel[0] // 2, kernel[1] // 2)
            raise NeurosimError(f"node {name!r}: padding {padding!r} with kernel {kernel} and "
                                f"stride {stride} is not symmetric", where=self.where,
                                fix="give the padding as numbers")
        return tuple(int(v) for v in np.broadcast_to(np.asarray(padding), (2,)))  # type: ignore[return-value]

    def edge(self, source: str, target: str, chain: _Chain, source_shape: tuple[int, ...],
             layers: dict[str, Layer]) -> Edge:
        size = int(np.prod(source_shape))
        if chain.kind is None:  # no weighted node: one to one
            chain.kind, chain.weight, chain.bias = "dense", np.eye(size), np.zeros(size)
        if chain.pre_scale is not None:
            if chain.kind == "dense":
                chain.weight = chain.weight * chain.pre_scale[None, :]
            else:
                per = chain.pre_scale.reshape(source_shape)
                if not np.all(per == per[:, :1, :1]):
                    raise NeurosimError(f"a Scale before a convolution into {target!r} varies "
                                        "within a channel", where=self.where)
                chain.weight = chain.weight * per[:, 0, 0][None, :, None, None]
        steps = chain.delay / self.dt
        if steps < 0 or steps != round(steps):
            raise NeurosimError(f"the delay into {target!r} is {chain.delay} time units, not "
                                f"a whole number of steps of dt = {self.dt}", where=self.where)
        layer = layers[target]
        if layer.size != int(np.prod(chain.shape)):
            raise NeurosimError(f"node {target!r} has {layer.size} neurons but receives "
                                f"{int(np.prod(chain.shape))} values", where=self.where)
        if layer.shape != chain.shape and len(chain.shape) > len(layer.shape):
            layer.shape = chain.shape
        if np.any(chain.bias):
            layer.bias = chain.bias.copy() if layer.bias is None else layer.bias + chain.bias
        return Edge(source, target, chain.kind, chain.weight, chain.stride, chain.padding,
                    round(steps), origin=f"{source}->{target}")

    def neuron_layer(self, name: str, shape: tuple[int, ...], output_name: str) -> Layer:
        node, kind, meta = self.nodes[name], self.kind(name), _meta(self.nodes[name])
        size = int(np.prod(shape))
        where = self.where
        origin = f"node {name!r}"
        if kind in ("I", "LI"):
            if self.succ[name] != [output_name]:
                raise NeurosimError(f"{kind} node {name!r} does not fire, so it must feed only "
                                    "the Output", where=where)
            layer = Layer(name, shape, "output", origin=origin)
            if "neurosim_threshold" in meta:
                layer.threshold = float(meta["neurosim_threshold"])
                layer.reset = float(meta["neurosim_reset"])
            if kind == "LI":
                layer.leak = self.leak(name, kind, node.tau)
                self.gain(layer, name, kind, node.r, node.tau)
                self.leak_bias(layer, name, kind, node.v_leak, node.tau, size)
            else:
                self.gains[name] = _uniform(name, kind, "r", node.r, where)
            self.units(layer, meta)
            return layer
        layer = Layer(name, shape, "hidden", origin=origin)
        theta = _uniform(name, kind, "v_threshold", node.v_threshold, where)
        if "neurosim_threshold" in meta:  # written by neurosim: the exact rule
            layer.threshold = float(meta["neurosim_threshold"])
            layer.reset = float(meta["neurosim_reset"])
        else:
            reset_to = 0.0 if node.v_reset is None else _uniform(name, kind, "v_reset",
                                                                   node.v_reset, where)
            integral = theta == np.floor(theta) and reset_to == np.floor(reset_to)
            layer.threshold = _threshold_above(theta, integral)
            layer.reset_mode, layer.reset_value = "value", reset_to
        self.units(layer, meta)
        if kind == "IF":
            self.gains[name] = _uniform(name, kind, "r", node.r, where)
        elif kind == "LIF":
            layer.leak = self.leak(name, kind, node.tau)
            self.gain(layer, name, kind, node.r, node.tau)
            self.leak_bias(layer, name, kind, node.v_leak, node.tau, size)
        else:  # CubaLIF
            tau_syn = _uniform(name, kind, "tau_syn", node.tau_syn, where)
            if tau_syn != self.dt:
                raise NeurosimError(
                    f"CubaLIF node {name!r} has a synaptic current with tau_syn = {tau_syn} "
                    f"(> dt = {self.dt}), a second state variable neurosim's neurons lack",
                    where=where, fix="use LIF, or CubaLIF with tau_syn equal to dt")
            layer.leak = self.leak(name, kind, node.tau_mem)
            self.gain(layer, name, kind, node.r, node.tau_mem)
            self.gains[name] *= _uniform(name, kind, "w_in", node.w_in, where)
            self.leak_bias(layer, name, kind, node.v_leak, node.tau_mem, size)
        return layer

    @staticmethod
    def units(layer: Layer, meta: dict[str, Any]) -> None:
        """A neurosim file's value units (what decodes the potential in ANN units)."""
        if "neurosim_unit" in meta:
            layer.unit = float(meta["neurosim_unit"])
            layer.out_unit = float(meta["neurosim_out_unit"])

    def leak(self, name: str, kind: str, tau: Any) -> int:
        """``leak = 4096·dt/τ``: NIR's decay per step ``β = 1 − dt/τ`` in Loihi's 1/4096."""
        tau_value = _uniform(name, kind, "tau", tau, self.where)
        if tau_value < self.dt:
            raise NeurosimError(f"{kind} node {name!r}: tau = {tau_value} is below dt = "
                                f"{self.dt}", where=self.where, fix="use tau >= dt")
        exact = LEAK_ONE * self.dt / tau_value
        leak = round(exact)
        if abs(leak - exact) > 1e-6:
            self.notes.append(f"{name}: decay 1 - dt/tau = {1 - self.dt / tau_value:.6g} rounded "
                              f"to 1 - {leak}/4096")
        return leak

    def gain(self, layer: Layer, name: str, kind: str, r: Any, tau: Any) -> None:
        """Input reaches ``v`` multiplied by ``R·dt/τ``."""
        tau_value = _uniform(name, kind, "tau", tau, self.where)
        self.gains[layer.name] = _uniform(name, kind, "r", r, self.where) * self.dt / tau_value

    def leak_bias(self, layer: Layer, name: str, kind: str, v_leak: Any, tau: Any, size: int
                  ) -> None:
        """``(dt/τ)·v_leak`` is a constant input per step: part of the bias."""
        value = _uniform(name, kind, "v_leak", v_leak, self.where)
        if value:
            tau_value = _uniform(name, kind, "tau", tau, self.where)
            self.leak_biases[layer.name] = np.full(size, value * self.dt / tau_value)

    def fold_resistance(self, layers: dict[str, Layer], edges: list[Edge]) -> None:
        """Scale every input of a layer (weights, bias) by its gain; add leak biases."""
        for layer in layers.values():
            gain = self.gains.get(layer.name, 1.0)
            if gain != 1.0:
                for edge in edges:
                    if edge.target == layer.name:
                        edge.weight = edge.weight * gain
                if layer.bias is not None:
                    layer.bias = layer.bias * gain
            extra = self.leak_biases.get(layer.name)
            if extra is not None:
                layer.bias = extra if layer.bias is None else layer.bias + extra


def snn_from_graph(graph: Any, where: str, *, steps: int | None = None) -> SNN:
    """The SNN of an in-memory ``nir.NIRGraph``; ``where`` names it in messages."""
    for name, node in dict(graph.nodes).items():
        if type(node).__name__ == "NIRGraph":
            raise NeurosimError(f"node {name!r} is a nested graph", where=where,
                                fix="flatten the graph in the source tool")
    return _GraphReader(graph, where, steps).read()


# --- writing ------------------------------------------------------------------------------
def refuse_code(snn: SNN, fmt: str) -> None:
    """Refuse what ``fmt`` ("NIR" or "SANA-FE") cannot express, naming what it lacks."""
    where = f"SNN {snn.name!r}"
    if snn.code == "fs":
        raise NeurosimError(
            f"{fmt} cannot express the FS code: its neurons have one fixed threshold and reset, "
            "while an FS neuron changes its threshold T(k), reset h(k) and spike weight d(k) "
            "at every step of a window", where=where, fix="export a rate-coded network")
    if snn.code == "ttfs":
        raise NeurosimError(
            f"{fmt} cannot express the TTFS code: it has no neuron that fires at most once with "
            "a threshold and spike weight that change every step", where=where,
            fix="export a rate-coded network")
    for pop in snn.populations:
        if pop.dynamics == "poisson":
            raise NeurosimError(f"{fmt} export of Poisson input is not supported: the draws "
                                "are neurosim's own generator", where=f"{where}: population "
                                f"{pop.name!r}", fix="convert with --input current")
        for seq in ("threshold", "reset", "out_weight"):
            values = np.asarray(getattr(pop, seq))
            if not np.all(values == values[0]):
                raise NeurosimError(f"{fmt} neurons have one {seq}; population {pop.name!r} "
                                    f"changes it within the window", where=where)


def _threshold_for_nir(theta: float, integer: bool) -> float:
    """NIR's ``v > v_threshold`` that fires exactly when ``v ≥ θ``."""
    return theta - 0.5 if integer else float(np.nextafter(theta, -np.inf))


def _pop_metadata(pop: Population) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "neurosim_rule": "v >= neurosim_threshold fires; then v -= neurosim_reset "
                         "(subtractive reset); v = 0 at each window's first step",
        "neurosim_threshold": float(pop.threshold[0]), "neurosim_reset": float(pop.reset[0]),
        "neurosim_role": pop.role, "neurosim_unit": float(pop.unit),
        "neurosim_out_unit": float(pop.out_unit), "neurosim_offset": int(pop.offset)}
    return meta


def graph_from_snn(snn: SNN) -> Any:
    """The ``nir.NIRGraph`` of a rate-coded (IF) SNN."""
    refuse_code(snn, "NIR")  # what NIR cannot express is said even without the package
    nir = _nir()
    snn = snn.with_ge_thresholds()  # the metadata's rule is neurosim's v >= threshold
    for pop in snn.populations:
        if not pop.plain_if:
            raise NeurosimError(f"NIR export of population {pop.name!r}: only plain IF "
                                "neurons are written (no leak, refractory or value reset)",
                                where=f"SNN {snn.name!r}")
    nodes: dict[str, Any] = {"input": nir.Input(input_type={"input": np.array(snn.input.shape)})}
    edges: list[tuple[str, str]] = [("input", snn.input.name)]
    for pop in snn.populations:
        shape = pop.shape
        if pop.role == "output":
            nodes[pop.name] = nir.I(r=np.ones(shape), metadata=_pop_metadata(pop))
            nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
            edges.append((pop.name, "output"))
        else:
            theta = _threshold_for_nir(float(pop.threshold[0]), snn.integer)
            nodes[pop.name] = nir.IF(r=np.ones(shape), v_threshold=np.full(shape, theta),
                                     v_reset=np.zeros(shape), metadata=_pop_metadata(pop))
    biased: set[str] = set()
    for proj in snn.projections:
        src, tgt = snn.population(proj.source), snn.population(proj.target)
        d = float(src.out_weight[0])
        weight = np.asarray(proj.weight, np.float64) * d
        first = tgt.name not in biased and np.any(tgt.bias)
        bias = np.asarray(tgt.bias, np.float64) if first else np.zeros(tgt.size)
        biased.add(tgt.name)
        node = proj.name
        chain_in = src.name
        if proj.kind == "dense":
            if len(src.shape) > 1:
                nodes[f"{node}.flatten"] = nir.Flatten(
                    input_type={"input": np.array(src.shape)}, start_dim=0, end_dim=-1)
                edges.append((chain_in, f"{node}.flatten"))
                chain_in = f"{node}.flatten"
            nodes[node] = nir.Affine(weight=weight, bias=bias)
        else:
            per_channel = bias.reshape(tgt.shape)
            if not np.all(per_channel == per_channel[:, :1, :1]):
                raise NeurosimError(f"population {tgt.name!r}: a bias that varies within a "
                                    "channel has no place in a NIR Conv2d", where=f"SNN {snn.name!r}")
            nodes[node] = nir.Conv2d(input_shape=np.array(src.shape[1:]), weight=weight,
                                     stride=np.array(proj.stride), padding=np.array(proj.padding),
                                     dilation=np.array([1, 1]), groups=1,
                                     bias=per_channel[:, 0, 0].copy())
        edges.append((chain_in, node))
        if proj.delay:
            nodes[f"{node}.delay"] = nir.Delay(delay=np.full(tgt.shape, float(proj.delay)))
            edges.append((node, f"{node}.delay"))
            node = f"{node}.delay"
        edges.append((node, tgt.name))
    meta = {"neurosim_steps": int(snn.window), "neurosim_code": snn.code,
            "neurosim_name": snn.name, "neurosim_model": str(snn.metadata.get("model", "")),
            "dt": 1.0,
            "neurosim_input": "the Input carries the input population's current per step, "
                              "image / (unit * steps) for an image in [0, 1]"}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def write_nir(snn: SNN, path: str | Path) -> Path:
    """Write ``snn`` as a NIR graph file (HDF5, ``nir.write``); returns the path."""
    graph = graph_from_snn(snn)
    nir = _nir()
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    nir.write(str(tmp), graph)
    tmp.replace(path)
    return path
