"""Per-step traces: each step's events, energy and time, per chip or per core.

Built from a run recorded with ``record_steps`` (:attr:`StreamRecord.step_counts
<neurosim.engine.run.StreamRecord.step_counts>`: the counts of every core in every step).
A row is one step of one stream on one chip (or core):

* the event counts of :data:`~neurosim.engine.kernel.COUNT_KINDS` in that step;
* ``step_s`` (the step's length, barrier included) and ``work_s`` (start of the step to
  its last activity, the same for every chip of the step);
* dynamic energy by category, ``counts × per-event cost`` (:func:`dynamic_energy_j`), and
  static energy ``P_static · step_s`` of the chip's (core's) cores.

Summed over the rows, every count and every energy category equals the run's totals
(tests/test_trace.py checks this invariant).
"""

from __future__ import annotations

import numpy as np

from neurosim.compiler.mapping import core_location
from neurosim.energy.model import CATEGORIES, DYNAMIC, core_static_power_w, dynamic_energy_j
from neurosim.engine.kernel import COUNT_KINDS
from neurosim.engine.run import HardwareRun
from neurosim.errors import NeurosimError
from neurosim.hardware.model import Hardware
from neurosim.report.table import Table

TRACE_LEVELS = ("steps", "cores")
"""``steps``: one row per step and chip; ``cores``: one row per step and core in use."""


def step_trace_table(run: HardwareRun, hw: Hardware, level: str = "steps") -> Table:
    """The per-step trace of ``run`` at ``level`` (see :data:`TRACE_LEVELS`)."""
    if level not in TRACE_LEVELS:
        raise NeurosimError(f"unknown trace level {level!r}", fix="use steps or cores")
    if any(s.step_counts is None for s in run.streams):
        raise NeurosimError("the run did not record per-step counts", where=run.snn_name,
                            fix="simulate with record_steps=True (simulate --trace)")
    static_w = np.asarray(core_static_power_w(run, hw))
    places = [core_location(hw, int(core)) for core in run.cores]
    if level == "cores":
        keys = list(range(len(run.cores)))
        key_of_core = np.arange(len(run.cores))
        head = ["core", "chip_x", "chip_y", "tile_x", "tile_y", "slot"]
        labels = [[int(run.cores[i]), p.chip_x, p.chip_y, p.tile_x, p.tile_y, p.slot]
                  for i, p in enumerate(places)]
    else:
        chips = sorted({p.chip for p in places})
        keys = list(range(len(chips)))
        key_of_core = np.array([chips.index(p.chip) for p in places])
        head = ["chip_x", "chip_y"]
        labels = [list(chip) for chip in chips]
    header = ["stream", "step", *head, "step_s", "work_s", *COUNT_KINDS,
              *[f"energy_{k}_j" for k in CATEGORIES], "energy_total_j"]
    group_static_w = np.bincount(key_of_core, weights=static_w, minlength=len(keys))
    rows = []
    for stream_index, stream in enumerate(run.streams):
        counts = stream.step_counts  # (steps, C, K)
        grouped = np.zeros((counts.shape[0], len(keys), counts.shape[2]), np.int64)
        np.add.at(grouped, (slice(None), key_of_core), counts)
        energy = dynamic_energy_j(grouped, hw)
        starts = np.concatenate([[0.0], stream.step_end_s[:-1]])
        step_s = stream.step_end_s - starts
        for step in range(counts.shape[0]):
            for g in keys:
                parts = [float(energy[k][step, g]) for k in DYNAMIC]
                parts.append(float(group_static_w[g] * step_s[step]))
                rows.append([stream_index, step, *labels[g], float(step_s[step]),
                             float(stream.step_work_s[step]),
                             *[int(v) for v in grouped[step, g]], *parts, sum(parts)])
    return Table.from_rows(header, rows)
