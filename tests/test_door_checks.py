"""The examples of the reliability report, one by one: each is exit 2 with one line naming
the file or option, and nothing written (issue 15)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from fuzz_cases import SWEEP, _alias_bomb, _huge_array_npz, _npz_parts, _write_npz, base_files

from neurosim import limits
from neurosim.cli import main
from neurosim.errors import NeurosimError
from neurosim.snn.io import load_snn


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return base_files(str(tmp_path_factory.mktemp("door")))


def one_line(capsys, argv: list[str], *needles: str) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("neurosim: error: "), err
    for needle in needles:
        assert needle in err, err
    return err


# --------------------------------------------------------------------------- SNN files
def _snn_variant(files, tmp_path, edit, code: str = "fs") -> Path:
    header, arrays = _npz_parts(files[f"snn_{code}"], "__snn__")
    edit(header, arrays)
    path = tmp_path / "bad.npz"
    _write_npz(path, "__snn__", header, arrays)
    return path


def _output(header):
    return next(p for p in header["populations"] if p["role"] == "output")


SNN_EXAMPLES = {
    "params is a string": (lambda h, a: h.update(params="K=4"), "params is str"),
    "NaN threshold": (lambda h, a: a.update({
        f"pop/{h['populations'][1]['name']}/threshold": np.full(4, np.nan)}), "dtype float64"),
    "weight with 50x the columns": (lambda h, a: a.update({
        k: np.tile(v, (1, 50)) for k, v in list(a.items()) if k.startswith("proj/")}),
        "expected (target size, source size)"),
    "output offset 1e6": (lambda h, a: _output(h).update(offset=10**6), "offset"),
    "code xyz": (lambda h, a: h.update(code="xyz"), "code is 'xyz'"),
    "reversed input_range": (lambda h, a: h["params"].update(input_range=[1.0, 0.0]),
                             "input_range"),
    "complex array": (lambda h, a: a.update({
        k: v.astype(np.complex128) for k, v in list(a.items()) if k.endswith("/bias")}),
        "complex128"),
    "stride 0": (lambda h, a: h["projections"][0].update(stride=[0, 1]), "stride"),
    "padding -1": (lambda h, a: h["projections"][0].update(padding=[-1, 0]), "padding"),
    "shape of zero": (lambda h, a: h["populations"][1].update(shape=[0]), "shape"),
    "unknown source": (lambda h, a: h["projections"][0].update(source="nowhere"), "source"),
}


@pytest.mark.parametrize("name", sorted(SNN_EXAMPLES))
def test_snn_file_examples(name, files, tmp_path, capsys) -> None:
    edit, needle = SNN_EXAMPLES[name]
    path = _snn_variant(files, tmp_path, edit)
    out = tmp_path / "out"
    one_line(capsys, ["simulate", str(path), "--out", str(out)], str(path), needle)
    assert not out.exists()


def test_an_ideal_network_with_a_nan_threshold_is_refused(files, tmp_path) -> None:
    def edit(header, arrays):
        header["integer"] = False
        for key in arrays:
            arrays[key] = arrays[key].astype(np.float64)
        arrays[f"pop/{header['populations'][1]['name']}/threshold"][0] = np.nan
    with pytest.raises(NeurosimError, match="NaN or infinite"):
        load_snn(_snn_variant(files, tmp_path, edit))


def test_a_bit_flip_in_compressed_data_is_one_line(files, tmp_path, capsys) -> None:
    data = bytearray(files["snn_fs"].read_bytes())
    with zipfile.ZipFile(files["snn_fs"]) as archive:
        info = archive.getinfo("proj/hidden->output.npy") if "proj/hidden->output.npy" in \
            archive.namelist() else archive.infolist()[-1]
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(data))
    one_line(capsys, ["simulate", str(path), "--out", str(tmp_path / "o")], "not a readable")


# --------------------------------------------------------------------------- YAML loaders
def _commands(files, path: str, out: Path) -> dict[str, list[str]]:
    return {
        "hardware": ["hw", "validate", path],
        "mapping": ["simulate", str(files["snn_fs"]), "--mapping", path, "--out", str(out)],
        "sweep": ["sweep", path, "--out", str(out)],
        "sequences": ["convert", "digits-cnn-silu", "--sequences", path, "--out",
                      str(out / "x.npz")],
        "sanafe": ["hw", "import-sanafe", path, "--out", str(out / "x.yaml")],
    }


HOSTILE = {
    "not UTF-8": (b"model: \xff\xfe\x80 digits\n", "not UTF-8"),
    "deep nesting": (b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", "YAML"),
    "alias bomb": (None, "aliases"),
}


@pytest.mark.parametrize("loader", ["hardware", "mapping", "sweep", "sequences", "sanafe"])
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml_for_every_loader(loader, case, files, tmp_path, capsys) -> None:
    data, needle = HOSTILE[case]
    path = tmp_path / "in.yaml"
    path.write_bytes(data if data is not None else _alias_bomb(__import__("random").Random(1)))
    out = tmp_path / "out"
    one_line(capsys, _commands(files, str(path), out)[loader], needle)
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("loader", ["hardware", "mapping", "sweep", "sequences", "sanafe"])
@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/urandom", "directory"])
def test_a_file_that_is_not_regular_never_hangs(loader, special, files, tmp_path, capsys) -> None:
    if special == "fifo":
        path = str(tmp_path / "pipe.yaml")
        os.mkfifo(path)
    elif special == "directory":
        path = str(tmp_path)
    else:
        path = special
    err = one_line(capsys, _commands(files, path, tmp_path / "out")[loader])
    assert "regular file" in err or "directory" in err


def test_a_sweep_seed_that_is_no_date(tmp_path, capsys) -> None:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(SWEEP) + "seed: 2001-02-30\n")
    one_line(capsys, ["sweep", str(path), "--dry-run"], "seed", "2001-02-30")


def test_an_alias_bomb_in_a_mapping_label(files, tmp_path, capsys) -> None:
    document = yaml.safe_load(files["mapping"].read_text())
    document["blocks"][0]["label"] = "BOMB"
    bomb = _alias_bomb(__import__("random").Random(3)).decode()
    deepest = bomb.strip().splitlines()[-1].split(":")[0]
    path = tmp_path / "mapping.yaml"
    path.write_text(bomb + yaml.safe_dump(document).replace("BOMB", f"*{deepest}"))
    one_line(capsys, ["simulate", str(files["snn_fs"]), "--mapping", str(path), "--out",
                      str(tmp_path / "o")], "aliases")


# --------------------------------------------------------------------------- sizes
def test_a_mesh_of_a_million_squared(capsys) -> None:
    one_line(capsys, ["hw", "validate", "loihi", "--set", "chip.mesh_x=1000000", "--set",
                      "chip.mesh_y=1000000"], "cores", "16,777,216")


def test_a_model_declaring_an_80_gb_array(files, tmp_path, capsys) -> None:
    graph, _ = _npz_parts(files["model"], "__graph__")
    path = tmp_path / "huge.npz"
    import json
    _huge_array_npz(path, json.dumps(graph))
    one_line(capsys, ["convert", str(path), "--out", str(tmp_path / "x.npz")],
             "memory", "available")


def test_a_mapping_range_of_a_trillion_neurons(files, tmp_path, capsys) -> None:
    document = yaml.safe_load(files["mapping"].read_text())
    document["blocks"][0]["neurons"] = [[0, 10**12]]
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(document))
    one_line(capsys, ["simulate", str(files["snn_fs"]), "--mapping", str(path), "--out",
                      str(tmp_path / "o")], "1,000,000,000,000 neurons")


def test_a_sweep_grid_of_a_million_points(tmp_path, capsys) -> None:
    document = dict(SWEEP, grid={"core.neurons": list(range(1, 1001)),
                                 "core.input_axons": list(range(1, 1001))})
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(document))
    one_line(capsys, ["sweep", str(path), "--dry-run"], "1,000,000 points")


@pytest.mark.parametrize("argv", [
    ["convert", "digits-cnn", "--K", "1000000000"],
    ["convert", "digits-cnn", "--images", "1000000000"],
    ["simulate", "x.npz", "--images", "1000000000", "--out", "o"],
    ["fit-fs", "--activation", "silu", "--K", "8", "--restarts", "1000000000"],
    ["fit-fs", "--activation", "silu", "--K", "8", "--bits", "1000000000"],
    ["convert", "digits-cnn", "--code", "rate", "--seed", "-1"],
    ["sweep", "x.yaml", "--out", "o", "--workers", str(2**63)],
])
def test_numeric_options_out_of_range(argv, capsys) -> None:
    one_line(capsys, argv, "outside the allowed")


def test_a_fold_that_cannot_fit_names_the_estimate_and_the_memory(monkeypatch) -> None:
    from neurosim.ann.layers import AvgPool2d
    from neurosim.snn.linear import fold_chain
    monkeypatch.setattr(limits, "available_memory", lambda: 1 << 20)  # 1 MiB left
    pool = AvgPool2d("pool", ("x",), 2, 2)
    with pytest.raises(NeurosimError, match=r"needs about .* this machine has 1\.00 MiB"):
        fold_chain((pool,), (200, 4, 4), "model: pool")
    monkeypatch.setattr(limits, "available_memory", lambda: 1 << 34)
    kind, weight, _, _ = fold_chain((pool,), (8, 4, 4), "model: pool")
    assert kind == "conv" and weight.shape == (8, 8, 2, 2)


# --------------------------------------------------------------------------- nonsense
def test_an_energy_of_1e308_joules_per_event(capsys) -> None:
    one_line(capsys, ["hw", "validate", "loihi", "--set", "costs.energy_synop=1e308 J"],
             "more than 1 mJ")


def test_sequences_for_an_activation_the_model_lacks(tmp_path, capsys) -> None:
    from neurosim.coding.sequences import __file__ as package
    sigmoid = Path(package).parent / "sigmoid_K12.yaml"
    one_line(capsys, ["convert", "digits-cnn", "--sequences", str(sigmoid), "--out",
                      str(tmp_path / "x.npz")], "'sigmoid'", "does not use")
    assert not (tmp_path / "x.npz").exists()


def test_complex_model_weights(files, tmp_path, capsys) -> None:
    graph, arrays = _npz_parts(files["model"], "__graph__")
    key = next(k for k in arrays if k.endswith("/weight"))
    arrays[key] = arrays[key] + 1j
    path = tmp_path / "complex.npz"
    _write_npz(path, "__graph__", graph, arrays)
    one_line(capsys, ["convert", str(path), "--out", str(tmp_path / "x.npz")], "complex128")


def test_a_dense_fold_probes_in_blocks_sized_by_the_larger_side(monkeypatch) -> None:
    """Flatten -> Dense from a wide map into few outputs: the probe blocks stay within
    PROBE_ENTRIES values whichever side is larger, and the folded matrix is the Dense
    weight (Flatten is the identity on the C-order values)."""
    from neurosim.ann.layers import Dense, Flatten
    from neurosim.snn import linear

    rng = np.random.default_rng(0)
    shape = (3, 20, 20)
    dense = Dense("fc", ("flat",), rng.normal(size=(2, 1200)), np.zeros(2))
    seen = []
    apply = linear.apply_chain

    def recording(chain, x):
        seen.append(x.size)
        return apply(chain, x)

    monkeypatch.setattr(linear, "apply_chain", recording)
    monkeypatch.setattr(linear, "PROBE_ENTRIES", 100_000)
    kind, weight, _, _ = linear.fold_chain((Flatten("flat", ("x",)), dense), shape, "model: fc")
    assert kind == "dense"
    np.testing.assert_allclose(weight, dense.weight, rtol=1e-12, atol=1e-12)
    probes = seen[1:]  # the first call finds the output size
    assert len(probes) == -(-1200 // (100_000 // 1200)) and max(probes) <= 100_000
