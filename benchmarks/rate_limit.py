"""The rate code's fidelity as T → ∞: the ANN with every spiking layer clipped at its scale λ.

    PYTHONPATH=. python benchmarks/rate_limit.py [--model resnet18-synthetic] [--images 16]
        [--percentiles 99.9,99.99,99.999,100]

With reset by subtraction and an unbounded potential, a rate neuron's spike count over T
steps, times λ/T, tends to its input's ReLU clipped at λ (:mod:`neurosim.coding.rate`), so
the clipped ANN is what rate coding converges to before quantisation: the floor that more
steps cannot remove. For each percentile p (Rueckauer et al. 2017's robust normalisation;
λ is the p-th percentile of the layer's non-zero activations on the calibration images, as
:func:`neurosim.coding.base.activation_scale` sets it in conversion) this prints the clipped
ANN's :func:`neurosim.stats.output_fidelity` against the ANN on the model's first test images.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neurosim.ann.forward import apply_layer, forward_all
from neurosim.ann.layers import Activation, Input
from neurosim.ann.model import Model
from neurosim.coding.base import activation_scale
from neurosim.stats import output_fidelity
from neurosim.workload import load_workload


def clipped_forward(model: Model, x: np.ndarray, scales: dict[str, float]) -> np.ndarray:
    """The model's output with the layers named in ``scales`` clipped above at their scale."""
    values: dict[str, np.ndarray] = {}
    for layer in model.layers:
        if isinstance(layer, Input):
            values[layer.name] = x
            continue
        out = apply_layer(layer, [values[n] for n in layer.inputs])
        values[layer.name] = np.minimum(out, scales[layer.name]) if layer.name in scales else out
    return values[model.output]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="resnet18-synthetic")
    parser.add_argument("--images", type=int, default=16, help="test images (default 16)")
    parser.add_argument("--percentiles", default="99.9,99.99,99.999,100")
    args = parser.parse_args()
    started = time.perf_counter()
    wl = load_workload(args.model)
    model = wl.model
    x = np.asarray(wl.x_test[:args.images], np.float64)
    calibration = wl.calibration()
    activations = forward_all(model, calibration)
    ann = forward_all(model, x)[model.output]
    spiking = [lyr.name for lyr in model.layers
               if isinstance(lyr, Activation) and lyr.name != model.output]
    print(f"{args.model}: {len(spiking)} spiking layers, {len(calibration)} calibration "
          f"images, {len(x)} test images", flush=True)
    for p in (float(v) for v in args.percentiles.split(",")):
        scales = {name: activation_scale(activations[name], p) for name in spiking}
        fidelity = output_fidelity(ann, clipped_forward(model, x, scales))
        agreeing = round(fidelity["top1_agreement"] * len(x))
        print(f"percentile {p:g}: top-1 agreement {agreeing}/{len(x)}, relative output error "
              f"{fidelity['relative_output_error']:.3f}", flush=True)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
