"""ResNet-18 (synthetic zoo): FS K=10 against rate at several T in fidelity to the ANN,
functional only.

    PYTHONPATH=. python benchmarks/fidelity_resnet18.py [--images 16] [--rate-T 256,512,1024]
        [--rate-percentile 99.99] [--skip-fs]

Test images of ``synthetic:resnet18-synthetic`` (default 4; the compare's accuracy images
are 16), integer mode at Loihi 2's precision; prints each network's
:func:`neurosim.stats.output_fidelity` (top-1 agreement, relative output error), spikes
per neuron, the wall times and the peak RSS (VmHWM, kB). The rate rows come from one
anytime run of the largest T (default 32, 64), which is how ``compare --rate-T auto``
reads its ladder, so this is the ladder beyond what the compare can afford to run in the
engine. FS is converted and dropped before the rate networks are converted, which keeps
the peak under 4 GB. ``--rate-percentile`` sets the rate code's normalisation percentile
(default 99.9, the design's); ``--skip-fs`` leaves out the FS row.
"""

from __future__ import annotations

import argparse
import gc
import time

from neurosim.ann.forward import forward
from neurosim.coding import make_code
from neurosim.hardware import load_hardware
from neurosim.pipeline import for_chip, precision_for
from neurosim.snn.anytime import simulate_windows
from neurosim.snn.functional import simulate
from neurosim.stats import output_fidelity
from neurosim.workload import load_workload


def peak_kb() -> str:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return line.split()[1]
    return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=4, help="test images (default 4)")
    parser.add_argument("--rate-T", default="32,64", help="rate windows, comma-separated")
    parser.add_argument("--rate-percentile", type=float, default=99.9,
                        help="the rate code's normalisation percentile (default 99.9)")
    parser.add_argument("--skip-fs", action="store_true", help="rate rows only")
    args = parser.parse_args()
    windows = sorted({int(t) for t in args.rate_T.split(",")})
    started = time.perf_counter()
    wl = load_workload("resnet18-synthetic")
    x = wl.x_test[:args.images]
    ann = forward(wl.model, x)
    hw = load_hardware("loihi2")
    precision = precision_for(hw)
    if not args.skip_fs:
        run_fs(wl, x, ann, hw, precision, started)
    rates = [for_chip(snn, hw) for snn in
             wl.convert_codes([make_code("rate", T=t, percentile=args.rate_percentile)
                               for t in windows], precision)]
    t = time.perf_counter()
    results = simulate_windows(rates, x)
    print(f"rate run up to T={windows[-1]} (percentile {args.rate_percentile}): "
          f"{time.perf_counter() - t:.0f} s", flush=True)
    for snn, result in zip(rates, results):
        print(f"rate T={snn.window}: {output_fidelity(ann, result.outputs)}, "
              f"spikes/neuron {result.spikes_per_neuron():.3f}", flush=True)
    print(f"total {time.perf_counter() - started:.0f} s; peak RSS {peak_kb()} kB")


def run_fs(wl, x, ann, hw, precision, started: float) -> None:
    fs_snn = for_chip(wl.convert(make_code("fs", K=10), precision), hw)
    print(f"converted FS: {time.perf_counter() - started:.0f} s, {fs_snn.n_neurons:,} neurons",
          flush=True)
    t = time.perf_counter()
    fs = simulate(fs_snn, x)
    print(f"FS K=10: {time.perf_counter() - t:.0f} s, {output_fidelity(ann, fs.outputs)}, "
          f"spikes/neuron {fs.spikes_per_neuron():.3f}", flush=True)
    del fs_snn, fs
    gc.collect()


if __name__ == "__main__":
    main()
