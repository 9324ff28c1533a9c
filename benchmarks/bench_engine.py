"""Event-engine speed: synaptic events and packets per wall second, bytes per synapse.

Workloads (issue 7):

``mlp``   a rate-coded dense MLP 1024-2048-2048-1024-10, T = 100 steps per image;
``conv``  a rate-coded convolutional network 3×32×32 → conv16 → conv32 → conv16/2 → 10
          (56,330 neurons, 6.1 M synapses), with two mappings: ``spatial`` (each core
          holds all channels of a patch of rows, as a compiler would place a conv layer)
          and ``channel`` (each core holds one channel map: ~9 synapses per packet, a
          packet-heavy case);
``fs``    the conv net with the FS code (few spikes, K = 8), spatial mapping, streaming
          ``--fs-images`` images: a pipeline whose layers spend many steps outside their
          window.

Each also runs on the mapping of neurosim's compiler (``neurosim.compiler.compile``, core
limits respected, placed for the functional spike counts) when this build has it.

Weights are random (the speed does not depend on accuracy); contention is always
modelled. numba compiles once, in a warm-up run on a tiny network, before any timing.
Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_engine.py            # all workloads
    PYTHONPATH=. python benchmarks/bench_engine.py mlp --images 2
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np

from neurosim.ann.layers import Activation, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.compiler import compile_network as compile_snn
from neurosim.compiler.mapping import Block, CoreMapping, layout_hash
from neurosim.engine import build_tables, simulate_hardware
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.snn.convert import convert
from neurosim.snn.functional import simulate
from neurosim.snn.network import SNN


def loihi() -> Hardware:
    """The shipped Loihi model if the loader is there, else the tests' copy of its numbers."""
    return load_hardware("loihi")


def _mapping(snn: SNN, hw: Hardware, groups: list[tuple[str, np.ndarray]]) -> CoreMapping:
    blocks = tuple(Block(name, neurons, core) for core, (name, neurons) in enumerate(groups))
    return CoreMapping(snn.name, hw.name, layout_hash(hw), blocks, placer="benchmark")


def sequential_mapping(snn: SNN, hw: Hardware) -> CoreMapping:
    """Contiguous ranges of ``core.neurons`` (channel-major for maps), a new core per population."""
    size = hw.chip.core.neurons
    return _mapping(snn, hw, [(p.name, np.arange(s, min(s + size, p.size)))
                              for p in snn.populations for s in range(0, p.size, size)])


def spatial_mapping(snn: SNN, hw: Hardware) -> CoreMapping:
    """Maps split by rows: each core holds every channel of a band of rows."""
    size = hw.chip.core.neurons
    groups = []
    for pop in snn.populations:
        if len(pop.shape) != 3:
            groups += [(pop.name, np.arange(s, min(s + size, pop.size)))
                       for s in range(0, pop.size, size)]
            continue
        c, h, w = pop.shape
        rows = max(1, size // (c * w))
        index = np.arange(pop.size).reshape(c, h, w)
        groups += [(pop.name, np.sort(index[:, r:r + rows].ravel())) for r in range(0, h, rows)]
    return _mapping(snn, hw, groups)


def _w(rng: np.random.Generator, *shape: int, gain: float = 1.6) -> np.ndarray:
    return rng.normal(size=shape) * gain / np.sqrt(int(np.prod(shape[1:])))


def mlp_snn(T: int) -> SNN:
    rng = np.random.default_rng(0)
    sizes = [1024, 2048, 2048, 1024, 10]
    layers: list = [Input("in", (1024,))]
    last = "in"
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(f"d{i}", (last,), _w(rng, n_out, n_in), rng.normal(size=n_out) * 0.05))
        last = f"d{i}"
        if i < len(sizes) - 2:
            layers.append(Activation(f"a{i}", (last,), "relu"))
            last = f"a{i}"
    model = Model("bench-mlp", tuple(layers))
    return convert(model, Rate(T=T), rng.uniform(0, 1, size=(32, 1024)))


def conv_layers(rng: np.random.Generator) -> tuple:
    """The benchmark conv net 3×32×32 → conv16 → conv32 → conv16/2 → 10, random weights."""
    return (
        Input("in", (3, 32, 32)),
        Conv2d("c1", ("in",), _w(rng, 16, 3, 3, 3), np.zeros(16), 1, 1),
        Activation("a1", ("c1",), "relu"),
        Conv2d("c2", ("a1",), _w(rng, 32, 16, 3, 3), np.zeros(32), 1, 1),
        Activation("a2", ("c2",), "relu"),
        Conv2d("c3", ("a2",), _w(rng, 16, 32, 3, 3), np.zeros(16), 2, 1),
        Activation("a3", ("c3",), "relu"),
        Flatten("f", ("a3",)),
        Dense("out", ("f",), _w(rng, 10, 16 * 16 * 16), np.zeros(10)),
    )


def conv_snn(T: int) -> SNN:
    rng = np.random.default_rng(1)
    model = Model("bench-conv", conv_layers(rng))
    return convert(model, Rate(T=T), rng.uniform(0, 1, size=(8, 3, 32, 32)))


def fs_cnn_snn(K: int) -> SNN:
    """The conv net of :func:`conv_snn` (same weights) with the FS code."""
    rng = np.random.default_rng(1)
    model = Model("bench-fs-cnn", conv_layers(rng))
    return convert(model, FS(K=K), rng.uniform(0, 1, size=(8, 3, 32, 32)))


def compiled_mapping(snn: SNN, hw: Hardware, images: np.ndarray) -> CoreMapping:
    """neurosim's compiler on the functional spike counts."""
    return compile_snn(snn, hw, simulate(snn, images).mean_spike_counts())


def warm_up(hw: Hardware) -> float:
    """Compile the engine (and the table builder) on a tiny network; returns seconds."""
    rng = np.random.default_rng(2)
    model = Model("warm-up", (Input("in", (4,)), Dense("d", ("in",), rng.normal(size=(3, 4)),
                                                      np.zeros(3))))
    snn = convert(model, Rate(T=2), rng.uniform(0, 1, size=(4, 4)))
    start = time.perf_counter()
    simulate_hardware(snn, sequential_mapping(snn, hw), hw, rng.uniform(0, 1, size=(2, 4)))
    return time.perf_counter() - start


def bench(label: str, snn: SNN, mapping: CoreMapping, hw: Hardware, images: np.ndarray,
          repeats: int) -> dict[str, float]:
    start = time.perf_counter()
    tables = build_tables(snn, mapping, hw)
    build_s = time.perf_counter() - start
    best = best_cpu = np.inf
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run = simulate_hardware(snn, mapping, hw, images, tables=tables,
                                images_per_stream=len(images))
        best = min(best, time.perf_counter() - start)
        # The process's own CPU time: on a machine shared with other jobs, wall time also
        # counts the time the scheduler gave the core to others.
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    totals = run.totals()
    hops = totals["hops_ew"] + totals["hops_ns"] + totals["hops_interchip"]
    result = {
        "neurons": snn.n_neurons, "synapses": tables.explicit_synapses,
        "cores": run.cores_used, "steps": run.steps, "spikes": totals["spikes"],
        "synaptic_events": totals["synaptic_events"], "packets": totals["packets_out"],
        "hops": hops, "wall_s": best, "cpu_s": best_cpu, "build_s": build_s,
        "syn_events_per_s": totals["synaptic_events"] / best,
        "packets_per_s": totals["packets_out"] / best,
        "bytes_per_synapse": tables.bytes_per_synapse(),
        "link_wait_s": float(run.link_wait_s.sum()),
        "simulated_s": run.time_s,
    }
    print(f"{label}: {result['neurons']:,} neurons, {result['synapses']:,} synapses on "
          f"{result['cores']} cores; {result['steps']} steps, {result['spikes']:,} spikes, "
          f"{result['synaptic_events']:,} synaptic events, {result['packets']:,} packets, "
          f"{result['hops']:,} hops")
    print(f"    wall {best:.3f} s (best of {repeats}; tables built in {build_s:.2f} s) -> "
          f"{result['syn_events_per_s'] / 1e6:.1f} M synaptic events/s, "
          f"{result['packets_per_s'] / 1e6:.2f} M packets/s; "
          f"{result['bytes_per_synapse']:.2f} bytes per explicit synapse; "
          f"packets waited {result['link_wait_s'] * 1e9:.1f} ns in all for links; "
          f"simulated {result['simulated_s'] * 1e3:.3f} ms")
    print(f"    cpu {best_cpu:.3f} s (best of {repeats}) -> "
          f"{totals['synaptic_events'] / best_cpu / 1e6:.1f} M synaptic events/s, "
          f"{totals['packets_out'] / best_cpu / 1e6:.2f} M packets/s, "
          f"{best_cpu / max(totals['packets_out'], 1) * 1e9:.0f} ns per packet in all")
    return result


def export_mlp(snn: SNN, image: np.ndarray, result: dict[str, float], path: str) -> None:
    """The integer MLP, one image's input drive and neurosim's figures, for bench_sanafe.py."""
    arrays: dict[str, np.ndarray] = {"input_drive": snn.encode(image[None])[0],
                                     "steps": np.array(result["steps"]),
                                     "neurosim_spikes": np.array(result["spikes"]),
                                     "neurosim_syn_events": np.array(result["synaptic_events"])}
    for i, pop in enumerate(snn.populations):
        arrays[f"threshold_{i}"] = np.array(pop.threshold[0])
        arrays[f"bias_{i}"] = np.asarray(pop.bias)
    for i, proj in enumerate(snn.projections):
        arrays[f"weight_{i}"] = np.asarray(proj.weight) * snn.population(proj.source).out_weight[0]
    np.savez(path, **arrays)
    print(f"    exported the MLP to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", choices=("mlp", "conv", "fs", "all"), default="all")
    parser.add_argument("--images", type=int, default=1, help="images per run (default 1)")
    parser.add_argument("--mlp-steps", type=int, default=100, help="T of the MLP (default 100)")
    parser.add_argument("--conv-steps", type=int, default=32, help="T of the conv net (default 32)")
    parser.add_argument("--fs-images", type=int, default=4, help="images of the FS CNN (default 4)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--export-mlp", metavar="NPZ",
                        help="also write the MLP's integer network and input for bench_sanafe.py")
    args = parser.parse_args(argv)
    hw = loihi()
    print(f"hardware: {hw.name}; numba warm-up {warm_up(hw):.1f} s (not timed below)")
    rng = np.random.default_rng(3)
    if args.workload in ("mlp", "all"):
        snn = mlp_snn(args.mlp_steps)
        images = rng.uniform(0, 1, size=(args.images, 1024))
        label = f"MLP 1024-2048-2048-1024-10, rate T={args.mlp_steps}"
        result = bench(f"{label}, 1024 neurons per core", snn, sequential_mapping(snn, hw), hw,
                       images, args.repeats)
        if args.export_mlp:
            export_mlp(snn, images[0], result, args.export_mlp)
        bench(f"{label}, compiled mapping", snn, compiled_mapping(snn, hw, images), hw, images,
              args.repeats)
    if args.workload in ("conv", "all"):
        snn = conv_snn(args.conv_steps)
        images = rng.uniform(0, 1, size=(args.images, 3, 32, 32))
        label = f"conv net, rate T={args.conv_steps}"
        bench(f"{label}, spatial mapping", snn, spatial_mapping(snn, hw), hw, images,
              args.repeats)
        bench(f"{label}, channel mapping", snn, sequential_mapping(snn, hw), hw, images,
              args.repeats)
        bench(f"{label}, compiled mapping", snn, compiled_mapping(snn, hw, images), hw, images,
              args.repeats)
    if args.workload in ("fs", "all"):
        snn = fs_cnn_snn(8)
        images = rng.uniform(0, 1, size=(args.fs_images, 3, 32, 32))
        bench(f"FS CNN, K=8, {args.fs_images} images, spatial mapping", snn,
              spatial_mapping(snn, hw), hw, images, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
