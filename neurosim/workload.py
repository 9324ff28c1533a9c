"""A model together with its data: what every command starts from.

The data set is the one named in the model's metadata (``digits`` for the zoo) unless the
user names another. Calibration (the activation scales of each code) uses the first
:data:`CALIBRATION_IMAGES` training images; accuracy uses the test split.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurosim.ann.forward import forward
from neurosim.ann.model import Model
from neurosim.ann.zoo import resolve_model
from neurosim.coding.base import SpikeCode
from neurosim.compare_defaults import CompareDefaults, compare_defaults
from neurosim.datasets import Dataset, as_model_input, check_fits, load_dataset
from neurosim.snn.convert import convert, convert_codes
from neurosim.snn.network import SNN
from neurosim.snn.quantise import Precision

CALIBRATION_IMAGES = 512


@dataclass(frozen=True, eq=False)
class Workload:
    model: Model
    dataset: Dataset

    @property
    def x_test(self) -> np.ndarray:
        return as_model_input(self.dataset.x_test, self.model)

    @property
    def y_test(self) -> np.ndarray:
        return self.dataset.y_test

    @property
    def compare_defaults(self) -> CompareDefaults:
        """What ``compare`` runs for the values the user leaves out: the model's own (its
        metadata, :mod:`neurosim.compare_defaults`) or the main job's."""
        return compare_defaults(self.model.metadata)

    def calibration(self, n: int = CALIBRATION_IMAGES) -> np.ndarray:
        return as_model_input(self.dataset.x_train[:n], self.model)

    @functools.cache  # noqa: B019 (a Workload is immutable and hashed by identity)
    def ann_outputs(self, n: int | None = None) -> np.ndarray:
        """The ANN's outputs on the first ``n`` test images (all by default), computed once
        per workload and ``n``: every row of a comparison compares with them."""
        return forward(self.model, self.x_test[:n])

    def ann_accuracy(self, n: int | None = None) -> float:
        """Top-1 accuracy of the ANN on the first ``n`` test images (all by default)."""
        logits = self.ann_outputs(n)
        return float(np.mean(np.argmax(logits, axis=1) == self.y_test[:n]))

    def convert(self, code: SpikeCode, precision: Precision) -> SNN:
        """The SNN of ``code`` at ``precision``, calibrated on the training images.

        The precision has no default because a chip fixes it: ``neurosim.run`` and every
        command that compiles convert at the chip's weight bits
        (``neurosim.precision_for(hardware)``); ``Precision()`` is the 8-bit conversion of
        ``neurosim convert`` and ``Precision.ideal()`` the float network.
        """
        snn = convert(self.model, code, self.calibration(), precision)
        snn.metadata.setdefault("dataset", self.dataset.name)
        return snn

    def convert_codes(self, codes: Sequence[SpikeCode], precision: Precision) -> list[SNN]:
        """:meth:`convert` for each code, sharing what does not depend on it (a T sweep)."""
        snns = convert_codes(self.model, codes, self.calibration(), precision)
        for snn in snns:
            snn.metadata.setdefault("dataset", self.dataset.name)
        return snns


def load_workload(model: str | Path | Model, dataset: str | Path | None = None) -> Workload:
    """The model (zoo name, file or object) and its data set."""
    if not isinstance(model, Model):
        model = resolve_model(model)
    name = dataset or model.metadata.get("dataset") or "digits"
    data = load_dataset(name)
    check_fits(data, model)
    return Workload(model=model, dataset=data)
