"""Import a SANA-FE architecture file into the neurosim hardware schema.

SANA-FE (Boyle et al., IEEE TCAD 2025) describes a chip as ``architecture`` → ``tile``
list → ``core`` list → pipeline units (``axon_in``, ``synapse``, ``dendrite``, ``soma``,
``axon_out``), each with ``energy_*`` / ``latency_*`` attributes in SI units; a name such
as ``core[0..3]`` stands for four copies. This module reads that format (it shares no code
with SANA-FE) and maps it as follows:

========================================  ================================================
SANA-FE                                   neurosim
========================================  ================================================
tiles (counted over name ranges)          ``chip.mesh_x × chip.mesh_y`` (width × height)
cores of the first tile                   ``chip.cores_per_tile``
synapse ``energy/latency_process_spike``  ``costs.*_synop`` (the ``dense`` unit), and
                                          ``costs.*_synop_sparse`` / ``*_synop_conv``
                                          (the units named ``sparse`` / ``conv``)
soma ``*_access_neuron``                  ``costs.*_neuron_update_inactive``
soma access + update (+ dendrite update)  ``costs.*_neuron_update_active``
soma ``*_spike_out``                      ``costs.*_spike_gen``
axon_out ``*_message_out``                ``costs.*_packet_out``
axon_in ``*_message_in``                  ``costs.*_packet_in``
tile ``*_east/west_hop`` (mean)           ``noc.*_hop_ew``;  north/south → ``noc.*_hop_ns``
tile ``latency_spike_within_tile``        ``noc.router_delay``
``sync_model``/``latency_sync``           ``sync.barrier`` (a table keyed by tiles in use)
``link_buffer_size``                      ``noc.buffer_depth``
``max_neurons_supported``, ``fan_in``,    ``core.neurons``, ``core.input_axons``,
``fan_out``, ``weight_bits``              ``core.output_routes``, ``core.weight_bits``
========================================  ================================================

Older attribute spellings (``energy_spike``, ``energy_east``, ``energy_active`` …) are
understood too. Where a core has several synapse units (dense, sparse and conv), the one
named ``dense`` (else the first) gives ``costs.*_synop``, the first whose name contains
``sparse`` or ``conv`` the cost of that kind (neurosim's compiler picks the kind of each
projection: :mod:`neurosim.compiler.synapse_kinds`); any other synapse unit is listed as
not mapped, with its values. What SANA-FE does not describe (static power, memory and fan-in limits, the board,
feature flags, link bandwidth, weight and packet widths) is filled with stated assumptions
(evidence A), and the written file's header lists, in one note, every assumption and every
attribute that could not be mapped.

SANA-FE's simulation rules become the chip's rule keys (:mod:`neurosim.hardware.schema`):
``core.active_update: nonzero`` (it charges an update whenever the potential, the input
or the bias is non-zero), ``core.service: overlapped`` (a core processes messages while it
updates neurons), ``core.threshold_compare: gt`` (a neuron fires on ``v > θ``) and, for a
``latency_sync`` table, ``sync.barrier_lookup: step``.

Tile numbering differs: SANA-FE's tile ``i`` is at ``x = i ÷ height``, ``y = i mod
height`` (column by column), neurosim's tile ``y · width + x`` (row by row);
:func:`neurosim_core` translates a SANA-FE core number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from neurosim.errors import NeurosimError
from neurosim.fileio import write_text
from neurosim.hardware import units
from neurosim.hardware.loader import _build, load_hardware, parse_file
from neurosim.hardware.model import Hardware
from neurosim.yamlio import read_yaml

_RANGE = re.compile(r"\[(\d+)\.\.(\d+)\]\s*$")
_UNIT_KINDS = ("axon_in", "synapse", "dendrite", "soma", "axon_out")
_DIRECTIONS = ("north", "south", "east", "west")


@dataclass(frozen=True)
class SanafeImport:
    """The result of an import: the validated model and what was done to get it."""

    hardware: Hardware
    text: str  # the neurosim YAML written
    mapped: tuple[str, ...]  # "costs.energy_synop <- synapse 'x'.energy_process_spike"
    assumed: tuple[str, ...]  # schema keys filled by assumption
    unmapped: tuple[str, ...]  # SANA-FE attributes with no place in the neurosim model


def neurosim_core(sanafe_core: int, width: int, height: int, cores_per_tile: int) -> int:
    """The neurosim core number of SANA-FE's core ``sanafe_core`` (counted tile by tile).

    SANA-FE tile ``i`` sits at ``(x, y) = (i ÷ height, i mod height)``; neurosim numbers the
    same tile ``y · width + x``. The core's place within its tile is kept.
    """
    tile, slot = divmod(int(sanafe_core), cores_per_tile)
    if not 0 <= tile < width * height:
        raise NeurosimError(f"core {sanafe_core} is beyond the {width}×{height} mesh of "
                            f"{cores_per_tile}-core tiles", where="SANA-FE mapping",
                            fix="map neurons to cores the architecture has")
    x, y = divmod(tile, height)
    return (y * width + x) * cores_per_tile + slot


def sanafe_core(neurosim_core_: int, width: int, height: int, cores_per_tile: int) -> int:
    """The inverse of :func:`neurosim_core`: SANA-FE's number for a neurosim core."""
    tile, slot = divmod(int(neurosim_core_), cores_per_tile)
    y, x = divmod(tile, width)
    return (x * height + y) * cores_per_tile + slot


def count_in_name(name: object) -> int:
    """How many units a SANA-FE name stands for: ``'core[0..3]'`` -> 4, ``'core'`` -> 1."""
    match = _RANGE.search(str(name))
    if not match:
        return 1
    first, last = int(match.group(1)), int(match.group(2))
    return max(last - first + 1, 0)


class _Reader:
    def __init__(self, file: str, evidence: str):
        self.file = file
        self.evidence = evidence
        self.values: dict[str, dict[str, Any]] = {}
        self.mapped: list[str] = []
        self.assumed: list[str] = []
        self.unmapped: list[str] = []

    def fail(self, where: str, what: str) -> NeurosimError:
        return NeurosimError(what, where=f"{self.file}: {where}")

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping, found {units._show(value)}")
        return value

    def units_list(self, value: object, where: str) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(where, "expected a list of units, each with a name and attributes")
        return value

    def number(self, value: object, dimension: str, where: str) -> float:
        try:
            number = units.parse_quantity(value, dimension)
        except units.UnitError as exc:
            raise self.fail(where, str(exc)) from None
        if number < 0:
            raise self.fail(where, f"expected a non-negative value, found {number}")
        return number

    def count(self, value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(where, f"expected a whole number of at least 1, found {value!r}")
        return value

    def put(self, path: str, value: Any, origin: str, note: str = "", evidence: str = "") -> None:
        entry = {"value": value, "source": f"SANA-FE architecture {self.file}: {origin}"}
        entry["evidence"] = evidence or self.evidence
        if note:
            entry["note"] = note
        self.values[path] = entry
        self.mapped.append(f"{path} <- {origin}")

    def assume(self, path: str, value: Any, note: str) -> None:
        self.values[path] = {
            "value": value,
            "source": "assumption (not in SANA-FE's format)",
            "evidence": "A",
            "note": note,
        }
        self.assumed.append(path)

    def skip(self, where: str, attributes: dict[str, Any], used: set[str], why: str = "") -> None:
        for name, value in attributes.items():
            if name not in used:
                reason = f" ({why})" if why else ""
                self.unmapped.append(f"{where}.{name} = {value!r}{reason}")


def _fmt(value: float, dimension: str) -> str:
    return units.format_quantity(value, dimension, exact=True, ascii=True)


def _pick(attributes: dict[str, Any], *names: str) -> tuple[str, Any] | None:
    for name in names:
        if name in attributes:
            return name, attributes[name]
    return None


def _read_architecture(r: _Reader, data: object) -> None:
    top = r.mapping(data, "top level")
    if "architecture" not in top:
        raise r.fail(
            "top level", "expected an 'architecture' section (a SANA-FE architecture file)"
        )
    for other in top:
        if other != "architecture":
            r.unmapped.append(f"{other} (top-level section; SANA-FE ignores it too)")
    arch = r.mapping(top["architecture"], "architecture")
    attributes = r.mapping(arch.get("attributes"), "architecture.attributes")
    tiles = r.units_list(arch.get("tile"), "architecture.tile")
    if not tiles:
        raise r.fail("architecture.tile", "expected at least one tile")
    for key in arch:
        if key not in ("name", "attributes", "tile"):
            r.unmapped.append(f"architecture.{key}")
    name = str(arch.get("name") or Path(r.file).stem)
    r.values["name"] = f"sanafe-{name}"
    r.values["description"] = f"imported from SANA-FE architecture {Path(r.file).name} ({name})"

    # Geometry.
    n_tiles = sum(count_in_name(t.get("name", "")) for t in tiles)
    used = {"width", "height", "topology", "link_buffer_size", "sync_model", "latency_sync"}
    used |= {"latency_global_barrier"}
    if n_tiles < 1:
        raise r.fail("architecture.tile", "the tile names describe no tiles")
    width, height = attributes.get("width"), attributes.get("height")
    if width is not None and height is not None:
        w = r.count(width, "architecture.attributes.width")
        h = r.count(height, "architecture.attributes.height")
        r.put("chip.mesh_x", w, "architecture.attributes.width")
        r.put("chip.mesh_y", h, "architecture.attributes.height")
        if w * h != n_tiles:
            r.unmapped.append(
                f"architecture: width x height = {w * h} but the file lists {n_tiles} tiles "
                "(neurosim uses width x height)"
            )
    else:
        r.assume("chip.mesh_x", n_tiles, f"no width/height given: the {n_tiles} tiles in one row")
        r.assume("chip.mesh_y", 1, "no width/height given: one row of tiles")
    topology = attributes.get("topology", "mesh")
    if topology != "mesh":
        r.unmapped.append(
            f"architecture.attributes.topology = {topology!r} (neurosim models a mesh)"
        )
    if "link_buffer_size" in attributes:
        depth = r.count(attributes["link_buffer_size"], "architecture.attributes.link_buffer_size")
        r.put("noc.buffer_depth", depth, "architecture.attributes.link_buffer_size")
    else:
        r.assume(
            "noc.buffer_depth", 16, "SANA-FE file gives no link_buffer_size; 16 packets assumed"
        )
    _read_sync(r, attributes)
    r.skip("architecture.attributes", attributes, used)
    rules = "SANA-FE's simulation rules (Boyle et al., IEEE TCAD 2025)"
    r.values["core.active_update"] = {
        "value": "nonzero", "source": rules, "evidence": "D",
        "note": "an update is charged when the potential, the input or the bias is non-zero"}
    r.values["core.service"] = {
        "value": "overlapped", "source": rules, "evidence": "D",
        "note": "a core processes arriving messages while it updates its neurons"}
    r.values["core.threshold_compare"] = {
        "value": "gt", "source": rules, "evidence": "D",
        "note": "a neuron fires when its potential exceeds its threshold (v > θ)"}
    r.values["noc.congestion"] = {
        "value": "inflight", "source": rules, "evidence": "D",
        "note": "a message's network delay is estimated from the messages in flight on its "
                "path; a sender blocks when they exceed link_buffer_size (measured against "
                "SANA-FE 2.2.9's message traces, benchmarks/sanafe_noc_probe.py)"}
    r.mapped.append(
        "core.active_update, core.service, core.threshold_compare, noc.congestion <- "
        "SANA-FE's simulation rules")
    r.unmapped.append(
        "tile numbering: SANA-FE's tile i is at x = i ÷ height, y = i mod height; neurosim's "
        "tile y·width + x (translated by neurosim.hardware.sanafe.neurosim_core)")

    # The first tile stands for all (neurosim's chips are homogeneous).
    first_tile = tiles[0]
    cores = r.units_list(first_tile.get("core"), "tile[0].core")
    if not cores:
        raise r.fail("tile[0].core", "expected at least one core in the first tile")
    per_tile = [
        sum(count_in_name(c.get("name", "")) for c in r.units_list(t.get("core"), "core"))
        for t in tiles
    ]
    r.put("chip.cores_per_tile", per_tile[0], f"tile {first_tile.get('name')!r} core names")
    if len(set(per_tile)) > 1:
        r.unmapped.append(
            f"tiles have different numbers of cores {sorted(set(per_tile))}; neurosim used "
            f"the first tile's {per_tile[0]}"
        )
    for extra in tiles[1:]:
        if extra.get("attributes") != first_tile.get("attributes"):
            r.unmapped.append(
                f"tile {extra.get('name')!r}: attributes differ from the first tile's (not mapped)"
            )
    _read_tile(r, r.mapping(first_tile.get("attributes"), "tile[0].attributes"), first_tile)
    for i, core in enumerate(cores):
        if i == 0:
            _read_core(r, core)
        elif {k: v for k, v in core.items() if k != "name"} != {
            k: v for k, v in cores[0].items() if k != "name"
        }:
            r.unmapped.append(
                f"core {core.get('name')!r}: differs from the first core (not mapped)"
            )


def _read_sync(r: _Reader, attributes: dict[str, Any]) -> None:
    where = "architecture.attributes"
    model = attributes.get("sync_model")
    sync = attributes.get("latency_sync")
    r.values["sync.mode"] = {
        "value": "barrier",
        "source": f"SANA-FE architecture {r.file}: time-step simulation with a barrier per step",
        "evidence": "D",
    }
    note = "SANA-FE's latency_sync table, read as barrier time by tiles in use"
    if isinstance(sync, dict):
        table = {}
        for tiles, seconds in sync.items():
            t = r.count(tiles, f"{where}.latency_sync key")
            table[t] = _fmt(
                r.number(seconds, units.TIME, f"{where}.latency_sync[{tiles}]"), units.TIME
            )
        r.put(
            "sync.barrier",
            dict(sorted(table.items())),
            f"{where}.latency_sync (sync_model {model})",
            note,
        )
        r.put("sync.barrier_lookup", "step", f"{where}.latency_sync (sync_model {model})",
              "SANA-FE takes the entry of the largest tile count <= the tiles in use", "D")
    elif sync is not None:
        seconds = r.number(sync, units.TIME, f"{where}.latency_sync")
        r.put(
            "sync.barrier",
            {1: _fmt(seconds, units.TIME)},
            f"{where}.latency_sync (sync_model {model})",
            "one barrier time for any number of tiles",
        )
    elif "latency_global_barrier" in attributes:
        seconds = r.number(
            attributes["latency_global_barrier"], units.TIME, f"{where}.latency_global_barrier"
        )
        r.put(
            "sync.barrier",
            {1: _fmt(seconds, units.TIME)},
            f"{where}.latency_global_barrier",
            "one barrier time for any number of tiles",
        )
    else:
        r.assume("sync.barrier", {1: "0 s"}, "the SANA-FE file gives no synchronisation cost")
    if model not in (None, "table", "fixed"):
        r.unmapped.append(
            f"{where}.sync_model = {model!r} (only 'table' and 'fixed' are understood)"
        )


def _read_tile(r: _Reader, attributes: dict[str, Any], tile: dict[str, Any]) -> None:
    where = f"tile {tile.get('name')!r}"
    used: set[str] = set()
    for kind, dimension in (("energy", units.ENERGY), ("latency", units.TIME)):
        found: dict[str, float] = {}
        for direction in _DIRECTIONS:
            hit = _pick(attributes, f"{kind}_{direction}_hop", f"{kind}_{direction}")
            if hit:
                used.add(hit[0])
                found[direction] = r.number(hit[1], dimension, f"{where}.{hit[0]}")
        for axis, pair in (("ew", ("east", "west")), ("ns", ("north", "south"))):
            vals = [found[d] for d in pair if d in found]
            path = f"noc.{kind}_hop_{axis}"
            if not vals:
                r.assume(path, _fmt(0.0, dimension), f"no {'/'.join(pair)} hop {kind} in the file")
                continue
            mean = sum(vals) / len(vals)
            names = " and ".join(f"{kind}_{d}_hop" for d in pair if d in found)
            note = "mean of the two directions" if len(vals) == 2 and vals[0] != vals[1] else ""
            r.put(path, _fmt(mean, dimension), f"{where}.{names}", note, "D" if note else "")
    hit = _pick(attributes, "latency_spike_within_tile")
    if hit:
        used.add(hit[0])
        value = r.number(hit[1], units.TIME, f"{where}.{hit[0]}")
        r.put("noc.router_delay", _fmt(value, units.TIME), f"{where}.{hit[0]}")
    else:
        r.assume("noc.router_delay", "0 ns", "SANA-FE has no router delay besides the hop latency")
    r.skip(where, attributes, used)
    for key in tile:
        if key not in ("name", "attributes", "core"):
            r.unmapped.append(f"{where}.{key}")


def _synapse_kind(unit: dict[str, Any], units_: list[dict[str, Any]], chosen: dict[str, Any]
                  ) -> str:
    """``sparse`` or ``conv`` for a synapse unit besides the dense one whose name says so
    (the first such unit of each kind), else ""."""
    for kind in ("sparse", "conv"):
        named = [u for u in units_ if u is not chosen and kind in str(u.get("name", ""))]
        if named and named[0] is unit:
            return kind
    return ""


def _first_unit(r: _Reader, units_: list[dict[str, Any]], kind: str, core: str) -> dict[str, Any]:
    """The unit neurosim maps (the first one, or for a soma the first that is not an input)."""
    chosen = units_[0] if units_ else {}
    if kind == "synapse":
        dense = [u for u in units_ if "dense" in str(u.get("name", ""))]
        chosen = dense[0] if dense else chosen
    if kind == "soma":
        real = [u for u in units_ if r.mapping(u.get("attributes"), "soma").get("model") != "input"]
        chosen = real[0] if real else chosen
    for unit in units_:
        if unit is not chosen and not (kind == "synapse" and _synapse_kind(unit, units_, chosen)):
            attrs = r.mapping(unit.get("attributes"), f"{core}.{kind}")
            shown = ", ".join(f"{k}={v!r}" for k, v in attrs.items())
            why = (f"neurosim has one synapse unit per kind (dense, sparse, conv): "
                   f"{chosen.get('name')!r} is dense and this one's name says no other kind"
                   if kind == "synapse"
                   else f"neurosim uses one {kind} unit per core: {chosen.get('name')!r}")
            r.unmapped.append(f"{core}.{kind} {unit.get('name')!r}: {shown} ({why})")
    return chosen


def _cost(
    r: _Reader, attrs: dict[str, Any], where: str, used: set[str], *names: str
) -> tuple[float, str] | None:
    hit = _pick(attrs, *names)
    if not hit:
        return None
    used.add(hit[0])
    dimension = units.ENERGY if hit[0].startswith("energy") else units.TIME
    return r.number(hit[1], dimension, f"{where}.{hit[0]}"), f"{where}.{hit[0]}"


def _read_core(r: _Reader, core: dict[str, Any]) -> None:
    name = f"core {core.get('name')!r}"
    attributes = r.mapping(core.get("attributes"), f"{name}.attributes")
    used = set()
    if "max_neurons_supported" in attributes:
        used.add("max_neurons_supported")
        neurons = r.count(attributes["max_neurons_supported"], f"{name}.max_neurons_supported")
        r.put("core.neurons", neurons, f"{name}.attributes.max_neurons_supported")
    r.skip(f"{name}.attributes", attributes, used)
    for key in core:
        if key not in ("name", "attributes", *_UNIT_KINDS):
            r.unmapped.append(f"{name}.{key}")
    chosen = {
        k: _first_unit(r, r.units_list(core.get(k), f"{name}.{k}"), k, name) for k in _UNIT_KINDS
    }

    def unit_attrs(kind: str) -> tuple[dict[str, Any], str, set[str]]:
        unit = chosen[kind]
        where = f"{kind} {unit.get('name')!r}" if unit else kind
        return r.mapping(unit.get("attributes"), where), where, set()

    for event in ("energy", "latency"):
        dimension = units.ENERGY if event == "energy" else units.TIME
        zero = _fmt(0.0, dimension)

        def put_or_assume(
            path: str, found: tuple[float, str] | None, what: str, dimension=dimension, zero=zero
        ) -> None:
            if found:
                r.put(path, _fmt(found[0], dimension), found[1])
            else:
                r.assume(path, zero, f"the SANA-FE file gives no {what}")

        attrs, where, used = unit_attrs("synapse")
        hit = _cost(r, attrs, where, used, f"{event}_process_spike", f"{event}_spike")
        put_or_assume(f"costs.{event}_synop", hit, f"synapse {event}")
        # The other kinds, from the units named for them; absent, a kind costs as dense.
        synapses = r.units_list(core.get("synapse"), f"{name}.synapse")
        for unit in synapses:
            kind = _synapse_kind(unit, synapses, chosen["synapse"])
            if kind:
                where_k = f"synapse {unit.get('name')!r}"
                attrs_k = r.mapping(unit.get("attributes"), where_k)
                found = _cost(r, attrs_k, where_k, set(), f"{event}_process_spike",
                              f"{event}_spike")
                if found:
                    r.put(f"costs.{event}_synop_{kind}", _fmt(found[0], dimension), found[1])
                if kind == "conv" and "core.weight_sharing" not in r.values:
                    # A synapse unit for convolutions: the core shares a kernel.
                    r.put("core.weight_sharing", True, f"{where_k} (a convolution synapse unit)",
                          "the conv synapse unit processes a shared kernel; neurosim's "
                          "compiler then stores a kernel once per core and puts convolutions "
                          "on it (neurosim.compiler.synapse_kinds)", "D")

        attrs, where, used = unit_attrs("axon_out")
        hit = _cost(r, attrs, where, used, f"{event}_message_out", f"{event}_message", event)
        put_or_assume(f"costs.{event}_packet_out", hit, f"axon_out {event}")

        attrs, where, used = unit_attrs("axon_in")
        hit = _cost(r, attrs, where, used, f"{event}_message_in", f"{event}_message")
        put_or_assume(f"costs.{event}_packet_in", hit, f"axon_in {event}")

        attrs, where, used = unit_attrs("soma")
        access = _cost(r, attrs, where, used, f"{event}_access_neuron", f"{event}_inactive")
        update = _cost(r, attrs, where, used, f"{event}_update_neuron")
        active_old = _cost(r, attrs, where, used, f"{event}_active")
        spike = _cost(r, attrs, where, used, f"{event}_spike_out", f"{event}_spiking")
        put_or_assume(f"costs.{event}_neuron_update_inactive", access, f"soma access {event}")
        put_or_assume(f"costs.{event}_spike_gen", spike, f"soma spike {event}")
        dattrs, dwhere, dused = unit_attrs("dendrite")
        dendrite = _cost(r, dattrs, dwhere, dused, f"{event}_update")
        dendrite = (
            dendrite if dendrite and dendrite[0] > 0 else None
        )  # a free dendrite adds nothing
        parts = [p for p in (access, update, active_old, dendrite) if p]
        if active_old and not update:
            parts = [p for p in (active_old, dendrite) if p]
        path = f"costs.{event}_neuron_update_active"
        if not parts:
            r.assume(path, zero, f"the SANA-FE file gives no soma update {event}")
        elif len(parts) == 1:
            r.put(path, _fmt(parts[0][0], dimension), parts[0][1])
        else:
            total = sum(p[0] for p in parts)
            terms = " + ".join(_fmt(p[0], dimension) for p in parts)
            r.put(
                path,
                _fmt(total, dimension),
                " + ".join(p[1] for p in parts),
                f"an active neuron pays every part: {terms}",
                "D",
            )

    limits = (
        ("axon_in", "fan_in", "core.input_axons"),
        ("axon_out", "fan_out", "core.output_routes"),
        ("synapse", "weight_bits", "core.weight_bits"),
    )
    for kind, attr, path in limits:
        attrs, where, _ = unit_attrs(kind)
        if attr in attrs:
            r.put(path, r.count(attrs[attr], f"{where}.{attr}"), f"{where}.{attr}")
    # Report every attribute of the chosen units that no rule consumed.
    consumed = {
        "synapse": {
            "energy_process_spike",
            "latency_process_spike",
            "energy_spike",
            "latency_spike",
            "weight_bits",
        },
        "axon_out": {
            "energy_message_out",
            "latency_message_out",
            "energy_message",
            "latency_message",
            "energy",
            "latency",
            "fan_out",
        },
        "axon_in": {
            "energy_message_in",
            "latency_message_in",
            "energy_message",
            "latency_message",
            "fan_in",
        },
        "soma": {
            f"{e}_{s}"
            for e in ("energy", "latency")
            for s in (
                "access_neuron",
                "update_neuron",
                "spike_out",
                "inactive",
                "active",
                "spiking",
            )
        },
        "dendrite": {"energy_update", "latency_update"},
    }
    for kind in _UNIT_KINDS:
        attrs, where, _ = unit_attrs(kind)
        why = "neurosim takes neuron and synapse models from the spike code"
        r.skip(f"{name}.{where}", {k: v for k, v in attrs.items() if k == "model"}, set(), why)
        r.skip(f"{name}.{where}", {k: v for k, v in attrs.items() if k != "model"}, consumed[kind])


def _assume_rest(r: _Reader) -> None:
    """Fill what SANA-FE's format has no place for, each with its assumption."""
    defaults: list[tuple[str, Any, str]] = [
        ("board.chips_x", 1, "SANA-FE describes one chip"),
        ("board.chips_y", 1, "SANA-FE describes one chip"),
        ("board.energy_interchip_hop", "0 pJ", "one chip: no inter-chip links"),
        ("board.latency_interchip_hop", "0 ns", "one chip: no inter-chip links"),
        ("board.interchip_bandwidth", "1 Gbit/s", "one chip: unused"),
        ("chip.clock", "asynchronous", "SANA-FE gives latencies in seconds, no clock"),
        ("chip.static_power_chip", "0 mW", "SANA-FE models no static power; set it"),
        ("chip.static_power_core", "0 mW", "SANA-FE models no static power; set it"),
        ("core.neurons", 1024, "no max_neurons_supported; Loihi's 1024 assumed"),
        ("core.synapse_memory", "128 KiB", "SANA-FE has no synapse-memory limit; Loihi's assumed"),
        ("core.input_axons", 4096, "SANA-FE has no fan-in limit; Loihi's 4096 assumed"),
        ("core.output_routes", 4096, "SANA-FE has no fan-out limit; Loihi's 4096 assumed"),
        ("core.routing_table_entries", 4096, "SANA-FE has no routing-table limit; 4096 assumed"),
        ("core.weight_bits", 8, "no weight_bits in the file; 8 assumed"),
        ("core.potential_bits", 24, "SANA-FE gives no potential width; 24 assumed"),
        ("core.fs_neurons", False, "not described by SANA-FE; assumed absent"),
        ("core.graded_spikes", False, "not described by SANA-FE; assumed absent"),
        ("core.multicast", False, "SANA-FE has no multicast"),
        ("core.weight_sharing", False, "not described by SANA-FE; assumed absent"),
        ("core.fanin_split", False, "SANA-FE does not split a neuron's fan-in; assumed absent"),
        ("noc.packet_bits", 32, "SANA-FE has no packet size; 32 bits assumed"),
        ("noc.routing", "xy", "SANA-FE routes dimension-order on its mesh"),
    ]
    for path, value, note in defaults:
        if path not in r.values:
            r.assume(path, value, note)
    weight = r.values["core.weight_bits"]["value"]
    if r.values["core.potential_bits"]["value"] < weight:
        r.values["core.potential_bits"]["value"] = weight
        r.values["core.potential_bits"]["note"] = (
            "no potential width in SANA-FE; set to weight_bits"
        )
    # A link is taken to be busy for one hop latency per packet, as SANA-FE's blocking links are.
    hop_s = max(
        units.parse_quantity(r.values[f"noc.latency_hop_{a}"]["value"], units.TIME)
        for a in ("ew", "ns")
    )
    bits = r.values["noc.packet_bits"]["value"]
    bandwidth = bits / hop_s if hop_s > 0 else 1e12
    r.assume(
        "noc.link_bandwidth",
        _fmt(bandwidth, units.BANDWIDTH),
        f"SANA-FE has no link bandwidth; a link is assumed busy one hop latency per {bits}-bit packet"
        if hop_s > 0
        else "SANA-FE has no link bandwidth and the hops take no time; 1 Tbit/s assumed",
    )


def _document(r: _Reader) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": r.values["name"], "description": r.values["description"]}
    order = ("board", "chip", "core", "costs", "noc", "sync")
    from neurosim.hardware.schema import KEYS

    for section in order:
        for key in KEYS:
            if key.section == section and key.path in r.values:
                doc.setdefault(section, {})[key.name] = r.values[key.path]
    return doc


def import_sanafe(path: str | Path, *, evidence: str = "U") -> tuple[dict[str, Any], _Reader]:
    """The neurosim YAML document for a SANA-FE architecture file, and the reader's log."""
    path = Path(path)
    r = _Reader(path.name, evidence)
    data = read_yaml(path, what="SANA-FE architecture file",
                     fix="give the path of a SANA-FE architecture YAML file")
    _read_architecture(r, data)
    _assume_rest(r)
    return _document(r), r


def import_sanafe_file(path: str | Path, out: str | Path, *, evidence: str = "U") -> SanafeImport:
    """Convert ``path`` (SANA-FE) into ``out`` (neurosim YAML), validate it and report."""
    document, r = import_sanafe(path, evidence=evidence)
    header = [
        f"Imported by `neurosim hw import-sanafe` from SANA-FE architecture {Path(path).name}.",
        f"Imported values carry evidence {evidence}; values SANA-FE's format lacks are",
        "assumptions (evidence A, each with a note). Review them before trusting results.",
    ]
    if r.assumed:
        header.append("Assumed (SANA-FE's format has no place for them; each has a note):")
        header += [f"  - {path} = {r.values[path]['value']}" for path in r.assumed]
    if r.unmapped:
        header.append("Not mapped:")
        header += [f"  - {item}" for item in r.unmapped]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    text = "".join(f"# {line}\n" for line in header) + "\n" + body
    out = Path(out)
    # Validated before writing: an architecture neurosim refuses leaves no file behind.
    _build(parse_file(str(out), text.encode("utf-8")), ())
    write_text(out, text)
    hardware = load_hardware(out)
    return SanafeImport(hardware, text, tuple(r.mapped), tuple(r.assumed), tuple(r.unmapped))
