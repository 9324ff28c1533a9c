"""What each of SANA-FE's rules costs on the digits comparison (digits-cnn on loihi).

Runs neurosim's pipeline (``neurosim.run``: convert, compile, engine, energy) for FS K=6
and rate T=16 on the shipped ``loihi`` with neurosim's rules, then with each SANA-FE rule
alone and all together (``core.active_update=nonzero``, ``core.service=overlapped``,
``sync.barrier_lookup=step``, ``core.threshold_compare=gt``, ``noc.congestion=inflight``, and
SANA-FE's sparse and conv synapse costs), and prints energy, latency and accuracy per inference::

    PYTHONPATH=. python benchmarks/bench_rules.py
"""

from __future__ import annotations

import neurosim
from neurosim import FS, Rate, load_hardware

# SANA-FE's Loihi synapse units by kind (its arch/loihi.yaml): sparse and conv.
SYNOP_KINDS = {"costs.energy_synop_sparse": "33.6 pJ", "costs.latency_synop_sparse": "4.7 ns",
               "costs.energy_synop_conv": "24.0 pJ", "costs.latency_synop_conv": "3.1 ns"}
SANAFE = {"core.active_update": "nonzero", "core.service": "overlapped",
          "sync.barrier_lookup": "step", "core.threshold_compare": "gt",
          "noc.congestion": "inflight", **SYNOP_KINDS}
VARIANTS = [
    ("neurosim rules", {}),
    ("active_update=nonzero", {"core.active_update": "nonzero"}),
    ("service=overlapped", {"core.service": "overlapped"}),
    ("barrier_lookup=step", {"sync.barrier_lookup": "step"}),
    ("threshold_compare=gt", {"core.threshold_compare": "gt"}),
    ("congestion=inflight", {"noc.congestion": "inflight"}),
    ("synop by kind", SYNOP_KINDS),
    ("all (SANA-FE)", SANAFE),
]


def main() -> int:
    for code in (FS(K=6), Rate(T=16)):
        base = None
        for label, values in VARIANTS:
            summary = neurosim.run("digits-cnn", code, load_hardware("loihi", values), images=32,
                                   accuracy_images=64).summary
            energy, latency = summary["energy_per_inference_j"], summary["latency_s"]
            accuracy = summary["snn_accuracy"]
            idle = summary["idle_energy_j"]
            base = base or (energy, latency)
            print(f"{code.label if hasattr(code, 'label') else type(code).__name__:10} "
                  f"{label:24} energy {energy * 1e6:9.3f} µJ ({100 * (energy / base[0] - 1):+6.2f} %)"
                  f"  idle {idle * 1e6:8.3f} µJ  latency {latency * 1e6:8.2f} µs "
                  f"({100 * (latency / base[1] - 1):+6.2f} %)  accuracy {100 * accuracy:.2f} %",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
