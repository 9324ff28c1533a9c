"""The rate code: integrate-and-fire neurons, reset by subtraction (Rueckauer et al. 2017).

A layer with activation scale λ (a high percentile of its ANN activations on training
images) fires at most once per step; a spike stands for λ/T, so the spike count over the
``T`` steps of an image, times λ/T, approximates the ReLU activation clipped at λ. This is
the data-based layer-wise normalisation of Rueckauer et al. (Front. Neurosci. 11:682,
2017) written in the ANN's own units: their weights ``W·λ_prev/λ`` with threshold 1 equal
ours (``W``, threshold λ/T, spike value λ_prev/T) up to one factor per layer.

Input pixels enter as a constant current (the default: the input neuron's bias is the
pixel value every step) or as Poisson spikes with probability ``x/λ_in`` per step, drawn
from a seeded counter-based generator so every simulator sees the same spikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from neurosim.coding.base import (
    CodeInfo,
    NeuronSequences,
    SpikeCode,
    activation_scale,
    check_percentile,
    check_steps,
    require_relu,
)
from neurosim.errors import NeurosimError


@dataclass(frozen=True)
class Rate(SpikeCode):
    """Rate code with ``T`` steps per image, normalised at ``percentile``."""

    T: int = 64
    percentile: float = 99.9
    input: str = "current"
    seed: int = 0

    name = "rate"
    dynamics = "if"

    def __post_init__(self) -> None:
        check_steps(self.T)
        check_percentile(self.percentile)
        if self.input not in ("current", "poisson"):
            raise NeurosimError(f"unknown rate input encoding {self.input!r}",
                                fix="use 'current' or 'poisson'")

    @property
    def window(self) -> int:
        return int(self.T)

    @property
    def input_dynamics(self) -> str:
        return "poisson" if self.input == "poisson" else "if"

    @property
    def stage_steps(self) -> int:
        return 1  # a spike sent in one step is integrated by the next layer in the next

    def check_activation(self, activation: str, layer: str) -> None:
        require_relu(self.name, activation, layer)

    def neuron_sequences(self, activation: str, samples: np.ndarray, role: str) -> NeuronSequences:
        # The input is never clipped: its scale is the largest pixel value.
        scale = (activation_scale(samples, 100.0) if role == "input"
                 else activation_scale(samples, self.percentile))
        quantum = np.full(self.T, scale / self.T)
        return NeuronSequences(threshold=quantum, reset=quantum.copy(), out_weight=quantum.copy())

    def params(self) -> dict[str, Any]:
        return {"T": int(self.T), "percentile": self.percentile, "input": self.input,
                "seed": self.seed}


INFO = CodeInfo(name="rate", code=Rate, label="rate", colour="#7570b3", marker="o",
                step_option="T", sweep_options=("T", "percentile", "input", "seed"))
"""The rate code's entry in :data:`neurosim.coding.REGISTRY`."""
