"""Small statistics for accuracies measured on a finite test split.

An accuracy on a few hundred images moves by a fraction of a point per image, so a
report needs to say how sure it is (:func:`wilson_interval`) and whether two codes that
classify the *same* images differ at all (:func:`mcnemar_exact`).
"""

from __future__ import annotations

import math

import numpy as np

from neurosim.errors import NeurosimError

Z_95 = 1.959963984540054
"""The two-sided 95 % quantile of the standard normal distribution."""


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (Wilson 1927, JASA 22:209).

    Unlike the normal "p ± z·√(p(1−p)/n)" interval it stays inside [0, 1] and does not
    collapse to a point at 0 % or 100 %, which matters for accuracies near 100 % on a
    few hundred images. Returns ``(low, high)`` as fractions.
    """
    if n < 1 or not 0 <= successes <= n:
        raise NeurosimError(f"an interval needs 0 ≤ successes ≤ n and n ≥ 1, found {successes}/{n}",
                            where="accuracy interval", fix="count at least one image")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At 0 and n the bound is exactly 0 or 1; rounding could leave it a hair inside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def accuracy_interval(accuracy: float, n: int) -> tuple[float, float]:
    """:func:`wilson_interval` of an accuracy measured on ``n`` images."""
    return wilson_interval(round(float(accuracy) * n), n)


def format_accuracy(accuracy: float, interval: tuple[float, float] | list[float]) -> str:
    """``99.44 (98.0–99.8)``: the accuracy in percent and its 95 % interval."""
    low, high = interval
    return f"{100 * accuracy:.2f} ({100 * low:.1f}–{100 * high:.1f})"


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar test (McNemar 1947) on the discordant pairs ``b`` and ``c``.

    ``b`` images are right under one classifier only, ``c`` under the other only. If the
    two are equally accurate, each discordant image is a fair coin, so ``b`` is
    Binomial(b + c, ½); the p-value is twice the smaller tail, capped at 1. Concordant
    images say nothing about the difference and do not enter. No discordant image: p = 1.
    """
    if b < 0 or c < 0:
        raise NeurosimError(f"discordant counts must be non-negative, found {b} and {c}",
                            where="McNemar test")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)


def discordant_counts(correct_a: np.ndarray, correct_b: np.ndarray) -> tuple[int, int]:
    """(images right under ``a`` only, images right under ``b`` only), per-image booleans."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b.shape:
        raise NeurosimError(f"paired correctness needs the same images, found {a.size} and {b.size}",
                            where="McNemar test")
    return int(np.sum(a & ~b)), int(np.sum(~a & b))


def output_fidelity(ann_outputs: np.ndarray, snn_outputs: np.ndarray) -> dict[str, float]:
    """How closely a spiking network reproduces its ANN on the same inputs.

    ``top1_agreement`` is the fraction of inputs whose arg-max class is the same;
    ``relative_output_error`` is ``‖y_snn − y_ann‖₂ / ‖y_ann‖₂`` over all inputs and
    outputs (both in ANN units), 0 for a perfect copy.
    """
    ann = np.asarray(ann_outputs, np.float64)
    snn = np.asarray(snn_outputs, np.float64)
    if ann.shape != snn.shape or ann.ndim != 2 or len(ann) == 0:
        raise NeurosimError(f"outputs of shapes {ann.shape} and {snn.shape} cannot be compared",
                            where="output fidelity",
                            fix="give (images, classes) outputs of the same inputs")
    agreement = float(np.mean(np.argmax(ann, axis=1) == np.argmax(snn, axis=1)))
    norm = float(np.linalg.norm(ann))
    error = float(np.linalg.norm(snn - ann)) / norm if norm > 0 else float(np.linalg.norm(snn))
    return {"top1_agreement": agreement, "relative_output_error": error}
