"""``neurosim simulate``: files written, fields present, user mistakes reported in one line."""

from __future__ import annotations

import json

import numpy as np

from neurosim.ann.layers import Activation, Dense, Input
from neurosim.ann.model import Model
from neurosim.cli import main
from neurosim.coding.rate import Rate
from neurosim.datasets import load_dataset
from neurosim.report.summary import SUMMARY_FIELDS
from neurosim.snn.convert import convert
from neurosim.snn.io import save_snn


def _digits_like_snn(tmp_path, calibration: np.ndarray, dataset: str) -> str:
    rng = np.random.default_rng(0)
    model = Model("tiny-mlp", (
        Input("in", (64,)),
        Dense("d1", ("in",), rng.normal(size=(16, 64)) / 4, np.zeros(16)),
        Activation("a1", ("d1",), "relu"),
        Dense("out", ("a1",), rng.normal(size=(10, 16)) / 2, np.zeros(10)),
    ), metadata={"dataset": dataset})
    snn = convert(model, Rate(T=8), calibration.reshape(len(calibration), 64))
    return str(save_snn(snn, tmp_path / "tiny.npz"))


def _check_outputs(out, capsys, images: int) -> None:
    block = json.loads((out / "summary.json").read_text())
    assert list(block)[: len(SUMMARY_FIELDS)] == list(SUMMARY_FIELDS)
    assert block["images"] == images and block["code"] == "rate"
    assert 0.0 <= block["snn_accuracy"] <= 1.0
    for name in ("per_core.csv", "per_layer.csv"):
        assert (out / name).read_text().count("\n") >= 2
    assert (out / "per_link.csv").read_text().startswith("from_x,")  # links used, if any
    assert "energy per inference" in capsys.readouterr().out


def test_simulate_end_to_end(tmp_path, capsys) -> None:
    data = load_dataset("digits")
    snn_path = _digits_like_snn(tmp_path, data.x_train[:100], "digits")
    out = tmp_path / "out"
    assert main(["simulate", snn_path, "--hw", "loihi", "--images", "5", "--out", str(out)]) == 0
    _check_outputs(out, capsys, 5)


def test_simulate_reports_a_missing_file(tmp_path, capsys) -> None:
    code = main(["simulate", str(tmp_path / "nope.npz"), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "nope.npz" in err and "\n" not in err and "Traceback" not in err


def test_simulate_rejects_no_images(tmp_path, capsys) -> None:
    code = main(["simulate", "x.npz", "--images", "0", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--images" in capsys.readouterr().err
