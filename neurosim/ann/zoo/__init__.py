"""The model zoo: trained models shipped inside the package as ``<name>.npz``.

All three are trained on the ``digits`` data set (:func:`neurosim.datasets.load_dataset`)
by :mod:`neurosim.ann.train` (``neurosim model train NAME``); each file's metadata records
the data set, the split, the training command, the seed, the epochs and the test accuracy.

``digits-mlp``
    64 - Dense 128 - ReLU - Dense 64 - ReLU - Dense 10.
``digits-cnn``
    1×8×8 - Conv 16 3×3 pad 1 - ReLU - AvgPool 2 - Conv 32 3×3 pad 1 - ReLU - AvgPool 2 -
    Flatten - Dense 64 - ReLU - Dense 10.
``digits-cnn-silu``
    The same as ``digits-cnn`` with SiLU in place of ReLU.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from neurosim.ann.io import load_model
from neurosim.ann.model import Model
from neurosim.errors import NeurosimError


def _zoo_dir() -> Path:
    return Path(str(resources.files(__name__)))


def zoo_names() -> list[str]:
    """The names of the shipped models, sorted."""
    return sorted(p.stem for p in _zoo_dir().glob("*.npz"))


def zoo_path(name: str) -> Path:
    """The file of the zoo model ``name``."""
    if name not in zoo_names():
        raise NeurosimError(f"no zoo model named {name!r}", where="model zoo",
                            fix=f"use one of: {', '.join(zoo_names())}, or the path of a .npz")
    return _zoo_dir() / f"{name}.npz"


def load_zoo_model(name: str) -> Model:
    """The zoo model ``name`` (see :func:`zoo_names`)."""
    return load_model(zoo_path(name))


def resolve_model(name_or_path: str | Path) -> Model:
    """A model from a zoo name or from the path of a ``.npz`` model file.

    A string that names no zoo model and looks like no path (no ``.npz`` suffix, no
    directory part, no existing file) is reported as an unknown zoo name.
    """
    text = str(name_or_path)
    if text in zoo_names():
        return load_zoo_model(text)
    path = Path(text)
    if path.exists() or path.suffix == ".npz" or len(path.parts) > 1:
        return load_model(path)
    raise NeurosimError(f"{text!r} is neither a zoo model nor a file", where=text,
                        fix=f"use one of: {', '.join(zoo_names())}, or the path of a .npz")
