"""The accuracy and spike targets of the FS, rate and TTFS codes on the digits zoo."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from neurosim.cli import main
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.snn.functional import simulate
from neurosim.snn.io import load_snn
from neurosim.snn.quantise import Precision
from neurosim.workload import load_workload

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def workload(name: str):
    return load_workload(name)


def evaluate(name: str, code) -> tuple[float, float, float]:
    """(ANN accuracy, SNN accuracy, spikes per neuron) on the whole test split."""
    wl = workload(name)
    result = simulate(wl.convert(code, Precision()), wl.x_test)
    return wl.ann_accuracy(), result.accuracy(wl.y_test), result.spikes_per_neuron()


@pytest.mark.parametrize(("model", "tolerance_pp", "max_spikes"), [
    ("digits-cnn", 0.2, 1.5),
    ("digits-mlp", 0.2, None),
    ("digits-cnn-silu", 0.5, None),
])
def test_fs_conversion_keeps_accuracy(model: str, tolerance_pp: float, max_spikes: float | None) -> None:
    ann, snn, spikes = evaluate(model, FS())
    assert abs(snn - ann) * 100 <= tolerance_pp, (ann, snn)
    if max_spikes is not None:
        assert spikes <= max_spikes


def test_rate_code_reaches_the_ann_within_one_point_at_some_T_up_to_256() -> None:
    ann = workload("digits-cnn").ann_accuracy()
    for steps in (8, 16, 32, 64, 128, 256):
        _, snn, spikes = evaluate("digits-cnn", Rate(T=steps))
        if (ann - snn) * 100 <= 1.0:
            break
    else:
        pytest.fail("no T ≤ 256 brings the rate code within 1 pp of the ANN")
    assert spikes > 0


def test_ttfs_is_within_one_point_with_at_most_one_spike_per_neuron() -> None:
    ann, snn, spikes = evaluate("digits-cnn", TTFS())
    assert (ann - snn) * 100 <= 1.0 and spikes <= 1.0


def test_convert_command_prints_and_saves(tmp_path, capsys) -> None:
    out = tmp_path / "fs.npz"
    assert main(["convert", "digits-cnn", "--code", "fs", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    # 353 of 355 images with its 95 % Wilson interval (0.97969, 0.99845), worked in test_stats.
    assert "ANN accuracy 99.44 (98.0–99.8) %" in text and "spikes per neuron by layer" in text
    assert "K auto" not in text  # without --K the per-activation default stays
    snn = load_snn(out)
    wl = workload("digits-cnn")
    assert simulate(snn, wl.x_test[:20]).outputs.shape == (20, 10)


def test_convert_command_sweeps_T(capsys) -> None:
    assert main(["convert", "digits-cnn", "--code", "rate", "--T", "4,8", "--images", "40"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("rate")]
    assert [row.split()[1] for row in rows] == ["T=4", "T=8"]
    spikes = [float(row.split()[4]) for row in rows]
    assert spikes[1] > spikes[0]


@pytest.mark.parametrize(("argv", "needle"), [
    (["--code", "rate", "--T", "0"], "--T 0 is outside the allowed"),
    (["--code", "rate", "--T", "-4"], "--T -4 is outside the allowed"),
    (["--code", "ttfs", "--T", "8,x"], "comma-separated"),
    (["--code", "rate", "--percentile", "0"], "percentile"),
    (["--code", "rate", "--percentile", "100.1"], "percentile"),
    (["--code", "fs", "--K", "0"], "--K: 0 is outside the allowed"),
    (["--code", "fs", "--T", "8"], "--K"),
    (["--code", "rate", "--K", "5"], "--K"),
    (["--code", "fs", "--percentile", "99"], "--percentile"),
    (["--code", "ttfs", "--input", "poisson"], "--input"),
])
def test_convert_bad_options_exit_2_with_one_line(argv: list[str], needle: str, capsys) -> None:
    assert main(["convert", "digits-cnn", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err


def test_non_relu_models_point_rate_users_to_fs(capsys) -> None:
    assert main(["convert", "digits-cnn-silu", "--code", "ttfs"]) == 2
    captured = capsys.readouterr()
    assert "'act1'" in captured.err and "FS code" in captured.err and captured.out == ""


def test_max_pooling_model_is_refused_by_the_command(tmp_path, capsys) -> None:
    from neurosim.ann.io import save_model
    from neurosim.ann.layers import Activation, Conv2d, Dense, Flatten, Input, MaxPool2d
    from neurosim.ann.model import Model

    model = Model("mp", (
        Input("in", (1, 8, 8)),
        Conv2d("c", ("in",), np.ones((2, 1, 3, 3)), np.zeros(2), 1, 1),
        Activation("a", ("c",), "relu"),
        MaxPool2d("pool", ("a",), 2, 2),
        Flatten("f", ("pool",)),
        Dense("d", ("f",), np.ones((10, 32)), np.zeros(10)),
    ), metadata={"dataset": "digits"})
    path = save_model(model, tmp_path / "mp.npz")
    assert main(["convert", str(path), "--code", "fs"]) == 2
    err = capsys.readouterr().err
    assert "'pool'" in err and "average pooling" in err


def test_a_sequence_file_longer_than_the_window_is_refused(capsys) -> None:
    argv = ["convert", "digits-cnn-silu", "--code", "fs", "--K", "12",
            "--sequences", str(ROOT / "neurosim/coding/sequences/silu_K16.yaml")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'act1'" in err and "K = 16" in err and "K = 12" in err


def test_user_sequences_from_fit_fs_are_used(tmp_path, capsys) -> None:
    """A sparser fitted SiLU (spike weight 0.03) gives fewer spikes than the default."""
    sparse = str(ROOT / "docs/fs-pareto-silu-K16/silu_K16_W0.03.yaml")
    assert main(["convert", "digits-cnn-silu", "--code", "fs", "--images", "60",
                 "--sequences", sparse]) == 0
    with_file = capsys.readouterr().out
    assert main(["convert", "digits-cnn-silu", "--code", "fs", "--images", "60"]) == 0
    default = capsys.readouterr().out

    def spikes(text: str) -> float:
        return float(next(line for line in text.splitlines() if line.startswith("fs")).split()[4])
    assert spikes(with_file) < spikes(default)


def test_an_output_path_that_cannot_be_written_is_one_line(tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    argv = ["convert", "digits-mlp", "--images", "10", "--out", str(blocker / "snn.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a-file" in err
