"""ResNet-18 (synthetic zoo): FS K=10 against rate T=32, 64 in fidelity to the ANN, functional only.

    PYTHONPATH=. python benchmarks/fidelity_resnet18.py

Four test images of ``synthetic:resnet18-synthetic``, integer mode at Loihi 2's precision;
prints each network's :func:`neurosim.stats.output_fidelity` (top-1 agreement, relative
output error), spikes per neuron, the wall times and the peak RSS (VmHWM, kB). The rate
rows come from one anytime run of T = 64. FS is converted and dropped before the rate
networks are converted, which keeps the peak under 3 GB.
"""

from __future__ import annotations

import gc
import time

from neurosim.ann.forward import forward
from neurosim.coding import make_code
from neurosim.hardware import load_hardware
from neurosim.pipeline import precision_for
from neurosim.snn.anytime import simulate_windows
from neurosim.snn.functional import simulate
from neurosim.stats import output_fidelity
from neurosim.workload import load_workload

IMAGES = 4


def peak_kb() -> str:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return line.split()[1]
    return "?"


def main() -> None:
    started = time.perf_counter()
    wl = load_workload("resnet18-synthetic")
    x = wl.x_test[:IMAGES]
    ann = forward(wl.model, x)
    precision = precision_for(load_hardware("loihi2"))
    fs_snn = wl.convert(make_code("fs", K=10), precision)
    print(f"converted FS: {time.perf_counter() - started:.0f} s, {fs_snn.n_neurons:,} neurons",
          flush=True)
    t = time.perf_counter()
    fs = simulate(fs_snn, x)
    print(f"FS K=10: {time.perf_counter() - t:.0f} s, {output_fidelity(ann, fs.outputs)}, "
          f"spikes/neuron {fs.spikes_per_neuron():.3f}", flush=True)
    del fs_snn, fs
    gc.collect()
    rates = wl.convert_codes([make_code("rate", T=t) for t in (32, 64)], precision)
    t = time.perf_counter()
    results = simulate_windows(rates, x)
    print(f"rate run up to T=64: {time.perf_counter() - t:.0f} s", flush=True)
    for snn, result in zip(rates, results):
        print(f"rate T={snn.window}: {output_fidelity(ann, result.outputs)}, "
              f"spikes/neuron {result.spikes_per_neuron():.3f}", flush=True)
    print(f"total {time.perf_counter() - started:.0f} s; peak RSS {peak_kb()} kB")


if __name__ == "__main__":
    main()
