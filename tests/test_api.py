"""The public Python API: ``import neurosim`` is all a notebook needs (issue 13, point 1)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import neurosim
from neurosim.cli import main
from neurosim.errors import NeurosimError

README = Path(__file__).resolve().parents[1] / "README.md"


def test_help_lists_the_api() -> None:
    for name in ("load_model", "load_dataset", "load_workload", "Workload", "FS", "Rate", "TTFS",
                 "load_hardware", "Hardware", "run", "RunResult", "Sweep", "run_sweep", "Table"):
        assert name in neurosim.__all__ and hasattr(neurosim, name)
        assert getattr(neurosim, name).__doc__, name


def test_with_values_validates_and_records_what_changed() -> None:
    chip = neurosim.load_hardware("loihi").with_values({"core.neurons": 256})
    edited = chip.with_values({"costs.energy_synop": "30 pJ"})
    assert edited.chip.core.neurons == 256 and edited.chip.costs.energy_synop_j == pytest.approx(30e-12)
    assert dict(edited.overrides) == {"core.neurons": "256", "costs.energy_synop": "30 pJ"}
    assert edited.sources["costs.energy_synop"].source == "command-line override"
    assert edited == neurosim.load_hardware("loihi", ["core.neurons=256",
                                                      "costs.energy_synop=30 pJ"])
    with pytest.raises(NeurosimError, match=r"core\.neurons"):
        chip.with_values({"core.neurons": -5})


@pytest.fixture(scope="module")
def fs_run():
    workload = neurosim.load_workload("digits-mlp")
    return neurosim.run(workload, neurosim.FS(K=8), "loihi", images=4, accuracy_images=60)


def test_run_makes_the_choices_the_command_line_makes(fs_run, tmp_path, capsys) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs", "--K", "8", "--images", "4",
            "--accuracy-images", "60", "--out", str(tmp_path), "--json"]
    assert main(argv) == 0
    (cli_row,) = json.loads(capsys.readouterr().out)["rows"]
    for field in ("snn_accuracy", "energy_per_inference_j", "latency_s", "cores_used",
                  "synaptic_events_per_inference", "packets_per_inference"):
        assert fs_run.summary[field] == cli_row[field], field
    # the chip's weight precision (9 bits on Loihi: |w| up to 255), not a default of 8 bits
    assert fs_run.hardware.chip.core.weight_bits == 9
    largest = max(int(np.abs(np.asarray(p.weight)).max()) for p in fs_run.snn.projections)
    assert 127 < largest <= 255


def test_compare_takes_code_objects_as_the_cli_takes_flags(tmp_path, capsys) -> None:
    workload = neurosim.load_workload("digits-mlp")
    comparison = neurosim.compare(workload, [neurosim.FS(K=8), neurosim.Rate(T=16),
                                             neurosim.Rate(T=32)], "loihi", images=3,
                                  accuracy_images=60)
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs,rate", "--K", "8", "--rate-T",
            "16,32", "--images", "3", "--accuracy-images", "60", "--out", str(tmp_path / "cli"),
            "--json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [r["params"] for r in comparison.rows] == [r["params"] for r in cli["rows"]]
    for mine, theirs in zip(comparison.rows, cli["rows"]):
        for field in ("snn_accuracy", "energy_per_inference_j", "latency_s", "spikes_per_neuron"):
            assert mine[field] == theirs[field], field
    assert comparison.ratios["rate_T"] == cli["iso_accuracy"]["rate_T"]
    frame = comparison.table()
    assert frame.column("code") == ["fs", "rate", "rate"] and "energy_breakdown_j.static" in frame.columns
    files = comparison.write_report(tmp_path / "api")
    assert files["report"].read_text().startswith("# digits-mlp on loihi")


def test_tables_match_the_summary_and_round_trip(fs_run, tmp_path) -> None:
    layers = fs_run.per_layer()
    assert layers.column("population") == [p.name for p in fs_run.snn.populations]
    spikes = sum(layers.column("spikes"))
    assert spikes / fs_run.summary["images"] == pytest.approx(
        fs_run.summary["spikes_per_neuron"] * fs_run.snn.n_spiking_neurons, rel=0.2)
    cores = fs_run.per_core()
    assert len(cores) == fs_run.summary["cores_used"]
    path = cores.to_csv(tmp_path / "cores.csv")
    assert path.read_text().splitlines()[0].split(",") == list(cores.columns)
    steps = fs_run.per_step()
    assert sum(steps.column("step_s")) == pytest.approx(fs_run.summary["simulated_time_s"])
    pd = pytest.importorskip("pandas")
    frame = layers.to_frame()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(layers.columns)
    assert len(fs_run.per_link()) >= 0


def test_plots_draw_into_a_given_axes_and_choose_no_backend(fs_run, tmp_path) -> None:
    code = ("import matplotlib; matplotlib.use('svg'); import neurosim.plots, neurosim; "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "MPLBACKEND": ""}).stdout
    assert out.strip() == "svg"
    from matplotlib.figure import Figure

    from neurosim import plots
    ax = Figure().add_subplot()
    assert plots.accuracy_vs_energy([fs_run.summary], ax=ax) is ax
    assert ax.lines  # the FS point and the ANN line
    drawn = plots.energy_breakdown([fs_run.summary], path=tmp_path / "e.png")
    assert drawn.patches and (tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_keywords_are_the_keys_of_a_sweep_file() -> None:
    chip = neurosim.load_hardware("loihi").with_values({"core.neurons": 256})
    built = neurosim.Sweep("digits-cnn", codes=[neurosim.FS(K=8), neurosim.FS(K=10),
                                                neurosim.Rate(T=32)],
                           hardware=chip, grid={"core.neurons": [128, 512]}, images=8)
    from_file_form = neurosim.Sweep.from_dict({
        "model": "digits-cnn", "hardware": chip, "images": 8,
        "codes": {"fs": {"K": [8, 10]}, "rate": {"T": [32]}},
        "grid": {"core.neurons": [128, 512]}})
    assert [p.key for p in built.points] == [p.key for p in from_file_form.points]
    assert len(built.points) == 6 and built.varied == (
        "code", "code.K", "code.T", "core.neurons")
    with pytest.raises(NeurosimError, match="not a full cross product"):
        neurosim.Sweep("digits-cnn", codes=[neurosim.Rate(T=8, seed=1), neurosim.Rate(T=16, seed=2)])
    with pytest.raises(NeurosimError, match="grid"):  # checked at once, as a file is
        neurosim.Sweep("digits-cnn", codes=["fs"], grid={"core.neurons": []})


@pytest.mark.slow
def test_sweep_over_a_hardware_object_keeps_failed_points_as_rows(tmp_path) -> None:
    chip = neurosim.load_hardware("loihi").with_values(
        {"board.chips_x": 1, "board.chips_y": 1, "costs.energy_synop": "30 pJ"})
    sweep = neurosim.Sweep("digits-mlp", hardware=chip, codes=[neurosim.FS(K=6)],
                           grid={"core.neurons": [64, 2]}, images=2, accuracy_images=20)
    for point in sweep.points:  # the object's overrides lie under every setting
        assert dict(point.configuration.overrides)["costs.energy_synop"] == "30 pJ"
    outcome = neurosim.run_sweep(sweep, tmp_path, workers=1, plot=False)
    statuses = dict(zip(outcome.table.column("core.neurons"), outcome.table.column("status")))
    assert statuses == {"64": "ok", "2": "error"}
    assert len(outcome.errors) == 1 and "core.neurons=2" in outcome.errors[0]


@pytest.mark.slow
def test_the_readme_python_example_runs(tmp_path, monkeypatch) -> None:
    text = README.read_text()
    section = text[text.index("## Python"):]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)[:1]
    assert len([line for line in block.splitlines() if line.strip()]) <= 15
    assert [line for line in block.splitlines() if line.startswith(("import", "from"))] == [
        "import neurosim"]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert np.isfinite(namespace["ttfs"].summary["energy_per_inference_j"])
    assert (tmp_path / "report" / "report.md").is_file()
    assert len(namespace["table"]) == 4
