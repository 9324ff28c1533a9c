"""The synthetic 1.4 M-neuron CNN at CIFAR shape that issue 16 measured the simulators on.

24 convolutions of 56 channels, 3×3, padding 1, each followed by BatchNorm and ReLU, on
3×32×32 inputs, then a read-out of 10 that sees the whole last map: 1,379,338
neurons and about 640 M synapses (expanded). Weights are seeded He-normal; each BatchNorm
is calibrated on random uniform inputs (its mean and variance are those of its
convolution's output on them), so every layer's pre-activation is about N(β, 1) with a
small positive β and the ReLUs are neither dead nor saturated.
"""

from __future__ import annotations

import numpy as np

from neurosim.ann import ops
from neurosim.ann.layers import Activation, BatchNorm, Conv2d, Input
from neurosim.ann.model import Model, fold_batchnorm

SHAPE = (3, 32, 32)


def random_inputs(n: int, seed: int = 1) -> np.ndarray:
    """Uniform [0, 1) images of the CNN's input shape."""
    return np.random.default_rng(seed).uniform(0.0, 1.0, size=(n, *SHAPE))


def scale_cnn(depth: int = 24, channels: int = 56, seed: int = 0, calibration: int = 32
              ) -> Model:
    """The CNN with ``depth`` convolutions of ``channels`` channels (the defaults: 1.38 M neurons)."""
    rng = np.random.default_rng(seed)
    x = random_inputs(calibration, seed + 1)
    layers: list = [Input("in", SHAPE)]
    last, c_in = "in", SHAPE[0]
    for i in range(depth):
        w = rng.normal(size=(channels, c_in, 3, 3)) * np.sqrt(2.0 / (c_in * 9))
        conv = Conv2d(f"conv{i}", (last,), w, np.zeros(channels), 1, 1)
        # Calibrate BatchNorm on the random inputs: the statistics of this conv's output.
        out = ops.conv2d(x, w, None, (1, 1), (1, 1))
        mean, var = out.mean(axis=(0, 2, 3)), out.var(axis=(0, 2, 3))
        bn = BatchNorm(f"bn{i}", (conv.name,), np.ones(channels), np.full(channels, 0.1),
                       mean, var)
        x = np.maximum((out - mean[:, None, None]) / np.sqrt(var[:, None, None] + bn.eps)
                       + 0.1, 0.0)
        layers += [conv, bn, Activation(f"relu{i}", (bn.name,), "relu")]
        last, c_in = f"relu{i}", channels
    # The read-out: a dense layer over the whole last map, written as a 32×32 convolution
    # (a Flatten–Dense chain from a 57,344-neuron map would be folded through a dense probe).
    n_flat = channels * SHAPE[1] * SHAPE[2]
    layers.append(Conv2d("fc", (last,), rng.normal(size=(10, channels, *SHAPE[1:]))
                         / np.sqrt(n_flat), np.zeros(10), 1, 0))
    return fold_batchnorm(Model(f"scale-cnn-{depth}x{channels}", tuple(layers)))
