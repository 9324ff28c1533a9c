"""``rate T auto``: the rate window at which the rate code agrees with the ANN as often as FS.

A fair FS-against-rate comparison puts the rate code at the T it *needs*, not at a T
picked in advance: on a deep network rate coding needs hundreds of steps where a shallow
one needs tens, and each rate row run through the event engine at every T of a sweep
costs minutes per image at millions of neurons. So ``compare --rate-T auto`` simulates the
rate code once, functionally, up to the largest T of a ladder (an anytime run,
:func:`neurosim.snn.anytime.simulate_windows`, which reads every T of the ladder out of
one run of the longest window, exactly), measures each T's fidelity to the ANN on the
same accuracy images as the FS row (:func:`neurosim.stats.output_fidelity`), and only the
chosen T goes on to compile and the engine.

The rule (:func:`rate_T_rule`, :data:`RULE`): the smallest T on the ladder whose top-1
agreement with the ANN is at least FS's on the same images (counted in images, so a tie
is a tie). Beside it, the smallest T whose relative output error is at most FS's is
reported (or that it is beyond the ladder), since agreement on few images is coarse
while the error is not. When no T of the ladder reaches FS's agreement, the ladder's
largest T is run, rate's closest try (its output error falls as T grows; on few images
the agreement of shorter windows is often tied at zero, and the smallest of a tie would
be the worst row), and the choice says the rule was not met (``reached: false``): a rate
row is still shown, its cost a lower bound on rate's at FS's fidelity, and the table says
it falls short.

Top-1 agreement and not the test accuracy: for the synthetic scale zoo the labels *are*
the ANN's top-1 classes, so the two are the same thing; for a trained model they differ,
and agreement is what "as faithful as FS" means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.compare_defaults import DEFAULT_RATE_T
from neurosim.errors import NeurosimError
from neurosim.snn.anytime import simulate_windows
from neurosim.snn.functional import FunctionalResult
from neurosim.snn.network import SNN
from neurosim.stats import output_fidelity

RULE = ("smallest T on the ladder whose top-1 agreement with the ANN on the accuracy images "
        "is at least FS's on the same images; if none reaches it, the ladder's largest T")


@dataclass(frozen=True)
class RateAuto:
    """A row of a comparison: the rate code at the T of :data:`RULE` among ``ladder``.

    Not a spike code itself (it has no window until FS has been simulated);
    :func:`neurosim.compare.compare` turns it into ``Rate(T=chosen, **rate_options)``.
    """

    ladder: tuple[int, ...] = DEFAULT_RATE_T
    rate_options: dict[str, Any] = field(default_factory=dict)
    name = "rate"

    def __post_init__(self) -> None:
        if not self.ladder or any(int(t) < 1 for t in self.ladder):
            raise NeurosimError(f"rate T auto ladder {self.ladder!r} is not a list of positive "
                                "windows", fix="give e.g. 16,32,64,128,256")
        if "T" in self.rate_options:
            raise NeurosimError("rate T auto chooses T; its other rate options cannot set it")


@dataclass(frozen=True)
class RateTrial:
    """One T of the ladder: its fidelity to the ANN and its spikes per neuron."""

    T: int
    agreeing: int             # images whose arg-max class is the ANN's
    relative_output_error: float
    spikes_per_neuron: float


@dataclass(frozen=True)
class TChoice:
    """The T chosen, why, and every T tried against FS's fidelity on the same images."""

    T: int
    reached: bool
    error_T: int | None
    images: int
    fs_label: str
    fs_agreeing: int
    fs_relative_output_error: float
    tried: tuple[RateTrial, ...]

    @property
    def T_max(self) -> int:
        return max(t.T for t in self.tried)

    def as_dict(self) -> dict[str, Any]:
        return {"T": self.T, "rule": RULE, "reached": self.reached, "error_T": self.error_T,
                "T_max": self.T_max, "images": self.images, "fs": self.fs_label,
                "fs_top1_agreement": self.fs_agreeing / self.images,
                "fs_relative_output_error": self.fs_relative_output_error,
                "tried": [{"T": t.T, "top1_agreement": t.agreeing / self.images,
                           "relative_output_error": t.relative_output_error,
                           "spikes_per_neuron": t.spikes_per_neuron} for t in self.tried]}


def rate_T_rule(fs_agreeing: int, fs_error: float, tried: Sequence[RateTrial]
                ) -> tuple[int, bool, int | None]:
    """(chosen T, whether it reaches FS's agreement, smallest T with error ≤ FS's or None).

    ``tried`` in any order; agreement counted in images, so equal counts are a tie.
    """
    if not tried:
        raise NeurosimError("rate T auto needs at least one T on its ladder",
                            fix="give a ladder, e.g. --rate-T-ladder 16,32,64")
    ladder = sorted(tried, key=lambda t: t.T)
    reaching = [t.T for t in ladder if t.agreeing >= fs_agreeing]
    error_T = next((t.T for t in ladder if t.relative_output_error <= fs_error), None)
    if reaching:
        return reaching[0], True, error_T
    return ladder[-1].T, False, error_T


def _fidelity(ann_outputs: np.ndarray, outputs: np.ndarray) -> tuple[int, float]:
    """(images whose arg-max class is the ANN's, relative output error), from
    :func:`~neurosim.stats.output_fidelity`."""
    fidelity = output_fidelity(ann_outputs, outputs)
    return (round(fidelity["top1_agreement"] * len(outputs)),
            fidelity["relative_output_error"])


def choose_rate_T(rate_snns: Sequence[SNN], images: np.ndarray, ann_outputs: np.ndarray,
                  fs_outputs: np.ndarray, fs_label: str = "FS"
                  ) -> tuple[TChoice, FunctionalResult]:
    """The T of :data:`RULE` among ``rate_snns`` (one per ladder T, converted for the chip),
    and the chosen network's functional result on ``images``.

    ``ann_outputs`` and ``fs_outputs`` are the ANN's and the FS row's outputs on the same
    ``images``. The rate networks are simulated together (one anytime run of the longest
    where their integers allow it, separate runs otherwise: the results are the same).
    """
    images = np.asarray(images)
    n = len(images)
    if not (len(ann_outputs) == len(fs_outputs) == n) or n == 0:
        raise NeurosimError(f"rate T auto compares {n} images with {len(ann_outputs)} ANN and "
                            f"{len(fs_outputs)} FS outputs", where="rate T auto",
                            fix="give the ANN's and the FS row's outputs on the same images")
    windows = [snn.window for snn in rate_snns]
    if len(set(windows)) != len(windows):
        raise NeurosimError(f"rate T auto's ladder {windows} repeats a T", where="rate T auto")
    results = simulate_windows(rate_snns, images)
    tried = tuple(RateTrial(snn.window, *_fidelity(ann_outputs, r.outputs),
                            spikes_per_neuron=r.spikes_per_neuron())
                  for snn, r in sorted(zip(rate_snns, results), key=lambda p: p[0].window))
    fs_agreeing, fs_error = _fidelity(ann_outputs, fs_outputs)
    T, reached, error_T = rate_T_rule(fs_agreeing, fs_error, tried)
    choice = TChoice(T=T, reached=reached, error_T=error_T, images=n, fs_label=fs_label,
                     fs_agreeing=fs_agreeing, fs_relative_output_error=fs_error, tried=tried)
    chosen = next(r for snn, r in zip(rate_snns, results) if snn.window == T)
    return choice, chosen
