"""neurosim: what a trained network costs on a neuromorphic chip.

The pipeline flows one way, one package per stage::

    ann/ --convert(code)--> snn/ --compile(hw)--> compiler/ --engine--> engine/ --> energy --> report/
          (coding/)                (hardware/)

Each stage takes plain objects from the one before and returns new ones. A notebook needs
only this module:

* :func:`load_model`, :func:`load_dataset`, :class:`Workload` / :func:`load_workload`;
* the spike codes :class:`FS`, :class:`Rate`, :class:`TTFS`;
* :func:`load_hardware` and :meth:`Hardware.with_values`;
* :func:`run` → :class:`RunResult` (``.summary``, ``.per_layer()``, ``.per_core()``,
  ``.per_link()``, ``.per_step()``, each a :class:`Table` with ``.to_frame()`` and
  ``.to_csv(path)``);
* :meth:`Sweep.from_dict` / :func:`load_sweep` and :func:`run_sweep` (a table of every
  point, failed ones included, and ``.errors``);
* :func:`compare` → :class:`Comparison` (``.to_frame()``, ``.write_report(dir)``): codes
  side by side on one chip, FS against the cheapest rate row of equal accuracy;
* :mod:`neurosim.plots`, whose functions draw into a given ``ax``.
"""

__version__ = "0.1.0"

from neurosim.api import load_model, run
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.datasets import Dataset, load_dataset
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.pipeline import RunResult
from neurosim.report.compare import Comparison, compare
from neurosim.report.table import Table
from neurosim.sweep import Sweep, load_sweep, run_sweep
from neurosim.workload import Workload, load_workload

__all__ = [
    "FS", "TTFS", "Comparison", "Dataset", "Hardware", "Rate", "RunResult", "Sweep", "Table",
    "Workload", "__version__", "compare", "load_dataset", "load_hardware", "load_model", "load_sweep", "load_workload",
    "run", "run_sweep",
]
