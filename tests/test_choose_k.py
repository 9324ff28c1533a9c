"""K auto: the smallest FS window that meets the rule on held-out training images (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ann.forward import forward
from neurosim.choose_k import (
    K_CHOICE_IMAGES,
    K_LOGIT_ERROR,
    K_SEARCH_FIRST,
    K_TOLERANCE_PP,
    choose_k,
    held_out_training,
    logit_error,
)
from neurosim.cli import main
from neurosim.coding import make_code
from neurosim.datasets import Dataset
from neurosim.errors import NeurosimError
from neurosim.snn.functional import simulate
from neurosim.snn.quantise import Precision
from neurosim.workload import CALIBRATION_IMAGES, Workload, load_workload

PRECISION = Precision(weight_bits=8)


def _meets_rule(workload: Workload, K: int) -> bool:
    """The rule, computed afresh: the last training images past the calibration ones."""
    x_train, y_train = workload.dataset.x_train, workload.dataset.y_train
    n = min(K_CHOICE_IMAGES, len(y_train) - CALIBRATION_IMAGES)
    x = x_train[-n:].reshape((n, *workload.model.input.shape))
    y = y_train[-n:]
    ann_logits = forward(workload.model, x)
    ann = np.mean(ann_logits.argmax(axis=1) == y)
    out = simulate(workload.convert(make_code("fs", K=K), PRECISION), x).outputs
    snn = np.mean(out.argmax(axis=1) == y)
    centred = lambda v: v - v.mean(axis=1, keepdims=True)  # noqa: E731
    error = np.linalg.norm(centred(out - ann_logits)) / np.linalg.norm(centred(ann_logits))
    return 100 * (ann - snn) <= K_TOLERANCE_PP + 1e-9 and error <= K_LOGIT_ERROR


@pytest.mark.parametrize("model", ["digits-mlp", "digits-cnn"])
def test_auto_K_is_the_smallest_that_meets_the_rule(model) -> None:
    workload = load_workload(model)
    choice = choose_k(workload, PRECISION)
    assert choice.how == "search" and choice.satisfied
    assert choice.K > K_SEARCH_FIRST
    assert _meets_rule(workload, choice.K)
    assert not _meets_rule(workload, choice.K - 1)
    # Every K below the choice was tried, in order, and failed.
    assert [t[0] for t in choice.tried] == list(range(K_SEARCH_FIRST, choice.K + 1))
    # The record says what was measured: the last trial is the chosen K.
    record = choice.as_dict()
    assert record["K"] == choice.K and record["tried"][-1]["K"] == choice.K
    assert record["held_out_images"] == min(K_CHOICE_IMAGES, 1442 - CALIBRATION_IMAGES)


def test_held_out_images_are_neither_calibration_nor_test_images() -> None:
    workload = load_workload("digits-mlp")
    x, y = held_out_training(workload)
    calibration = workload.calibration().reshape(len(workload.calibration()), -1)
    held = x.reshape(len(x), -1)
    train = workload.dataset.x_train.reshape(len(workload.dataset.x_train), -1)
    assert np.array_equal(held, train[-len(held):])
    assert len(held) + len(calibration) <= len(train)
    # No held-out image is a calibration or a test image (compare pixel rows).
    seen = {row.tobytes() for row in calibration} | {
        row.tobytes() for row in workload.x_test.reshape(len(workload.x_test), -1)}
    assert not any(row.tobytes() in seen for row in held)
    assert np.array_equal(y, workload.dataset.y_train[-len(y):])


def test_fitted_activation_keeps_its_sequence_files_K() -> None:
    choice = choose_k(load_workload("digits-cnn-silu"), PRECISION)
    assert choice.how == "fixed by sequence file" and choice.K == 16
    assert [t[0] for t in choice.tried] == [16] and "not free" in choice.reason


def test_too_few_training_images_is_a_clear_error() -> None:
    full = load_workload("digits-mlp")
    d = full.dataset
    small = Dataset("tiny", d.x_train[:CALIBRATION_IMAGES], d.y_train[:CALIBRATION_IMAGES],
                    d.x_test, d.y_test, "the calibration images only")
    with pytest.raises(NeurosimError, match="K auto needs training images"):
        choose_k(Workload(model=full.model, dataset=small), PRECISION)


def test_logit_error_by_hand() -> None:
    ann = np.array([[1.0, 3.0], [2.0, 0.0]])
    # A shared offset per image changes no decision: no error.
    assert logit_error(ann + np.array([[5.0], [-1.0]]), ann) == pytest.approx(0.0)
    # Centred ANN logits are ±1 (norm 2); Δ = (0.5, 0) centred is ±0.25 (norm √0.125).
    snn = ann + np.array([[0.5, 0.0], [0.0, 0.0]])
    assert logit_error(snn, ann) == pytest.approx(np.sqrt(2 * 0.25 ** 2) / 2.0)


def test_convert_prints_the_chosen_K_and_intervals(capsys) -> None:
    assert main(["convert", "digits-mlp", "--K", "auto", "--images", "100"]) == 0
    out = capsys.readouterr().out
    choice = choose_k(load_workload("digits-mlp"), PRECISION)
    assert f"K auto: K={choice.K} " in out and f"fs     K={choice.K} " in out
    assert "ANN 100.00 % on the same 930 images" in out
    # 99 of the first 100 test images, ANN and SNN alike. By hand: z²/n = 0.038415, centre
    # 1.009207/1.038415 = 0.97189, half-width 1.96·√(0.0000990 + 0.0000960)/1.038415 = 0.02636.
    assert "ANN accuracy 99.00 (94.6–99.8) %" in out
    row = next(line for line in out.splitlines() if line.startswith("fs "))
    assert row.split()[2] == "99.00" and row.split()[-1] == "94.6–99.8"


def _parse_error(argv, capsys) -> str:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own exit
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    return err


def test_bad_K_is_refused(capsys) -> None:
    err = _parse_error(["convert", "digits-mlp", "--K", "six"], capsys)
    assert "'six' is not a whole number" in err and "'auto'" in err
    err = _parse_error(["compare", "--model", "digits-mlp", "--K", "0", "--quiet"], capsys)
    assert "--K: 0 is outside the allowed 1 to 64" in err


def test_without_a_good_K_the_smallest_K_on_the_plateau_is_taken() -> None:
    from neurosim.choose_k import plateau_K
    # fashion-cnn's search at 9-bit weights: the accuracy stops at 93.65 % from K = 9 on,
    # 0.39 pp under the ANN, so no K meets the rule; K = 9 is the first on the plateau.
    tried = [(7, 0.9307, 0.075), (8, 0.9326, 0.056), (9, 0.9365, 0.048), (10, 0.9355, 0.045),
             (16, 0.9365, 0.043)]
    assert plateau_K(tried) == (9, 0.9365)
    # a K at the plateau's accuracy whose logits are still far off is passed over
    assert plateau_K([(4, 0.95, 0.30), (5, 0.95, 0.09), (6, 0.95, 0.05)]) == (5, 0.95)


def test_on_the_plateau_a_few_images_of_difference_are_chance() -> None:
    from neurosim.choose_k import plateau_K
    # fashion-cnn's held-out answers (1,024 images): K = 8 is wrong on 4 images that K = 9
    # gets right and right on none it gets wrong (exact McNemar p = 2/2^4 = 0.125); K = 7
    # differs on 6 (p = 0.031), K = 6 on 3 + 9 (p = 0.146) but its logits are 11.5 % off.
    n = 1024
    best = np.ones(n, bool)
    best[:64] = False

    def answers(lost: int, gained: int = 0) -> np.ndarray:
        a = best.copy()
        a[64:64 + lost] = False
        a[:gained] = True
        return a

    correct = {6: answers(9, 3), 7: answers(6), 8: answers(4), 9: best, 10: answers(1)}
    tried = [(k, float(c.mean()), e) for (k, c), e in
             zip(correct.items(), (0.115, 0.075, 0.056, 0.048, 0.045))]
    assert plateau_K(tried) == (9, tried[3][1])           # accuracy alone: 0.39 pp is too far
    assert plateau_K(tried, correct) == (8, tried[3][1])  # paired: 4 images are chance
    correct[8] = answers(7)                               # 7 images (p = 0.016) are not
    tried[2] = (8, float(correct[8].mean()), 0.056)
    assert plateau_K(tried, correct) == (9, tried[3][1])
