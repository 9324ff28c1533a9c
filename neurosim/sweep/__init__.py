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
relative to the current directory.

Run it with ``neurosim sweep FILE --out DIR`` (:func:`run_sweep`). Each point's key is
the sha256 of its resolved configuration (:func:`configuration_key`: the configuration,
the hardware file's content hash and the neurosim version); ``DIR/sweep.csv`` gets one row
per point as it finishes, and a rerun skips the points already there with status ``ok``.
Everything in the file is checked before any point runs (:func:`load_sweep`).

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
