"""A time-to-first-spike (TTFS) code: at most one spike per neuron per image.

This is a discretised form of the exact ReLU-to-TTFS mapping of Stanojevic et al.
(Nat. Commun. 15, 2024), in the layer-by-layer pipelined scheme of Rueckauer & Liu
(ISCAS 2018). Each layer has a window of ``T`` steps. A neuron's value ``a`` in
``[0, λ]`` is sent as one spike at step ``k = T − round(a/q)`` with ``q = λ/T``: the larger
the value, the earlier the spike; a value below ``q/2`` sends none.

How the hardware computes it: a spike arriving at step ``k`` starts a constant synaptic
current ``w`` that the receiving neuron integrates until the end of the window, adding
``w·(T − k)`` to its potential; this is the output weight ``d(k) = (T − k)·q`` of the
shared form. In its own window the neuron fires at the first step ``k`` at which its
potential exceeds the falling threshold ``T(k) = (T − k − ½)·q`` (a linear ramp), and is
then silenced for the rest of the window. Layers pipeline: a layer fires image ``n`` while
the next integrates it, so latency is ``T`` steps per layer and a new image enters every
``T`` steps.
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


@dataclass(frozen=True)
class TTFS(SpikeCode):
    """TTFS code with ``T`` steps per layer, scale λ at ``percentile`` of each layer."""

    T: int = 32
    percentile: float = 99.9

    name = "ttfs"
    dynamics = "fs"

    def __post_init__(self) -> None:
        check_steps(self.T)
        check_percentile(self.percentile)

    @property
    def window(self) -> int:
        return int(self.T)

    @property
    def stage_steps(self) -> int:
        return int(self.T)

    def check_activation(self, activation: str, layer: str) -> None:
        require_relu(self.name, activation, layer)

    def neuron_sequences(self, activation: str, samples: np.ndarray, role: str) -> NeuronSequences:
        scale = (activation_scale(samples, 100.0) if role == "input"
                 else activation_scale(samples, self.percentile))
        q = scale / self.T
        remaining = self.T - np.arange(self.T, dtype=np.float64)  # T − k
        return NeuronSequences(
            threshold=(remaining - 0.5) * q,
            reset=np.full(self.T, np.inf),
            out_weight=remaining * q,
        )

    def params(self) -> dict[str, Any]:
        return {"T": int(self.T), "percentile": self.percentile}


INFO = CodeInfo(name="ttfs", code=TTFS, label="TTFS", colour="#d95f02", marker="s",
                step_option="T", sweep_options=("T", "percentile"), one_spike_per_window=True)
"""The TTFS code's entry in :data:`neurosim.coding.REGISTRY`."""
