"""The sweep file: expansion into configurations, keys, and every bad input in one line."""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim import __version__
from neurosim.cli import main
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.sweep import configuration_key, parse_sweep

EXAMPLE = {
    "model": "digits-cnn",
    "hardware": "loihi",
    "codes": {"fs": {"K": [8, 10]}, "rate": {"T": [16, 64]}, "ttfs": {}},
    "grid": {"core.neurons": [256, 1024, 4096],
             "noc.link_bandwidth": ["10 Gbit/s", "110 Gbit/s"]},
    "placer": ["baseline", "optimised"],
    "images": 16,
    "accuracy_images": 100,
    "seed": 0,
}


def test_the_example_expands_to_the_product() -> None:
    sweep = parse_sweep(EXAMPLE, "example.yaml")
    # (2 FS + 2 rate + 1 TTFS variants) × 3 core sizes × 2 bandwidths × 2 placers.
    assert len(sweep.points) == 5 * 3 * 2 * 2
    assert len({p.key for p in sweep.points}) == len(sweep.points)
    combos = {(p.configuration.code, p.configuration.code_options, p.configuration.overrides,
               p.configuration.placer) for p in sweep.points}
    assert ("rate", (("T", 64),), (("core.neurons", 4096), ("noc.link_bandwidth", "10 Gbit/s")),
            "baseline") in combos
    assert ("ttfs", (), (("core.neurons", 256), ("noc.link_bandwidth", "110 Gbit/s")),
            "optimised") in combos
    assert sweep.columns == ("code", "code.K", "code.T", "placer", "seed", "core.neurons",
                             "noc.link_bandwidth")
    assert sweep.varied == ("code", "code.K", "code.T", "placer", "core.neurons",
                            "noc.link_bandwidth")
    first = sweep.points[0].configuration
    assert (first.model, first.images, first.accuracy_images, first.seed) == (
        "digits-cnn", 16, 100, 0)


def test_points_join_the_grid_and_may_fix_the_code() -> None:
    data = {"model": "digits-mlp", "codes": {"fs": {}, "rate": {"T": 8}},
            "grid": {"core.neurons": [64, 128]},
            "points": [{"core.neurons": 512, "noc.link_bandwidth": "10 Gbit/s"},
                       {"core.neurons": 1024, "code": "ttfs", "T": 12, "placer": "baseline"}]}
    sweep = parse_sweep(data)
    described = [(p.configuration.code, dict(p.configuration.overrides),
                  p.configuration.placer) for p in sweep.points]
    assert len(described) == 2 * 2 + 2 + 1
    assert described[4:] == [("fs", {"core.neurons": 512, "noc.link_bandwidth": "10 Gbit/s"},
                              "optimised"),
                             ("rate", {"core.neurons": 512, "noc.link_bandwidth": "10 Gbit/s"},
                              "optimised"),
                             ("ttfs", {"core.neurons": 1024}, "baseline")]
    assert sweep.points[-1].configuration.code_options == (("T", 12),)
    assert sweep.points[-1].label(sweep.varied) == "ttfs T=12 placer=baseline core.neurons=1024"


def test_no_grid_runs_the_base_hardware_and_repeats_run_once() -> None:
    sweep = parse_sweep({"model": "digits-mlp", "codes": ["fs", "ttfs"],
                         "points": [{"core.neurons": 64}, {"core.neurons": 64}]})
    assert len(sweep.points) == 2  # the repeated point is one configuration
    bare = parse_sweep({"model": "digits-mlp", "codes": "fs"})
    assert [p.configuration.overrides for p in bare.points] == [()]


def test_the_key_is_the_sha256_of_the_resolved_configuration() -> None:
    sweep = parse_sweep({"model": "digits-mlp", "codes": {"rate": {"T": [8, 16]}}})
    point = sweep.points[0]
    file_hash = load_hardware("loihi").file_hash
    text = json.dumps({"configuration": point.configuration.describe(),
                       "hardware_file_hash": file_hash, "model_file_hash": None,
                       "dataset_file_hash": None, "neurosim_version": __version__},
                      sort_keys=True, separators=(",", ":"))
    assert point.key == hashlib.sha256(text.encode()).hexdigest()
    assert configuration_key(point.configuration, file_hash) == point.key
    assert configuration_key(point.configuration, "0" * 64) != point.key
    # Stable: the same file resolves to the same keys, whatever the order of its keys.
    reordered = parse_sweep({"codes": {"rate": {"T": [8, 16]}}, "model": "digits-mlp"})
    assert [p.key for p in reordered.points] == [p.key for p in sweep.points]


def test_a_changed_model_file_changes_the_key(tmp_path) -> None:
    """A retrained model saved over the same file must not reuse the old results."""
    from neurosim.ann.io import save_model
    from neurosim.ann.zoo import load_zoo_model

    path = tmp_path / "net.npz"
    model = load_zoo_model("digits-mlp")
    save_model(model, path)
    before = parse_sweep({"model": str(path), "codes": {"rate": {"T": [8]}}}).points[0].key
    save_model(model.with_layers(model.layers, name="retrained"), path)
    after = parse_sweep({"model": str(path), "codes": {"rate": {"T": [8]}}}).points[0].key
    assert before != after


# --------------------------------------------------------------------------- bad input


def _cli_error(tmp_path, capsys, text: str, *extra: str) -> str:
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("neurosim: error: ") and err.count("\n") == 1, err
    assert not out.exists()  # nothing ran, nothing was written
    return err


BASE = "model: digits-mlp\ncodes: {fs: {K: 8}}\n"


def test_unknown_grid_key_says_did_you_mean(tmp_path, capsys) -> None:
    err = _cli_error(tmp_path, capsys, BASE + "grid: {core.nerons: [256, 512]}\n")
    assert "unknown hardware key 'core.nerons'" in err and "did you mean 'core.neurons'" in err
    err = _cli_error(tmp_path, capsys, BASE + "grid: {T: [8, 16]}\n")
    assert "'T' is a code option" in err


def test_empty_grid_and_empty_lists(tmp_path, capsys) -> None:
    assert "the grid is empty" in _cli_error(tmp_path, capsys, BASE + "grid: {}\n")
    assert "the grid is empty" in _cli_error(tmp_path, capsys, BASE + "grid:\n")
    err = _cli_error(tmp_path, capsys, BASE + "grid: {core.neurons: []}\n")
    assert "grid.core.neurons: empty list" in err
    err = _cli_error(tmp_path, capsys, "model: digits-mlp\ncodes: {rate: {T: []}}\n")
    assert "codes.rate.T: empty list" in err


def test_values_of_the_wrong_type(tmp_path, capsys) -> None:
    err = _cli_error(tmp_path, capsys, BASE + "grid: {core.neurons: [256, many]}\n")
    assert "core.neurons = 'many'" in err and "whole number" in err
    err = _cli_error(tmp_path, capsys, BASE + "grid: {noc.link_bandwidth: [10 Gbit]}\n")
    assert "noc.link_bandwidth = '10 Gbit'" in err and "bandwidth" in err
    err = _cli_error(tmp_path, capsys, "model: digits-mlp\ncodes: {fs: {K: ten}}\n")
    assert "codes.fs.K: expected a whole number, found 'ten'" in err
    err = _cli_error(tmp_path, capsys, "model: digits-mlp\ncodes: {fs: {alpha: -1.0}}\n")
    assert "alpha" in err
    assert "unknown placer 'fastest'" in _cli_error(tmp_path, capsys, BASE + "placer: fastest\n")
    assert "images" in _cli_error(tmp_path, capsys, BASE + "images: 2.5\n")


def test_unknown_names(tmp_path, capsys) -> None:
    assert "did you mean 'codes'" in _cli_error(tmp_path, capsys, BASE + "code: {fs: {}}\n")
    err = _cli_error(tmp_path, capsys, "model: digits-mlp\ncodes: [rat]\n")
    assert "did you mean 'rate'" in err
    assert "did you mean 'loihi'" in _cli_error(tmp_path, capsys, BASE + "hardware: loihy\n")
    assert "digits-mlpp" in _cli_error(tmp_path, capsys, "model: digits-mlpp\ncodes: [fs]\n")
    err = _cli_error(tmp_path, capsys, BASE + "points: [{T: 8}]\n")
    assert "needs the point's code" in err


def test_executor_options(tmp_path, capsys) -> None:
    err = _cli_error(tmp_path, capsys, BASE, "--scheduler", "tcp://127.0.0.1:1")
    assert "--executor dask" in err
    assert "--workers: 0 is outside the allowed 1" in _cli_error(tmp_path, capsys, BASE, "--workers", "0")


DOCUMENT = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 5000) | st.floats(allow_nan=True)
    | st.sampled_from(["fs", "rate", "ttfs", "loihi", "digits-mlp", "core.neurons", "K", "T",
                       "baseline", "10 Gbit/s", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["model", "hardware", "codes", "grid", "points", "placer", "seed",
                         "images", "fs", "rate", "K", "T", "core.neurons", "code",
                         "noc.link_bandwidth", "percentile"]), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_malformed_documents_are_reported_never_raised(document) -> None:
    try:
        sweep = parse_sweep(document, "fuzz.yaml")
    except NeurosimError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz.yaml")
    else:
        assert sweep.points  # a valid document has at least one point


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 200), st.text(max_size=20))
def test_mangled_files_end_in_one_line(tmp_path, capsys, cut: int, junk: str) -> None:
    text = yaml.safe_dump(EXAMPLE, sort_keys=False)
    path = tmp_path / "mangled.yaml"
    path.write_text(text[:cut] + junk + text[cut:])
    status = main(["sweep", str(path), "--dry-run"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if status == 2:
        assert err.startswith("neurosim: error: ") and err.count("\n") == 1, err
    else:
        assert status == 0 and "configurations" in out


@pytest.mark.parametrize("text", ["", "- fs\n- rate\n", "model: digits-mlp\ncodes: {fs: [8]}\n",
                                  "\t: :\n", "model: digits-mlp\ncodes: {fs: {}}\ngrid: 3\n"])
def test_odd_documents(tmp_path, capsys, text: str) -> None:
    _cli_error(tmp_path, capsys, text)


def test_fs_K_may_be_auto_in_a_sweep_file() -> None:
    sweep = parse_sweep({"model": "digits-mlp", "codes": {"fs": {"K": ["auto", 6]}}})
    assert [p.configuration.code_options for p in sweep.points] == [(("K", "auto"),), (("K", 6),)]
    assert len({p.key for p in sweep.points}) == 2
    with pytest.raises(NeurosimError, match=r"codes\.fs\.K"):
        parse_sweep({"model": "digits-mlp", "codes": {"fs": {"K": "automatic"}}})
