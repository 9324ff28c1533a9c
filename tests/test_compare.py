"""End to end: `neurosim compare` on a tiny configuration (issue 8)."""

from __future__ import annotations

import json
import math

import matplotlib.image
import pytest

from neurosim.cli import main
from neurosim.report.summary import SUMMARY_FIELDS
from neurosim.stats import format_accuracy, wilson_interval

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    # Accuracy over the whole test split: on a subset, coarse rate rows can tie with FS.
    argv = ["compare", "--model", "digits-cnn", "--rate-T", "8,32", "--ttfs-T", "16",
            "--images", "4", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    return out


def test_summary_has_every_field_and_consistent_numbers(report) -> None:
    summary = json.loads((report / "summary.json").read_text())
    rows = summary["rows"]
    assert [r["code"] for r in rows] == ["fs", "rate", "rate", "ttfs"]
    for row in rows:
        assert set(SUMMARY_FIELDS) <= set(row)
        assert 0.0 <= row["snn_accuracy"] <= 1.0 and 0.0 <= row["ann_accuracy"] <= 1.0
        parts = row["energy_breakdown_j"]
        assert set(parts) == {"synapse", "neuron", "spike_packet", "network", "static"}
        assert sum(parts.values()) == pytest.approx(row["energy_per_inference_j"], rel=1e-12)
        assert all(v >= 0 for v in parts.values())
        assert row["edp_j_s"] == pytest.approx(row["energy_per_inference_j"] * row["latency_s"])
        assert row["latency_s"] > 0 and row["throughput_inferences_per_s"] > 0
        assert row["images"] == 4 and row["accuracy_images"] == 355
    fs = rows[0]
    matching = [r for r in rows if r["code"] == "rate" and r["snn_accuracy"] >= fs["snn_accuracy"]]
    assert matching, "a rate row should match FS accuracy in this configuration"
    for rate in matching:
        assert fs["spikes_per_neuron"] < rate["spikes_per_neuron"]


def test_ratios_use_the_cheapest_rate_row_not_significantly_different(report) -> None:
    summary = json.loads((report / "summary.json").read_text())
    iso = summary["iso_accuracy"]
    fs = summary["rows"][0]
    n = fs["accuracy_images"]
    rates = {r["params"]["T"]: r for r in summary["rows"] if r["code"] == "rate"}
    assert iso["test"] == "exact McNemar" and iso["alpha"] == 0.05 and iso["images"] == n
    assert sorted(c["rate_T"] for c in iso["candidates"]) == sorted(rates)
    for cand in iso["candidates"]:
        b, c = cand["fs_only_correct"], cand["rate_only_correct"]
        # The discordant counts agree with the two accuracies: FS − rate = (b − c) / n.
        assert fs["snn_accuracy"] - rates[cand["rate_T"]]["snn_accuracy"] == pytest.approx((b - c) / n)
        # Two-sided exact binomial p-value on b + c fair coins, computed here afresh.
        tail = sum(math.comb(b + c, i) for i in range(min(b, c) + 1)) / 2 ** (b + c)
        assert cand["p_value"] == pytest.approx(min(1.0, 2 * tail))
        assert cand["significant"] == (cand["p_value"] < 0.05)
    eligible = [T for T, r in rates.items()
                if not next(c for c in iso["candidates"] if c["rate_T"] == T)["significant"]]
    assert eligible, "T=32 matches FS's accuracy here, so some rate row must qualify"
    cheapest = min(eligible, key=lambda T: rates[T]["energy_per_inference_j"])
    assert iso["rate_T"] == cheapest
    matched = rates[iso["rate_T"]]
    assert iso["fs_over_rate_energy_per_inference_j"] == pytest.approx(
        fs["energy_per_inference_j"] / matched["energy_per_inference_j"])
    assert iso["p_value"] >= 0.05


def test_accuracy_intervals_and_the_chosen_K_are_recorded_and_shown(report) -> None:
    summary = json.loads((report / "summary.json").read_text())
    for row in summary["rows"]:
        n = row["accuracy_images"]
        for name in ("snn_accuracy", "ann_accuracy"):
            low, high = row[f"{name}_ci95"]
            assert low <= row[name] <= high and high - low > 0
            assert (low, high) == pytest.approx(wilson_interval(round(row[name] * n), n))
    fs = summary["rows"][0]
    choice = fs["k_choice"]
    assert choice["how"] == "search" and fs["params"]["K"] == choice["K"]
    assert choice["tried"][-1]["K"] == choice["K"] and "held" in choice["rule"]
    assert all("k_choice" not in r for r in summary["rows"][1:])
    text = (report / "report.md").read_text()
    assert format_accuracy(fs["snn_accuracy"], fs["snn_accuracy_ci95"]) in text
    assert f"K={choice['K']} chosen automatically" in text and "exact McNemar" in text


def test_plots_are_valid_pngs_and_the_report_links_them(report) -> None:
    names = ["energy_breakdown.png", "accuracy_vs_energy.png", "accuracy_vs_latency.png",
             "core_heatmap.png", "spike_raster.png"]
    for name in names:
        data = (report / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        image = matplotlib.image.imread(report / name)
        assert image.shape[0] > 100 and image.shape[1] > 100
    text = (report / "report.md").read_text()
    assert all(f"]({name})" in text for name in names)
    assert (report / "comparison.csv").read_text().count("\n") == 5


def test_json_flag_prints_machine_readable_summary(tmp_path, capsys) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs,ttfs", "--images", "2",
            "--accuracy-images", "20", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [r["code"] for r in data["rows"]] == ["fs", "ttfs"] and captured.err == ""
    assert data["iso_accuracy"] == {}


def test_table_shows_intervals_chosen_K_and_the_paired_test(tmp_path, capsys) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs,rate", "--rate-T", "8",
            "--images", "2", "--accuracy-images", "60", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    row = json.loads((tmp_path / "summary.json").read_text())["rows"][0]
    assert f"FS K={row['k_choice']['K']} " in out
    assert format_accuracy(row["snn_accuracy"], row["snn_accuracy_ci95"]) in out
    assert "SNN % (95 % CI)" in out and f"K={row['k_choice']['K']} chosen automatically" in out
    assert "exact McNemar p = " in out or "differs significantly" in out


def test_an_explicit_K_is_kept_and_not_searched(tmp_path) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs", "--K", "5", "--images", "2",
            "--accuracy-images", "20", "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 0
    row = json.loads((tmp_path / "summary.json").read_text())["rows"][0]
    assert row["params"]["K"] == 5 and "k_choice" not in row


@pytest.mark.parametrize(("argv", "needle"), [
    (["--codes", "fs,spiky"], "spiky"),
    (["--rate-T", "16,0"], "--rate-T 0 is outside the allowed 1"),
    (["--images", "0"], "--images"),
    (["--hw", "loihi9"], "loihi9"),
    (["--set", "core.nerons=5"], "did you mean"),
    (["--model", "no-such-model"], "no-such-model"),
])
def test_bad_input_is_one_line_exit_2(argv, needle, tmp_path, capsys) -> None:
    assert main(["compare", *argv, "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle.lower() in err.lower()


def test_fidelity_to_the_ann_is_agreement_and_relative_error_on_the_same_images() -> None:
    import numpy as np

    from neurosim.ann.forward import forward
    from neurosim.coding.fs import FS
    from neurosim.coding.rate import Rate
    from neurosim.compare import compare, format_table
    from neurosim.workload import load_workload

    wl = load_workload("digits-mlp")
    comparison = compare(wl, [FS(K=6), Rate(T=8)], "loihi", images=2, accuracy_images=40)
    ann = forward(wl.model, wl.x_test[:40])
    assert len(comparison.fidelity) == 2
    for result, fidelity in zip(comparison.results, comparison.fidelity):
        snn = result.functional.outputs
        agree = np.mean(np.argmax(ann, axis=1) == np.argmax(snn, axis=1))
        assert fidelity["top1_agreement"] == agree
        error = np.sqrt(((snn - ann) ** 2).sum() / (ann ** 2).sum())
        assert math.isclose(fidelity["relative_output_error"], error, rel_tol=1e-12)
    # Rate at T = 8 resolves λ/8 per neuron, FS at K = 6 about λ/64: it copies the ANN worse.
    assert comparison.fidelity[1]["relative_output_error"] > comparison.fidelity[0][
        "relative_output_error"]
    text = format_table(comparison)
    assert "Fidelity to the ANN on the same 40 test images" in text
    assert f"FS K=6 {100 * comparison.fidelity[0]['top1_agreement']:.1f} %" in text


def test_a_slow_rows_throughput_keeps_its_digits() -> None:
    """A row under 100 inferences per second (a deep network's rate row: 0.270/s) is printed
    to three significant digits, trailing zeros kept, not rounded to 0."""
    from neurosim.compare import _row_cells

    row = {"code": "rate", "params": {"T": 512}, "ann_accuracy": 1.0, "snn_accuracy": 0.5,
           "accuracy_images": 16, "spikes_per_neuron": 51.5,
           "synaptic_events_per_inference": 9.9e10,
           "energy_per_inference_j": 18.3, "latency_s": 3.77, "edp_j_s": 68.9,
           "energy_breakdown_j": dict.fromkeys(
               ("synapse", "neuron", "spike_packet", "network", "static"), 1.0),
           "cores_used": 9210}
    for per_s, shown in ((0.2654, "0.265"), (7.234, "7.23"), (60.01, "60.0"), (99.4, "99.4"),
                         (1234.4, "1234")):
        assert _row_cells({**row, "throughput_inferences_per_s": per_s})[8] == shown
