"""What a spike code tells the converter.

A code decides, for each layer of the ANN, the neuron sequences ``T(k)``, ``h(k)``,
``d(k)`` of the population that stands for it (in the ANN's own units, so that the
population's value ``Σ_k d(k)·z(k)`` approximates the layer's activation), which of the
two dynamics of :mod:`neurosim.snn.network` it runs, and how images are timed. The
converter (:mod:`neurosim.snn.convert`) does everything else the same way for every code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from neurosim.errors import NeurosimError


@dataclass(frozen=True, eq=False)
class NeuronSequences:
    """``T(k)``, ``h(k)``, ``d(k)`` over one window, in ANN units.

    An infinite reset means "silent for the rest of the window after a spike" and an
    infinite threshold "never fires at this step"; the converter replaces both by finite
    values that the potential provably cannot cross, so integer hardware can hold them.
    """

    threshold: np.ndarray
    reset: np.ndarray
    out_weight: np.ndarray


class SpikeCode(ABC):
    """A way of carrying activations in spikes."""

    name: str
    dynamics: str

    def options(self) -> dict[str, Any]:
        """The code's options (its dataclass fields), as :func:`~neurosim.coding.make_code`
        takes them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    @property
    def input_dynamics(self) -> str:
        """Dynamics of the input (encoding) population; the code's own by default."""
        return self.dynamics

    @property
    @abstractmethod
    def window(self) -> int:
        """Steps per image (per layer)."""

    @property
    @abstractmethod
    def stage_steps(self) -> int:
        """Steps between the windows of consecutive layers for one image."""

    @abstractmethod
    def neuron_sequences(self, activation: str, samples: np.ndarray, role: str) -> NeuronSequences:
        """Sequences for a population approximating ``activation``.

        ``samples`` are the layer's ANN output values on calibration images (the pixels for
        the input population, ``role == "input"``).
        """

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The code's settings, as they appear in reports (e.g. ``{"T": 64}``)."""

    @abstractmethod
    def check_activation(self, activation: str, layer: str) -> None:
        """Raise a clear error if this code cannot represent ``activation``."""

    def for_model(self, activations: set[str]) -> SpikeCode:
        """This code with any setting that depends on the network's activations fixed."""
        return self


@dataclass(frozen=True)
class CodeInfo:
    """What the rest of neurosim knows of a spike code, declared beside it in its module.

    ``code`` is the code's dataclass (its fields are its options); ``label``, ``colour``
    and ``marker`` are how tables and plots show it; ``step_option`` names the option that
    sets its steps per window (shown in row labels, e.g. ``FS K=8``); ``sweep_options``
    the options a sweep file may vary; ``one_spike_per_window`` says a sender fires at most
    once in a window (TTFS), which bounds the potentials a receiver can reach.
    """

    name: str
    code: type[SpikeCode]
    label: str
    colour: str
    marker: str
    step_option: str
    sweep_options: tuple[str, ...]
    one_spike_per_window: bool = False

    @property
    def options(self) -> tuple[str, ...]:
        """Every option of the code (its dataclass fields), in declaration order."""
        return tuple(f.name for f in fields(self.code))  # type: ignore[arg-type]

    def row_label(self, params: dict[str, Any]) -> str:
        """``FS K=8``, ``rate T=32``: the label and the step option's value."""
        value = params.get(self.step_option)
        return self.label if value is None else f"{self.label} {self.step_option}={value}"


def require_relu(code: str, activation: str, layer: str) -> None:
    """Rate and TTFS codes carry only non-negative values: ReLU-like units."""
    if activation != "relu":
        raise NeurosimError(
            f"the {code} code cannot represent the {activation!r} activation "
            "(it carries only non-negative values, as a ReLU does)",
            where=f"layer {layer!r}",
            fix="use the FS code (--code fs), which fits sequences for any activation")


def activation_scale(samples: np.ndarray, percentile: float) -> float:
    """λ: the given percentile of the non-zero values (Rueckauer et al. 2017); 1.0 if none."""
    values = np.asarray(samples, dtype=np.float64).ravel()
    values = values[values > 0]
    if values.size == 0:
        return 1.0
    return float(np.percentile(values, percentile))


def check_percentile(percentile: float) -> None:
    if not (0 < percentile <= 100):
        raise NeurosimError(f"percentile {percentile} is outside (0, 100]",
                            fix="use a high percentile such as 99.9")


def check_steps(steps: int, name: str = "T") -> None:
    if not isinstance(steps, int | np.integer) or steps < 1:
        raise NeurosimError(f"{name} = {steps} steps is not a positive whole number",
                            fix=f"use {name} ≥ 1")
