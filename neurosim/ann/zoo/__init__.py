"""The model zoo: trained models shipped inside the package as ``<name>.npz``.

All are trained by :mod:`neurosim.ann.train` (``neurosim model train NAME --seed 0``,
repeatable for a seed on CPU); each file's metadata records the data set, the split, the
training command, the seed, the epochs and the test accuracy, measured with neurosim's
numpy reference forward pass. Three are trained on the ``digits`` data set
(:func:`neurosim.datasets.load_dataset`), three on ``fashion-mnist`` (Debian's
``dataset-fashion-mnist``; 60,000 training images, tested on the 10,000 test images).
Their training times were measured on a shared two-core machine with other jobs running.

``digits-mlp``
    64 - Dense 128 - ReLU - Dense 64 - ReLU - Dense 10.
``digits-cnn``
    1×8×8 - Conv 16 3×3 pad 1 - ReLU - AvgPool 2 - Conv 32 3×3 pad 1 - ReLU - AvgPool 2 -
    Flatten - Dense 64 - ReLU - Dense 10.
``digits-cnn-silu``
    The same as ``digits-cnn`` with SiLU in place of ReLU.
``fashion-mlp``
    784 - Dense 256 - ReLU - Dense 128 - ReLU - Dense 10: 235,146 parameters, 384 spiking
    neurons; 88.43 % on the 10,000 test images (15 epochs, 139 s of training).
``fashion-cnn``
    1×28×28 - Conv 16 3×3 pad 1 - ReLU - AvgPool 2 - Conv 16 3×3 pad 1 - ReLU - AvgPool 2 -
    Flatten - Dense 128 - ReLU - Dense 10: 104,250 parameters, 15,808 spiking neurons;
    92.05 % (12 epochs, 562 s). conv2 has 16 channels so that each fc1 neuron reads
    16×14×14 = 3,136 neurons (the pooling folds into fc1), within a Loihi core's 4,096
    input axons.
``fashion-resnet``
    The deep case, where rate coding needs many steps: 1×28×28 - three stages of
    [Conv 3×3 - BN - ReLU - residual block] with 16, 32, 64 channels at 28×28, 14×14 and
    7×7, AvgPool 2 between the stages - AvgPool 7 - Flatten - Dense 10. A residual block is
    x ↦ ReLU(x + BN(Conv(ReLU(BN(Conv(x)))))); nine 3×3 convolutions without bias, their
    BatchNorm folded into them on import, no max pooling. 120,938 parameters,
    65,856 spiking neurons (12,544 in each of the three ReLU layers at 28×28, 6,272 at
    14×14, 3,136 at 7×7); 92.35 % (6 epochs, 1,577 s).

Besides the shipped files, the synthetic scale zoo (:mod:`neurosim.ann.zoo.synthetic`:
``resnet20-synthetic``, ``resnet18-synthetic``, ``resnet50-synthetic``) is generated on
demand from a seed and cached; :func:`resolve_model` and ``neurosim model list`` know both.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from neurosim.ann.io import load_model
from neurosim.ann.model import Model
from neurosim.ann.zoo.synthetic import load_synthetic_model, synthetic_names
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


def all_model_names() -> list[str]:
    """The shipped zoo models, then the synthetic ones (generated on demand)."""
    return zoo_names() + synthetic_names()


def resolve_model(name_or_path: str | Path) -> Model:
    """A model from a zoo name or from the path of a ``.npz`` model file.

    A string that names no zoo model and looks like no path (no ``.npz`` suffix, no
    directory part, no existing file) is reported as an unknown zoo name.
    """
    text = str(name_or_path)
    if text in zoo_names():
        return load_zoo_model(text)
    if text in synthetic_names():
        return load_synthetic_model(text)
    path = Path(text)
    if path.exists() or path.suffix == ".npz" or len(path.parts) > 1:
        return load_model(path)
    raise NeurosimError(f"{text!r} is neither a zoo model nor a file", where=text,
                        fix=f"use one of: {', '.join(all_model_names())}, or the path of a .npz")
