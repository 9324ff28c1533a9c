"""Compiler benchmark: wall time per phase on a large network, and placement quality.

    PYTHONPATH=. python benchmarks/bench_compile.py            # both parts
    PYTHONPATH=. python benchmarks/bench_compile.py --part time
    PYTHONPATH=. python benchmarks/bench_compile.py --part quality

``time``: a synthetic convolutional network of about 118k neurons and 10M synapses
(3×32×32 input, five conv layers, two dense) onto a Loihi-like board of 8×4 chips
(128 cores of 1,024 neurons each), phase by phase, then one full ``compile`` call.

``quality``: expected packets × hops per image of the layer-ordered baseline and the
optimising placer on a digits-cnn network (the zoo model if present, else the same
architecture with random weights; spike counts from 100 digits images) with 1,024 and with
64 neurons per core, and on the synthetic network (uniform spike estimate) with 1,024 and
256 neurons per core.

The numba functions are compiled (or loaded from cache) before timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from machine import machine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hw_factory import make_hardware  # noqa: E402
from snn_factory import digits_images, synthetic_snn  # noqa: E402

from neurosim.compiler import compile_network, spike_estimate  # noqa: E402
from neurosim.compiler.io import save_mapping  # noqa: E402
from neurosim.compiler.partition import partition  # noqa: E402
from neurosim.compiler.place import layer_ordered, optimise  # noqa: E402
from neurosim.compiler.route import traffic_cost, traffic_matrix  # noqa: E402
from neurosim.hardware import load_hardware  # noqa: E402

LARGE = [("input", (3, 32, 32)), ("conv", 64, 3, 1, 1), ("conv", 32, 1, 1, 0),
         ("conv", 32, 3, 2, 1), ("conv", 64, 3, 2, 1), ("conv", 64, 3, 1, 1),
         ("dense", 256), ("dense", 10)]


def board(**overrides):
    """Loihi-like: 8×4 chips of 8×4 tiles × 4 cores; the shipped file if the loader exists."""
    return load_hardware("loihi", [f"{k}={v}" for k, v in overrides.items()])


def warm_up() -> None:
    snn = synthetic_snn([("input", (1, 6, 6)), ("conv", 2, 3, 1, 1), ("dense", 3)])
    compile_network(snn, make_hardware(**{"core.neurons": 8}))
    compile_network(snn, make_hardware(**{"core.neurons": 8, "core.multicast": True}))


def part_time() -> None:
    t = time.perf_counter()
    snn = synthetic_snn(LARGE, name="synthetic-118k")
    build = time.perf_counter() - t
    hw = board()
    print(f"network: {snn.n_neurons:,} neurons, {snn.synapse_count():,} synapses "
          f"(built in {build:.2f} s); board {hw.name}: {hw.total_chips} chips × "
          f"{hw.chip.cores} cores, {hw.chip.core.neurons} neurons/core, "
          f"weight sharing {hw.chip.core.weight_sharing}")
    spikes = spike_estimate(snn)
    phases = {}
    t = time.perf_counter()
    part = partition(snn, hw, spikes)
    phases["partition (blocks, exact limits, fan-out)"] = time.perf_counter() - t
    t = time.perf_counter()
    src, dst, packets = traffic_matrix(part.fanout, spikes, part.block_of_neuron, part.n_blocks)
    phases["traffic matrix"] = time.perf_counter() - t
    t = time.perf_counter()
    cores = optimise(hw, part.n_blocks, src, dst, packets, seed=0)
    phases["placement (greedy growth + annealing)"] = time.perf_counter() - t
    t = time.perf_counter()
    for c in (layer_ordered(part.n_blocks), cores):
        traffic_cost(hw, part.fanout.relabel(c), spikes, c[part.block_of_neuron])
    phases["costs of baseline and optimised"] = time.perf_counter() - t
    for name, s in phases.items():
        print(f"  {name:<44} {s:7.2f} s")
    t = time.perf_counter()
    mapping = compile_network(snn, hw, seed=0)
    total = time.perf_counter() - t
    t = time.perf_counter()
    save_mapping(mapping, hw, "/tmp/bench_compile_mapping.yaml")
    saved = time.perf_counter() - t
    st = mapping.stats
    print(f"  full compile_network(): {total:.2f} s; {st['cores_used']} cores on {st['chips_used']} chips; "
          f"YAML written in {saved:.2f} s")
    cost = st["cost"]
    print(f"  packets × hops per image: baseline {cost['baseline']['packets_hops']:,.0f}, "
          f"optimised {cost['optimised']['packets_hops']:,.0f} ({cost['improvement_pct']:.1f}% lower)")


def _digits_snn():
    from neurosim.ann.zoo import load_zoo_model
    from neurosim.coding.rate import Rate
    from neurosim.snn.convert import convert

    return convert(load_zoo_model("digits-cnn"), Rate(T=32), digits_images(200)), "zoo digits-cnn"


def part_quality() -> None:
    from neurosim.snn.functional import simulate

    snn, what = _digits_snn()
    counts = simulate(snn, digits_images(100)).mean_spike_counts()
    large = synthetic_snn(LARGE, name="synthetic-118k")
    rows = [
        (f"{what}, rate T={snn.window}", "1024", snn, counts, board()),
        (f"{what}, rate T={snn.window}", "64", snn, counts, board(**{"core.neurons": 64})),
        ("synthetic conv 118k neurons (uniform)", "1024", large, None, board()),
        ("synthetic conv 118k neurons (uniform)", "256", large, None, board(**{"core.neurons": 256})),
    ]
    print(f"{'network':<48} {'neurons/core':>12} {'cores':>6} {'chips':>5} {'baseline':>12} "
          f"{'optimised':>12} {'improvement':>11} {'time':>7}")
    for name, per_core, net, spikes, hw in rows:
        t = time.perf_counter()
        st = compile_network(net, hw, spikes, seed=0).stats
        elapsed = time.perf_counter() - t
        cost = st["cost"]
        print(f"{name:<48} {per_core:>12} {st['cores_used']:>6} {st['chips_used']:>5} "
              f"{cost['baseline']['packets_hops']:>12,.0f} {cost['optimised']['packets_hops']:>12,.0f} "
              f"{cost['improvement_pct']:>10.1f}% {elapsed:>6.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("time", "quality", "both"), default="both")
    args = parser.parse_args()
    print(f"machine: {machine()}; numpy {np.__version__}; {time.strftime('%Y-%m-%d')}")
    warm_up()
    if args.part in ("time", "both"):
        part_time()
    if args.part in ("quality", "both"):
        part_quality()


if __name__ == "__main__":
    main()
