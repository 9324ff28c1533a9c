"""Sweeps: many configurations of one network, run on a process pool or a Dask cluster.

A sweep file (YAML) names a model, a base hardware model, the codes with their options,
and what to vary on the hardware::

    model: digits-cnn            # zoo name or .npz model file
    hardware: loihi              # shipped hardware name or YAML file (default: loihi)
    codes:                       # each code with its own options; a list is swept
      fs: {K: [8, 10]}
      rate: {T: [16, 64]}
      ttfs: {}                   # the code's defaults
    grid:                        # hardware key paths (as for --set): the cartesian product
      core.neurons: [256, 1024, 4096]
      noc.link_bandwidth: ["10 Gbit/s", "110 Gbit/s"]
    placer: [baseline, optimised]   # one value or a list (default: optimised)
    seed: 0                      # placement seed, one value or a list (default: 0)
    images: 16                   # test images streamed through the chip (default: 32)
    accuracy_images: 100         # test images for accuracy (default: the whole test split)

Every point is one hardware setting × one code variant × one placer × one seed. The
hardware settings are the grid's product followed by the entries of ``points:``, an
explicit list (instead of, or besides, the grid)::

    points:
      - {core.neurons: 512, noc.link_bandwidth: "10 Gbit/s"}
      - {core.neurons: 2048, code: rate, T: 32, placer: baseline}

A point sets hardware keys to single values; it may also fix ``code`` (with that code's
options beside it, and then only those), ``placer`` and ``seed``, which it then does not
take from the top level. Without ``grid`` and ``points`` the sweep runs the base hardware
only. Other keys: ``dataset`` (default: the model's), ``images_per_stream``. Code options:
``fs``: ``K``, ``alpha``, ``alpha_percentile``; ``rate``: ``T``, ``percentile``,
``input`` (``current``/``poisson``), ``seed``; ``ttfs``: ``T``, ``percentile``. Paths are
relative to the current directory (the workers' current directory, on a cluster).

Run it with ``neurosim sweep FILE --out DIR`` (:func:`run_sweep`). Each point's key is
the sha256 of its resolved configuration (:func:`configuration_key`: the configuration,
the hardware file's content hash and the neurosim version); ``DIR/sweep.csv`` gets one row
per point as it finishes, and a rerun skips the points already there with status ``ok``.
Everything in the file is checked before any point runs (:func:`load_sweep`).

Executors (:mod:`neurosim.executors`): a local process pool by default (``--workers N``,
default: the cores), or ``--executor dask``: a Dask ``LocalCluster`` of ``--workers``
processes, or the workers of a running scheduler (``--scheduler tcp://HOST:PORT``).
On a SLURM cluster, dask-jobqueue (``pip install dask-jobqueue``; not a neurosim
dependency) submits the workers as batch jobs; keep the Python session that owns the
cluster open while the sweep runs::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(queue="normal", cores=1, processes=1, memory="4GB",
                           walltime="02:00:00")
    cluster.scale(jobs=32)               # 32 jobs, one single-threaded worker each
    print(cluster.scheduler_address)     # e.g. tcp://10.1.2.3:8786

    $ neurosim sweep sweep.yaml --out results --executor dask --scheduler tcp://10.1.2.3:8786

The workers must import the same neurosim version (the sweep checks it before starting)
and see the same files: give model and hardware files as absolute paths on a shared
file system. Only the process running ``neurosim sweep`` writes ``sweep.csv``.

Modules: :mod:`~neurosim.sweep.spec` (the file, resolved), :mod:`~neurosim.sweep.results`
(the CSV), :mod:`~neurosim.sweep.runner` (running the points), :mod:`~neurosim.sweep.plots`
(Pareto fronts, EDP vs core size).
"""

from __future__ import annotations

from neurosim.sweep.results import ResultsFile, read_rows
from neurosim.sweep.runner import SweepOutcome, run_point, run_sweep
from neurosim.sweep.spec import Sweep, SweepPoint, configuration_key, load_sweep, parse_sweep

__all__ = [
    "ResultsFile",
    "Sweep",
    "SweepOutcome",
    "SweepPoint",
    "configuration_key",
    "load_sweep",
    "parse_sweep",
    "read_rows",
    "run_point",
    "run_sweep",
]
