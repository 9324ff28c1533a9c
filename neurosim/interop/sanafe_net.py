"""SANA-FE network files (the YAML "snn" format of SANA-FE 2.x) in and out.

SANA-FE (Boyle et al., IEEE TCAD 2025; GPL) is never imported or copied: this module
reads and writes its documented file format. A file holds::

    network:
      name: NAME
      groups:                          # neuron groups
        - name: G
          attributes: [threshold: 2.0, reset_mode: soft, ...]   # defaults of the group
          neurons:
            - 0..9: [bias: 0.5]        # one neuron or a range, with its own attributes
      edges:
        - G.0 -> H.1: [weight: -1]     # one synapse
        - G -> H: [type: dense, weight: [...]]       # source-major, |G|·|H| values
        - G -> H: [type: sparse, source_target_pairs: [[s, t], ...], weight: [...]]
        - G -> H: [type: conv2d, input_width: W, input_height: H, input_channels: C,
                   kernel_width: kw, kernel_height: kh, kernel_count: K,
                   stride_width: s, stride_height: s, weight: [...]]  # filter [ky][kx][c][k]
    mappings:
      - G.0..9: [core: 0.1]            # tile 0, core 1 (soma: UNIT optionally)

Neurons follow SANA-FE's Loihi LIF soma, ``v ← leak_decay·v + bias + input``, fire when
``v > θ``, then ``soft`` (``v ← v − θ``), ``hard`` (``v ← reset``) or ``none``. In
neurosim terms (integer potentials): threshold ``θ + 1`` (``v ≥ θ + 1`` ⇔ ``v > θ``),
reset by subtraction of ``θ`` (soft), ``reset_mode="value"`` (hard) or ``"none"``,
``leak = 4096·(1 − leak_decay)``, ``refractory = refractory_delay``. The group without
incoming edges is the input (its neurons' spike trains or biases give way to the images
neurosim feeds); the group without outgoing edges is the output, read out as its
potential. SANA-FE tile ``i`` of a mesh ``height`` tall is at ``(x = i ÷ height,
y = i mod height)``; neurosim numbers tiles row by row, and the mappings are translated.

Writing (:func:`write_sanafe_network`): a rate-coded (IF) network and one image. The
input group is SANA-FE ``input`` neurons replaying neurosim's own input spikes (one input
soma unit per neuron, ``INPUT_SOMA[j]``); hidden groups are LIF neurons. neurosim's
``v ≥ θ``, ``v ← v − h`` becomes SANA-FE's ``v' > h``, ``v' ← v' − h`` with the potential
shifted by ``c = h − θ + 1`` (``v' = v + c``, initial potential ``c``): the same spikes.
A neurosim population only works during its window, a SANA-FE neuron always, so each
population gets a *window driver* group ``window:POP`` of input neurons: one fires during
exactly the window's steps with the biases as weights (the bias), one fires at the
window's end with a weight below any reachable potential (silence afterwards). Their
spikes and packets are extra; every other spike is neurosim's.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.compiler.mapping import Block, CoreMapping, core_location, layout_hash
from neurosim.errors import NeurosimError
from neurosim.fileio import write_text
from neurosim.hardware.model import Hardware
from neurosim.hardware.sanafe import neurosim_core, sanafe_core
from neurosim.interop.build import Description, Edge, Layer, if_network
from neurosim.snn.network import LEAK_ONE, SNN
from neurosim.yamlio import read_yaml

FIX = "see the SANA-FE network format (network: groups, edges; mappings)"
NEURON_KEYS = {"threshold", "reset", "reset_mode", "leak_decay", "bias", "input_decay",
               "refractory_delay", "reverse_threshold", "reverse_reset", "reverse_reset_mode",
               "potential", "force_update", "force_update_every_timestep", "log_spikes",
               "log_potential", "log_v", "log_u", "soma_hw_name", "synapse_hw_name",
               "dendrite_hw_name", "spikes", "poisson", "rate", "model"}
INPUT_KEYS = {"spikes", "poisson", "rate"}
EDGE_WEIGHT_KEYS = ("weight", "w")
CONV_KEYS = {"input_width", "input_height", "input_channels", "kernel_width", "kernel_height",
             "kernel_count", "stride_width", "stride_height"}
_RANGE = re.compile(r"^(\d+)\.\.(\d+)$")
LIF_SOMA = "loihi_lif"
WINDOW_PREFIX = "window:"
INPUT_SOMA = "loihi_inputs"
OFF_THRESHOLD = 1e30
"""The threshold of the output group in a written file: it never fires, as in neurosim."""


# --- reading ------------------------------------------------------------------------------
def _flatten(attrs: Any, where: str) -> dict[str, Any]:
    """SANA-FE attributes (a map, or a list of one-key maps; ``soma:``/``dendrite:``/
    ``synapse:`` sections merged) as one map."""
    if attrs is None:
        return {}
    if isinstance(attrs, list):
        out: dict[str, Any] = {}
        for item in attrs:
            out.update(_flatten(item, where))
        return out
    if not isinstance(attrs, dict):
        raise NeurosimError(f"attributes are a {type(attrs).__name__}, expected a map or a list "
                            "of maps", where=where, fix=FIX)
    out = {}
    for key, value in attrs.items():
        if key in ("soma", "dendrite", "synapse") and isinstance(value, dict | list):
            out.update(_flatten(value, where))
        else:
            out[str(key)] = value
    return out


def _ids(key: Any, size: int | None, where: str) -> list[int]:
    text = str(key).strip()
    match = _RANGE.match(text)
    if match:
        first, last = int(match.group(1)), int(match.group(2))
    elif text.isdigit():
        first = last = int(text)
    else:
        raise NeurosimError(f"neuron id {text!r} is not a number or a range a..b", where=where,
                            fix=FIX)
    if last < first or (size is not None and last >= size):
        raise NeurosimError(f"neuron ids {text} are outside the group's 0..{(size or 1) - 1}",
                            where=where, fix=FIX)
    if last - first > 1 << 24:
        raise NeurosimError(f"neuron range {text} is too large", where=where)
    return list(range(first, last + 1))


def _single(entry: Any, where: str) -> tuple[Any, Any]:
    if isinstance(entry, dict) and len(entry) == 1:
        return next(iter(entry.items()))
    if isinstance(entry, str | int):
        return entry, None
    raise NeurosimError("expected an entry of one key (e.g. '0..9: [bias: 1]')", where=where,
                        fix=FIX)


class _Group:
    def __init__(self, record: Any, where: str):
        if not isinstance(record, dict) or "name" not in record or "neurons" not in record:
            raise NeurosimError("a group needs 'name' and 'neurons'", where=where, fix=FIX)
        self.name = str(record["name"])
        self.where = f"{where}: group {self.name!r}"
        defaults = _flatten(record.get("attributes"), self.where)
        entries = record["neurons"]
        if not isinstance(entries, list) or not entries:
            raise NeurosimError("'neurons' is not a non-empty list", where=self.where, fix=FIX)
        parsed = [(_ids(k, None, self.where), _flatten(v, self.where))
                  for k, v in (_single(e, self.where) for e in entries)]
        self.size = max(i for ids, _ in parsed for i in ids) + 1
        self.shape: tuple[int, ...] = (self.size,)  # (C, H, W) when a conv2d edge says so
        if self.size != sum(len(ids) for ids, _ in parsed):
            raise NeurosimError("neuron ids are not 0..n−1, each once", where=self.where, fix=FIX)
        self.attrs: list[dict[str, Any]] = [dict(defaults) for _ in range(self.size)]
        for ids, attrs in parsed:
            for i in ids:
                self.attrs[i].update(attrs)
        for i, attrs in enumerate(self.attrs):
            unknown = sorted(set(attrs) - NEURON_KEYS)
            if unknown:
                raise NeurosimError(f"neuron {self.name}.{i}: unsupported attribute(s) "
                                    f"{unknown}", where=self.where,
                                    fix=f"neurosim reads {', '.join(sorted(NEURON_KEYS))}")

    def uniform(self, key: str, default: Any) -> Any:
        values = {repr(a.get(key, default)) for a in self.attrs}
        if len(values) > 1:
            raise NeurosimError(f"{key} differs between neurons; a neurosim population shares "
                                "one value", where=self.where, fix="split the group")
        return self.attrs[0].get(key, default)

    def number(self, key: str, default: float) -> float:
        value = self.uniform(key, default)
        if not _finite_number(value):
            raise NeurosimError(f"{key} is {value!r}, expected a finite number",
                                where=self.where, fix=FIX)
        return float(value)

    def biases(self) -> np.ndarray:
        out = np.zeros(self.size)
        for i, attrs in enumerate(self.attrs):
            value = attrs.get("bias", 0.0)
            if not _finite_number(value):
                raise NeurosimError(f"neuron {self.name}.{i}: bias {value!r} is not a finite "
                                    "number", where=self.where, fix=FIX)
            out[i] = value
        return out

    def is_input_model(self) -> bool:
        return any(k in a for a in self.attrs for k in INPUT_KEYS) or any(
            "input" in str(a.get("soma_hw_name", "")) for a in self.attrs)


def _layer(group: _Group, role: str, notes: list[str]) -> Layer:
    """The neurosim layer of a SANA-FE LIF group (module docstring)."""
    layer = Layer(group.name, (group.size,), role, origin=f"group {group.name!r}")
    if role == "input":
        notes.append(f"input group {group.name!r}: its spike trains and biases are replaced by "
                     "the images neurosim feeds")
        return layer
    layer.bias = group.biases()
    theta = group.number("threshold", 0.0)
    mode = str(group.uniform("reset_mode", "hard"))
    integral = theta == np.floor(theta)
    layer.threshold = float(np.floor(theta) + 1) if integral else float(np.nextafter(theta, np.inf))
    if mode == "soft":
        layer.reset = theta
    elif mode == "hard":
        layer.reset_mode, layer.reset_value = "value", group.number("reset", 0.0)
    elif mode == "none":
        layer.reset_mode = "none"
    else:
        raise NeurosimError(f"reset_mode {mode!r} is not supported", where=group.where,
                            fix="use soft, hard or none")
    decay = group.number("leak_decay", 1.0)
    if not 0.0 <= decay <= 1.0:
        raise NeurosimError(f"leak_decay {decay} is outside [0, 1]", where=group.where)
    exact = LEAK_ONE * (1.0 - decay)
    layer.leak = round(exact)
    if abs(layer.leak - exact) > 1e-6:
        notes.append(f"{group.name}: leak_decay {decay} rounded to 1 - {layer.leak}/4096")
    if layer.leak:
        notes.append(f"{group.name}: SANA-FE also rounds a leaky potential to 1/64 and skips the "
                     "leak at its first step; neurosim truncates to integers (Loihi)")
    if group.number("input_decay", 0.0) != 0.0:
        raise NeurosimError("input_decay is not 0: the input current lasts beyond its step, a "
                            "second state neurosim's neurons lack", where=group.where,
                            fix="use input_decay: 0")
    if str(group.uniform("reverse_reset_mode", "none")) != "none":
        raise NeurosimError("a reverse threshold (reverse_reset_mode) is not supported",
                            where=group.where, fix="use reverse_reset_mode: none")
    start = group.number("potential", 0.0)
    if start:
        # v' = v + start: with soft reset and no leak, v' > θ' is v ≥ θ'' − start, the
        # subtraction unchanged (how neurosim writes its own rule, module docstring).
        if mode != "soft" or layer.leak or start != np.floor(start) or not integral:
            raise NeurosimError("a non-zero initial potential is only read with soft reset, "
                                "no leak and whole numbers", where=group.where,
                                fix="start from potential 0")
        layer.threshold -= start
    layer.refractory = int(group.number("refractory_delay", 0.0))
    if role == "output":
        notes.append(f"output group {group.name!r} is read out as its potential; it never fires")
        layer.reset_mode, layer.reset_value, layer.refractory = "subtract", 0, 0
        layer.threshold = layer.reset = 0.0  # it never fires: no threshold to keep
    return layer


def _edges(raw: Any, groups: dict[str, _Group], where: str) -> list[Edge]:
    if not isinstance(raw, list):
        raise NeurosimError("'edges' is not a list", where=where, fix=FIX)
    dense: dict[tuple[str, str], np.ndarray] = {}
    edges: list[Edge] = []
    for n, entry in enumerate(raw):
        key, attrs_raw = _single(entry, f"{where}: edge {n}")
        text = str(key)
        here = f"{where}: edge {text!r}"
        if "->" not in text:
            raise NeurosimError("an edge is written 'A -> B' or 'A.i -> B.j'", where=here, fix=FIX)
        src_text, tgt_text = (part.strip() for part in text.split("->", 1))
        attrs = _flatten(attrs_raw, here)
        (src, si), (tgt, ti) = (_address(src_text, groups, here), _address(tgt_text, groups, here))
        weight_key = next((k for k in EDGE_WEIGHT_KEYS if k in attrs), None)
        kind = str(attrs.get("type", "")) if si is None else "neuron"
        allowed = {"type", *EDGE_WEIGHT_KEYS, "synapse_hw_name", "dendrite_hw_name",
                   "source_target_pairs", *CONV_KEYS}
        unknown = sorted(set(attrs) - allowed)
        if unknown:
            raise NeurosimError(f"unsupported edge attribute(s) {unknown}", where=here,
                                fix="neurosim reads weights (weight or w) and the edge's geometry")
        if (si is None) != (ti is None):
            raise NeurosimError("both ends name a neuron, or neither", where=here, fix=FIX)
        if weight_key is None:
            raise NeurosimError("the edge has no weight", where=here, fix="add weight: ...")
        ns, nt = groups[src].size, groups[tgt].size
        if kind == "neuron":
            matrix = dense.setdefault((src, tgt), np.zeros((nt, ns)))
            matrix[ti, si] += _weights(attrs[weight_key], 1, here)[0]
        elif kind == "dense":
            w = _weights(attrs[weight_key], ns * nt, here).reshape(ns, nt).T
            matrix = dense.setdefault((src, tgt), np.zeros((nt, ns)))
            matrix += w
        elif kind == "sparse":
            pairs = np.asarray(attrs.get("source_target_pairs", []), dtype=object)
            try:
                pairs = pairs.astype(np.int64).reshape(-1, 2)
            except (TypeError, ValueError, OverflowError):  # OverflowError: beyond int64
                raise NeurosimError("source_target_pairs is not a list of [source, target]",
                                    where=here, fix=FIX) from None
            w = _weights(attrs[weight_key], len(pairs), here)
            if len(pairs) and (pairs.min() < 0 or pairs[:, 0].max() >= ns or pairs[:, 1].max() >= nt):
                raise NeurosimError("a source_target_pair names a neuron outside its group",
                                    where=here, fix=FIX)
            matrix = dense.setdefault((src, tgt), np.zeros((nt, ns)))
            np.add.at(matrix, (pairs[:, 1], pairs[:, 0]), w)
        elif kind == "conv2d":
            edges.append(_conv(src, tgt, attrs, attrs[weight_key], groups, here))
        else:
            raise NeurosimError(f"edge type {kind!r} is not supported", where=here,
                                fix="use dense, sparse or conv2d")
    for (src, tgt), matrix in dense.items():
        edges.append(Edge(src, tgt, "dense", matrix, origin=f"{src}->{tgt}"))
    return edges


def _address(text: str, groups: dict[str, _Group], where: str) -> tuple[str, int | None]:
    name, _, index = text.partition(".")
    if name not in groups:
        raise NeurosimError(f"edge names unknown group {name!r}", where=where, fix=FIX)
    if not index:
        return name, None
    ids = _ids(index, groups[name].size, where)
    if len(ids) != 1:
        raise NeurosimError("an edge joins single neurons, not ranges", where=where, fix=FIX)
    return name, ids[0]


def _finite_number(value: Any) -> bool:
    """A YAML int or float that is a finite float64 (YAML ints have no bound, so one may be
    beyond what a float64 holds)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _weights(value: Any, n: int, where: str) -> np.ndarray:
    try:
        w = np.asarray(value if isinstance(value, list) else [value], dtype=np.float64).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise NeurosimError("weights are not numbers", where=where, fix=FIX) from None
    if len(w) != n or not np.all(np.isfinite(w)):
        raise NeurosimError(f"{len(w)} weights for {n} synapses (or a weight is not finite)",
                            where=where, fix=FIX)
    return w


def _conv(src: str, tgt: str, attrs: dict[str, Any], weights: Any, groups: dict[str, _Group],
          where: str) -> Edge:
    geom = {}
    for key in CONV_KEYS:
        value = attrs.get(key, 1 if key.startswith("stride") else None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise NeurosimError(f"{key} is {value!r}, expected a positive whole number",
                                where=where, fix=FIX)
        geom[key] = value
    c, h, w = geom["input_channels"], geom["input_height"], geom["input_width"]
    kh, kw, k = geom["kernel_height"], geom["kernel_width"], geom["kernel_count"]
    sh, sw = geom["stride_height"], geom["stride_width"]
    if kh > h or kw > w:
        raise NeurosimError("the kernel is larger than the input", where=where, fix=FIX)
    ho, wo = (h - kh) // sh + 1, (w - kw) // sw + 1
    if groups[src].size != c * h * w or groups[tgt].size != k * ho * wo:
        raise NeurosimError(f"groups of {groups[src].size} and {groups[tgt].size} neurons do not "
                            f"fit a {c}×{h}×{w} → {k}×{ho}×{wo} convolution", where=where, fix=FIX)
    filt = _weights(weights, kh * kw * c * k, where).reshape(kh, kw, c, k).transpose(3, 2, 0, 1)
    for name, shape in ((src, (c, h, w)), (tgt, (k, ho, wo))):
        if groups[name].shape not in ((groups[name].size,), shape):
            raise NeurosimError(f"group {name!r} is a {groups[name].shape} map for one "
                                f"convolution and {shape} for another", where=where, fix=FIX)
        groups[name].shape = shape
    return Edge(src, tgt, "conv", filt, stride=(sh, sw), origin=f"{src}->{tgt}")


def read_sanafe_network(path: str | Path, *, steps: int | None = None,
                        hardware: Hardware | None = None) -> tuple[SNN, CoreMapping | None]:
    """The SNN of a SANA-FE network file, and its mappings as a :class:`CoreMapping` for
    ``hardware`` (None without hardware or mappings)."""
    where = str(path)
    data = read_yaml(path, what="SANA-FE network file", fix=FIX)
    if not isinstance(data, dict) or not isinstance(data.get("network"), dict):
        raise NeurosimError("no 'network' section", where=where, fix=FIX)
    net = data["network"]
    if not isinstance(net.get("groups"), list) or not net["groups"]:
        raise NeurosimError("network.groups is not a non-empty list", where=where, fix=FIX)
    groups: dict[str, _Group] = {}
    for record in net["groups"]:
        group = _Group(record, where)
        if group.name in groups:
            raise NeurosimError(f"two groups are named {group.name!r}", where=where, fix=FIX)
        groups[group.name] = group
    edges = _edges(net.get("edges", []), groups, where)
    drivers = {name[len(WINDOW_PREFIX):]: name for name in groups
               if name.startswith(WINDOW_PREFIX) and name[len(WINDOW_PREFIX):] in groups}
    driver_edges = [e for e in edges if e.source in drivers.values()]
    edges = [e for e in edges if e.source not in drivers.values()]
    for edge in edges:
        if edge.source == edge.target:
            raise NeurosimError(f"edge {edge.origin!r} is recurrent; neurosim networks are "
                                "feed-forward", where=where, fix="remove the recurrent edges")
    fed = {e.target for e in edges}
    feeding = {e.source for e in edges}
    sources = [g for g in groups if g not in fed and g not in drivers.values()]
    sinks = [g for g in groups if g not in feeding and g not in drivers.values()]
    if len(sources) != 1 or len(sinks) != 1:
        raise NeurosimError(f"groups without inputs {sources}, without outputs {sinks}; neurosim "
                            "needs one input group and one output group", where=where,
                            fix="join the network into one feed-forward chain")
    notes: list[str] = ["neurons follow SANA-FE's Loihi LIF soma (v > threshold fires)"]
    layers = []
    for name, group in groups.items():
        if name in drivers.values():
            continue
        role = "input" if name == sources[0] else "output" if name == sinks[0] else "hidden"
        if role != "input" and group.is_input_model():
            raise NeurosimError("an input-model group (spikes, poisson or rate) that receives "
                                "edges is not supported", where=group.where,
                                fix="make input groups sources only")
        layer = _layer(group, role, notes)
        layer.shape = group.shape
        layers.append(layer)
    if drivers:
        steps = _fold_drivers(drivers, driver_edges, groups, layers, edges, steps, where)
        notes.append("window groups written by neurosim folded back into biases and windows")
    desc = Description(name=str(net.get("name") or Path(where).stem), layers=layers,
                       edges=edges, notes=notes)
    snn = if_network(desc, steps, where, metadata={"format": "sanafe"})
    mapping = None
    if data.get("mappings") is not None and hardware is not None:
        mapping = _mapping(data["mappings"], groups, snn, hardware, where)
    return snn, mapping


def _fold_drivers(drivers: dict[str, str], driver_edges: list[Edge], groups: dict[str, _Group],
                  layers: list[Layer], edges: list[Edge], steps: int | None, where: str
                  ) -> int | None:
    """neurosim's own window groups (``window:POP``, written by :func:`write_sanafe_network`)
    back into biases; the window length from a silencing spike when ``steps`` is not given."""
    by_name = {layer.name: layer for layer in layers}
    depth = {layer.name: 0 for layer in layers if layer.role == "input"}
    for _ in range(len(layers)):
        for e in edges:
            if e.source in depth:
                depth[e.target] = max(depth.get(e.target, 0), depth[e.source] + 1)
    for target, name in drivers.items():
        layer = by_name.get(target)
        if layer is None or layer.role == "input":
            raise NeurosimError(f"window group {name!r} drives {target!r}, not a hidden or output "
                                "group", where=where, fix=FIX)
        mine = [e for e in driver_edges if e.source == name]
        if any(e.target != target for e in mine) or not mine:
            raise NeurosimError(f"window group {name!r} must feed only {target!r}", where=where)
        weight = sum(e.weight for e in mine)  # (target size, driver size)
        size = groups[name].size
        has_stop = layer.role != "output"
        if size != int(has_stop) + 1 and not (has_stop and size == 1):
            raise NeurosimError(f"window group {name!r} has {size} neurons", where=where, fix=FIX)
        if size == int(has_stop) + 1 or not has_stop:
            layer.bias = weight[:, 0] + (0 if layer.bias is None else layer.bias)
        if has_stop and steps is None:
            train = groups[name].attrs[size - 1].get("spikes")
            if isinstance(train, list) and sum(bool(v) for v in train) == 1:
                stop = [bool(v) for v in train].index(True)
                steps = stop - depth.get(target, 0) + 1
    return steps


def neurosim_core_to_sanafe(core: int, hw: Hardware) -> str:
    """SANA-FE's ``tile.core`` address of a neurosim core (one chip; the tile numbering of
    :func:`neurosim.hardware.sanafe.sanafe_core`)."""
    loc = core_location(hw, core)
    if loc.chip != (0, 0):
        raise NeurosimError(f"core {core} is on chip {loc.chip}; a SANA-FE file describes one chip",
                            where=hw.name, fix="map the network onto one chip")
    chip = hw.chip
    tile, slot = divmod(sanafe_core(core, chip.mesh_x, chip.mesh_y, chip.cores_per_tile),
                        chip.cores_per_tile)
    return f"{tile}.{slot}"


def _mapping(raw: Any, groups: dict[str, _Group], snn: SNN, hw: Hardware, where: str
             ) -> CoreMapping:
    if not isinstance(raw, list):
        raise NeurosimError("'mappings' is not a list", where=where, fix=FIX)
    core_of = {name: np.full(g.size, -1, np.int64) for name, g in groups.items()}
    kept = {p.name for p in snn.populations}
    tiles, per_tile = hw.chip.tiles, hw.chip.cores_per_tile
    for n, entry in enumerate(raw):
        key, attrs_raw = _single(entry, f"{where}: mapping {n}")
        here = f"{where}: mapping {str(key)!r}"
        name, _, index = str(key).partition(".")
        if name not in groups:
            raise NeurosimError(f"mapping names unknown group {name!r}", where=here, fix=FIX)
        ids = _ids(index, groups[name].size, here) if index else list(range(groups[name].size))
        address = str(_flatten(attrs_raw, here).get("core", ""))
        tile_text, _, slot_text = address.partition(".")
        if not (tile_text.isdigit() and slot_text.isdigit()):
            raise NeurosimError(f"core {address!r} is not TILE.CORE", where=here, fix=FIX)
        tile, slot = int(tile_text), int(slot_text)
        if tile >= tiles or slot >= per_tile:
            raise NeurosimError(
                f"core {address} is not on {hw.name!r} ({tiles} tiles of {per_tile} cores)",
                where=here, fix="map onto cores the chip has, or choose a larger chip with --hw")
        core_of[name][ids] = neurosim_core(tile * per_tile + slot, hw.chip.mesh_x, hw.chip.mesh_y,
                                          per_tile)
    blocks = []
    for name, cores in core_of.items():
        if name not in kept:  # neurosim's own window groups
            continue
        if np.any(cores < 0):
            raise NeurosimError(f"neuron {name}.{int(np.flatnonzero(cores < 0)[0])} has no mapping",
                                where=where, fix="map every neuron, or leave out --mapping-out "
                                                 "and compile with neurosim")
        for core in np.unique(cores):
            blocks.append(Block(name, np.flatnonzero(cores == core), int(core),
                                label="from SANA-FE"))
    mapping = CoreMapping(snn.name, hw.name, layout_hash(hw), tuple(blocks), placer="sanafe",
                          file_hash=hw.file_hash)
    from neurosim.compiler.io import check_limits
    check_limits(mapping, snn, hw, where)
    return mapping


# --- writing ------------------------------------------------------------------------------
def _list(values: np.ndarray) -> str:
    ints = np.all(values == np.rint(values))
    return "[" + ", ".join(str(int(v)) if ints else repr(float(v)) for v in values) + "]"


def _num(value: float) -> str:
    return str(int(value)) if float(value) == int(value) else repr(float(value))


def write_sanafe_network(snn: SNN, path: str | Path, *, image: np.ndarray | None,
                         mapping: CoreMapping | None, hardware: Hardware | None,
                         lif_soma: str = LIF_SOMA, input_soma: str = INPUT_SOMA) -> Path:
    """Write ``snn`` with one ``image`` as a SANA-FE network file (module docstring).

    ``mapping`` (compiled for ``hardware``) places the neurons; SANA-FE then runs the
    network for ``snn.stream_steps(1) + 1`` steps, as neurosim's engine does for one image.
    """
    from neurosim.interop.nir import refuse_code
    from neurosim.snn.functional import simulate_stream

    refuse_code(snn, "SANA-FE")
    snn = snn.with_ge_thresholds()  # the rule written below is neurosim's v >= theta
    where = f"SNN {snn.name!r}"
    if not snn.integer:
        raise NeurosimError("SANA-FE export needs an integer network", where=where,
                            fix="convert without --ideal")
    for pop in snn.populations:
        if not pop.plain_if:
            raise NeurosimError(f"population {pop.name!r}: only plain IF neurons are written",
                                where=where)
    for proj in snn.projections:
        if proj.delay:
            raise NeurosimError(f"projection {proj.name!r} has a delay of {proj.delay} steps, "
                                "which SANA-FE's synapses do not hold", where=where,
                                fix="export a network without residual delays")
    if image is None:
        raise NeurosimError("a SANA-FE file holds one input: no image given", where=where,
                            fix="pass --image N (an image of the test split)")
    if mapping is None or hardware is None:
        raise NeurosimError("SANA-FE export needs a mapping and its chip", where=where,
                            fix="pass --hw CHIP (and --mapping FILE, or it is compiled now)")
    image = np.asarray(image)[None]
    stream = simulate_stream(snn, image)
    steps = snn.stream_steps(1) + 1
    inp = snn.input
    first_in = snn.first_neuron(inp.name)
    mine = (stream.spike_neurons >= first_in) & (stream.spike_neurons < first_in + inp.size)
    trains = np.zeros((inp.size, steps), bool)
    trains[stream.spike_neurons[mine] - first_in, stream.spike_steps[mine]] = True
    cores = mapping.core_of_neuron(snn)
    address = {int(c): neurosim_core_to_sanafe(int(c), hardware) for c in np.unique(cores)}
    lines = [f"# Written by neurosim from SNN {snn.name!r} ({snn.code}, {snn.window} steps per "
             f"image): run {steps} steps.",
             "# neurosim's v >= theta, v -= h is SANA-FE's v' > h, v' -= h with v' = v + (h - theta + 1);",
             "# groups 'window:POP' give a population its bias during, and silence after, its "
             "window (extra spikes).",
             "network:", f"  name: {_quote(snn.name)}", "  groups:"]
    inputs_used: dict[int, int] = {}
    mappings: list[str] = []

    def input_slot(core: int) -> str:
        j = inputs_used.get(core, 0)
        inputs_used[core] = j + 1
        return f"{input_soma}[{j}]"

    # The input: replayed spike trains, one input soma unit per neuron.
    lines += [f"    - name: {_quote(inp.name)}", "      attributes: [log_spikes: true]",
              "      neurons:"]
    for i in range(inp.size):
        lines.append(f"        - {i}: [spikes: {_list(trains[i].astype(int))}]")
        core = int(cores[first_in + i])
        mappings.append(f"  - {_quote(inp.name + '.' + str(i))}: [core: {address[core]}, "
                        f"soma: {_quote(input_slot(core))}]")
    drivers: list[tuple[str, str, np.ndarray]] = []
    for pop in snn.populations[1:]:
        theta, h = int(pop.threshold[0]), int(pop.reset[0])
        if pop.role == "output":
            attrs = (f"[soma_hw_name: {lif_soma}, threshold: {OFF_THRESHOLD:.1e}, reset_mode: none, "
                     "leak_decay: 1.0, input_decay: 0.0, log_spikes: true]")
        else:
            attrs = (f"[soma_hw_name: {lif_soma}, threshold: {h}, reset_mode: soft, leak_decay: 1.0, "
                     f"input_decay: 0.0, potential: {h - theta + 1}, log_spikes: true]")
        lines += [f"    - name: {_quote(pop.name)}", f"      attributes: {attrs}",
                  "      neurons:",
                  f"        - 0..{pop.size - 1}: []"]
        first = snn.first_neuron(pop.name)
        for core in np.unique(cores[first:first + pop.size]):
            ids = np.flatnonzero(cores[first:first + pop.size] == core)
            for lo, hi in _runs(ids):
                mappings.append(f"  - {_quote(f'{pop.name}.{lo}..{hi}')}: [core: {address[int(core)]}]")
        if pop.offset == 0:
            raise NeurosimError(f"population {pop.name!r} starts at step 0", where=where)
        trains_d, weights_d = _window_driver(snn, pop, steps)
        if trains_d:
            drivers.append((pop.name, (trains_d, weights_d)))
    for pop_name, (trains_d, _) in drivers:
        name = f"{WINDOW_PREFIX}{pop_name}"
        lines += [f"    - name: {_quote(name)}", "      attributes: [log_spikes: true]",
                  "      neurons:"]
        core = int(cores[first_in])
        for j, train in enumerate(trains_d):
            lines.append(f"        - {j}: [spikes: {_list(train)}]")
            mappings.append(f"  - {_quote(f'{name}.{j}')}: [core: {address[core]}, "
                            f"soma: {_quote(input_slot(core))}]")
    if max(inputs_used.values(), default=0) > 1024:
        raise NeurosimError("more than 1024 input neurons on one core (SANA-FE's Loihi has 1024 "
                            "input soma units per core)", where=where,
                            fix="map the input over more cores (--set core.neurons=1024)")
    lines.append("  edges:")
    for proj in snn.projections:
        src, tgt = snn.population(proj.source), snn.population(proj.target)
        weight = np.asarray(proj.weight, np.int64) * int(src.out_weight[0])
        key = _quote(f"{src.name} -> {tgt.name}")
        if proj.kind == "dense":
            lines.append(f"    - {key}: [type: dense, weight: {_list(weight.T.reshape(-1))}]")
        elif proj.padding == (0, 0):
            k, c, kh, kw = weight.shape
            _, h, w = src.shape
            filt = weight.transpose(2, 3, 1, 0).reshape(-1)
            lines.append(f"    - {key}: [type: conv2d, input_width: {w}, input_height: {h}, "
                         f"input_channels: {c}, kernel_width: {kw}, kernel_height: {kh}, "
                         f"kernel_count: {k}, stride_width: {proj.stride[1]}, "
                         f"stride_height: {proj.stride[0]}, weight: {_list(filt)}]")
        else:  # SANA-FE convolutions are unpadded: the synapses one by one
            from neurosim.snn.connectivity import synapses
            s, t, wv = synapses(proj, src.shape)
            wv = np.asarray(wv, np.int64) * int(src.out_weight[0])
            pairs = ", ".join(f"[{int(a)}, {int(b)}]" for a, b in zip(s, t))
            lines.append(f"    - {key}: [type: sparse, source_target_pairs: [{pairs}], "
                         f"weight: {_list(wv)}]")
    for pop_name, (_, weights_d) in drivers:
        name = f"{WINDOW_PREFIX}{pop_name}"
        for j, w in enumerate(weights_d):
            lines.append(f"    - {_quote(f'{name} -> {pop_name}')}: [type: sparse, "
                         f"source_target_pairs: "
                         f"[{', '.join(f'[{j}, {t}]' for t in range(len(w)))}], "
                         f"weight: {_list(w)}]")
    lines.append("mappings:")
    lines += mappings
    return write_text(path, "\n".join(lines) + "\n")


def _window_driver(snn: SNN, pop: Any, steps: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Input neurons that give a SANA-FE group neurosim's window: spike trains and weights.

    Neuron 0 (when the population has a bias) fires at the steps before each window step,
    so the bias arrives at exactly the window's steps. The last neuron fires at the
    window's last step and arrives just after it with a weight below any potential the
    window can build (``−M``, ``M = T·(max input per step) + θ + h + 1``), so the group
    stays silent after its window, as a neurosim population does.
    """
    trains, weights = [], []
    bias = np.asarray(pop.bias, np.int64)
    first, last = pop.offset - 1, pop.offset + pop.window - 1   # sends at steps [first, last)
    if np.any(bias):
        train = np.zeros(steps, int)
        train[first:last] = 1
        trains.append(train)
        weights.append(bias)
    drive = np.abs(bias).astype(np.float64)
    for proj in snn.incoming(pop.name):
        src = snn.population(proj.source)
        d = abs(int(src.out_weight[0]))
        if proj.kind == "dense":
            drive = drive + np.abs(proj.weight).sum(axis=1) * d
        else:
            drive = drive + np.abs(proj.weight).sum() * d  # every synapse of every kernel
    if pop.role != "output":
        top = int(pop.window * drive.max(initial=0) + abs(int(pop.threshold[0]))
                  + abs(int(pop.reset[0])) + 1)
        train = np.zeros(steps, int)
        if last < steps:
            train[last] = 1
        trains.append(train)
        weights.append(np.full(pop.size, -top, np.int64))
    return trains, weights


def _runs(ids: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs of sorted ids as (first, last)."""
    if len(ids) == 0:
        return []
    cuts = np.flatnonzero(np.diff(ids) != 1) + 1
    return [(int(part[0]), int(part[-1])) for part in np.split(ids, cuts)]


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
