"""End to end: `neurosim compare` on a tiny configuration (issue 8)."""

from __future__ import annotations

import json

import matplotlib.image
import pytest

from neurosim.cli import main
from neurosim.report.summary import SUMMARY_FIELDS

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


def test_ratios_use_the_smallest_rate_T_within_half_a_point(report) -> None:
    summary = json.loads((report / "summary.json").read_text())
    iso = summary["iso_accuracy"]
    fs = summary["rows"][0]
    rates = [r for r in summary["rows"] if r["code"] == "rate"]
    eligible = [r["params"]["T"] for r in rates if 100 * (fs["snn_accuracy"] - r["snn_accuracy"]) <= 0.5]
    assert iso["rate_T"] == min(eligible)
    matched = next(r for r in rates if r["params"]["T"] == iso["rate_T"])
    assert iso["fs_over_rate_energy_per_inference_j"] == pytest.approx(
        fs["energy_per_inference_j"] / matched["energy_per_inference_j"])


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
