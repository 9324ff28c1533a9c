"""The numpy reference forward pass against hand-worked examples and explicit loops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.ann.forward import accuracy, forward, forward_all
from neurosim.ann.layers import (
    Activation,
    Add,
    AvgPool2d,
    Conv2d,
    Dense,
    Flatten,
    Input,
    MaxPool2d,
)
from neurosim.ann.model import Model
from neurosim.errors import NeurosimError

X3 = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[1,2,3],[4,5,6],[7,8,9]]
W22 = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])


def _conv_model(shape, weight, bias, stride=1, padding=0) -> Model:
    return Model("conv", (Input("x", shape),
                          Conv2d("c", ("x",), weight, bias, stride=stride, padding=padding)))


def test_conv_2x2_by_hand():
    # y[i,j] = 1·x[i,j] + 2·x[i,j+1] + 3·x[i+1,j] + 4·x[i+1,j+1] + 1
    model = _conv_model((1, 3, 3), W22, np.array([1.0]))
    np.testing.assert_array_equal(forward(model, X3), [[[[38.0, 48.0], [68.0, 78.0]]]])


def test_conv_2x2_stride2_padding1_by_hand():
    # Padded input is 5x5 with the 3x3 in the middle; windows start at rows/cols 0 and 2.
    model = _conv_model((1, 3, 3), W22, np.array([0.0]), stride=2, padding=1)
    np.testing.assert_array_equal(forward(model, X3), [[[[4.0, 18.0], [36.0, 77.0]]]])


def test_pooling_by_hand():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    avg = Model("a", (Input("x", (1, 4, 4)), AvgPool2d("p", ("x",), 2, 2)))
    mx = Model("m", (Input("x", (1, 4, 4)), MaxPool2d("p", ("x",), 2, 2)))
    avg3 = Model("a3", (Input("x", (1, 4, 4)), AvgPool2d("p", ("x",), 3, 1)))
    np.testing.assert_array_equal(forward(avg, x), [[[[2.5, 4.5], [10.5, 12.5]]]])
    np.testing.assert_array_equal(forward(mx, x), [[[[5.0, 7.0], [13.0, 15.0]]]])
    # The mean of a 3x3 window of arange is its centre value.
    np.testing.assert_array_equal(forward(avg3, x), [[[[5.0, 6.0], [9.0, 10.0]]]])


def test_dense_relu_and_residual_by_hand():
    w = np.array([[1.0, 2.0], [3.0, 4.0], [-1.0, 0.0]])
    b = np.array([0.0, 1.0, 2.0])
    proj = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    model = Model("d", (
        Input("x", (2,)),
        Dense("fc", ("x",), w, b),            # [1,-1] -> [-1, 0, 1]
        Activation("relu", ("fc",), "relu"),  # -> [0, 0, 1]
        Dense("skip", ("x",), proj, np.zeros(3)),  # [1,-1] -> [1, -1, 0]
        Add("sum", ("relu", "skip")),         # -> [1, -1, 1]
    ))
    values = forward_all(model, np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(values["fc"], [[-1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(values["relu"], [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(forward(model, np.array([[1.0, -1.0]])), [[1.0, -1.0, 1.0]])
    assert accuracy(model, np.array([[1.0, -1.0], [0.0, 1.0]]), np.array([0, 2])) == 0.5


def test_flatten_is_channel_row_column_order():
    model = Model("f", (Input("x", (2, 2, 3)), Flatten("f", ("x",))))
    x = np.arange(24.0).reshape(2, 2, 2, 3)
    np.testing.assert_array_equal(forward(model, x), x.reshape(2, 12))


@pytest.mark.parametrize(("function", "x", "y"), [
    ("relu", [-2.0, 0.0, 3.0], [0.0, 0.0, 3.0]),
    ("sigmoid", [0.0, -800.0, 800.0], [0.5, 0.0, 1.0]),
    ("silu", [0.0, 800.0, -800.0], [0.0, 800.0, 0.0]),
    ("identity", [-2.0, 5.0, 0.25], [-2.0, 5.0, 0.25]),
    ("tanh", [0.0, 50.0, -50.0], [0.0, 1.0, -1.0]),
    ("gelu", [0.0, 40.0, -40.0], [0.0, 40.0, 0.0]),
])
def test_activations_at_known_points(function, x, y):
    model = Model("a", (Input("x", (3,)), Activation("a", ("x",), function)))
    np.testing.assert_allclose(forward(model, np.array([x])), [y], atol=1e-12)


def test_wrong_input_shape_is_a_user_error():
    model = _conv_model((1, 3, 3), W22, np.array([1.0]))
    with pytest.raises(NeurosimError, match="expected"):
        forward(model, np.zeros((2, 1, 4, 4)))


def _conv_loops(x, w, b, stride, padding):
    """Textbook cross-correlation, one output value at a time."""
    batch, in_c, h, wd = x.shape
    out_c, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    y = np.zeros((batch, out_c, ho, wo))
    for n in range(batch):
        for o in range(out_c):
            for i in range(ho):
                for j in range(wo):
                    total = b[o]
                    for c in range(in_c):
                        for u in range(kh):
                            for v in range(kw):
                                r, s = i * sh + u - ph, j * sw + v - pw
                                if 0 <= r < h and 0 <= s < wd:
                                    total += w[o, c, u, v] * x[n, c, r, s]
                    y[n, o, i, j] = total
    return y


@settings(max_examples=40, deadline=None)
@given(in_c=st.integers(1, 3), out_c=st.integers(1, 3), h=st.integers(1, 7),
       wd=st.integers(1, 7), kh=st.integers(1, 3), kw=st.integers(1, 3),
       sh=st.integers(1, 3), sw=st.integers(1, 3), ph=st.integers(0, 2), pw=st.integers(0, 2),
       seed=st.integers(0, 2**32 - 1))
def test_conv_matches_explicit_loops(in_c, out_c, h, wd, kh, kw, sh, sw, ph, pw, seed):
    if h + 2 * ph < kh or wd + 2 * pw < kw:
        return  # no output position; the model refuses such a layer
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, in_c, h, wd))
    w = rng.normal(size=(out_c, in_c, kh, kw))
    b = rng.normal(size=out_c)
    model = _conv_model((in_c, h, wd), w, b, stride=(sh, sw), padding=(ph, pw))
    y = forward(model, x)
    expected = _conv_loops(x, w, b, (sh, sw), (ph, pw))
    assert y.shape[1:] == model.shapes["c"]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(c=st.integers(1, 3), h=st.integers(1, 7), wd=st.integers(1, 7), kh=st.integers(1, 3),
       kw=st.integers(1, 3), sh=st.integers(1, 3), sw=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_pooling_matches_explicit_loops(c, h, wd, kh, kw, sh, sw, seed):
    if h < kh or wd < kw:
        return
    x = np.random.default_rng(seed).normal(size=(2, c, h, wd))
    ho, wo = (h - kh) // sh + 1, (wd - kw) // sw + 1
    mean = np.zeros((2, c, ho, wo))
    peak = np.zeros((2, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            mean[:, :, i, j] = window.sum(axis=(2, 3)) / (kh * kw)
            peak[:, :, i, j] = window.max(axis=(2, 3))
    avg = Model("a", (Input("x", (c, h, wd)), AvgPool2d("p", ("x",), (kh, kw), (sh, sw))))
    mx = Model("m", (Input("x", (c, h, wd)), MaxPool2d("p", ("x",), (kh, kw), (sh, sw))))
    np.testing.assert_allclose(forward(avg, x), mean, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(forward(mx, x), peak)
