"""neurosim: what a trained network costs on a neuromorphic chip.

The pipeline flows one way, one package per stage::

    ann/ --convert(code)--> snn/ --compile(hw)--> compiler/ --engine--> engine/ --> energy/ --> report/
          (coding/)                (hardware/)

The folder layout is the dependency graph: a stage imports only itself and the stages
before it, in this order, and nothing imports in a cycle (tests/test_layout.py checks it):

1. base modules that import no stage: ``errors``, ``plain``, ``stats``, ``version``,
   ``dynamics`` (each neuron's equations, shared by every simulator), and the guards at
   the door: ``fileio`` (regular-file reads, atomic writes), ``yamlio`` (the one safe YAML
   reader), ``npzio`` (bounded .npz reads), ``limits`` (memory estimates), ``options``
   (ranges of numeric options); then ``datasets``;
2. ``ann/``, ``coding/``, ``snn/`` (with ``workload``, ``choose_k``), ``hardware/``,
   ``compiler/`` (``compile_network``; XY routing in ``compiler/xy``), ``interop/`` (NIR
   and SANA-FE network files in and out), ``engine/``,
   ``energy/`` (prices a run and measures latency, throughput and energy per inference),
   ``report/`` (summary block and tables; ``plots``);
3. the job layer, above every stage: ``pipeline`` (one configuration end to end),
   ``compare`` (codes side by side), ``sweep/``, ``api``, ``executors``;
4. the CLI: ``commands/``, ``cli``; and this module, which only re-exports.

Each stage takes plain objects from the one before and returns new ones. A notebook needs
only this module:

* :func:`load_model`, :func:`load_dataset`, :class:`Workload` / :func:`load_workload`;
* the spike codes :class:`FS`, :class:`Rate`, :class:`TTFS`;
* :func:`load_hardware` and :meth:`Hardware.with_values`; :func:`precision_for` (a chip's
  integer widths, the :class:`Precision` that :meth:`Workload.convert` takes);
* :func:`run` → :class:`RunResult` (``.summary``, ``.per_layer()``, ``.per_core()``,
  ``.per_link()``, ``.per_step()``, each a :class:`Table` with ``.to_frame()`` and
  ``.to_csv(path)``);
* :class:`Sweep` (its keywords are a sweep file's keys) / :func:`load_sweep`, and
  :func:`run_sweep` (a table of every point, failed ones included, and ``.errors``);
* :func:`compare` → :class:`Comparison` (``.to_frame()``, ``.write_report(dir)``): codes
  side by side on one chip, FS against the cheapest rate row of equal accuracy;
* :func:`import_network` (a NIR graph or a SANA-FE network file as an SNN, and its
  mapping) and :func:`export_network` (an SNN as either), from :mod:`neurosim.interop`;
* :mod:`neurosim.plots`, whose functions draw into a given ``ax``.
"""

from neurosim.api import load_model, run
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.compare import Comparison, compare
from neurosim.datasets import Dataset, load_dataset
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.interop import export_network, import_network
from neurosim.pipeline import RunResult, precision_for
from neurosim.report.table import Table
from neurosim.snn.quantise import Precision
from neurosim.sweep import Sweep, load_sweep, run_sweep
from neurosim.version import __version__
from neurosim.workload import Workload, load_workload

__all__ = [
    "FS", "TTFS", "Comparison", "Dataset", "Hardware", "Precision", "Rate", "RunResult", "Sweep",
    "Table", "Workload", "__version__", "compare", "export_network", "import_network",
    "load_dataset", "load_hardware", "load_model", "load_sweep", "load_workload",
    "precision_for", "run", "run_sweep",
]
