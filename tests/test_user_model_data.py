"""A user's own model and data through every command (issue 12, point 1).

The model here is written by the test, not taken from the zoo, and its data set is a user
``.npz`` whose own split must be kept as given.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurosim.ann.forward import forward
from neurosim.ann.io import load_model, save_model
from neurosim.ann.layers import Activation, Conv2d, Dense, Flatten, Input
from neurosim.ann.model import Model, fold_input_normalisation
from neurosim.cli import main
from neurosim.datasets import load_dataset
from neurosim.snn.quantise import Precision

CLASSES = 4


def _user_data(path, n_train: int = 40, n_test: int = 24, channels: int = 1, size: int = 6,
               classes: int = CLASSES, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    np.savez(path, x_train=rng.integers(0, 256, (n_train, channels, size, size), dtype=np.uint8),
             y_train=np.arange(n_train) % classes,
             x_test=rng.integers(0, 256, (n_test, channels, size, size), dtype=np.uint8),
             y_test=np.arange(n_test) % classes)
    return str(path)


def _user_model(path, dataset: str | None, seed: int = 1) -> str:
    """A small CNN with seeded weights, written as a user's model file."""
    rng = np.random.default_rng(seed)
    layers = [Input("x", (1, 6, 6)),
              Conv2d("conv", ("x",), rng.normal(0, 0.5, (3, 1, 3, 3)), rng.normal(0, 0.1, 3),
                     padding=(1, 1)),
              Activation("relu1", ("conv",), "relu"), Flatten("flat", ("relu1",)),
              Dense("fc", ("flat",), rng.normal(0, 0.3, (8, 108)), rng.normal(0, 0.1, 8)),
              Activation("relu2", ("fc",), "relu"),
              Dense("out", ("relu2",), rng.normal(0, 0.5, (CLASSES, 8)), np.zeros(CLASSES))]
    metadata = {"dataset": dataset} if dataset else {}
    save_model(Model("my-cnn", tuple(layers), metadata=metadata), path)
    return str(path)


def test_user_npz_split_is_kept_as_given(tmp_path) -> None:
    data = load_dataset(_user_data(tmp_path / "data.npz", n_train=40, n_test=24))
    assert (len(data.y_train), len(data.y_test)) == (40, 24)
    raw = np.load(tmp_path / "data.npz")
    np.testing.assert_array_equal(data.x_test, raw["x_test"] / 255.0)
    np.testing.assert_array_equal(data.y_train, raw["y_train"])
    assert data.describe()["train_images"] == 40 and data.describe()["test_images"] == 24


@pytest.mark.slow
def test_compare_on_a_user_model_file_and_data_set(tmp_path) -> None:
    data = _user_data(tmp_path / "data.npz")
    model = _user_model(tmp_path / "my.npz", dataset=None)
    out = tmp_path / "report"
    argv = ["compare", "--model", model, "--dataset", data, "--codes", "fs,rate", "--K", "6",
            "--rate-T", "8", "--images", "3", "--set", "core.neurons=64", "--out", str(out),
            "--quiet"]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["model"] == "my-cnn"
    assert summary["dataset"]["name"] == data
    assert (summary["dataset"]["train_images"], summary["dataset"]["test_images"]) == (40, 24)
    assert summary["hardware_overrides"] == ["core.neurons=64"]
    for row in summary["rows"]:
        assert row["accuracy_images"] == 24
        assert row["hardware_overrides"] == ["core.neurons=64"]
        assert row["dataset"]["name"] == data
    report = (out / "report.md").read_text()
    assert data in report and "40 train / 24 test" in report
    assert "core.neurons=64" in report
    assert (out / "spike_raster.png").stat().st_size > 0


def test_convert_uses_the_data_set_the_model_file_names(tmp_path, capsys) -> None:
    data = _user_data(tmp_path / "data.npz")
    model = _user_model(tmp_path / "my.npz", dataset=data)
    assert main(["convert", model, "--code", "fs", "--K", "6"]) == 0
    out = capsys.readouterr().out
    assert f"on 24 test images of {data}" in out


def _one_line_error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("command", ["convert", "compare"])
def test_wrong_channel_count_is_one_line(command, tmp_path, capsys) -> None:
    data = _user_data(tmp_path / "rgb.npz", channels=3)
    model = _user_model(tmp_path / "my.npz", dataset=None)
    argv = [command, model if command == "convert" else "--model", *([] if command == "convert"
            else [model]), "--dataset", data]
    if command == "compare":
        argv += ["--out", str(tmp_path / "o"), "--quiet"]
    err = _one_line_error(argv, capsys)
    assert "3-channel images" in err and "reads 1 channels" in err and data in err
    assert not (tmp_path / "o").exists()


def test_wrong_image_size_and_the_default_digits_name_the_data_set(tmp_path, capsys) -> None:
    model = _user_model(tmp_path / "my.npz", dataset=None)  # falls back to digits (8x8)
    err = _one_line_error(["convert", model], capsys)
    assert "data set 'digits'" in err and "8x8 pixels" in err and "6x6" in err
    assert "--dataset" in err


def test_labels_outside_the_models_classes_are_refused(tmp_path, capsys) -> None:
    data = _user_data(tmp_path / "data.npz", classes=7)
    model = _user_model(tmp_path / "my.npz", dataset=None)
    err = _one_line_error(["convert", model, "--dataset", data], capsys)
    assert "labels from 0 to 6" in err and "4 output classes" in err


def test_a_user_npz_missing_a_key_is_one_line(tmp_path, capsys) -> None:
    np.savez(tmp_path / "bad.npz", x_train=np.zeros((2, 6, 6)), y_train=np.zeros(2),
             x_test=np.zeros((2, 6, 6)))
    model = _user_model(tmp_path / "my.npz", dataset=None)
    err = _one_line_error(["convert", model, "--dataset", str(tmp_path / "bad.npz")], capsys)
    assert "y_test" in err and "bad.npz" in err


def test_simulate_refuses_a_data_set_that_does_not_fit_the_snn(tmp_path, capsys) -> None:
    data = _user_data(tmp_path / "data.npz")
    model = _user_model(tmp_path / "my.npz", dataset=data)
    snn = tmp_path / "snn.npz"
    assert main(["convert", model, "--code", "rate", "--T", "4", "--out", str(snn)]) == 0
    capsys.readouterr()
    err = _one_line_error(["simulate", str(snn), "--dataset", "digits", "--images", "2",
                           "--out", str(tmp_path / "sim")], capsys)
    assert "data set 'digits'" in err and "(1, 6, 6)" in err


# --- input normalisation folded into the first layer -----------------------------------------

def _random_model(rng, first: str) -> Model:
    x = Input("x", (3, 5, 5))
    if first == "conv":
        layers = [x, Conv2d("c", ("x",), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2),
                            stride=(2, 2), padding=(1, 1)),
                  Activation("r", ("c",), "relu"), Flatten("f", ("r",)),
                  Dense("d", ("f",), rng.normal(size=(4, 18)), rng.normal(size=4))]
    else:
        layers = [x, Flatten("f", ("x",)), Dense("d", ("f",), rng.normal(size=(4, 75)),
                                                 rng.normal(size=4))]
    return Model("m", tuple(layers))


@pytest.mark.parametrize("first", ["conv", "dense"])
def test_folded_normalisation_equals_normalising_the_input(first, tmp_path) -> None:
    rng = np.random.default_rng(3)
    model = _random_model(rng, first)
    mean, std = np.array([0.49, 0.48, 0.45]), np.array([0.25, 0.24, 0.26])
    x = rng.random((7, 3, 5, 5))
    expected = forward(model, (x - mean[:, None, None]) / std[:, None, None])
    folded = fold_input_normalisation(model, mean, std)
    np.testing.assert_allclose(forward(folded, x), expected, rtol=1e-12, atol=1e-12)
    # a padded convolution's border needs a bias map; it survives the model file
    save_model(folded, tmp_path / "f.npz")
    np.testing.assert_allclose(forward(load_model(tmp_path / "f.npz"), x), expected,
                               rtol=1e-12, atol=1e-12)
    if first == "conv":
        assert np.shape(folded.layer("c").bias) == (2, 3, 3)


def test_bad_normalisation_is_refused() -> None:
    model = _random_model(np.random.default_rng(0), "dense")
    from neurosim.errors import NeurosimError
    with pytest.raises(NeurosimError, match="one per input channel"):
        fold_input_normalisation(model, [0.1, 0.2], [1.0, 1.0])
    with pytest.raises(NeurosimError, match="≤ 0"):
        fold_input_normalisation(model, [0.1], [0.0])


def test_from_torch_records_the_data_set_and_folds_the_normalisation(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
                              torch.nn.ReLU(), torch.nn.AvgPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(36, CLASSES)).eval()
    with torch.no_grad():
        net[1].running_mean.uniform_(-1, 1)
        net[1].running_var.uniform_(0.5, 2.0)
    data = _user_data(tmp_path / "data.npz")
    mean, std = 0.1307, 0.3081
    model = from_torch_model(net, data, (mean, std))
    x = load_dataset(data).x_test
    with torch.no_grad():
        expected = net(torch.tensor((x - mean) / std, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(forward(model, x), expected, rtol=1e-4, atol=1e-5)
    assert model.metadata["dataset"] == data
    assert model.metadata["input_normalisation_folded"] == {"mean": [mean], "std": [std]}
    save_model(model, tmp_path / "t.npz")
    assert load_model(tmp_path / "t.npz").metadata["dataset"] == data


def from_torch_model(net, dataset, normalisation):
    from neurosim.ann.torch_import import from_torch
    return from_torch(net, (1, 6, 6), name="torch-cnn", dataset=dataset,
                      normalisation=normalisation)


@pytest.mark.slow
def test_a_normalised_torch_model_converts_and_keeps_its_accuracy(tmp_path) -> None:
    """The bias map of a folded normalisation reaches the SNN: FS gives the ANN's answers."""
    torch = pytest.importorskip("torch")
    from neurosim.coding.fs import FS
    from neurosim.snn.functional import simulate
    from neurosim.workload import load_workload
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(144, CLASSES)).eval()
    data = _user_data(tmp_path / "data.npz")
    model = from_torch_model(net, data, (0.5, 0.25))
    workload = load_workload(model)
    snn = workload.convert(FS(K=12), Precision())
    ann = np.argmax(forward(model, workload.x_test), axis=1)
    snn_out = simulate(snn, workload.x_test).predictions
    assert np.mean(ann == snn_out) >= 0.9
    # the bias map is in the SNN: without it (per-channel bias only) answers would differ
    assert np.shape(model.layer(model.layers[1].name).bias) == (4, 6, 6)
