"""Model files: save/load round trip, BatchNorm folding, refusal of broken models."""

from __future__ import annotations

import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.ann.forward import forward
from neurosim.ann.io import load_model, save_model
from neurosim.ann.layers import (
    ARRAY_FIELDS,
    Activation,
    Add,
    AvgPool2d,
    BatchNorm,
    Conv2d,
    Dense,
    Flatten,
    Input,
    MaxPool2d,
)
from neurosim.ann.model import Model, fold_batchnorm
from neurosim.errors import NeurosimError

ACTIVATIONS = ("relu", "silu", "sigmoid", "tanh", "gelu", "identity")


@st.composite
def small_models(draw) -> Model:
    """A random small CNN or MLP, optionally with a residual block and a pooling layer."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers: list = []
    if draw(st.booleans()):
        c, h = draw(st.integers(1, 3)), draw(st.integers(3, 6))
        layers.append(Input("in", (c, h, h)))
        out_c = draw(st.integers(1, 4))
        k = draw(st.integers(1, 3))
        pad = draw(st.integers(0, 1))
        layers.append(Conv2d("conv", ("in",), rng.normal(size=(out_c, c, k, k)),
                             rng.normal(size=out_c), stride=draw(st.integers(1, 2)),
                             padding=pad))
        layers.append(Activation("act", ("conv",), draw(st.sampled_from(ACTIVATIONS))))
        last = "act"
        if draw(st.booleans()):  # residual: conv 3x3 pad 1 keeps the shape
            layers.append(Conv2d("res", (last,), rng.normal(size=(out_c, out_c, 3, 3)),
                                 rng.normal(size=out_c), padding=1))
            layers.append(Add("add", (last, "res")))
            last = "add"
        if draw(st.booleans()):
            pool = AvgPool2d if draw(st.booleans()) else MaxPool2d
            layers.append(pool("pool", (last,), 1, 1))
            last = "pool"
        layers.append(Flatten("flat", (last,)))
        last = "flat"
    else:
        layers.append(Input("in", (draw(st.integers(1, 8)),)))
        last = "in"
    # The first Dense's input size is only known once the graph exists.
    width = Model("probe", tuple(layers)).shapes[last][0]
    for i in range(draw(st.integers(1, 3))):
        out = draw(st.integers(1, 6))
        layers.append(Dense(f"fc{i}", (last,), rng.normal(size=(out, width)), rng.normal(size=out)))
        layers.append(Activation(f"a{i}", (f"fc{i}",), draw(st.sampled_from(ACTIVATIONS))))
        last, width = f"a{i}", out
    meta = {"dataset": draw(st.sampled_from(["digits", "x"])), "seed": draw(st.integers(0, 9))}
    return Model("random", tuple(layers), metadata=meta)


def _same_layers(a: Model, b: Model) -> None:
    assert [type(x) for x in a.layers] == [type(x) for x in b.layers]
    for la, lb in zip(a.layers, b.layers):
        for f in fields(la):
            va, vb = getattr(la, f.name), getattr(lb, f.name)
            if f.name in ARRAY_FIELDS.get(type(la), ()):
                np.testing.assert_array_equal(va, vb)
            else:
                assert va == vb, (la.name, f.name)


@settings(max_examples=40, deadline=None)
@given(model=small_models())
def test_save_load_round_trip(model):
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_model(save_model(model, Path(tmp) / "m.npz"))
    _same_layers(model, loaded)
    assert loaded.name == model.name and loaded.output == model.output
    assert loaded.metadata == model.metadata
    x = np.random.default_rng(0).uniform(size=(3, *model.input.shape))
    np.testing.assert_array_equal(forward(loaded, x), forward(model, x))


def _bn(name, src, channels, rng, eps=1e-5):
    return BatchNorm(name, (src,), rng.uniform(0.5, 2, channels), rng.normal(size=channels),
                     rng.normal(size=channels), rng.uniform(0.1, 3, channels), eps)


def _rel_error(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_batchnorm_folding_is_exact():
    rng = np.random.default_rng(1)
    model = Model("bn", (
        Input("in", (2, 5, 5)),
        Conv2d("conv", ("in",), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3), padding=1),
        _bn("bn1", "conv", 3, rng),
        Activation("relu", ("bn1",), "relu"),
        Flatten("flat", ("relu",)),
        Dense("fc", ("flat",), rng.normal(size=(4, 75)), rng.normal(size=4)),
        _bn("bn2", "fc", 4, rng, eps=1e-3),
        _bn("bn3", "bn2", 4, rng),  # a second BatchNorm folds into the same Dense
    ))
    folded = fold_batchnorm(model)
    assert not any(isinstance(lyr, BatchNorm) for lyr in folded.layers)
    assert folded.output == "fc"
    x = rng.uniform(size=(16, 2, 5, 5))
    assert _rel_error(forward(folded, x), forward(model, x)) <= 1e-12


def test_batchnorm_is_folded_on_load(tmp_path):
    rng = np.random.default_rng(2)
    model = Model("bn", (
        Input("in", (3,)), Dense("fc", ("in",), rng.normal(size=(2, 3)), np.zeros(2)),
        _bn("bn", "fc", 2, rng), Activation("act", ("bn",), "silu"),
    ))
    loaded = load_model(save_model(model, tmp_path / "bn.npz"))
    assert [type(lyr) for lyr in loaded.layers] == [Input, Dense, Activation]
    assert loaded.layer("act").inputs == ("fc",)
    x = rng.normal(size=(5, 3))
    assert _rel_error(forward(loaded, x), forward(model, x)) <= 1e-12


def test_batchnorm_after_an_activation_is_refused():
    rng = np.random.default_rng(3)
    model = Model("bn", (
        Input("in", (3,)), Dense("fc", ("in",), rng.normal(size=(2, 3)), np.zeros(2)),
        Activation("act", ("fc",), "relu"), _bn("bn", "act", 2, rng),
    ))
    with pytest.raises(NeurosimError, match="'bn'"):
        fold_batchnorm(model)


@pytest.mark.parametrize(("bad", "match"), [
    (np.full((2, 3), np.nan), "NaN or infinite"),
    (np.full((2, 4), 1.0), "do not fit"),
])
def test_broken_weights_are_refused_with_the_layer_name(bad, match):
    with pytest.raises(NeurosimError, match=match) as info:
        Model("m", (Input("in", (3,)), Dense("fc", ("in",), bad, np.zeros(2))))
    assert "'fc'" in str(info.value)
