"""Iso-accuracy by the exact McNemar test, on hand-made rows (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.compare import (
    ISO_ACCURACY_ALPHA,
    RATIO_FIELDS,
    format_ratios,
    iso_accuracy_ratios,
)

N = 200


def _row(code: str, energy: float, correct: np.ndarray, T: int | None = None) -> dict:
    row = {name: 1.0 for name in RATIO_FIELDS}
    row.update(code=code, params={"T": T} if T else {"K": 6}, energy_per_inference_j=energy,
               snn_accuracy=float(correct.mean()), throughput_inferences_per_s=1000.0 / energy)
    return row


def _correct(wrong: list[int]) -> np.ndarray:
    correct = np.ones(N, bool)
    correct[wrong] = False
    return correct


# FS gets images 0..9 wrong. Rate rows, by energy:
#   T=8   (energy 1): wrong on 0..9 and 20..29 → FS alone right on 20..29: b = 10, c = 0,
#         p = 2/1024: significantly worse.
#   T=16  (energy 2): wrong on 0..7 and 20..22 → b = 3 (20..22), c = 2 (8, 9) → p = 1.
#   T=32  (energy 4): wrong on 0..9 → no discordant image → p = 1.
FS_WRONG = list(range(10))
RATES = [(8, 1.0, [*range(10), *range(20, 30)]),
         (16, 2.0, [*range(8), 20, 21, 22]),
         (32, 4.0, list(range(10)))]


def _rows(rates=RATES, fs_energy=0.5):
    rows = [_row("fs", fs_energy, _correct(FS_WRONG))]
    correct = [_correct(FS_WRONG)]
    for T, energy, wrong in rates:
        rows.append(_row("rate", energy, _correct(wrong), T))
        correct.append(_correct(wrong))
    rows.append(_row("ttfs", 0.1, _correct([])))  # not a rate row: never matched
    correct.append(_correct([]))
    return rows, correct


def test_the_cheapest_row_not_significantly_different_is_matched() -> None:
    rows, correct = _rows()
    iso = iso_accuracy_ratios(rows, correct)
    assert iso["rate_T"] == 16 and iso["test"] == "exact McNemar"
    assert (iso["fs_only_correct"], iso["rate_only_correct"]) == (3, 2)
    assert iso["p_value"] == pytest.approx(1.0)
    assert iso["fs_over_rate_energy_per_inference_j"] == pytest.approx(0.5 / 2.0)
    assert iso["fs_over_rate_throughput"] == pytest.approx((1000 / 0.5) / (1000 / 2.0))
    assert iso["fs_accuracy"] == pytest.approx(0.95) and iso["rate_accuracy"] == pytest.approx(189 / 200)
    # The cheaper T=8 row was tested and rejected: b = 10, c = 0.
    first = iso["candidates"][0]
    assert (first["rate_T"], first["fs_only_correct"], first["rate_only_correct"]) == (8, 10, 0)
    assert first["p_value"] == pytest.approx(2 / 1024) and first["significant"]
    assert [c["rate_T"] for c in iso["candidates"]] == [8, 16, 32]
    text = format_ratios(iso)
    assert "rate T=16" in text and "cheapest" in text and "p = 1" in text and "0.25×" in text


def test_energy_not_T_orders_the_candidates() -> None:
    # The same rows with T=32 made the cheapest: it wins although its T is larger.
    rates = [(8, 1.0, RATES[0][2]), (16, 2.0, RATES[1][2]), (32, 0.9, RATES[2][2])]
    rows, correct = _rows(rates)
    assert iso_accuracy_ratios(rows, correct)["rate_T"] == 32


def test_a_rate_row_significantly_better_is_not_at_iso_accuracy() -> None:
    # Rate right on every image FS misses, and nowhere worse: b = 0, c = 10.
    rows, correct = _rows([(16, 1.0, [])])
    iso = iso_accuracy_ratios(rows, correct)
    assert iso["rate_T"] is None and iso["candidates"][0]["p_value"] == pytest.approx(2 / 1024)


def test_no_row_qualifies_is_said_plainly() -> None:
    rows, correct = _rows([RATES[0]])
    iso = iso_accuracy_ratios(rows, correct)
    assert iso["rate_T"] is None
    assert "differs significantly" in iso["note"] and iso["alpha"] == ISO_ACCURACY_ALPHA
    assert not any(k.startswith("fs_over_rate_") for k in iso)
    text = format_ratios(iso)
    assert text.startswith("No FS/rate ratios:") and "T=8 p = 0.002" in text


def test_boundary_five_to_none_is_not_significant_six_to_none_is() -> None:
    # p(0, 5) = 0.0625 ≥ 0.05: iso-accuracy; p(0, 6) = 0.03125 < 0.05: not.
    for wrong, matched in ((list(range(10, 15)), 16), (list(range(10, 16)), None)):
        rows, correct = _rows([(16, 1.0, FS_WRONG + wrong)])
        assert iso_accuracy_ratios(rows, correct)["rate_T"] == matched


def test_without_fs_or_rate_rows_there_is_nothing_to_pair() -> None:
    rows, correct = _rows()
    assert iso_accuracy_ratios(rows[1:], correct[1:]) == {}
    assert iso_accuracy_ratios([rows[0], rows[-1]], [correct[0], correct[-1]]) == {}
