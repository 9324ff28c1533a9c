"""``K auto``: the smallest FS window that keeps the ANN's accuracy, chosen without the test split.

Spikes per neuron grow about linearly with K (a ReLU FS neuron writes a K-bit binary
expansion), while accuracy stops improving after a few steps. So the job layer chooses K:
it converts the model at K = :data:`K_SEARCH_FIRST`, :data:`K_SEARCH_FIRST` + 1, ... up to
:data:`K_SEARCH_LAST` and keeps the first K whose accuracy on held-out training images is
at most :data:`K_TOLERANCE_PP` points below the ANN's on the same images *and* whose output
logits differ from the ANN's by at most :data:`K_LOGIT_ERROR` (relative, see
:func:`logit_error`).

Why the second condition: a trained ANN has usually all but memorised its training images
(the zoo models classify 100 % of them), so their decisions have wide margins and the
accuracy stops seeing the FS approximation error one or two K below the point where unseen
images, with narrower margins, start to flip. The logit error does not saturate: it halves
with each step (one more bit of the binary expansion) until the weights' own rounding
dominates. On the digits zoo models the accuracy condition alone picks K = 3–4, which loses
1–6 test images of 355; the logit condition picks K = 6, which loses none.

When no K meets the rule (the accuracy plateaus below the ANN's: the weights' rounding or
the activation scales cost more than a longer window gives back), the smallest K on the
plateau is taken (:func:`plateau_K`: within the tolerance of the best K, or not
significantly below it by a paired test on the same images), and the choice says the rule was not met (``satisfied: false``).

The held-out images are the last :data:`K_CHOICE_IMAGES` training images: not the test
split (which reports the result) and not the first :data:`~neurosim.workload.CALIBRATION_IMAGES`
training images (which set the activation scales). A model with a fitted activation (SiLU,
sigmoid) has no free K: its sequence file was fitted for one K, so that K is kept and the
choice says so.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

from neurosim import options
from neurosim.ann.forward import forward
from neurosim.ann.layers import Activation
from neurosim.coding import make_code
from neurosim.coding.fs import FS, K_AUTO
from neurosim.datasets import as_model_input
from neurosim.errors import NeurosimError
from neurosim.snn.functional import simulate
from neurosim.snn.linear import is_spiking_layer
from neurosim.snn.quantise import Precision
from neurosim.stats import discordant_counts, mcnemar_exact
from neurosim.workload import CALIBRATION_IMAGES, Workload

K_SEARCH_FIRST = 2
"""The smallest K tried: one step is a binary neuron, two already carry four levels."""
K_SEARCH_LAST = 16
"""The largest K tried (the paper's longest window, SiLU's); used if no smaller K is good."""
K_CHOICE_IMAGES = 1024
"""Held-out training images (the last ones, fewer if the data set has fewer beyond the
scale calibration) on which K is judged: as many as practical, since one image moves the
accuracy by 1/N."""
K_TOLERANCE_PP = 0.2
"""How far (percentage points) the SNN may fall below the ANN on the held-out images."""
K_LOGIT_ERROR = 0.05
"""Largest relative RMS difference between the SNN's and the ANN's output logits."""
K_PLATEAU_P = 0.05
"""Without a K that meets the rule, a K whose held-out answers are significantly worse than
the best K's (paired exact McNemar p below this) is not on the accuracy plateau."""

RULE = (f"smallest K from {K_SEARCH_FIRST} to {K_SEARCH_LAST} whose accuracy on the last (up to) "
        f"{K_CHOICE_IMAGES} training images (held out from the {CALIBRATION_IMAGES} that set "
        f"the scales) is within {K_TOLERANCE_PP} pp of the ANN's on them and whose output "
        f"logits differ from the ANN's by at most {100 * K_LOGIT_ERROR:g} % (relative RMS)")


def logit_error(snn_logits: np.ndarray, ann_logits: np.ndarray) -> float:
    """‖Δ‖ / ‖ANN‖ over all images, each image's logits centred (an offset shared by every
    class changes no decision, so it is not an error)."""
    def centred(values: np.ndarray) -> np.ndarray:
        return values - values.mean(axis=1, keepdims=True)
    scale = float(np.linalg.norm(centred(ann_logits)))
    return float(np.linalg.norm(centred(snn_logits - ann_logits))) / max(scale, 1e-300)


def plateau_K(tried: list[tuple[int, float, float]],
              correct: dict[int, np.ndarray] | None = None) -> tuple[int, float]:
    """The smallest K on the accuracy plateau of ``tried`` (K, accuracy, logit error), and
    the plateau's accuracy.

    When no K reaches the ANN, more steps only add spikes once the accuracy has stopped
    rising, so the choice is the smallest K whose logit error is within
    :data:`K_LOGIT_ERROR` of the smallest any K reached and whose accuracy is on the
    plateau: within :data:`K_TOLERANCE_PP` of the best accuracy any K reached or, given
    each K's per-image ``correct`` answers, not significantly below the best K's on the
    same images (exact McNemar, p ≥ :data:`K_PLATEAU_P`). The paired test is there because
    the best of ~15 accuracies on ~1,000 images is itself a noisy maximum: on a plateau
    several K differ by a few images (0.1 pp each), which is chance, not a trend.
    """
    best_accuracy = max(acc for _, acc, _ in tried)
    best_error = min(err for _, _, err in tried)
    best_K = next(k for k, acc, _ in tried if acc == best_accuracy)

    def on_plateau(K: int, accuracy: float) -> bool:
        if 100 * (best_accuracy - accuracy) <= K_TOLERANCE_PP + 1e-9:
            return True
        if correct is None:
            return False
        return mcnemar_exact(*discordant_counts(correct[K], correct[best_K])) >= K_PLATEAU_P

    K = next(k for k, acc, err in tried
             if err <= best_error + K_LOGIT_ERROR and on_plateau(k, acc))
    return K, best_accuracy


@dataclass(frozen=True)
class KChoice:
    """The K chosen and why: the rule, the ANN's accuracy and every K tried."""

    K: int
    how: str                          # "search" or "fixed by sequence file"
    reason: str
    ann_accuracy: float
    tried: tuple[tuple[int, float, float], ...]   # (K, SNN accuracy, logit error)
    images: int
    satisfied: bool

    def as_dict(self) -> dict[str, Any]:
        return {"K": self.K, "how": self.how, "rule": RULE, "reason": self.reason,
                "held_out_images": self.images, "ann_accuracy": self.ann_accuracy,
                "tolerance_pp": K_TOLERANCE_PP, "logit_error_limit": K_LOGIT_ERROR,
                "satisfied": self.satisfied,
                "tried": [{"K": k, "snn_accuracy": acc, "logit_error": err}
                          for k, acc, err in self.tried]}

    def describe(self) -> str:
        """One line for the command line: the K, the accuracies tried and the rule."""
        tried = ", ".join(f"K={k} {100 * acc:.2f} % / {100 * err:.1f} %" for k, acc, err in self.tried)
        return (f"K auto: K={self.K} ({self.reason}); held-out accuracy / logit error: {tried}; "
                f"ANN {100 * self.ann_accuracy:.2f} % on the same {self.images} images")


def held_out_training(workload: Workload) -> tuple[np.ndarray, np.ndarray]:
    """The last :data:`K_CHOICE_IMAGES` training images that the scale calibration does not use."""
    x_train, y_train = workload.dataset.x_train, workload.dataset.y_train
    spare = len(y_train) - CALIBRATION_IMAGES
    if spare < 1:
        raise NeurosimError(
            f"K auto needs training images beyond the first {CALIBRATION_IMAGES} (which set the "
            f"scales), but {workload.dataset.name} has {len(y_train)}",
            where="FS K auto", fix="give K explicitly, e.g. --K 6")
    n = min(K_CHOICE_IMAGES, spare)
    return as_model_input(x_train[-n:], workload.model), np.asarray(y_train[-n:])


def fixed_K(workload: Workload, fs_options: dict[str, Any]) -> int | None:
    """The K a fitted (non-ReLU) activation's sequences impose, or ``None`` if K is free."""
    activations = {lyr.function for lyr in workload.model.layers
                   if is_spiking_layer(lyr) and isinstance(lyr, Activation)
                   and lyr.name != workload.model.output}
    if activations <= {"relu"}:
        return None
    code = make_code("fs", **{**fs_options, "K": None})
    assert isinstance(code, FS)
    return code.for_model(activations).window


def choose_k(workload: Workload, precision: Precision,
             fs_options: dict[str, Any] | None = None) -> KChoice:
    """The FS window for ``workload`` by :data:`RULE` (``fs_options``: the FS code's others)."""
    options = {k: v for k, v in (fs_options or {}).items() if k != "K" and v is not None}
    x, y = held_out_training(workload)
    ann_logits = forward(workload.model, x)
    ann = float(np.mean(np.argmax(ann_logits, axis=1) == y))

    correct: dict[int, np.ndarray] = {}

    def measure(K: int) -> tuple[int, float, float]:
        snn = workload.convert(make_code("fs", **options, K=K), precision)
        result = simulate(snn, x)
        correct[K] = result.predictions == y
        return K, result.accuracy(y), logit_error(result.outputs, ann_logits)

    def good(trial: tuple[int, float, float]) -> bool:
        # A tiny slack so that exactly 0.2 pp (1 image in 500) counts as within.
        return 100 * (ann - trial[1]) <= K_TOLERANCE_PP + 1e-9 and trial[2] <= K_LOGIT_ERROR

    fixed = fixed_K(workload, options)
    if fixed is not None:
        trial = measure(fixed)
        holds = "holds" if good(trial) else "does not hold"
        return KChoice(K=fixed, how="fixed by sequence file", images=len(y), ann_accuracy=ann,
                       reason=f"the fitted activation sequences hold K = {fixed}, so K is not "
                              f"free; no search; the rule {holds} at it",
                       tried=(trial,), satisfied=good(trial))
    tried: list[tuple[int, float, float]] = []
    for K in range(K_SEARCH_FIRST, K_SEARCH_LAST + 1):
        tried.append(measure(K))
        if good(tried[-1]):
            return KChoice(K=K, how="search", images=len(y), ann_accuracy=ann, tried=tuple(tried),
                           satisfied=True,
                           reason=f"the smallest K within {K_TOLERANCE_PP} pp of the ANN with "
                                  f"logits within {100 * K_LOGIT_ERROR:g} %")
    K, best_accuracy = plateau_K(tried, correct)
    return KChoice(K=K, how="search", images=len(y), ann_accuracy=ann,
                   tried=tuple(tried), satisfied=False,
                   reason=f"no K up to {K_SEARCH_LAST} meets the rule: the accuracy plateaus at "
                          f"{100 * best_accuracy:.2f} %, so the smallest K within "
                          f"{K_TOLERANCE_PP} pp of that plateau or not significantly below it "
                          f"(paired McNemar p ≥ {K_PLATEAU_P:g}), with logits within "
                          f"{100 * K_LOGIT_ERROR:g} % of the best K's")




def parse_K(text: str) -> int | str:
    """``--K`` on the command line (an argparse type): ``auto``, or a whole number in the
    range every other numeric option of the FS code has (:mod:`neurosim.options`)."""
    if text.strip().lower() == K_AUTO:
        return K_AUTO
    try:
        return options.whole(1, options.MAX_FS_K)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc}, or 'auto'") from None
