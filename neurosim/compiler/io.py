"""Reading and writing a :class:`CoreMapping` as YAML.

The file lists every block with its population, core (and the core's chip, tile and slot),
its neurons as ``[start, stop)`` ranges of population-local indices and what it costs its
core, plus the compiler's figures (``stats``)::

    format: neurosim-mapping
    format_version: 1
    snn: digits-cnn-rate
    hardware: {name: loihi, hash: 3f1c..., file_hash: 9ab2...}  # layout hash; file sha256 (optional)
    placer: optimised
    seed: 0
    layout: {chips_x: 8, chips_y: 4, mesh_x: 8, mesh_y: 4, cores_per_tile: 4}
    blocks:
    - population: r1
      label: channels 0-15, rows 0-1, cols 0-1
      core: 5
      chip: [0, 0]
      tile: [1, 0]
      slot: 1
      neurons: [[0, 2], [8, 10], ...]
      usage: {neurons: 64, synapse_memory_bits: 4608, ...}
    - population: fc1
      group: 1          # a partial block (absent: 0, the neurons themselves)
      ...
    fanin_groups: {fc1: [3136]}   # only when some fan-in is split
    stats: {...}

Loading checks the file against the SNN and the hardware it is used with: every neuron
exactly once, cores on the board, the same hardware layout (:func:`layout_hash`; a mapping compiled for another
hardware file with the same layout loads, :meth:`CoreMapping.hardware_match` tells which) and no
core over a limit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from neurosim.compiler.mapping import Block, CoreMapping, core_location, layout_hash
from neurosim.errors import NeurosimError
from neurosim.fileio import atomic_write
from neurosim.hardware.model import Hardware
from neurosim.limits import require_memory
from neurosim.plain import plain
from neurosim.snn.network import SNN
from neurosim.yamlio import read_yaml

FORMAT = "neurosim-mapping"
FORMAT_VERSION = 1

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _FlowList(list):
    """A list written on one line (a block's neuron ranges)."""


yaml.add_representer(
    _FlowList, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", value,
                                                               flow_style=True),
    Dumper=_Dumper)


def ranges(neurons: np.ndarray) -> list[list[int]]:
    """Ascending indices as ``[start, stop)`` runs."""
    neurons = np.asarray(neurons, dtype=np.int64)
    if not len(neurons):
        return []
    breaks = np.flatnonzero(np.diff(neurons) != 1) + 1
    starts = neurons[np.concatenate([[0], breaks])]
    stops = neurons[np.concatenate([breaks - 1, [len(neurons) - 1]])] + 1
    return [[int(a), int(b)] for a, b in zip(starts, stops)]




def save_mapping(mapping: CoreMapping, hw: Hardware, path: str | Path) -> Path:
    """Write ``mapping`` (compiled for ``hw``) to ``path`` as YAML and return the path."""
    path = Path(path)
    blocks = []
    for block in mapping.blocks:
        loc = core_location(hw, block.core)
        record = {
            "population": block.population,
            "label": block.label,
            "core": int(block.core),
            "chip": [loc.chip_x, loc.chip_y],
            "tile": [loc.tile_x, loc.tile_y],
            "slot": loc.slot,
            "neurons": _FlowList(ranges(block.neurons)),
            "usage": plain(block.usage),
        }
        if block.group:
            record["group"] = int(block.group)
        blocks.append(record)
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "snn": mapping.snn_name,
        "hardware": {"name": mapping.hardware_name, "hash": mapping.layout_hash,
                     "file_hash": mapping.file_hash},
        "placer": mapping.placer,
        "seed": int(mapping.seed),
        "layout": {"chips_x": hw.board.chips_x, "chips_y": hw.board.chips_y,
                   "mesh_x": hw.chip.mesh_x, "mesh_y": hw.chip.mesh_y,
                   "cores_per_tile": hw.chip.cores_per_tile},
        "blocks": blocks,
        "stats": plain(mapping.stats),
    }
    if mapping.fanin_groups:
        data["fanin_groups"] = {name: _FlowList(int(c) for c in cuts)
                                for name, cuts in mapping.fanin_groups.items()}
    with atomic_write(path, "w") as fh:
        yaml.dump(data, fh, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=1 << 30)
    return path


def load_mapping(path: str | Path, snn: SNN | None = None, hw: Hardware | None = None) -> CoreMapping:
    """Read a mapping written by :func:`save_mapping`, checked against ``snn`` and ``hw``."""
    path = Path(path)
    where = str(path)
    data = read_yaml(path, what="mapping file",
                     fix="write one with: neurosim compile SNN --hw NAME --out FILE")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise NeurosimError("not a neurosim mapping file", where=where,
                            fix="write one with: neurosim compile SNN --hw NAME --out FILE")
    if data.get("format_version") != FORMAT_VERSION:
        raise NeurosimError(f"unknown mapping format version {data.get('format_version')!r}",
                            where=where, fix="compile the network again with this neurosim")
    try:
        blocks = tuple(_read_block(rec, i, where) for i, rec in enumerate(data["blocks"]))
        mapping = CoreMapping(snn_name=str(data["snn"]), hardware_name=str(data["hardware"]["name"]),
                          layout_hash=str(data["hardware"]["hash"]), blocks=blocks,
                          file_hash=str(data["hardware"].get("file_hash") or ""),
                          placer=str(data.get("placer", "baseline")), seed=int(data.get("seed", 0)),
                          stats=dict(data.get("stats") or {}),
                          fanin_groups={str(k): tuple(int(c) for c in v)
                                        for k, v in (data.get("fanin_groups") or {}).items()})
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise NeurosimError(f"the mapping file is incomplete or malformed ({exc})", where=where,
                            fix="compile the network again") from None
    if hw is not None:
        check_hardware(mapping, hw, where, data)
    if snn is not None:
        check_snn(mapping, snn, where)
    if hw is not None and snn is not None:
        check_limits(mapping, snn, hw, where)
        from neurosim.compiler import check_weights
        check_weights(snn, hw)
    return mapping


MAX_MAPPED_NEURONS = 1 << 32
"""More neurons than any board holds; ranges summing beyond it are refused before allocation."""


def _whole(value: object, what: str, i: int, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise NeurosimError(f"block {i}: {what} is {value!r}, expected a whole number",
                            where=where, fix="compile the network again")
    return value


def _read_block(rec: object, i: int, where: str) -> Block:
    if not isinstance(rec, dict):
        raise NeurosimError(f"block {i} is {type(rec).__name__}, expected a mapping",
                            where=where, fix="compile the network again")
    spans = rec["neurons"]
    if not isinstance(spans, list) or not all(isinstance(s, list) and len(s) == 2 for s in spans):
        raise NeurosimError(f"block {i}: neurons must be a list of [start, stop] ranges",
                            where=where, fix="compile the network again")
    bounds = [(_whole(a, "a range start", i, where), _whole(b, "a range stop", i, where))
              for a, b in spans]
    for start, stop in bounds:
        if not 0 <= start < stop:
            raise NeurosimError(f"block {i}: neuron range {[start, stop]} is empty or negative",
                                where=where, fix="ranges are [start, stop) with start < stop")
    total = sum(stop - start for start, stop in bounds)
    if total > MAX_MAPPED_NEURONS:
        raise NeurosimError(f"block {i}: its ranges hold {total:,} neurons, more than any "
                            f"board ({MAX_MAPPED_NEURONS:,})", where=where,
                            fix="compile the network again")
    require_memory(8 * total, f"block {i}'s {total:,} neurons", where=where,
                   fix="compile the network again")
    parts = [np.arange(start, stop, dtype=np.int64) for start, stop in bounds]
    neurons = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if len(neurons) > 1 and np.any(np.diff(neurons) <= 0):
        raise NeurosimError(f"block {i}: neuron ranges overlap or are out of order", where=where,
                            fix="list each block's ranges ascending and disjoint")
    usage = rec.get("usage") or {}
    if not isinstance(usage, dict):
        raise NeurosimError(f"block {i}: usage is {type(usage).__name__}, expected a mapping",
                            where=where, fix="write usage as {limit: count}, or leave it out")
    usage = {str(k): _whole(v, f"usage {k!r}", i, where) for k, v in usage.items()}
    label = rec.get("label", "")
    if not isinstance(label, str | int | float):
        raise NeurosimError(f"block {i}: label is {type(label).__name__}, expected text",
                            where=where, fix="write the label as a string, or leave it out")
    population = rec["population"]
    if not isinstance(population, str):
        raise NeurosimError(f"block {i}: population is {population!r}, expected a name",
                            where=where, fix="compile the network again")
    group = _whole(rec.get("group", 0), "group", i, where)
    return Block(population=population, neurons=neurons,
                 core=_whole(rec["core"], "core", i, where), label=str(label), usage=usage,
                 group=group)


def check_hardware(mapping: CoreMapping, hw: Hardware, where: str = "mapping",
                   data: dict | None = None) -> None:
    """The mapping was compiled for this hardware layout, and its cores are on the board."""
    expected = layout_hash(hw)
    if mapping.fanin_groups and not hw.chip.core.fanin_split:
        names = ", ".join(sorted(mapping.fanin_groups))
        raise NeurosimError(f"the mapping splits the fan-in of {names}, but {hw.name!r} does not "
                            f"split fan-in (core.fanin_split is false)", where=where,
                            fix="compile again for this hardware, or --set core.fanin_split=true")
    if not mapping.hardware_match(hw):
        raise NeurosimError(
            f"the mapping was compiled for hardware {mapping.hardware_name!r} (layout hash "
            f"{mapping.layout_hash}), but {hw.name!r} as given has layout hash {expected}: "
            f"its geometry or core limits differ", where=where,
            fix="compile again for this hardware (neurosim compile SNN --hw ... --out FILE)")
    records = (data or {}).get("blocks") or [{}] * len(mapping.blocks)
    for i, (block, rec) in enumerate(zip(mapping.blocks, records)):
        if not 0 <= block.core < hw.total_cores:
            raise NeurosimError(f"block {i} is on core {block.core}, the board has cores "
                                f"0-{hw.total_cores - 1}", where=where,
                                fix="compile again for this hardware")
        loc = core_location(hw, block.core)
        stated = {k: rec.get(k) for k in ("chip", "tile", "slot") if k in rec}
        actual = {"chip": [loc.chip_x, loc.chip_y], "tile": [loc.tile_x, loc.tile_y],
                  "slot": loc.slot}
        for key, value in stated.items():
            if plain(value) != actual[key]:
                raise NeurosimError(f"block {i}: core {block.core} is {key} {actual[key]}, the file "
                                    f"says {value}", where=where,
                                    fix="change the core and its chip, tile and slot together (or leave those out)")


def check_snn(mapping: CoreMapping, snn: SNN, where: str = "mapping") -> None:
    """Every neuron of ``snn`` is in exactly one block."""
    if mapping.snn_name != snn.name:
        raise NeurosimError(f"the mapping is for network {mapping.snn_name!r}, not {snn.name!r}",
                            where=where, fix="compile this network (neurosim compile SNN ...)")
    placed = np.zeros(snn.n_neurons, dtype=np.int64)
    for i, block in enumerate(mapping.blocks):
        try:
            pop = snn.population(block.population)
        except KeyError:
            raise NeurosimError(f"block {i} names population {block.population!r}, which the "
                                f"network does not have", where=where,
                                fix="compile this network again") from None
        if len(block.neurons) and block.neurons[-1] >= pop.size:
            raise NeurosimError(f"block {i} holds neuron {int(block.neurons[-1])} of "
                                f"{block.population!r}, which has {pop.size}", where=where,
                                fix="compile this network again")
        if block.group:
            cuts = mapping.fanin_groups.get(block.population)
            if cuts is None or block.group > len(cuts):
                raise NeurosimError(f"block {i} is a partial block of source group {block.group} "
                                    f"of {block.population!r}, whose fan-in the mapping does not "
                                    f"split into that many groups", where=where,
                                    fix="compile this network again")
            continue
        np.add.at(placed, snn.first_neuron(pop.name) + block.neurons, 1)
    check_compartments(mapping, snn, where)
    for count, what in ((0, "no block"), (2, "several blocks")):
        bad = np.flatnonzero(placed == 0) if count == 0 else np.flatnonzero(placed > 1)
        if len(bad):
            pop = next(p for p in reversed(snn.populations) if snn.first_neuron(p.name) <= bad[0])
            raise NeurosimError(f"{len(bad):,} neurons are in {what}, the first neuron "
                                f"{int(bad[0] - snn.first_neuron(pop.name))} of {pop.name!r}",
                                where=where, fix="every neuron must be in exactly one block")


def check_limits(mapping: CoreMapping, snn: SNN, hw: Hardware, where: str = "mapping") -> None:
    """No core of the mapping exceeds a limit of ``hw``."""
    from neurosim.compiler import mapping_usage
    from neurosim.compiler.usage import LIMIT_LABELS

    cores, usage = mapping_usage(snn, hw, mapping)
    problems = usage.violations(hw.chip.core)
    if problems:
        unit, limit, used, cap = problems[0]
        raise NeurosimError(f"core {int(cores[unit])} needs {used:,} {LIMIT_LABELS[limit]}, the "
                            f"core has {cap:,} ({len(problems)} limit(s) exceeded in all)",
                            where=where, fix="compile again instead of editing blocks by hand")


def check_compartments(mapping: CoreMapping, snn: SNN, where: str = "mapping") -> None:
    """Every synapse of a split population has its partial compartment, and only one."""
    from neurosim.compiler.fanin import compartments, synapse_cores

    names = {p.name for p in snn.populations}
    for name in mapping.fanin_groups:
        if name not in names:
            raise NeurosimError(f"the mapping splits the fan-in of {name!r}, which the network "
                                f"does not have", where=where, fix="compile this network again")
    neuron, group, _ = compartments(snn, mapping)
    keys = group * snn.n_neurons + neuron
    if len(np.unique(keys)) != len(keys):
        raise NeurosimError("a neuron has two partial compartments of one source group",
                            where=where, fix="compile this network again")
    for proj, _, tgt, core in synapse_cores(snn, mapping):
        if proj.target in mapping.fanin_groups and (core < 0).any():
            n = int(tgt[np.argmax(core < 0)] - snn.first_neuron(proj.target))
            raise NeurosimError(f"neuron {n} of {proj.target!r} has inputs from a source group "
                                f"without a partial compartment", where=where,
                                fix="compile this network again")
