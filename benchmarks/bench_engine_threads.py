"""The engine on both cores: image streams on one thread against several (issue 16).

    PYTHONPATH=. python benchmarks/bench_engine_threads.py                 # the 1.38 M-neuron CNN
    PYTHONPATH=. python benchmarks/bench_engine_threads.py --net conv      # quicker: 56k neurons

Workloads: ``cnn`` — the synthetic CNN at CIFAR shape of issue 16 (:mod:`scale_cnn`:
1,379,338 neurons, 631 M synapses), FS K = 10, compiled onto ``loihi-pohoiki-springs``
with a uniform spike estimate; ``conv`` — ``bench_engine.py``'s conv net (56,330 neurons),
rate T = 32, onto ``loihi``. Each run streams ``--streams × --per-stream`` uniform random
images through :func:`neurosim.engine.simulate_hardware`, with ``n_threads = 1`` and
``n_threads = --threads`` alternated ``--rounds`` times after a warm-up; the table gives
the median wall time of each, the speed-up, and synaptic events and packets per wall
second. Both must give the same run (counts, times, outputs: checked). The mapping is
compiled once and kept in ``--cache`` (compiling the CNN takes minutes).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from machine import machine

from neurosim.engine import build_tables, simulate_hardware
from neurosim.engine.run import HardwareRun
from neurosim.hardware import load_hardware
from neurosim.snn.io import load_snn, save_snn


def _workload(net: str, cache: Path):  # -> (SNN, Hardware, CoreMapping)
    from neurosim.compiler import compile_network
    from neurosim.compiler.io import load_mapping, save_mapping

    hw = load_hardware("loihi-pohoiki-springs" if net == "cnn" else "loihi")
    snn_path, map_path = cache / f"{net}-snn.npz", cache / f"{net}-mapping.yaml"
    if snn_path.exists() and map_path.exists():
        snn = load_snn(snn_path)
        return snn, hw, load_mapping(map_path, snn, hw)
    if net == "cnn":
        from scale_cnn import random_inputs, scale_cnn

        from neurosim.coding.fs import FS
        from neurosim.snn.convert import convert
        snn = convert(scale_cnn(), FS(K=10), random_inputs(16, 7))
    else:
        from bench_engine import conv_snn
        snn = conv_snn(T=32)
    started = time.perf_counter()
    mapping = compile_network(snn, hw, None)
    print(f"# compiled {net} in {time.perf_counter() - started:.1f} s "
          f"({mapping.stats['cores_used']} cores)", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    save_snn(snn, snn_path)
    save_mapping(mapping, hw, map_path)
    return snn, hw, mapping


def _same(a: HardwareRun, b: HardwareRun) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f))
               for f in ("core_counts", "core_busy_s", "image_counts", "link_packets",
                         "link_wait_s", "outputs", "spike_counts", "readout_s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", choices=("cnn", "conv"), default="cnn")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--per-stream", type=int, default=2, help="images per stream")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/neurosim-bench-threads"))
    args = parser.parse_args()
    snn, hw, mapping = _workload(args.net, args.cache)
    tables = build_tables(snn, mapping, hw)
    n = args.streams * args.per_stream
    images = np.random.default_rng(3).uniform(0, 1, size=(n, *snn.input.shape))

    def run(threads: int) -> tuple[float, float, HardwareRun]:
        cpu, wall = time.process_time(), time.perf_counter()
        result = simulate_hardware(snn, mapping, hw, images, images_per_stream=args.per_stream,
                                   tables=tables, n_threads=threads)
        return time.perf_counter() - wall, time.process_time() - cpu, result

    simulate_hardware(snn, mapping, hw, images[:1], tables=tables)  # warm-up: numba cache
    walls: dict[int, list[float]] = {1: [], args.threads: []}
    cpus: dict[int, list[float]] = {1: [], args.threads: []}
    loads, reference = [], None
    for _ in range(args.rounds):
        for threads in walls:
            loads.append(Path("/proc/loadavg").read_text().split()[0])
            wall, cpu, result = run(threads)
            walls[threads].append(wall)
            cpus[threads].append(cpu)
            reference = reference or result
            assert _same(result, reference), "threads changed the run"
    totals = reference.totals()
    print(f"# {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load {' '.join(loads)}")
    print(f"# {args.net}: {snn.n_neurons:,} neurons, {mapping.stats['cores_used']} cores, "
          f"{args.streams} streams × {args.per_stream} images; "
          f"{totals['synaptic_events']:,} synaptic events, {totals['packets_out']:,} packets")
    print("| threads | wall s (runs) | CPU s | speed-up | M syn. events/s | M packets/s |")
    print("|---|---|---|---|---|---|")
    one = statistics.median(walls[1])
    for threads, runs in walls.items():
        wall = statistics.median(runs)
        print(f"| {threads} | {wall:.2f} ({', '.join(f'{r:.2f}' for r in runs)}) | "
              f"{statistics.median(cpus[threads]):.2f} | {one / wall:.2f}× | "
              f"{totals['synaptic_events'] / wall / 1e6:.1f} | "
              f"{totals['packets_out'] / wall / 1e6:.2f} |")


if __name__ == "__main__":
    main()
