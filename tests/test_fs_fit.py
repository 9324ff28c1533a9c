"""Fitting FS sequences: the surrogate gradient, the exact loss, the targets, the CLI."""

from __future__ import annotations

import csv
import sys
import types
from dataclasses import replace
from importlib import resources

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.ann.activations import get_activation
from neurosim.cli import main
from neurosim.coding.fs import FSParams, default_sequences, fs_forward, quantise_to_integers
from neurosim.coding.fs_fit import (
    METHODS,
    ExactLoss,
    FitSettings,
    InputDistribution,
    check_activation,
    default_settings,
    fit_fs,
    surrogate_loss_and_gradient,
    surrogate_train,
)
from neurosim.errors import NeurosimError

# The targets on a 100,000-point grid of [−5, 5]: (K, MSE, max error, mean spikes).
TARGETS = {"silu": (16, 2.6e-3, 0.15, 2.0), "sigmoid": (12, 2.6e-4, 0.058, 2.0)}


def grid_figures(params: FSParams) -> tuple[float, float, float]:
    """MSE, max error and mean spikes by running the neuron on the targets' grid."""
    x = np.linspace(-5, 5, 100_000)
    y, spikes = fs_forward(x, params)
    error = y - get_activation(params.activation)(x)
    return float(np.mean(error**2)), float(np.max(np.abs(error))), float(np.mean(spikes))


def assert_meets_targets(params: FSParams) -> None:
    K, mse_max, error_max, spikes_max = TARGETS[params.activation]
    mse, error, spikes = grid_figures(params)
    assert params.K == K
    assert mse <= mse_max, f"MSE {mse}"
    assert error <= error_max, f"max error {error}"
    assert spikes <= spikes_max, f"mean spikes {spikes}"


# --- the shipped defaults -----------------------------------------------------------------


@pytest.mark.parametrize("activation", sorted(TARGETS))
def test_shipped_defaults_meet_the_targets(activation):
    assert_meets_targets(default_sequences(activation, TARGETS[activation][0]))


@pytest.mark.parametrize("activation", sorted(TARGETS))
def test_shipped_defaults_were_made_by_the_default_settings(activation):
    K = TARGETS[activation][0]
    params = default_sequences(activation, K)
    fit = dict(params.fit)
    assert fit.pop("neurosim_version")
    assert fit == default_settings(activation, K).to_dict()
    name = f"{activation}_K{K}.yaml"
    text = resources.files("neurosim.coding.sequences").joinpath(name).read_text()
    assert f"(the default settings of: neurosim fit-fs --activation {activation} --K {K})" in text


def test_only_our_own_fitted_sequences_are_shipped():
    # The authors' published sequences are not needed and not shipped: every file is the
    # output of this package's fitter, with the settings that reproduce it.
    folder = resources.files("neurosim.coding.sequences")
    files = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml"))
    assert files == ["sigmoid_K12.yaml", "silu_K16.yaml"]
    for name in files:
        document = yaml.safe_load(folder.joinpath(name).read_text())
        assert document["format"] == "neurosim-fs-sequences"
        assert document["fit"]["method"] in METHODS
        assert set(document["errors"]) >= {"mse", "max_error", "mean_spikes", "grid_points"}


@pytest.mark.slow
def test_a_fit_with_default_settings_meets_the_sigmoid_targets():
    params = fit_fs(default_settings("sigmoid", 12))
    assert_meets_targets(params)
    mse, error, spikes = grid_figures(params)
    assert params.errors["mse"] == pytest.approx(mse)
    assert params.errors["max_error"] == pytest.approx(error)
    assert params.errors["mean_spikes"] == pytest.approx(spikes)


# --- stage 1: the surrogate gradient ------------------------------------------------------


def sigmoid_problem(K=8, points=400):
    x = np.linspace(-5, 5, points)
    rng = np.random.default_rng(0)
    T = np.sort(rng.uniform(-3, 3, K))[::-1].copy()
    return x, get_activation("sigmoid")(x), np.full(points, 1 / points), T, rng.uniform(0, 2, K)


def test_d_gradient_is_exact():
    # The loss is quadratic in d with the spikes fixed: compare with central differences.
    x, f, w, T, h = sigmoid_problem()
    d = np.random.default_rng(1).normal(0, 0.3, T.size)
    _, _, _, grad_d = surrogate_loss_and_gradient(T, h, d, x, f, w, spike_weight=1e-3)
    for k in range(d.size):
        bump = np.zeros_like(d)
        bump[k] = 1e-6
        plus = surrogate_loss_and_gradient(T, h, d + bump, x, f, w, 1e-3)[0]
        minus = surrogate_loss_and_gradient(T, h, d - bump, x, f, w, 1e-3)[0]
        assert grad_d[k] == pytest.approx((plus - minus) / 2e-6, rel=1e-5, abs=1e-9)


def test_surrogate_training_lowers_the_loss_and_is_deterministic():
    x, f, w, T, h = sigmoid_problem()
    d = np.zeros(T.size)

    def train(seed):
        rng = np.random.default_rng(seed)
        return surrogate_train(T, h, d, x, f, w, 1e-4, rng, steps=300, patience=300)

    T1, h1, d1, history = train(5)
    assert min(history) < 0.1 * history[0]
    # Thresholds and resets moved: the gradient reached them through the surrogate.
    assert not np.allclose(T1, T) and not np.allclose(h1, h)
    T2, h2, d2, history2 = train(5)
    assert history2 == history
    np.testing.assert_array_equal(np.concatenate([T1, h1, d1]), np.concatenate([T2, h2, d2]))
    assert train(6)[3] != history


def test_surrogate_only_method_runs_without_the_search():
    quick = dict(restarts=2, sg_steps=150, patience=50, grid_points=20_001)
    params = fit_fs(default_settings("sigmoid", 6, method="sg", **quick))
    assert params.fit["method"] == "sg"
    assert params.errors["mse"] < 5e-3  # far better than any constant (variance ≈ 0.15)


# --- stage 2: the exact loss --------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), K=st.integers(1, 10), normal=st.booleans())
def test_exact_loss_equals_brute_force(seed, K, normal):
    rng = np.random.default_rng(seed)
    T, h = rng.uniform(-4, 4, K), rng.uniform(-1, 3, K)
    inputs = InputDistribution.normal(0.5, 1.2, -5, 5) if normal else InputDistribution()
    x = inputs.grid(3001)
    f, w = get_activation("silu")(x), inputs.weights(x)
    mse, spikes, d = ExactLoss(x, f, w, spike_weight=0.0).evaluate(T, h)
    # Brute force: the spike pattern of every grid point, weighted least squares for d.
    v, columns = x, []
    for t in range(K):
        columns.append(v > T[t])
        v = v - h[t] * columns[-1]
    Z = np.stack(columns, axis=1).astype(float)
    root = np.sqrt(w)
    d_best = np.linalg.lstsq(Z * root[:, None], f * root, rcond=None)[0]
    assert mse == pytest.approx(w @ (Z @ d_best - f) ** 2, rel=1e-6, abs=1e-12)
    assert spikes == pytest.approx(w @ Z.sum(axis=1), rel=1e-9)
    np.testing.assert_allclose(Z @ d, Z @ d_best, atol=1e-6)


def test_fits_are_deterministic_for_a_seed_and_differ_across_seeds():
    quick = dict(restarts=2, sg_steps=100, patience=50, search_evals=300, final_evals=300,
                 finalists=1, grid_points=20_001)
    first = fit_fs(default_settings("tanh", 6, seed=3, **quick))
    assert fit_fs(default_settings("tanh", 6, seed=3, **quick)) == first
    assert fit_fs(default_settings("tanh", 6, seed=4, **quick)) != first


def test_spike_weight_trades_error_for_spikes_and_bits_quantise():
    quick = dict(restarts=2, sg_steps=100, patience=50, search_evals=500, final_evals=500,
                 finalists=1, grid_points=20_001)
    free = fit_fs(default_settings("sigmoid", 6, spike_weight=0.0, **quick))
    costly = fit_fs(default_settings("sigmoid", 6, spike_weight=0.01, **quick))
    assert costly.errors["mean_spikes"] < free.errors["mean_spikes"]
    assert costly.errors["mse"] > free.errors["mse"]
    quantised = fit_fs(default_settings("sigmoid", 6, bits=4, **quick))
    q = quantise_to_integers(quantised, 4)
    np.testing.assert_allclose(q.T_int * q.potential_scale, quantised.T, rtol=1e-12)
    np.testing.assert_allclose(q.d_int * q.output_scale, quantised.d, rtol=1e-12)
    assert quantised.fit["bits"] == 4


def test_normal_weighting_reports_expected_spikes():
    quick = dict(restarts=1, sg_steps=50, search_evals=200, final_evals=200, finalists=1,
                 grid_points=20_001)
    inputs = InputDistribution.normal(-0.36, 1.46)
    assert (inputs.lo, inputs.hi) == pytest.approx((-0.36 - 7.3, -0.36 + 7.3))
    params = fit_fs(default_settings("silu", 6, inputs, **quick))
    assert params.errors["normal"] == [-0.36, 1.46]
    assert 0 <= params.errors["expected_spikes_normal"] <= 6


# --- checking the activation --------------------------------------------------------------


@pytest.fixture
def user_functions(monkeypatch):
    module = types.ModuleType("fs_user_functions")
    module.softplus = lambda x: np.log1p(np.exp(x))
    module.softmax = lambda x: np.exp(x) / np.exp(x).sum()
    module.cumulative = lambda x: np.cumsum(x)
    module.nan_above_one = lambda x: np.where(x > 1, np.nan, x)
    module.scalar_only = lambda x: float(x)
    monkeypatch.setitem(sys.modules, "fs_user_functions", module)
    return module


def test_check_activation(user_functions):
    x = np.linspace(-5, 5, 1000)
    np.testing.assert_allclose(check_activation("s", user_functions.softplus, x), np.log1p(np.exp(x)))
    for name in ("softmax", "cumulative"):
        with pytest.raises(NeurosimError, match="not elementwise"):
            check_activation(name, getattr(user_functions, name), x)
    with pytest.raises(NeurosimError, match=r"NaN or infinity.*x = 1\.006"):
        check_activation("nan", user_functions.nan_above_one, x)
    with pytest.raises(NeurosimError, match="failed"):
        check_activation("scalar", user_functions.scalar_only, x)


# --- the command line ---------------------------------------------------------------------


def run_cli(capsys, *words):
    status = main(["fit-fs", *words])
    out, err = capsys.readouterr()
    return status, out, err


def assert_user_error(capsys, words, *fragments):
    status, _, err = run_cli(capsys, *words)
    assert status == 2
    assert err.startswith("neurosim: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(K=st.integers(-1000, 0))
def test_cli_rejects_K_below_one(capsys, K):
    assert_user_error(capsys, ["--activation", "silu", "--K", str(K)], "--K", "outside the allowed 1 to 64")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.floats(-1e6, 1e6), width=st.floats(0, 1e6))
def test_cli_rejects_a_range_that_is_not_increasing(capsys, a, width):
    # Fixed-point text: argparse takes "-1e-05" for an option, not a negative number.
    words = ["--activation", "silu", "--K", "4", "--range", f"{a:f}", f"{a - width:f}"]
    assert_user_error(capsys, words, "--range", "A < B")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sigma=st.floats(-1e3, 0))
def test_cli_rejects_a_sigma_that_is_not_positive(capsys, sigma):
    words = ["--activation", "silu", "--K", "4", "--normal", "0", f"{sigma:f}"]
    assert_user_error(capsys, words, "--normal", "σ > 0")


def test_cli_rejects_bad_activations(capsys, user_functions, tmp_path):
    assert_user_error(capsys, ["--activation", "swishy", "--K", "4"], "unknown activation 'swishy'")
    assert_user_error(capsys, ["--activation", "fs_user_functions:softmax", "--K", "4"],
                      "not elementwise")
    assert_user_error(capsys, ["--activation", "fs_user_functions:nan_above_one", "--K", "4"],
                      "NaN or infinity")
    assert_user_error(capsys, ["--activation", "no_such_module_xyz:f", "--K", "4"], "cannot import")
    assert_user_error(capsys, ["--activation", "silu", "--K", "4", "--method", "magic"],
                      "unknown fit method")
    assert_user_error(capsys, ["--activation", "silu", "--K", "4", "--pareto", "1,x"],
                      "--pareto")
    assert_user_error(capsys, ["--activation", "relu", "--K", "10", "--spike-weight", "1"],
                      "--spike-weight: not used for ReLU")


def test_cli_rejects_a_sequence_file_for_another_K(capsys):
    path = str(resources.files("neurosim.coding.sequences").joinpath("silu_K16.yaml"))
    assert_user_error(capsys, ["--activation", "silu", "--K", "8", "--evaluate", path],
                      "silu_K16.yaml: K", "K = 16", "K = 8")


def test_cli_evaluates_a_shipped_file(capsys):
    path = str(resources.files("neurosim.coding.sequences").joinpath("sigmoid_K12.yaml"))
    status, out, _ = run_cli(capsys, "--activation", "sigmoid", "--K", "12", "--evaluate", path)
    assert status == 0
    mse, error, spikes = grid_figures(default_sequences("sigmoid", 12))
    assert f"MSE {mse:.4g}" in out and f"max error {error:.4g}" in out
    assert f"mean spikes {spikes:.4g}" in out


def test_cli_relu_reports_the_papers_expected_spikes(capsys, tmp_path):
    out_file = tmp_path / "relu.yaml"
    status, out, _ = run_cli(capsys, "--activation", "relu", "--K", "10", "--normal", "-0.36",
                             "1.46", "--out", str(out_file))
    assert status == 0
    assert "expected spikes under N(-0.36, 1.46): 1.199" in out
    assert "max error 0.02441" in out
    assert yaml.safe_load(out_file.read_text())["K"] == 10


def test_cli_fits_and_traces_a_pareto_front(capsys, tmp_path, user_functions):
    out_file = tmp_path / "softplus.yaml"
    status, out, _ = run_cli(capsys, "--activation", "fs_user_functions:softplus", "--K", "4",
                             "--restarts", "1", "--out", str(out_file))
    assert status == 0 and "MSE" in out and "mean spikes" in out
    assert yaml.safe_load(out_file.read_text())["activation"] == "fs_user_functions:softplus"

    status, out, _ = run_cli(capsys, "--activation", "sigmoid", "--K", "5", "--restarts", "1",
                             "--pareto", "0,0.02", "--out-dir", str(tmp_path / "front"))
    assert status == 0
    with open(tmp_path / "front" / "pareto.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [float(row["spike_weight"]) for row in rows] == [0.0, 0.02]
    assert float(rows[1]["mean_spikes"]) < float(rows[0]["mean_spikes"])
    assert (tmp_path / "front" / "pareto.png").stat().st_size > 0
    assert (tmp_path / "front" / "sigmoid_K5_W0.02.yaml").exists()


def test_settings_reject_bad_values():
    with pytest.raises(NeurosimError, match="spike weight"):
        FitSettings("silu", 4, spike_weight=-1.0)
    with pytest.raises(NeurosimError, match="at least 2 bits"):
        FitSettings("silu", 4, bits=1)
    with pytest.raises(NeurosimError, match="seed"):
        FitSettings("silu", 4, seed=-1)
    with pytest.raises(NeurosimError, match="K <= 62"):
        FitSettings("silu", 63)
    assert replace(default_settings("silu", 16), seed=1).spike_weight == 2e-3
