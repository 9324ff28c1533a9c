"""Functional simulator at scale: images/s and peak memory, old path against new (issue 16).

    PYTHONPATH=. python benchmarks/bench_functional.py
    PYTHONPATH=. python benchmarks/bench_functional.py --nets cnn --repeats 1   # quicker

Workloads: the synthetic 1.4 M-neuron CNN at CIFAR shape of issue 16
(:mod:`scale_cnn`: 24 convolutions of 56 channels, 1,379,338 neurons, 631 M synapses;
seeded weights, BatchNorm calibrated on random inputs), and the synthetic zoo's
``resnet20-synthetic`` and ``resnet18-synthetic``; each converted to FS (K = 10) and rate
(T = 32, current input), integer mode (8-bit weights), on uniform random inputs.

* old: :func:`neurosim.snn.functional.simulate_numpy` — the simulator before this change
  (numpy in float64; a rate population keeps its spike train of the window and sparse
  inputs go through the projection's expanded synapse table);
* new: :func:`neurosim.snn.functional.simulate` — :mod:`neurosim.snn.integer_run` (numba
  kernels through the shared conv kernels, one thread per core over image chunks).

Every measurement runs in a fresh process (so its peak RSS, ``VmHWM``, is its own,
network included), after a warm-up image that loads the numba cache; old and new
alternate (old, new, old, new, …) and the table gives medians. Both paths must give
identical outputs and spike counts on the images they share (checked). The old rate path
on the CNN needs about 12 GB: its runs take the shared memory lock ``/tmp/bigmem.lock``
(``flock``) themselves, and run last.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from machine import machine

CODES = {"fs": {"K": 10}, "rate": {"T": 32}}
# Images per timed run: the old path is slow, so it gets fewer.
IMAGES = {("cnn", "new", "fs"): 32, ("cnn", "new", "rate"): 8,
          ("cnn", "old", "fs"): 4, ("cnn", "old", "rate"): 2,
          ("resnet20", "new", "fs"): 64, ("resnet20", "new", "rate"): 32,
          ("resnet20", "old", "fs"): 16, ("resnet20", "old", "rate"): 4,
          ("resnet18", "new", "fs"): 8, ("resnet18", "new", "rate"): 2}
CHECK_IMAGES = 2  # images both paths run in every measurement, for the identity check
# Runs that need more than 3 GB take the shared memory lock themselves (and run last).
BIG = {("cnn", "old", "rate")}
LOCK = Path("/tmp/bigmem.lock")


def _inputs(n: int, shape: tuple[int, ...], seed: int = 3) -> np.ndarray:
    """Uniform [0, 1) images (the same ones for every path)."""
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(n, *shape))


def _model(net: str):  # -> neurosim.ann.model.Model
    if net == "cnn":
        from scale_cnn import scale_cnn
        return scale_cnn()
    from neurosim.ann.zoo import resolve_model
    return resolve_model(f"{net}-synthetic")


def convert_all(nets: list[str], folder: Path) -> dict[str, dict[str, int]]:
    """Convert each net with each code into ``folder``; returns neurons and synapses."""
    from neurosim.coding import make_code
    from neurosim.snn.convert import convert
    from neurosim.snn.io import save_snn

    sizes = {}
    for net in nets:
        model = _model(net)
        calibration = _inputs(16, model.input.shape, seed=7)
        for code, options in CODES.items():
            snn = convert(model, make_code(code, **options), calibration)
            save_snn(snn, folder / f"{net}-{code}.npz")
        sizes[net] = {"neurons": snn.n_neurons, "synapses": snn.synapse_count()}
    return sizes


def measure_one(path: Path, net: str, method: str, n: int, out: Path) -> None:
    """In this process: time ``method`` on ``n`` images of ``path``'s network."""
    from neurosim.snn.functional import simulate, simulate_numpy
    from neurosim.snn.io import load_snn

    snn = load_snn(path)
    images = _inputs(n, snn.input.shape)
    run = simulate if method == "new" else simulate_numpy
    run(snn, images[:1])  # warm-up: numba cache, synapse tables
    started = time.perf_counter()
    result = run(snn, images)
    seconds = time.perf_counter() - started
    peak = _peak_rss()
    check = {"outputs": result.outputs[:CHECK_IMAGES].tolist(),
             "spikes": [int(c[:CHECK_IMAGES].sum()) for c in result.spike_counts.values()]}
    out.write_text(json.dumps({"seconds": seconds, "images": n, "peak_bytes": peak,
                               "spikes_per_neuron": result.spikes_per_neuron(), "check": check}))


def _peak_rss() -> int:
    """This process's peak resident set (VmHWM, bytes). Not ``ru_maxrss``: on Linux a child
    inherits its parent's high-water mark through fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(path: Path, net: str, method: str, n: int, folder: Path) -> dict:
    out = folder / "result.json"
    command = [sys.executable, __file__, "--one", str(path), net, method, str(n), str(out)]
    code = path.stem.rsplit("-", 1)[1]
    if (net, method, code) in BIG and LOCK.exists():
        command = ["flock", str(LOCK), *command]
    subprocess.run(command, check=True)
    return json.loads(out.read_text())


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", default="cnn,resnet20,resnet18")
    parser.add_argument("--repeats", type=int, default=2, help="alternations of old and new")
    parser.add_argument("--one", nargs=5, metavar=("SNN", "NET", "METHOD", "N", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        snn, net, method, n, out = args.one
        measure_one(Path(snn), net, method, int(n), Path(out))
        return
    nets = args.nets.split(",")
    print(f"# {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sizes = convert_all(nets, folder)
        print("| network | code | path | images/s (median) | peak RSS GB (max) | runs | load |")
        print("|---|---|---|---|---|---|---|")
        cases = [(net, code) for net in nets for code in CODES]
        cases.sort(key=lambda case: (case[0], "old", case[1]) in BIG)  # locked ones last
        for net, code in cases:
            path = folder / f"{net}-{code}.npz"
            methods = ["old", "new"] if (net, "old", code) in IMAGES else ["new"]
            runs: dict[str, list[dict]] = {m: [] for m in methods}
            loads = []
            for _ in range(args.repeats):
                for method in methods:
                    loads.append(_load())
                    runs[method].append(_child(path, net, method, IMAGES[(net, method, code)],
                                               folder))
            if len(methods) == 2:  # the same integers: identical outputs and spikes
                assert runs["old"][0]["check"] == runs["new"][0]["check"], (net, code)
            for method in methods:
                rates = [r["images"] / r["seconds"] for r in runs[method]]
                peak = max(r["peak_bytes"] for r in runs[method]) / 1e9
                print(f"| {net} ({sizes[net]['neurons']:,} neurons, "
                      f"{sizes[net]['synapses'] / 1e6:.0f} M synapses) | {code} "
                      f"{'K=10' if code == 'fs' else 'T=32'} | {method} | "
                      f"{statistics.median(rates):.2f} | {peak:.2f} | "
                      f"{', '.join(f'{r:.2f}' for r in rates)} | {' '.join(loads)} |",
                      flush=True)


if __name__ == "__main__":
    main()
