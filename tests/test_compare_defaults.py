"""Per-model compare defaults: a model's own values fill in what the user leaves out, flags win,
a model without any runs the main job, and a network too big for a board can run on a grown one."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from neurosim.ann.io import load_model, save_model
from neurosim.ann.zoo import synthetic
from neurosim.cli import main
from neurosim.coding.fs import FS
from neurosim.compare_defaults import BASE, METADATA_KEY, compare_defaults, from_mapping
from neurosim.compiler import board_that_fits, compile_network
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.pipeline import for_chip, precision_for
from neurosim.workload import load_workload

OWN = {"codes": ("fs", "rate"), "K": 4, "rate_T": "auto", "rate_T_ladder": (4, 16),
       "accuracy_images": 30, "images": 2, "rate_images": 1, "placer": "baseline",
       "rate_percentile": 99.5, "placement_images": 7, "reason": "a test's own defaults"}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """digits-mlp saved with compare defaults in its metadata, as a user's file would carry them."""
    model = load_workload("digits-mlp").model
    path = tmp_path_factory.mktemp("model") / "mlp-own.npz"
    save_model(replace(model, metadata={**model.metadata, METADATA_KEY: OWN}), path)
    return path


def test_base_is_the_main_job_and_a_mapping_replaces_fields() -> None:
    assert compare_defaults({}) is BASE
    assert (BASE.images, BASE.K, BASE.rate_T, BASE.placer, BASE.codes, BASE.board) == (
        32, "auto", (16, 32, 64, 128, 256), "optimised", ("fs", "rate", "ttfs"), "as given")
    own = from_mapping(OWN)
    assert (own.images, own.rate_images, own.K, own.rate_T, own.rate_T_ladder) == (
        2, 1, 4, "auto", (4, 16))
    assert set(own.changed()) == set(OWN) - {"reason"}
    for bad in ({"images": 0}, {"rate_T": "sometimes"}, {"placer": "random"},
                {"board": "huge"}, {"engine": 1}, {"rate_percentile": 0},
                {"rate_percentile": 100.5}, {"rate_percentile": "high"},
                {"placement_images": 0}, {"placement_images": 2.5}):
        with pytest.raises(NeurosimError):
            from_mapping(bad)


def test_the_zoo_models_carry_none_and_resnet18_its_own() -> None:
    assert load_workload("digits-cnn").compare_defaults is BASE
    own = from_mapping(synthetic.SPECS["resnet18-synthetic"].compare)
    assert own.rate_T == "auto" and own.board == "fit" and own.codes == ("fs", "rate")
    # The README's ResNet-18 table: rate at the 99.99th percentile (at 99.9 its clipping
    # keeps it from FS's agreement at any T), its ladder reaching T = 512, where it does.
    assert own.rate_percentile == 99.99 and max(own.rate_T_ladder) == 512
    assert own.placement_images == 4


def test_a_synthetic_model_gets_its_defaults_at_load(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(synthetic.CALIBRATION, "resnet20-synthetic", 4)
    spec = synthetic.SPECS["resnet20-synthetic"]
    monkeypatch.setitem(synthetic.SPECS, "resnet20-synthetic", replace(spec, compare={"images": 3}))
    model = synthetic.load_synthetic_model("resnet20-synthetic")
    assert model.metadata[METADATA_KEY] == {"images": 3}
    # Not stored in the cached file: a changed default needs no regeneration.
    assert METADATA_KEY not in load_model(synthetic.model_path("resnet20-synthetic")).metadata


def test_the_cli_uses_the_models_defaults_and_says_so(model_file, tmp_path, capsys,
                                                     monkeypatch) -> None:
    placed_on = _record_placement_images(monkeypatch)
    assert main(["compare", "--model", str(model_file), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = json.loads((tmp_path / "summary.json").read_text())["rows"]
    assert [r["code"] for r in rows] == ["fs", "rate"]
    assert rows[0]["params"]["K"] == 4 and "k_choice" not in rows[0]
    assert rows[1]["params"]["T"] in (4, 16) and "t_choice" in rows[1]
    assert [r["images"] for r in rows] == [2, 1]
    assert all(r["accuracy_images"] == 30 and r["placer"] == "baseline" for r in rows)
    # The rate row (and every T its choice tried) at the model's percentile; each row placed
    # for the spikes of the model's 7 training images.
    assert rows[1]["code_options"]["percentile"] == 99.5
    assert [r["placement_images"] for r in rows] == [7, 7] and placed_on == [7, 7]
    line = next(ln for ln in out.splitlines() if ln.startswith("Defaults of"))
    for flag in ("--codes fs,rate", "--K 4", "--rate-T auto", "--rate-T-ladder 4,16",
                 "--accuracy-images 30", "--images 2", "--rate-images 1", "--placer baseline",
                 "--rate-percentile 99.5", "--placement-images 7", "a test's own defaults"):
        assert flag in line
    assert "hardware figures over 2 images (FS K=4), 1 image (rate T=" in out
    assert "streamed back to back" in out
    recorded = json.loads((tmp_path / "summary.json").read_text())
    assert recorded["compare_defaults_used"]["rate_T_ladder"] == [4, 16]
    assert recorded["compare_defaults_reason"] == "a test's own defaults"


def _record_placement_images(monkeypatch) -> list[int]:
    """The number of training images each compiled row's traffic estimate simulates."""
    import neurosim.pipeline as pipeline
    seen: list[int] = []
    real = pipeline.placement_traffic

    def recording(snn, training_images, n=pipeline.PLACEMENT_IMAGES):
        seen.append(len(np.asarray(training_images)[:n]))
        return real(snn, training_images, n)

    monkeypatch.setattr(pipeline, "placement_traffic", recording)
    return seen


def test_flags_override_the_models_defaults(model_file, tmp_path, capsys, monkeypatch) -> None:
    placed_on = _record_placement_images(monkeypatch)
    argv = ["compare", "--model", str(model_file), "--codes", "fs,rate", "--K", "5",
            "--rate-T", "8", "--images", "3", "--accuracy-images", "20", "--placer", "optimised",
            "--rate-percentile", "99", "--placement-images", "3", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = json.loads((tmp_path / "summary.json").read_text())["rows"]
    assert [(r["code"], r["params"].get("K"), r["params"].get("T")) for r in rows] == [
        ("fs", 5, None), ("rate", None, 8)]
    # --images given and no --rate-images: every row on 3 images.
    assert [r["images"] for r in rows] == [3, 3] and "t_choice" not in rows[1]
    assert all(r["accuracy_images"] == 20 and r["placer"] == "optimised" for r in rows)
    assert rows[1]["code_options"]["percentile"] == 99 and placed_on == [3, 3]
    assert "Defaults of" not in out


def test_the_rate_percentile_sets_the_rate_scale(tmp_path) -> None:
    """The defaults' percentile reaches the rate rows (fixed T and T auto) and the run's
    summary, and a lower one clips harder: the hidden layer's thresholds (λ / T, λ the
    percentile of its calibration activations) are lower at the 90th than at the 99.9th."""
    from neurosim.choose_t import RateAuto
    from neurosim.compare import compare, default_codes
    workload = load_workload("digits-mlp")
    own = from_mapping({"codes": ("fs", "rate"), "rate_T": (8,), "rate_percentile": 90.0})
    assert [type(r).__name__ for r in default_codes(own.rate_T, own)] == ["FS", "Rate"]
    assert default_codes(own.rate_T, own)[1].percentile == 90.0
    auto = default_codes("auto", own)[1]
    assert isinstance(auto, RateAuto) and auto.rate_options == {"percentile": 90.0}
    hw = load_hardware("loihi")
    snns = [for_chip(workload.convert(code, precision_for(hw)), hw)
            for code in (default_codes((8,), own)[1], default_codes((8,), BASE)[1])]
    hidden = [next(p for p in s.populations if p.role == "hidden") for s in snns]
    assert float(np.max(hidden[0].threshold)) < float(np.max(hidden[1].threshold))
    comparison = compare(workload, default_codes((8,), own), hw, images=1, accuracy_images=10,
                         placer="baseline", placement_images=2)
    assert comparison.rows[1]["code_options"]["percentile"] == 90.0
    assert [r["placement_images"] for r in comparison.rows] == [2, 2]


def test_bad_rate_percentile_and_placement_images_flags_are_one_line(tmp_path, capsys) -> None:
    base = ["compare", "--model", "digits-mlp", "--out", str(tmp_path)]
    for argv, needle in (([*base, "--rate-percentile", "0"], "--rate-percentile"),
                         ([*base, "--rate-percentile", "101"], "--rate-percentile"),
                         ([*base, "--rate-percentile", "nan"], "--rate-percentile"),
                         ([*base, "--placement-images", "0"], "--placement-images"),
                         ([*base, "--codes", "fs", "--rate-percentile", "99"], "no rate row")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err, err
    assert not (tmp_path / "summary.json").exists()


def test_a_model_without_defaults_prints_no_defaults_line(tmp_path, capsys) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs", "--K", "4", "--images", "1",
            "--accuracy-images", "10", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Defaults of" not in out and "hardware figures over 1 image\n" in out


def test_a_board_grown_to_fit_is_the_board_given_explicitly() -> None:
    wl = load_workload("digits-mlp")
    small = load_hardware("loihi", {"board.chips_x": 1, "board.chips_y": 1, "chip.mesh_x": 1,
                                    "chip.mesh_y": 1, "chip.cores_per_tile": 1,
                                    "core.neurons": 16})
    snn = for_chip(wl.convert(FS(K=4), precision_for(small)), small)
    with pytest.raises(NeurosimError, match="needs"):
        compile_network(snn, small, placer="baseline")
    grown, part = board_that_fits(snn, small)
    chips = -(-part.n_blocks // small.chip.cores)
    assert grown.board.chips_x == int(np.ceil(np.sqrt(chips)))
    assert grown.board.chips_x * grown.board.chips_y >= chips
    assert (grown.board.chips_x - 1) * grown.board.chips_y < chips  # no spare column
    assert int(dict(grown.overrides)["board.chips_x"]) == grown.board.chips_x
    given = small.with_values({"board.chips_x": grown.board.chips_x,
                               "board.chips_y": grown.board.chips_y})
    reused = compile_network(snn, grown, placer="baseline", partitioned=part)
    fresh = compile_network(snn, given, placer="baseline")
    def layout(mapping):
        return [(b.population, b.core, b.neurons.tolist(), b.usage, b.group)
                for b in mapping.blocks]
    assert layout(reused) == layout(fresh) and reused.stats == fresh.stats
    fits, _ = board_that_fits(snn, given)
    assert fits is given


def test_compare_with_board_fit_runs_on_the_grown_board(tmp_path, capsys) -> None:
    argv = ["compare", "--model", "digits-mlp", "--codes", "fs", "--K", "4", "--images", "1",
            "--accuracy-images", "10", "--hw", "loihi", "--set", "board.chips_x=1",
            "--set", "board.chips_y=1", "--set", "chip.mesh_x=1", "--set", "chip.mesh_y=1",
            "--set", "chip.cores_per_tile=1", "--set", "core.neurons=16",
            "--out", str(tmp_path), "--quiet"]
    assert main(argv) == 2 and "needs" in capsys.readouterr().err
    assert main([*argv, "--board", "fit"]) == 0
    row = json.loads((tmp_path / "summary.json").read_text())["rows"][0]
    assert any(o.startswith("board.chips_x=") for o in row["hardware_overrides"])
    assert row["cores_used"] > 1
