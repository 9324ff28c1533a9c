"""Small spiking networks for the engine tests: random ANNs converted with each code.

``multi_spike`` turns a converted "fs" network (TTFS) into a few-spikes-like one: each
spiking population gets binary-weighted sequences (``T(k) = h(k) = u·2^(K−1−k)``,
``d(k) = 2^(K−1−k)``), so a neuron fires several times per window, as FS neurons do.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.ann.layers import Activation, Add, AvgPool2d, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.snn.convert import convert
from neurosim.snn.network import SNN


def random_model(seed: int, *, conv: bool = True, residual: bool = False, pool: bool = True,
                 hidden: int = 12, channels: int = 3, stride: int = 1) -> Model:
    """A small random ReLU network on (1, 6, 6) inputs (or 36-vectors), ending in 5 logits."""
    rng = np.random.default_rng(seed)

    def w(*shape: int, scale: float = 1.0) -> np.ndarray:
        return rng.normal(size=shape) * scale / np.sqrt(int(np.prod(shape[1:])))

    layers: list = []
    if conv:
        layers.append(Input("in", (1, 6, 6)))
        layers.append(Conv2d("c1", ("in",), w(channels, 1, 3, 3, scale=2.0),
                             rng.normal(size=channels) * 0.1, stride, 1))
        layers.append(Activation("a1", ("c1",), "relu"))
        last, side = "a1", (6 + 2 - 3) // stride + 1
        if residual:
            layers.append(Conv2d("c2", ("a1",), w(channels, channels, 3, 3, scale=1.5),
                                 rng.normal(size=channels) * 0.1, 1, 1))
            layers.append(Activation("a2", ("c2",), "relu"))
            layers.append(Conv2d("c3", ("a2",), w(channels, channels, 3, 3, scale=1.5),
                                 rng.normal(size=channels) * 0.1, 1, 1))
            layers.append(Add("add", ("c3", "a1")))
            layers.append(Activation("a3", ("add",), "relu"))
            last = "a3"
        if pool and side % 2 == 0:
            layers.append(AvgPool2d("p1", (last,), 2, 2))
            last, side = "p1", side // 2
        layers.append(Flatten("f", (last,)))
        layers.append(Dense("d1", ("f",), w(hidden, channels * side * side, scale=2.0),
                            rng.normal(size=hidden) * 0.1))
    else:
        layers.append(Input("in", (36,)))
        layers.append(Dense("d1", ("in",), w(hidden, 36, scale=2.0), rng.normal(size=hidden) * 0.1))
    layers.append(Activation("ad", ("d1",), "relu"))
    layers.append(Dense("out", ("ad",), w(5, hidden, scale=2.0), rng.normal(size=5) * 0.1))
    return Model(name=f"random-{seed}", layers=tuple(layers))


def random_images(seed: int, model: Model, n: int = 6) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    return rng.uniform(0.0, 1.0, size=(n, *model.input.shape))


def multi_spike(snn: SNN) -> SNN:
    """Binary-weighted FS-like sequences on every spiking population of an "fs" network."""
    pops = []
    for pop in snn.populations:
        if not pop.spiking:
            pops.append(pop)
            continue
        k = np.arange(pop.window)
        powers = 2 ** (pop.window - 1 - k)
        unit = max(int(np.abs(pop.threshold).max()) // (2 ** pop.window), 1)
        pops.append(replace(pop, threshold=(unit * powers - 1).astype(np.int64),
                            reset=(unit * powers).astype(np.int64),
                            out_weight=powers.astype(np.int64)))
    return replace(snn, populations=tuple(pops), name=snn.name + "-multi")


def converted(model: Model, code: str, images: np.ndarray, steps: int = 6) -> SNN:
    """``model`` converted with the rate, TTFS or multi-spike FS code (integer)."""
    if code == "rate":
        return convert(model, Rate(T=steps), images)
    snn = convert(model, TTFS(T=steps), images)
    return multi_spike(snn) if code == "fs" else snn
