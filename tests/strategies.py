"""Small random ANN models for property tests (hypothesis strategies and plain builders)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from neurosim.ann.layers import Activation, Add, AvgPool2d, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model


def random_model(seed: int, *, conv: bool = True, residual: bool = False, pool: bool = True,
                 activation: str = "relu", hidden: int = 12, channels: int = 3) -> Model:
    """A small random network on (1, 6, 6) inputs (or 36-vectors), ending in 5 logits."""
    rng = np.random.default_rng(seed)

    def w(*shape: int, scale: float = 1.0) -> np.ndarray:
        fan_in = int(np.prod(shape[1:]))
        return rng.normal(size=shape) * scale / np.sqrt(fan_in)

    layers: list = []
    if conv:
        layers.append(Input("in", (1, 6, 6)))
        layers.append(Conv2d("c1", ("in",), w(channels, 1, 3, 3, scale=2.0),
                             rng.normal(size=channels) * 0.1, 1, 1))
        layers.append(Activation("a1", ("c1",), activation))
        last = "a1"
        if residual:
            layers.append(Conv2d("c2", ("a1",), w(channels, channels, 3, 3, scale=1.5),
                                 rng.normal(size=channels) * 0.1, 1, 1))
            layers.append(Activation("a2", ("c2",), activation))
            layers.append(Conv2d("c3", ("a2",), w(channels, channels, 3, 3, scale=1.5),
                                 rng.normal(size=channels) * 0.1, 1, 1))
            layers.append(Add("add", ("c3", "a1")))
            layers.append(Activation("a3", ("add",), activation))
            last = "a3"
        if pool:
            layers.append(AvgPool2d("p1", (last,), 2, 2))
            last = "p1"
        layers.append(Flatten("f", (last,)))
        n_flat = channels * (9 if pool else 36)
        layers.append(Dense("d1", ("f",), w(hidden, n_flat, scale=2.0), rng.normal(size=hidden) * 0.1))
    else:
        layers.append(Input("in", (36,)))
        layers.append(Dense("d1", ("in",), w(hidden, 36, scale=2.0), rng.normal(size=hidden) * 0.1))
    layers.append(Activation("ad", ("d1",), activation))
    layers.append(Dense("out", ("ad",), w(5, hidden, scale=2.0), rng.normal(size=5) * 0.1))
    return Model(name=f"random-{seed}", layers=tuple(layers))


def random_images(seed: int, model: Model, n: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed + 1000)
    return rng.uniform(0.0, 1.0, size=(n, *model.input.shape))


models = st.builds(
    random_model,
    seed=st.integers(0, 10_000),
    conv=st.booleans(),
    residual=st.booleans(),
    pool=st.booleans(),
    hidden=st.integers(3, 16),
    channels=st.integers(1, 4),
)
