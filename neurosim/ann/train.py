"""Training of the zoo models (``neurosim model train NAME``), with PyTorch.

torch is optional and imported only here, inside the functions. Training is made
repeatable: one seed drives the initial weights, the batch order and the augmentation;
torch runs on one thread with deterministic algorithms. The same torch version on the
same kind of CPU gives the same weights; another version may differ in the last bits.

Every model trains on the training part of the ``digits`` split
(:data:`neurosim.datasets.SPLIT_RULE`) with AdamW, a one-cycle learning-rate schedule up
to 0.01, cross-entropy with label smoothing 0.1, and random shifts of each image by −1, 0
or +1 pixel in each direction (the borders filled with zeros), for a fixed number of
epochs (no early stopping). These settings were chosen on a validation split carved from
the training data by the same rule (:func:`neurosim.datasets.split_indices` applied to
the training labels); the test accuracy stored in the metadata is measured after
training with the numpy reference forward pass.
"""

from __future__ import annotations

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
from neurosim.datasets import SPLIT_RULE, as_model_input, load_dataset
from neurosim.errors import NeurosimError


@dataclass(frozen=True)
class Recipe:
    """How one zoo model is built and trained."""

    name: str
    architecture: str
    kind: str  # "mlp" or "cnn"
    activation: str  # "relu" or "silu"
    epochs: int
    batch_size: int = 32
    max_lr: float = 1e-2
    weight_decay: float = 1e-4
    shift_px: int = 1
    label_smoothing: float = 0.1


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("digits-mlp", "64 - Dense 128 - ReLU - Dense 64 - ReLU - Dense 10",
               kind="mlp", activation="relu", epochs=150),
        Recipe("digits-cnn", "1x8x8 - Conv 16 3x3 pad 1 - ReLU - AvgPool 2 - Conv 32 3x3 pad 1 - "
               "ReLU - AvgPool 2 - Flatten - Dense 64 - ReLU - Dense 10",
               kind="cnn", activation="relu", epochs=300),
        Recipe("digits-cnn-silu", "1x8x8 - Conv 16 3x3 pad 1 - SiLU - AvgPool 2 - Conv 32 3x3 "
               "pad 1 - SiLU - AvgPool 2 - Flatten - Dense 64 - SiLU - Dense 10",
               kind="cnn", activation="silu", epochs=300),
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


def build_module(rec: Recipe) -> Any:
    """The untrained torch module of ``rec`` (weights from torch's global generator)."""
    torch = _import_torch()
    nn = torch.nn
    act: Callable[[], Any] = {"relu": nn.ReLU, "silu": nn.SiLU}[rec.activation]
    if rec.kind == "mlp":
        layers = [("fc1", nn.Linear(64, 128)), ("act1", act()), ("fc2", nn.Linear(128, 64)),
                  ("act2", act()), ("fc3", nn.Linear(64, 10))]
    else:
        layers = [
            ("conv1", nn.Conv2d(1, 16, 3, padding=1)), ("act1", act()), ("pool1", nn.AvgPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, 3, padding=1)), ("act2", act()), ("pool2", nn.AvgPool2d(2)),
            ("flatten", nn.Flatten()), ("fc1", nn.Linear(32 * 2 * 2, 64)), ("act3", act()),
            ("fc2", nn.Linear(64, 10)),
        ]
    return nn.Sequential(OrderedDict(layers))


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
    """Train the network of ``rec`` on images ``x_train`` (N, 1, 8, 8) and labels ``y_train``.

    Runs on one thread with deterministic algorithms (restoring torch's settings after);
    returns the trained network as a neurosim model without metadata.
    """
    torch = _import_torch()
    n_epochs = rec.epochs if epochs is None else int(epochs)
    if n_epochs < 1:
        raise NeurosimError(f"epochs is {n_epochs}", where="neurosim model train",
                            fix="train for at least one epoch")
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        torch.set_num_threads(1)
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
        for epoch in range(n_epochs):
            order = torch.randperm(len(labels_all), generator=generator)
            total = 0.0
            for start in range(0, len(order), rec.batch_size):
                batch = order[start:start + rec.batch_size]
                images = _shift(torch, images_all[batch], rec.shift_px, generator)
                if rec.kind == "mlp":
                    images = images.reshape(len(batch), -1)
                loss = loss_fn(module(images), labels_all[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                total += float(loss.detach()) * len(batch)
            if log and (epoch + 1) % 25 == 0:
                log(f"{rec.name}: epoch {epoch + 1}/{n_epochs}, "
                    f"loss {total / len(labels_all):.4f}")
        module.eval()
        input_shape = (64,) if rec.kind == "mlp" else (1, 8, 8)
        return from_torch(module, input_shape, name=rec.name)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def train(name: str, seed: int = 0, epochs: int | None = None,
          log: Callable[[str], None] | None = None) -> Model:
    """Train the zoo model ``name`` on the digits split and return it as a neurosim model.

    ``epochs`` overrides the recipe's number of epochs. The returned model's metadata
    records how it was made and its test accuracy through the numpy reference pass.
    """
    torch = _import_torch()
    rec = recipe(name)
    n_epochs = rec.epochs if epochs is None else int(epochs)
    data = load_dataset("digits")
    started = time.perf_counter()
    model = fit(rec, data.x_train, data.y_train, seed=seed, epochs=n_epochs, log=log)
    train_time_s = time.perf_counter() - started
    test_acc = accuracy(model, as_model_input(data.x_test, model), data.y_test)
    train_acc = accuracy(model, as_model_input(data.x_train, model), data.y_train)
    metadata = {
        "dataset": "digits",
        "split": SPLIT_RULE,
        "architecture": rec.architecture,
        "training_command": f"neurosim model train {name} --seed {seed}"
                            + (f" --epochs {n_epochs}" if epochs is not None else ""),
        "training": (f"AdamW (weight decay {rec.weight_decay}), one-cycle lr up to {rec.max_lr}, "
                     f"batch {rec.batch_size}, cross-entropy with label smoothing "
                     f"{rec.label_smoothing}, random ±{rec.shift_px} px shifts"),
        "seed": seed,
        "epochs": n_epochs,
        "test_accuracy": test_acc,
        "train_accuracy": train_acc,
        "test_images": len(data.y_test),
        "train_time_s": round(train_time_s, 1),
        "torch_version": str(torch.__version__),
        "date": datetime.now(UTC).date().isoformat(),
    }
    return model.with_layers(model.layers, metadata=metadata, source=f"trained {name}")


__all__ = ["RECIPES", "Recipe", "build_module", "fit", "recipe", "train"]
