"""``neurosim sweep FILE --out DIR``: run a grid of chip configurations and codes.

Runs every configuration of the sweep file on a local process pool (default) or a Dask
cluster, appending one row per configuration to DIR/sweep.csv as it finishes, then draws
DIR/pareto_energy_latency.png, DIR/pareto_energy_accuracy.png and DIR/edp_vs_core_size.png.
A rerun skips configurations already in sweep.csv with status ok (failed ones run
again); a failing one is recorded with its error and the others go on.
``--plot-only DIR`` redraws the plots from DIR/sweep.csv.

Example sweep file (all keys: ``python -c "import neurosim.sweep; help(neurosim.sweep)"``)::

    model: digits-cnn
    hardware: loihi
    codes: {fs: {K: [8, 10]}, rate: {T: [16, 64]}, ttfs: {}}
    grid:
      core.neurons: [256, 1024, 4096]
      noc.link_bandwidth: ["10 Gbit/s", "110 Gbit/s"]
    placer: [baseline, optimised]
    images: 16

Clusters: ``--executor dask`` starts a local Dask cluster of --workers processes, or joins
a running scheduler with ``--scheduler tcp://HOST:PORT`` (its workers need the same
neurosim installed). On SLURM, dask-jobqueue starts the workers as batch jobs: in a Python
session that stays up, ``cluster = SLURMCluster(cores=1, processes=1, memory="4GB",
walltime="02:00:00"); cluster.scale(jobs=32); print(cluster.scheduler_address)``, then
pass that address to --scheduler.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from neurosim import options
from neurosim.errors import NeurosimError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sweep", help="run a grid of chip configurations and codes; Pareto plots",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", metavar="FILE", help="the sweep file (YAML)")
    parser.add_argument("--out", metavar="DIR", help="directory for sweep.csv and the plots")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="where the configurations run (default: local process pool)")
    parser.add_argument("--workers", type=options.whole(1, options.MAX_WORKERS), default=None, metavar="N",
                        help="worker processes of the pool or local Dask cluster (default: cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="join a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    parser.add_argument("--dry-run", action="store_true",
                        help="check the sweep file and list its configurations; run nothing")
    parser.add_argument("--plot-only", metavar="DIR",
                        help="redraw the plots from DIR/sweep.csv; run nothing")
    parser.set_defaults(run=run)


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _plot_only(directory: str) -> int:
    from neurosim.sweep.plots import plot_sweep
    from neurosim.sweep.results import CSV_NAME
    csv_path = Path(directory) / CSV_NAME
    if not csv_path.is_file():
        raise NeurosimError("no sweep.csv here", where=directory,
                            fix="give the --out directory of a sweep")
    paths, notes = plot_sweep(csv_path, directory)
    for path in paths:
        print(f"  drew {path}")
    for note in notes:
        print(f"  {note}")
    return 0


def run(args: argparse.Namespace) -> int:
    from neurosim.executors import check_options
    from neurosim.sweep import load_sweep, run_sweep

    if args.plot_only:
        if args.file or args.out:
            raise NeurosimError("--plot-only takes only the sweep's directory",
                                fix="run 'neurosim sweep --plot-only DIR'")
        return _plot_only(args.plot_only)
    if not args.file:
        raise NeurosimError("no sweep file given", fix="run 'neurosim sweep FILE --out DIR'")
    if not args.out and not args.dry_run:
        raise NeurosimError("no output directory given", where=args.file, fix="add --out DIR")
    check_options(args.executor, args.workers, args.scheduler)
    sweep = load_sweep(args.file)
    if args.dry_run:
        for point in sweep.points:
            print(f"{point.key[:12]}  {point.label(sweep.varied)}")
        print(f"{len(sweep.points)} configurations; swept: {', '.join(sweep.varied) or 'nothing'}")
        return 0
    outcome = run_sweep(sweep, args.out, executor=args.executor, workers=args.workers,
                        scheduler=args.scheduler, progress=None if args.quiet else _progress)
    if outcome.ok + outcome.failed == 0:
        print(f"all {outcome.total} configurations were done already")
    else:
        failed = f", {outcome.failed} failed (see the error column)" if outcome.failed else ""
        print(f"{outcome.ok} configurations ran{failed} in {outcome.seconds:.1f} s"
              + (f"; {outcome.skipped} were done already" if outcome.skipped else ""))
    print(f"  results: {outcome.csv}")
    for path in outcome.plots:
        print(f"  plot: {path}")
    for note in outcome.notes:
        print(f"  {note}")
    return 0
