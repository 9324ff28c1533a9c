"""CoreMapping YAML round trip, the checks on loading, the FS-neuron check and the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hw_factory import make_hardware
from snn_factory import digits_cnn_snn

import neurosim.commands.compile as compile_command
from neurosim.cli import main
from neurosim.compiler import compile_network
from neurosim.compiler.io import load_mapping, ranges, save_mapping
from neurosim.errors import NeurosimError
from neurosim.snn.io import save_snn


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    snn = digits_cnn_snn()
    hw = make_hardware(**{"core.neurons": 64, "board.chips_x": 2})
    mapping = compile_network(snn, hw, seed=1)
    path = save_mapping(mapping, hw, tmp_path_factory.mktemp("map") / "mapping.yaml")
    return snn, hw, mapping, path


def test_ranges():
    assert ranges(np.array([0, 1, 2, 8, 9, 11])) == [[0, 3], [8, 10], [11, 12]]
    assert ranges(np.array([], dtype=int)) == []


def test_yaml_round_trip(compiled):
    snn, hw, mapping, path = compiled
    loaded = load_mapping(path, snn, hw)
    assert loaded.snn_name == mapping.snn_name and loaded.layout_hash == mapping.layout_hash
    assert len(loaded.blocks) == len(mapping.blocks)
    for a, b in zip(mapping.blocks, loaded.blocks):
        assert (a.population, a.core, a.label, a.usage) == (b.population, b.core, b.label, b.usage)
        assert np.array_equal(a.neurons, b.neurons)
    assert loaded.stats == mapping.stats
    assert np.array_equal(loaded.core_of_neuron(snn), mapping.core_of_neuron(snn))
    text = yaml.safe_load(path.read_text())
    first = text["blocks"][0]
    assert {"population", "core", "chip", "tile", "slot", "neurons"} <= set(first)


def _move(block, core):
    """Put a block record on another core (its chip, tile and slot are then implied)."""
    block["core"] = core
    for key in ("chip", "tile", "slot"):
        block.pop(key)


def _edit(path, tmp_path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    out = tmp_path / "edited.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return out


def test_load_rejects_other_hardware(compiled):
    snn, _, _, path = compiled
    other = make_hardware(**{"core.neurons": 128, "board.chips_x": 2})
    with pytest.raises(NeurosimError, match=r"compiled for hardware 'test-loihi' .*layout hash"):
        load_mapping(path, snn, other)
    # Costs do not enter the layout hash: a cost sweep reuses the mapping.
    cheaper = make_hardware(**{"core.neurons": 64, "board.chips_x": 2, "noc.energy_hop_ew_j": 1e-12})
    load_mapping(path, snn, cheaper)


def test_load_rejects_missing_and_doubled_neurons(compiled, tmp_path):
    snn, hw, _, path = compiled
    dropped = _edit(path, tmp_path, lambda d: d["blocks"].pop(3))
    with pytest.raises(NeurosimError, match=r"64 neurons are in no block, the first neuron \d+ of 'r1'"):
        load_mapping(dropped, snn, hw)

    def double(d):
        d["blocks"].append(dict(d["blocks"][0]))
        _move(d["blocks"][-1], max(b["core"] for b in d["blocks"]) + 1)
    doubled = _edit(path, tmp_path, double)
    with pytest.raises(NeurosimError, match="in several blocks"):
        load_mapping(doubled, snn, hw)


def test_load_rejects_cores_off_the_board_and_over_limits(compiled, tmp_path):
    snn, hw, _, path = compiled

    def off(d):
        _move(d["blocks"][0], hw.total_cores)
    with pytest.raises(NeurosimError, match=f"core {hw.total_cores}, the board has cores"):
        load_mapping(_edit(path, tmp_path, off), snn, hw)

    def wrong_tile(d):
        d["blocks"][0]["tile"] = [7, 3]
    with pytest.raises(NeurosimError, match="the file says"):
        load_mapping(_edit(path, tmp_path, wrong_tile), snn, hw)

    def share(d):  # two full blocks of r1 on one core: 128 neurons > 64
        _move(d["blocks"][2], d["blocks"][1]["core"])
    with pytest.raises(NeurosimError, match="needs 128 neurons, the core has 64"):
        load_mapping(_edit(path, tmp_path, share), snn, hw)


def test_load_rejects_a_malformed_usage_record(compiled, tmp_path):
    snn, hw, _, path = compiled

    def listed(d):
        d["blocks"][0]["usage"] = [1]
    with pytest.raises(NeurosimError, match="usage is list, expected a mapping"):
        load_mapping(_edit(path, tmp_path, listed), snn, hw)


def test_ttfs_maps_with_or_without_native_fs_neurons():
    """Cores without per-step thresholds emulate them (the engine charges it), so both map."""
    snn = digits_cnn_snn("ttfs")
    for native in (False, True):
        mapping = compile_network(snn, make_hardware(**{"core.fs_neurons": native}))
        assert mapping.stats["blocks"] >= 5


def test_cli_compiles_and_prints_costs(tmp_path, monkeypatch, capsys):
    snn_path = save_snn(digits_cnn_snn(), tmp_path / "net.npz")
    hw = make_hardware(**{"core.neurons": 64})
    monkeypatch.setattr(compile_command, "load_hardware_model", lambda name, overrides: hw)
    out = tmp_path / "mapping.yaml"
    code = main(["compile", str(snn_path), "--hw", "loihi", "--images", "0", "--seed", "3",
                 "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "cores used 27" in text and "baseline" in text and "optimised" in text
    assert "% lower" in text and "uniform estimate" in text
    loaded = load_mapping(out, digits_cnn_snn(), hw)
    assert loaded.placer == "optimised" and loaded.seed == 3


def test_cli_reports_errors_on_one_line(tmp_path, monkeypatch, capsys):
    snn_path = save_snn(digits_cnn_snn("ttfs"), tmp_path / "net.npz")
    tiny = make_hardware(**{"core.neurons": 64, "chip.mesh_x": 1, "chip.mesh_y": 1})
    monkeypatch.setattr(compile_command, "load_hardware_model", lambda name, overrides: tiny)
    code = main(["compile", str(snn_path), "--images", "0", "--out", str(tmp_path / "m.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cores" in err and "binds" in err


def test_weights_wider_than_the_chip_are_refused():
    snn = digits_cnn_snn()  # 8-bit weights
    top = max(int(np.abs(q.weight).max()) for q in snn.projections)
    assert top > 7
    with pytest.raises(NeurosimError, match=r"beyond the 4-bit weights.*--weight-bits 4"):
        compile_network(snn, make_hardware(**{"core.weight_bits": 4}))
    compile_network(snn, make_hardware(**{"core.weight_bits": 8}))


@pytest.mark.parametrize("effort", [0.0, -1.0, float("nan"), 1e300])
def test_effort_outside_its_range_is_refused(effort):
    with pytest.raises(NeurosimError, match="effort"):
        compile_network(digits_cnn_snn(), make_hardware(), effort=effort)


def test_layout_hash_and_file_hash_are_both_checked(compiled, tmp_path):
    """Same file: "file"; another file with the same layout loads ("layout"); another layout is refused."""
    from dataclasses import replace

    snn, hw, mapping, path = compiled
    loaded = load_mapping(path, snn, hw)
    assert loaded.file_hash == hw.file_hash and loaded.hardware_match(hw) == "file"
    # Other event costs, written in another file: the layout hash is unchanged.
    costs = replace(hw.chip.costs, energy_synop_j=2 * hw.chip.costs.energy_synop_j)
    other_file = replace(hw, chip=replace(hw.chip, costs=costs), file_hash="1" * 16)
    again = load_mapping(path, snn, other_file)
    assert again.hardware_match(other_file) == "layout"
    # A mapping file written before file hashes were recorded loads as "layout" only.
    old = _edit(path, tmp_path, lambda d: d["hardware"].pop("file_hash"))
    assert load_mapping(old, snn, hw).hardware_match(hw) == "layout"
    # Another layout (a larger core): refused on loading, whatever the file.
    bigger = make_hardware(**{"core.neurons": 128, "board.chips_x": 2})
    assert mapping.hardware_match(bigger) == ""
    with pytest.raises(NeurosimError, match="layout hash"):
        load_mapping(path, snn, replace(bigger, file_hash=hw.file_hash))
