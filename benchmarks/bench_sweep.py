"""Sweep benchmark: wall time of a 32-point sweep with 1 and 2 workers, and the speed-up.

    PYTHONPATH=. python benchmarks/bench_sweep.py                     # local pool and Dask
    PYTHONPATH=. python benchmarks/bench_sweep.py --executors local

The sweep (:data:`SWEEP`): digits-cnn on Loihi, FS K=8/10 and rate T=32/128, 2 core
sizes × 2 link bandwidths × 2 placers = 32 points, 320 test images streamed per point and
the whole digits test split (355 images) for accuracy. Each run starts from an empty
output directory; the wall time runs from the call of ``run_sweep`` to its return and so
includes starting the pool or cluster and each worker's imports (numba functions come
from the on-disk cache, as in any run after the first). All runs must write the same rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from machine import machine

SWEEP = {
    "model": "digits-cnn",
    "hardware": "loihi",
    "codes": {"fs": {"K": [8, 10]}, "rate": {"T": [32, 128]}},
    "grid": {"core.neurons": [256, 1024], "noc.link_bandwidth": ["10 Gbit/s", "110 Gbit/s"]},
    "placer": ["baseline", "optimised"],
    "images": 320,
}
TIMING_COLUMNS = {"seconds"}


def timed_sweep(executor: str, workers: int) -> tuple[float, dict[str, dict[str, str]], float]:
    """Wall seconds, rows by hash, and the summed per-point seconds of one fresh run."""
    from neurosim.sweep import parse_sweep, read_rows, run_sweep
    sweep = parse_sweep(SWEEP, "bench_sweep")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        outcome = run_sweep(sweep, out, executor=executor, workers=workers, plot=False)
        wall = time.perf_counter() - start
        assert outcome.ok == len(sweep.points) == 32, outcome
        rows = {r["hash"]: r for r in read_rows(Path(out) / "sweep.csv")[1]}
    busy = sum(float(r["seconds"]) for r in rows.values())
    return wall, rows, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executors", default="local,dask",
                        help="comma-separated: local, dask (default: both)")
    args = parser.parse_args()
    print(f"machine: {machine()}; date: {date.today().isoformat()}")
    reference = None
    print("| executor | workers | wall (s) | sum of point times (s) | speed-up vs 1 worker |")
    print("|---|---|---|---|---|")
    for executor in args.executors.split(","):
        one = None
        for workers in (1, 2):
            wall, rows, busy = timed_sweep(executor, workers)
            clean = {k: {c: v for c, v in r.items() if c not in TIMING_COLUMNS}
                     for k, r in rows.items()}
            reference = reference or clean
            assert clean == reference, "runs differ"
            one = one or wall
            print(f"| {executor} | {workers} | {wall:.1f} | {busy:.1f} | {one / wall:.2f}× |",
                  flush=True)


if __name__ == "__main__":  # worker processes are spawned: they import this file
    main()
