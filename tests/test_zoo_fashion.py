"""Fashion-MNIST: the loader, and the zoo models trained on it, their accuracy re-measured.

The tests that read the real data skip, saying how to install it, when Debian's
``dataset-fashion-mnist`` is absent; the rest write small IDX directories of their own.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import struct

import numpy as np
import pytest

import neurosim.datasets as datasets
from neurosim.ann.forward import accuracy
from neurosim.ann.io import load_model
from neurosim.ann.layers import Activation, Add, AvgPool2d, BatchNorm, Conv2d, Dense, MaxPool2d
from neurosim.ann.summary import summarize
from neurosim.ann.zoo import load_zoo_model
from neurosim.cli import main
from neurosim.datasets import FASHION_MNIST_DIR, as_model_input, load_dataset
from neurosim.errors import NeurosimError

INSTALL = "apt-get install dataset-fashion-mnist"
needs_fashion = pytest.mark.skipif(
    not FASHION_MNIST_DIR.is_dir(),
    reason=f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR}: "
           f"apt-get update && {INSTALL}")

BARS = {"fashion-mlp": 0.87, "fashion-cnn": 0.88, "fashion-resnet": 0.90}
MAX_SPIKING_NEURONS = 80_000  # small enough to simulate as an SNN on 2 cores


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_fashion(directory, n_train=40, n_test=20, seed=0) -> dict[str, np.ndarray]:
    """Gzipped IDX files named as Debian ships them, with random 28×28 images."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (directory / f"{name}.gz").write_bytes(gzip.compress(_idx_bytes(array)))
    return arrays


def _decode_gz(path, header: int) -> np.ndarray:
    """The bytes after the IDX header, read without neurosim's reader."""
    with gzip.open(path, "rb") as fh:
        return np.frombuffer(fh.read(), np.uint8)[header:]


# --- the loader ------------------------------------------------------------------------


@needs_fashion
def test_installed_fashion_mnist():
    data = load_dataset("fashion-mnist")
    assert data.name == "fashion-mnist"
    assert data.x_train.shape == (60_000, 1, 28, 28) and data.x_test.shape == (10_000, 1, 28, 28)
    assert data.x_train.dtype == np.float64 and data.y_train.dtype == np.int64
    for x in (data.x_train, data.x_test):
        assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() == 1.0
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images of each class.
    np.testing.assert_array_equal(np.bincount(data.y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)
    assert "Fashion-MNIST" in data.description and "60000 / 10000" in data.description
    # The same values as a direct decoding of the files (16-byte image, 8-byte label header).
    raw_images = _decode_gz(FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz", 16)
    raw_labels = _decode_gz(FASHION_MNIST_DIR / "t10k-labels-idx1-ubyte.gz", 8)
    np.testing.assert_array_equal(data.x_test.reshape(-1) * 255.0, raw_images)
    np.testing.assert_array_equal(data.y_test, raw_labels)
    assert load_dataset("fashion-mnist") is data  # decoded once, then cached


def test_a_small_idx_directory_through_fashion_mnist_dir(tmp_path):
    arrays = _write_fashion(tmp_path / "fm")
    spec = f"fashion-mnist:{tmp_path / 'fm'}"
    data = load_dataset(spec)
    assert data.name == spec and data.image_shape == (1, 28, 28)
    assert data.x_train.shape == (40, 1, 28, 28) and data.x_test.shape == (20, 1, 28, 28)
    np.testing.assert_array_equal(data.x_train[:, 0] * 255.0, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert "Fashion-MNIST" in data.description and "40 / 20" in data.description


def test_absent_fashion_mnist_says_how_to_install(tmp_path, monkeypatch):
    missing = tmp_path / "missing"
    with pytest.raises(NeurosimError, match=INSTALL) as explicit:
        load_dataset(f"fashion-mnist:{missing}")
    assert "fashion-mnist:DIR" in str(explicit.value) and "\n" not in str(explicit.value)
    # The default location is looked up on every call, so the cache cannot hide its absence.
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", missing)
    with pytest.raises(NeurosimError, match=INSTALL):
        load_dataset("fashion-mnist")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["model", "info", "digits-mlp", "--data", f"fashion-mnist:{missing}"])
    assert code == 2 and err.getvalue().count("\n") == 1 and INSTALL in err.getvalue()


# --- the zoo models --------------------------------------------------------------------


@needs_fashion
@pytest.mark.parametrize("name", [
    "fashion-mlp", "fashion-cnn", pytest.param("fashion-resnet", marks=pytest.mark.slow)])
def test_accuracy_on_the_10000_test_images_matches_the_metadata(name):
    model = load_zoo_model(name)
    data = load_dataset("fashion-mnist")
    acc = accuracy(model, as_model_input(data.x_test, model), data.y_test)
    assert acc >= BARS[name]
    meta = model.metadata
    assert meta["test_accuracy"] == pytest.approx(acc, abs=1e-12)
    assert meta["dataset"] == "fashion-mnist" and meta["test_images"] == 10_000
    assert "60,000 training" in meta["split"] and "10,000 test" in meta["split"]
    assert meta["training_command"] == f"neurosim model train {name} --seed 0"
    for key in ("seed", "epochs", "train_time_s", "torch_version", "date"):
        assert key in meta


def test_fashion_resnet_is_a_convertible_deep_residual_cnn():
    model = load_zoo_model("fashion-resnet")
    kinds = [type(layer) for layer in model.layers]
    assert kinds.count(Conv2d) >= 8 and kinds.count(Add) >= 3
    assert MaxPool2d not in kinds and BatchNorm not in kinds  # BatchNorm folded into the convs
    assert AvgPool2d in kinds and isinstance(model.layer(model.output), Dense)
    assert {lyr.function for lyr in model.layers if isinstance(lyr, Activation)} == {"relu"}
    assert model.input.shape == (1, 28, 28) and model.shapes[model.output] == (10,)
    spiking = sum(r.neurons for r in summarize(model) if r.role == "spiking")
    assert spiking <= MAX_SPIKING_NEURONS


@pytest.mark.parametrize("name", ["fashion-mlp", "fashion-cnn"])
def test_fashion_cnn_and_mlp_shapes(name):
    model = load_zoo_model(name)
    assert model.shapes[model.output] == (10,)
    assert model.input.shape == ((784,) if name == "fashion-mlp" else (1, 28, 28))
    kinds = [type(layer) for layer in model.layers]
    assert MaxPool2d not in kinds and kinds.count(Conv2d) == (0 if name == "fashion-mlp" else 2)


@pytest.mark.parametrize("name", [
    "fashion-mlp", pytest.param("fashion-cnn", marks=pytest.mark.slow),
    pytest.param("fashion-resnet", marks=pytest.mark.slow)])
def test_train_command_runs_end_to_end_on_a_small_slice(tmp_path, name):
    pytest.importorskip("torch")
    _write_fashion(tmp_path / "fm", n_train=48, n_test=16)
    out = tmp_path / f"{name}.npz"
    data = f"fashion-mnist:{tmp_path / 'fm'}"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["model", "train", name, "--epochs", "1", "--data", data, "--out", str(out)])
    assert code == 0 and str(out) in printed.getvalue()
    model = load_model(out)
    meta = model.metadata
    assert meta["dataset"] == data and meta["epochs"] == 1 and meta["test_images"] == 16
    assert meta["training_command"] == f"neurosim model train {name} --seed 0 --epochs 1 --data {data}"
    # The stored accuracy is what the numpy pass gives on the slice's test images.
    sliced = load_dataset(data)
    assert meta["test_accuracy"] == accuracy(model, as_model_input(sliced.x_test, model),
                                             sliced.y_test)
    # The same seed trains the same weights again (BatchNorm statistics included).
    from neurosim.ann.train import train

    again = train(name, epochs=1, dataset=data)
    for saved, retrained in zip(model.layers, again.layers):
        for field in ("weight", "bias"):
            if hasattr(saved, field):
                np.testing.assert_array_equal(getattr(saved, field), getattr(retrained, field))


def test_training_refuses_data_of_another_shape(tmp_path):
    pytest.importorskip("torch")
    from neurosim.ann.train import train

    with pytest.raises(NeurosimError, match=r"\(1, 8, 8\), fashion-cnn takes \(1, 28, 28\)"):
        train("fashion-cnn", epochs=1, dataset="digits")


@needs_fashion
@pytest.mark.parametrize("name", ["fashion-mlp", "fashion-cnn"])
def test_fashion_models_run_on_loihi_as_the_functional_simulator_says(name):
    # The chip's limits hold (fashion-cnn's fc1 reads 3,136 neurons, within one core's
    # 4,096 input axons) and the engine fires exactly the reference spikes.
    from test_engine_zoo import assert_engine_agrees_on_loihi

    from neurosim.coding.rate import Rate

    assert_engine_agrees_on_loihi(load_zoo_model(name), Rate(T=12), load_dataset("fashion-mnist"), 2)
