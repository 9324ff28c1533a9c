"""Spiking networks built in code for compiler tests.

``digits_cnn_snn()`` converts a digits-cnn-shaped ANN with random weights (the zoo model's
architecture: conv16-pool-conv32-pool-dense64-10 on 8×8 images) with the rate code.
``synthetic_snn(spec)`` builds an SNN directly from a list of layers, with random integer
weights, without an ANN (fast enough for hypothesis).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from neurosim.ann.layers import Activation, AvgPool2d, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model
from neurosim.snn.connectivity import conv_output_shape
from neurosim.snn.network import SNN, Population, Projection


def digits_images(n: int = 100) -> np.ndarray:
    from sklearn.datasets import load_digits

    return load_digits().images[:n, None] / 16.0


def digits_cnn_model(seed: int = 0) -> Model:
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return rng.normal(0, 1 / np.sqrt(np.prod(shape[1:])), shape)

    layers = (
        Input("in", (1, 8, 8)),
        Conv2d("c1", ("in",), w(16, 1, 3, 3), np.zeros(16), 1, 1),
        Activation("r1", ("c1",), "relu"),
        AvgPool2d("p1", ("r1",), 2, 2),
        Conv2d("c2", ("p1",), w(32, 16, 3, 3), np.zeros(32), 1, 1),
        Activation("r2", ("c2",), "relu"),
        AvgPool2d("p2", ("r2",), 2, 2),
        Flatten("f", ("p2",)),
        Dense("d1", ("f",), w(64, 128), np.zeros(64)),
        Activation("r3", ("d1",), "relu"),
        Dense("d2", ("r3",), w(10, 64), np.zeros(10)),
    )
    return Model("digits-cnn-random", layers, metadata={"dataset": "digits"})


@cache
def digits_cnn_snn(code: str = "rate") -> SNN:
    from neurosim.coding.rate import Rate
    from neurosim.coding.ttfs import TTFS
    from neurosim.snn.convert import convert

    spike_code = Rate(T=16) if code == "rate" else TTFS(T=16)
    return convert(digits_cnn_model(), spike_code, digits_images(50))


def _population(name: str, shape: tuple[int, ...], role: str, offset: int) -> Population:
    size = int(np.prod(shape))
    window = 4
    return Population(name=name, shape=shape, role=role, dynamics="if",
                      threshold=np.full(window, 8, np.int64), reset=np.full(window, 8, np.int64),
                      out_weight=np.ones(window, np.int64), bias=np.zeros(size, np.int64),
                      offset=offset)


def synthetic_snn(spec: list[tuple], seed: int = 0, density: float = 1.0, name: str = "synthetic"
                  ) -> SNN:
    """An SNN from ``spec``: ``("input", shape)`` first, then ``("conv", C, k, stride, pad)``
    or ``("dense", n)`` layers, each reading the one before; the last layer is the output.

    Weights are random integers in [-3, 3] \\ {0}; ``density`` < 1 zeroes some of them.
    """
    rng = np.random.default_rng(seed)
    kind, shape = spec[0]
    assert kind == "input"
    pops = [_population("L0", tuple(shape), "input", 0)]
    projs = []
    for i, layer in enumerate(spec[1:], start=1):
        src = pops[-1]
        role = "output" if i == len(spec) - 1 else "hidden"
        if layer[0] == "conv":
            _, c_out, k, stride, pad = layer
            weight = rng.integers(1, 4, size=(c_out, src.shape[0], k, k)) * rng.choice([-1, 1], (c_out, src.shape[0], k, k))
            proj = Projection(f"L{i - 1}->L{i}", src.name, f"L{i}", "conv", weight,
                              stride=(stride, stride), padding=(pad, pad))
            shape = conv_output_shape(proj, src.shape)
        else:
            n = layer[1]
            weight = rng.integers(1, 4, size=(n, src.size)) * rng.choice([-1, 1], (n, src.size))
            proj = Projection(f"L{i - 1}->L{i}", src.name, f"L{i}", "dense", weight)
            shape = (n,)
        if density < 1:
            weight *= rng.random(weight.shape) < density
        projs.append(proj)
        pops.append(_population(f"L{i}", tuple(shape), role, i))
    return SNN(name=name, code="rate", populations=tuple(pops), projections=tuple(projs))
