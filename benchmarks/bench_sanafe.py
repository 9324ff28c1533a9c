"""neurosim and SANA-FE side by side on the same networks, step by step.

SANA-FE (Boyle et al., IEEE TCAD 2025; GPL, https://github.com/SLAM-Lab/SANA-FE) is only
*run* here, as an external program in its own venv (``benchmarks/sanafe_peer.py``, which
imports nothing of neurosim); none of its code is part of neurosim::

    python3 -m venv /work/venv-sanafe && /work/venv-sanafe/bin/pip install sanafe==2.2.9 numpy
    flock /tmp/bigmem.lock env PYTHONPATH=. python benchmarks/bench_sanafe.py all \\
        --sanafe-python /work/venv-sanafe/bin/python

What is built identically in both tools:

* the chip: SANA-FE's own ``loihi.yaml``, imported with ``neurosim hw import-sanafe``,
  which carries SANA-FE's rules as chip keys (``core.active_update: nonzero``,
  ``core.service: overlapped``, ``core.threshold_compare: gt``,
  ``sync.barrier_lookup: step``, ``noc.congestion: inflight`` with its
  ``link_buffer_size`` as ``noc.buffer_depth``);
* the networks: integer rate-coded IF networks converted by neurosim (the MLP
  1024-2048-2048-1024-10 of bench_engine.py, and a conv net 2×32×32 → 16 3×3 → 32 3×3
  stride 2 → 10), one image, with one change so both tools mean the same thing:
  hidden and output biases are zero (SANA-FE has no windows, so a bias would also act
  before a layer's window opens). Thresholds are the converted ones in both tools: the
  chip key makes neurosim fire on ``v > θ`` as SANA-FE does, and both subtract ``θ``;
* the synapses: every non-zero weight, listed explicitly (SANA-FE counts a zero weight as
  a synapse; neurosim does not store it), each layer's on the SANA-FE synapse unit of the
  kind neurosim's compiler gives its projection (:mod:`neurosim.compiler.synapse_kinds`):
  convolutions on the ``conv`` unit, the dense layers on the ``dense`` unit (SANA-FE takes
  a connection's unit from its target group); the imported chip has the costs of all three;
* the mapping: 1024 neurons per core in order, a new core per layer, cores numbered by
  neurosim and translated to SANA-FE's column-by-column tile numbering.

Both run the image's input window (T steps); neurosim then runs L − 1 more steps for the
deeper layers' windows, which SANA-FE does not run, so the comparison covers SANA-FE's
T steps and neurosim's first T. Per step: spikes (the same neurons), updates charged as
active, packets, hops, synaptic events, energy and time. Wall clock: neurosim's engine
(warm) and SANA-FE's ``sim`` call (detailed timing, one thread), timed in alternation.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from neurosim.ann.layers import Activation, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model
from neurosim.coding.rate import Rate
from neurosim.compiler.mapping import Block, CoreMapping, layout_hash
from neurosim.compiler.synapse_kinds import synapse_kind_name
from neurosim.energy.model import dynamic_energy_j
from neurosim.engine import build_tables, simulate_hardware
from neurosim.hardware.model import Hardware
from neurosim.hardware.sanafe import import_sanafe_file, sanafe_core
from neurosim.pipeline import for_chip
from neurosim.snn.convert import convert
from neurosim.snn.network import SNN

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import mlp_snn


def conv_snn(T: int) -> SNN:
    """2×32×32 → 16 3×3 → 32 3×3 stride 2 → 10 (rate code, integer)."""
    rng = np.random.default_rng(2)

    def w(*shape: int) -> np.ndarray:
        return rng.normal(size=shape) * 1.6 / np.sqrt(int(np.prod(shape[1:])))

    layers = [
        Input("in", (2, 32, 32)),
        Conv2d("c1", ("in",), w(16, 2, 3, 3), np.zeros(16), 1, 0),
        Activation("a1", ("c1",), "relu"),
        Conv2d("c2", ("a1",), w(32, 16, 3, 3), np.zeros(32), 2, 0),
        Activation("a2", ("c2",), "relu"),
        Flatten("f", ("a2",)),
        Dense("out", ("f",), w(10, 32 * 14 * 14), np.zeros(10)),
    ]
    return convert(Model("bench-conv-sanafe", tuple(layers)), Rate(T=T),
                   rng.uniform(0, 1, size=(8, 2, 32, 32)))


def comparable(snn: SNN, hw: Hardware) -> SNN:
    """The network both tools run: no hidden/output biases, firing by the chip's rule."""
    pops = []
    for pop in snn.populations:
        bias = pop.bias if pop.role == "input" else np.zeros_like(pop.bias)
        pops.append(replace(pop, bias=bias))
    return for_chip(replace(snn, populations=tuple(pops), name=snn.name + "-sanafe"), hw)


def mapping_for(snn: SNN, hw: Hardware) -> CoreMapping:
    size = hw.chip.core.neurons
    blocks, core = [], 0
    for pop in snn.populations:
        for start in range(0, pop.size, size):
            blocks.append(Block(pop.name, np.arange(start, min(start + size, pop.size)), core))
            core += 1
    return CoreMapping(snn.name, hw.name, layout_hash(hw), tuple(blocks), placer="benchmark")


def synapse_list(snn: SNN, proj) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, weight · d) of every non-zero synapse, a convolution expanded."""
    src = snn.population(proj.source)
    d = src.out_weight[0]
    if proj.kind == "dense":
        tgt, source = np.nonzero(proj.weight)
        return source, tgt, np.asarray(proj.weight)[tgt, source] * d
    c_in, h, w = src.shape
    kernel = np.asarray(proj.weight)
    c_out, _, kh, kw = kernel.shape
    (sy, sx), (py, px) = proj.stride, proj.padding
    oh, ow = (h + 2 * py - kh) // sy + 1, (w + 2 * px - kw) // sx + 1
    co, oy, ox, ci, ky, kx = np.meshgrid(np.arange(c_out), np.arange(oh), np.arange(ow),
                                         np.arange(c_in), np.arange(kh), np.arange(kw),
                                         indexing="ij")
    iy, ix = oy * sy + ky - py, ox * sx + kx - px
    weight = kernel[co, ci, ky, kx]
    keep = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w) & (weight != 0)
    source = (ci * h + iy) * w + ix
    target = (co * oh + oy) * ow + ox
    return source[keep], target[keep], weight[keep] * d


def synapse_units(arch: str) -> dict[str, str]:
    """The first synapse unit of each kind (by its name: dense, sparse, conv) in a SANA-FE
    architecture file."""
    import yaml

    found: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "synapse" and isinstance(value, list):
                    for unit in value:
                        name = str(unit.get("name", ""))
                        for kind in ("dense", "sparse", "conv"):
                            if kind in name:
                                found.setdefault(kind, name)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load(Path(arch).read_text()))
    return found


def peer_input(snn: SNN, hw: Hardware, mapping: CoreMapping, image: np.ndarray, arch: str,
               rounds: int, path: Path) -> None:
    chip = hw.chip
    units = synapse_units(arch)
    order = {p.name: i for i, p in enumerate(snn.populations)}
    arrays: dict[str, np.ndarray] = {"n_groups": np.array(len(snn.populations)),
                                     "steps": np.array(snn.window), "rounds": np.array(rounds),
                                     "arch": np.array(arch)}
    core_of = {p.name: np.zeros(p.size, np.int64) for p in snn.populations}
    for block in mapping.blocks:
        core_of[block.population][block.neurons] = sanafe_core(
            block.core, chip.mesh_x, chip.mesh_y, chip.cores_per_tile)
    encoded = snn.encode(image[None])[0]
    for g, pop in enumerate(snn.populations):
        arrays[f"size_{g}"] = np.array(pop.size)
        arrays[f"threshold_{g}"] = np.array(int(pop.threshold[0]))
        arrays[f"bias_{g}"] = encoded if pop.role == "input" else np.asarray(pop.bias)
        arrays[f"output_{g}"] = np.array(not pop.spiking)
        kinds = {synapse_kind_name(q, chip.core) for q in snn.incoming(pop.name)} or {"dense"}
        if len(kinds) > 1:
            raise ValueError(f"{pop.name}: projections of several synapse kinds {kinds} in; "
                             "SANA-FE gives a group one synapse unit")
        arrays[f"synapse_{g}"] = np.array(units[kinds.pop()])
        arrays[f"core_{g}"] = core_of[pop.name]
    for e, proj in enumerate(snn.projections):
        src, dst, weight = synapse_list(snn, proj)
        arrays[f"edge_src_{e}"] = np.array(order[proj.source])
        arrays[f"edge_dst_{e}"] = np.array(order[proj.target])
        arrays[f"edge_pairs_{e}"] = np.stack([src, dst], axis=1)
        arrays[f"edge_w_{e}"] = weight
    arrays["n_edges"] = np.array(len(snn.projections))
    np.savez(path, **arrays)


def neurosim_per_step(snn: SNN, hw: Hardware, mapping: CoreMapping, image: np.ndarray,
                      steps: int) -> tuple[dict[str, np.ndarray], set, float]:
    """Per-step figures of neurosim's engine over the first ``steps`` steps."""
    tables = build_tables(snn, mapping, hw)
    run = simulate_hardware(snn, mapping, hw, image[None], record_spikes=True, record_steps=True,
                            tables=tables)
    stream = run.streams[0]
    t_spike, n_spike = stream.spikes[:, 0], stream.spikes[:, 1]
    keep = t_spike < steps
    t_spike, n_spike = t_spike[keep], n_spike[keep]

    def per_step(values: np.ndarray) -> np.ndarray:
        return np.bincount(t_spike, weights=values, minlength=steps)[:steps]

    deliveries = np.diff(tables.dest_ptr)[n_spike].astype(float)
    hops = tables.src_hops[n_spike].astype(float)
    out = {
        "fired": per_step(np.ones(len(n_spike))),
        "updated": stream.step_updates[:steps, 0].astype(float),
        "packets": per_step(deliveries),
        "hops": per_step(hops[:, 0] + hops[:, 1]),
        "spikes": per_step(tables.src_synapses[n_spike].astype(float)),
        "sim_time": np.diff(np.concatenate([[0.0], stream.step_end_s]))[:steps],
    }
    # Dynamic energy of each step from the cores' counts (synapses by kind at their cost).
    by_category = dynamic_energy_j(stream.step_counts[:steps].sum(axis=1), hw)
    out["total_energy"] = sum(by_category.values())
    firsts = {p.name: snn.first_neuron(p.name) for p in snn.populations}
    starts = np.array(sorted(firsts.values()))
    group = np.searchsorted(starts, n_spike, side="right") - 1
    spikes = set(zip(t_spike.tolist(), group.tolist(), (n_spike - starts[group]).tolist()))
    start = time.perf_counter()
    simulate_hardware(snn, mapping, hw, image[None], tables=tables)
    return out, spikes, time.perf_counter() - start


def wall_neurosim(snn: SNN, hw: Hardware, mapping: CoreMapping, image: np.ndarray,
                  rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``rounds`` warm engine runs.

    The process's own CPU time is kept beside the wall time: on a machine shared with
    other jobs, wall time also counts the time the scheduler gave the core to others.
    """
    tables = build_tables(snn, mapping, hw)
    walls, cpus = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        simulate_hardware(snn, mapping, hw, image[None], tables=tables)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return walls, cpus


KEYS = ("fired", "updated", "packets", "hops", "spikes", "total_energy", "sim_time")


def compare(name: str, snn: SNN, hw: Hardware, arch: str, python: str, rounds: int,
            workdir: Path) -> dict:
    mapping = mapping_for(snn, hw)
    image = np.random.default_rng(5).uniform(0, 1, size=snn.input.shape)
    steps = snn.window
    ours, our_spikes, _ = neurosim_per_step(snn, hw, mapping, image, steps)
    source, result = workdir / f"{name}-in.npz", workdir / f"{name}-out.npz"
    peer_input(snn, hw, mapping, image, arch, rounds, source)
    walls_a, cpus_a = wall_neurosim(snn, hw, mapping, image, rounds)
    subprocess.run([python, str(Path(__file__).with_name("sanafe_peer.py")), str(source),
                    str(result)], check=True)
    walls_b, cpus_b = wall_neurosim(snn, hw, mapping, image, rounds)
    peer = dict(np.load(result))
    theirs_spikes = set(zip(peer["spike_step"].tolist(), peer["spike_group"].tolist(),
                            peer["spike_offset"].tolist()))
    rows = {}
    for key in KEYS:
        a, b = ours[key].astype(float), peer[key][:steps].astype(float)
        rel = np.divide(a - b, b, out=np.zeros_like(a), where=b != 0)
        rows[key] = {"neurosim": float(a.sum()), "sanafe": float(b.sum()),
                     "total_rel": float((a.sum() - b.sum()) / b.sum()) if b.sum() else 0.0,
                     "steps_equal": int(np.sum(a == b)),
                     "steps_within_1pct": int(np.sum(np.abs(rel) <= 0.01)),
                     "steps_within_5pct": int(np.sum(np.abs(rel) <= 0.05)),
                     "worst_rel": float(np.abs(rel).max()),
                     "per_step": [a.tolist(), b.tolist()]}
    by_step_equal = sum(
        {(t, g, o) for (t, g, o) in our_spikes if t == s} == {x for x in theirs_spikes if x[0] == s}
        for s in range(steps))
    ours_wall = float(np.median(walls_a + walls_b))
    theirs_wall = float(np.median(peer["wall_s"]))
    ours_cpu = float(np.median(cpus_a + cpus_b))
    theirs_cpu = float(np.median(peer["cpu_s"]))
    return {"network": name, "steps": steps, "neurons": snn.n_neurons,
            "synapses": int(sum(len(synapse_list(snn, p)[0]) for p in snn.projections)),
            "spikes_identical_steps": by_step_equal, "spikes_identical": our_spikes == theirs_spikes,
            "rows": rows, "wall_neurosim_s": ours_wall, "wall_neurosim_runs": walls_a + walls_b,
            "wall_sanafe_s": theirs_wall, "wall_sanafe_runs": peer["wall_s"].tolist(),
            "speedup": theirs_wall / ours_wall,
            "cpu_neurosim_s": ours_cpu, "cpu_sanafe_s": theirs_cpu,
            "speedup_cpu": theirs_cpu / ours_cpu}


def show(report: dict) -> None:
    print(f"{report['network']}: {report['neurons']:,} neurons, {report['synapses']:,} synapses, "
          f"{report['steps']} steps; spikes identical at {report['spikes_identical_steps']}/"
          f"{report['steps']} steps")
    print(f"  {'':14}{'neurosim':>14}{'SANA-FE':>14}{'total':>9}{'=steps':>8}{'≤1%':>6}{'≤5%':>6}")
    for key, row in report["rows"].items():
        print(f"  {key:14}{row['neurosim']:>14.6g}{row['sanafe']:>14.6g}"
              f"{100 * row['total_rel']:>8.3f}%{row['steps_equal']:>8}"
              f"{row['steps_within_1pct']:>6}{row['steps_within_5pct']:>6}")
    print(f"  wall clock: neurosim {report['wall_neurosim_s']:.3f} s, SANA-FE "
          f"{report['wall_sanafe_s']:.3f} s (medians) -> {report['speedup']:.1f}x")
    print(f"  cpu time (the process's own): neurosim {report['cpu_neurosim_s']:.3f} s, SANA-FE "
          f"{report['cpu_sanafe_s']:.3f} s (medians) -> {report['speedup_cpu']:.1f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload", nargs="?", choices=("mlp", "conv", "all"), default="all")
    parser.add_argument("--sanafe-python", default="/work/venv-sanafe/bin/python")
    parser.add_argument("--steps", type=int, default=64, help="T, the rate code's window")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs per tool and turn")
    parser.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    parser.add_argument("--arch", help="SANA-FE architecture file (default: its loihi.yaml)")
    args = parser.parse_args(argv)
    arch = args.arch
    if arch is None:
        where = subprocess.run([args.sanafe_python, "-c", "import sanafe; print(sanafe.__path__[0])"],
                               check=True, capture_output=True, text=True).stdout.strip()
        arch = f"{where}/examples/loihi.yaml"
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hw = import_sanafe_file(arch, work / "loihi-sanafe.yaml", evidence="C").hardware
        builders = {"mlp": lambda: mlp_snn(args.steps), "conv": lambda: conv_snn(args.steps)}
        for name in (("mlp", "conv") if args.workload == "all" else (args.workload,)):
            snn = comparable(builders[name](), hw)
            report = compare(name, snn, hw, arch, args.sanafe_python, args.rounds, work)
            show(report)
            reports.append(report)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
