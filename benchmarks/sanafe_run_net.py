"""Run a SANA-FE network file in SANA-FE and print its spikes as JSON (an external peer).

Run with SANA-FE's own Python (GPL; only its published API is called, nothing is copied)::

    /work/venv-sanafe/bin/python benchmarks/sanafe_run_net.py NET.yaml STEPS [ARCH.yaml]

The architecture defaults to SANA-FE's own ``loihi.yaml``. Prints one JSON object:
``{"spikes": [[group, neuron, step], ...], "steps": N, "wall_s": t, "counts": {...}}``,
steps numbered from 0 as neurosim numbers them (SANA-FE's timestep 1 is step 0).
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import sanafe


def main(net_path: str, steps: int, arch_path: str | None = None) -> int:
    arch = sanafe.load_arch(arch_path or str(Path(sanafe.__path__[0]) / "examples" / "loihi.yaml"))
    net = sanafe.load_net(net_path, arch)
    chip = sanafe.SpikingChip(arch)
    chip.load(net)
    with tempfile.TemporaryDirectory() as tmp:
        trace = str(Path(tmp) / "spikes.csv")
        start = time.perf_counter()
        result = chip.sim(steps, spike_trace=trace)
        wall = time.perf_counter() - start
        spikes = []
        with open(trace, newline="") as fh:
            for row in csv.DictReader(fh):
                group, _, neuron = row["neuron"].rpartition(".")
                spikes.append([group, int(neuron), int(row["timestep"]) - 1])
    counts = {k: result[k] for k in ("neurons_fired", "spikes", "packets_sent", "sim_time",
                                     "energy") if k in result}
    print(json.dumps({"spikes": spikes, "steps": steps, "wall_s": wall, "counts": counts},
                     default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
