"""``--rate-T auto``: the rule by hand, and the choice against separate runs at each T."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurosim.ann.forward import forward
from neurosim.choose_t import RateAuto, RateTrial, choose_rate_T, rate_T_rule
from neurosim.cli import main
from neurosim.coding.fs import FS
from neurosim.coding.rate import Rate
from neurosim.compare import compare, format_table
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.pipeline import for_chip, precision_for
from neurosim.snn.functional import simulate
from neurosim.stats import output_fidelity
from neurosim.workload import load_workload


def _trial(T: int, agreeing: int, error: float) -> RateTrial:
    return RateTrial(T=T, agreeing=agreeing, relative_output_error=error, spikes_per_neuron=0.0)


def test_the_rule_by_hand() -> None:
    tried = [_trial(64, 9, 0.30), _trial(16, 5, 1.2), _trial(32, 9, 0.6), _trial(128, 8, 0.2)]
    # FS agrees on 9 images with error 0.25: T=32 is the smallest with 9 (a tie counts),
    # and the error first drops to 0.25 or below at T=128 (agreement is not monotone in T).
    assert rate_T_rule(9, 0.25, tried) == (32, True, 128)
    # FS agrees on 10: no T reaches it; the ladder's largest T, rate's closest try.
    assert rate_T_rule(10, 0.25, tried) == (128, False, 128)
    # An error below every T's: beyond the ladder.
    assert rate_T_rule(5, 0.1, tried) == (16, True, None)
    with pytest.raises(NeurosimError, match="at least one T"):
        rate_T_rule(1, 0.1, [])


def test_the_choice_matches_separate_runs_at_each_T() -> None:
    """The anytime run's agreement and error per T equal those of separate runs, and the T
    chosen is the rule applied to the separate runs."""
    wl = load_workload("digits-mlp")
    hw = load_hardware("loihi")
    x = wl.x_test[:60]
    ann = forward(wl.model, x)
    fs = simulate(for_chip(wl.convert(FS(K=4), precision_for(hw)), hw), x)
    ladder = [2, 4, 8, 16, 32]
    snns = [for_chip(s, hw) for s in wl.convert_codes([Rate(T=t) for t in ladder],
                                                     precision_for(hw))]
    choice, chosen = choose_rate_T(snns, x, ann, fs.outputs, "FS K=4")
    separate = {s.window: simulate(s, x) for s in snns}
    agree = {T: int(np.sum(np.argmax(r.outputs, 1) == np.argmax(ann, 1)))
             for T, r in separate.items()}
    error = {T: output_fidelity(ann, r.outputs)["relative_output_error"]
             for T, r in separate.items()}
    fs_agree = int(np.sum(np.argmax(fs.outputs, 1) == np.argmax(ann, 1)))
    assert [t.T for t in choice.tried] == ladder
    for t in choice.tried:
        assert t.agreeing == agree[t.T]
        assert t.relative_output_error == pytest.approx(error[t.T], rel=1e-12)
    expected = next((T for T in ladder if agree[T] >= fs_agree), None)
    assert expected is not None, "rate reaches FS K=4 by T=32 on digits-mlp"
    assert (choice.T, choice.reached) == (expected, True)
    assert choice.error_T == next((T for T in ladder if error[T] <= choice.fs_relative_output_error),
                                  None)
    assert choice.fs_agreeing == fs_agree
    np.testing.assert_array_equal(chosen.outputs, separate[expected].outputs)
    # The rule picks a T strictly inside the ladder here, so the test can tell a wrong rule.
    assert ladder[0] < expected


def test_compare_runs_only_the_chosen_T_and_says_how(tmp_path) -> None:
    wl = load_workload("digits-mlp")
    comparison = compare(wl, [FS(K=4), RateAuto(ladder=(2, 4, 8, 16, 32))], "loihi", images=2,
                         accuracy_images=60)
    rows = comparison.rows
    assert [r["code"] for r in rows] == ["fs", "rate"]
    choice = rows[1]["t_choice"]
    assert rows[1]["params"]["T"] == choice["T"] and choice["T_max"] == 32
    assert [t["T"] for t in choice["tried"]] == [2, 4, 8, 16, 32]
    # The row's fidelity is the chosen T's, measured on the same 60 images as FS's.
    tried = next(t for t in choice["tried"] if t["T"] == choice["T"])
    assert comparison.fidelity[1]["top1_agreement"] == tried["top1_agreement"]
    assert comparison.fidelity[1]["top1_agreement"] >= comparison.fidelity[0]["top1_agreement"]
    assert choice["fs_top1_agreement"] == comparison.fidelity[0]["top1_agreement"]
    text = format_table(comparison)
    assert f"T={choice['T']} chosen automatically" in text
    assert "Only T=" in text and "T=2 " in text and "T=32 " in text


def test_a_K_auto_row_is_chosen_first_and_recorded(tmp_path) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs,rate", "--rate-T", "auto",
            "--rate-T-ladder", "4,16", "--images", "2", "--accuracy-images", "40",
            "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    rows = json.loads((tmp_path / "summary.json").read_text())["rows"]
    assert rows[0]["params"]["K"] == rows[0]["k_choice"]["K"]
    assert rows[1]["params"]["T"] in (4, 16) and rows[1]["t_choice"]["fs"] == (
        f"FS K={rows[0]['params']['K']}")


@pytest.mark.parametrize(("argv", "needle"), [
    (["--codes", "rate", "--rate-T", "auto"], "no FS row"),
    (["--codes", "fs,rate", "--rate-T", "8", "--rate-T-ladder", "4,8"], "--rate-T-ladder"),
    (["--codes", "fs,rate", "--rate-T", "auto", "--rate-T-ladder", "0,8"], "outside the allowed"),
    (["--codes", "fs,rate", "--rate-T", "automatic"], "--rate-T"),
])
def test_bad_rate_T_auto_input_is_one_line_exit_2(argv, needle, tmp_path, capsys) -> None:
    code = main(["compare", "--model", "digits-mlp", "--K", "4", "--images", "1",
                 "--accuracy-images", "10", *argv, "--out", str(tmp_path), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle.lower() in err.lower()
