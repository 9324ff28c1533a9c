"""Wilson intervals and the exact McNemar test against hand-worked values and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurosim.errors import NeurosimError
from neurosim.stats import (
    accuracy_interval,
    discordant_counts,
    format_accuracy,
    mcnemar_exact,
    wilson_interval,
)


# Hand-worked with z = 1.96: centre (p + z²/2n)/(1 + z²/n), half-width
# z·√(p(1−p)/n + z²/4n²)/(1 + z²/n). For 5/10: 0.5 ± 0.36459/1.38415 = 0.5 ± 0.26341;
# for 0/10: centre = half = 0.19207/1.38415 = 0.13876.
@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    (5, 10, 0.2366, 0.7634),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (1, 2, 0.0945, 0.9055),                 # centre 0.5, half 1.18418/2.92073
])
def test_wilson_matches_hand_worked_values(successes, n, low, high) -> None:
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=5e-5)


@given(st.integers(1, 5000), st.data())
def test_wilson_contains_the_estimate_inside_the_unit_interval(n, data) -> None:
    successes = data.draw(st.integers(0, n))
    low, high = wilson_interval(successes, n)
    assert 0.0 <= low <= successes / n <= high <= 1.0
    assert low < high


@given(st.integers(1, 500), st.data(), st.integers(2, 20))
def test_wilson_narrows_with_more_images_at_the_same_accuracy(n, data, factor) -> None:
    successes = data.draw(st.integers(0, n))
    low, high = wilson_interval(successes, n)
    low2, high2 = wilson_interval(factor * successes, factor * n)
    assert high2 - low2 < high - low


def test_wilson_refuses_impossible_counts() -> None:
    for successes, n in [(3, 2), (-1, 5), (0, 0)]:
        with pytest.raises(NeurosimError):
            wilson_interval(successes, n)


def test_accuracy_interval_and_its_text() -> None:
    # 353 of 355 images (digits-cnn): z²/n = 0.010821, centre 0.999777/1.010821 = 0.98907,
    # half-width 1.96·√(1.5781e-5 + 7.621e-6)/1.010821 = 0.00938.
    assert accuracy_interval(353 / 355, 355) == wilson_interval(353, 355)
    low, high = wilson_interval(353, 355)
    assert (low, high) == pytest.approx((0.97969, 0.99845), abs=2e-5)
    assert format_accuracy(353 / 355, (low, high)) == "99.44 (98.0–99.8)"


# Hand-worked: under H0 each discordant image is a fair coin; p = 2·P(X ≤ min(b, c)).
@pytest.mark.parametrize(("b", "c", "p"), [
    (0, 6, 2 / 64),                         # 0.03125
    (6, 0, 2 / 64),
    (1, 5, 2 * (1 + 6) / 64),               # 0.21875
    (2, 8, 2 * (1 + 10 + 45) / 1024),       # 0.109375
    (3, 3, 1.0),                            # 2·42/64 > 1, capped
    (0, 0, 1.0),                            # no discordant image
    (0, 1, 1.0),
    (0, 5, 2 / 32),                         # 0.0625: five to none is not significant
])
def test_mcnemar_matches_hand_worked_binomial_values(b, c, p) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-12)


@given(st.integers(0, 300), st.integers(0, 300))
def test_mcnemar_equals_the_sum_of_outcomes_no_likelier_than_the_observed(b, c) -> None:
    """Two-sided by the other definition: all outcomes with probability ≤ the observed."""
    n = b + c
    pmf = [math.comb(n, i) / 2 ** n for i in range(n + 1)]
    reference = min(1.0, sum(q for q in pmf if q <= pmf[b] * (1 + 1e-12)))
    p = mcnemar_exact(b, c)
    assert p == pytest.approx(reference, rel=1e-9)
    assert p == mcnemar_exact(c, b) and 0.0 < p <= 1.0


def test_discordant_counts_by_hand() -> None:
    a = np.array([1, 1, 0, 0, 1, 1], bool)
    b = np.array([1, 0, 1, 0, 0, 1], bool)
    assert discordant_counts(a, b) == (2, 1)
    with pytest.raises(NeurosimError):
        discordant_counts(a, b[:3])
    with pytest.raises(NeurosimError):
        mcnemar_exact(-1, 2)


def test_output_fidelity_by_hand():
    from neurosim.stats import output_fidelity

    ann = np.array([[3.0, 0.0], [0.0, 4.0]])        # ‖ann‖ = 5
    snn = np.array([[3.0, 0.0], [0.0, 1.0]])        # the second image still picks class 1
    assert output_fidelity(ann, snn) == {"top1_agreement": 1.0, "relative_output_error": 3.0 / 5.0}
    flipped = np.array([[0.0, 3.0], [0.0, 4.0]])    # the first image changes class
    result = output_fidelity(ann, flipped)
    assert result["top1_agreement"] == 0.5
    assert result["relative_output_error"] == pytest.approx(np.sqrt(18.0) / 5.0)
    with pytest.raises(NeurosimError, match="cannot be compared"):
        output_fidelity(ann, snn[:1])
