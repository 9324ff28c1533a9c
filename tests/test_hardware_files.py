"""The shipped hardware files: they load, every value is sourced, spot values are right."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from neurosim.hardware import hw_models_dir, list_hardware, load_hardware
from neurosim.hardware.model import EVIDENCE_CODES
from neurosim.hardware.writer import save_hardware

SHIPPED = ["loihi", "loihi-davies2018", "loihi-pohoiki-springs", "loihi2", "spinnaker", "spinnaker2", "truenorth"]


def test_all_shipped_models_are_listed():
    assert set(SHIPPED) <= set(list_hardware())


def test_shipped_dir_found_from_source_tree():
    directory = hw_models_dir()
    assert (directory / "loihi.yaml").is_file()
    assert Path(str(directory)).name == "hw_models"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_value_has_source_and_evidence(name):
    hw = load_hardware(name)
    assert hw.name == name
    assert len(hw.sources) >= 44
    for path, source in hw.sources.items():
        assert source.source, f"{name}: {path} has no source"
        assert source.evidence in EVIDENCE_CODES, f"{name}: {path} evidence {source.evidence!r}"
        if source.evidence == "A":  # an assumption must say what it assumes
            assert source.note or source.source.strip().lower() != "assumption", (name, path)


@pytest.mark.parametrize("name", SHIPPED)
def test_header_says_what_is_measured_derived_assumed(name):
    text = (hw_models_dir() / f"{name}.yaml").read_text("utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    assert text.startswith("#")
    for word in ("Evidence", "assumed", "Static power"):
        assert word in header, (name, word)


@pytest.mark.parametrize("name", SHIPPED)
def test_file_hash_is_sha256_of_file_bytes(name):
    hw = load_hardware(name)
    data = (hw_models_dir() / f"{name}.yaml").read_bytes()
    assert hw.file_hash == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", SHIPPED)
def test_save_and_load_gives_an_equal_model(name, tmp_path):
    hw = load_hardware(name)
    again = load_hardware(save_hardware(hw, tmp_path / "copy.yaml", header="copy"))
    assert again.chip == hw.chip and again.board == hw.board
    triples = {k: (s.source, s.evidence, s.note) for k, s in hw.sources.items()}
    assert {k: (s.source, s.evidence, s.note) for k, s in again.sources.items()} == triples


def test_davies2018_table2_values():
    costs = load_hardware("loihi-davies2018").chip.costs
    assert costs.energy_synop_j == 23.6e-12  # a minimum per Table 2
    assert costs.latency_synop_s == 3.5e-9  # a maximum per Table 2
    assert costs.energy_neuron_update_active_j == 81e-12
    assert costs.energy_neuron_update_inactive_j == 52e-12
    assert costs.latency_neuron_update_active_s == 8.4e-9
    assert costs.latency_neuron_update_inactive_s == 5.3e-9
    hw = load_hardware("loihi-davies2018")
    assert (hw.chip.noc.energy_hop_ew_j, hw.chip.noc.energy_hop_ns_j) == (3.0e-12, 4.0e-12)
    assert (hw.chip.noc.latency_hop_ew_s, hw.chip.noc.latency_hop_ns_s) == (4.1e-9, 6.5e-9)
    assert hw.chip.sync.barrier_s_by_tiles == ((1, 113e-9), (32, 465e-9))
    assert hw.sources["costs.energy_synop"].evidence == "S"


def test_default_loihi_is_silicon_calibrated():
    hw = load_hardware("loihi")
    c = hw.chip.costs
    assert (c.energy_synop_j, c.latency_synop_s) == (35.5e-12, 3.8e-9)
    assert c.energy_neuron_update_inactive_j == 51.2e-12
    assert c.energy_neuron_update_active_j == pytest.approx(51.2e-12 + 21.6e-12)
    assert c.energy_spike_gen_j == 69.3e-12
    assert c.energy_packet_out_j == 111e-12
    assert (hw.chip.noc.energy_hop_ew_j, hw.chip.noc.energy_hop_ns_j) == (3.0e-12, 4.2e-12)
    assert hw.chip.sync.barrier_s(1) == 0.6e-6 and hw.chip.sync.barrier_s(32) == 1.8e-6
    assert hw.sources["costs.energy_synop"].evidence == "C"
    core = hw.chip.core
    assert (core.neurons, core.input_axons, core.output_routes) == (1024, 4096, 4096)
    assert core.synapse_memory_bits == 128 * 1024 * 8
    assert core.weight_bits == 9
    assert not core.graded_spikes and "dendritic scale" in hw.sources["core.graded_spikes"].note
    assert hw.chip.static_power_chip_w == pytest.approx(3.34 / 32, rel=1e-3)  # 104.4 mW
    assert (hw.board.chips_x, hw.board.chips_y) == (8, 4)
    assert hw.chip.clock_hz is None  # asynchronous


def test_truenorth_is_affine_with_a_tick():
    hw = load_hardware("truenorth")
    assert (hw.chip.mesh_x, hw.chip.mesh_y, hw.chip.cores_per_tile) == (64, 64, 1)
    assert (hw.chip.core.neurons, hw.chip.core.input_axons) == (256, 256)
    assert not hw.chip.core.multicast
    assert hw.chip.sync.mode == "tick" and hw.chip.sync.tick_s == 1e-3
    assert hw.chip.costs.energy_synop_j == 2.297e-12
    assert hw.chip.static_power_chip_w == 64.43e-3
    # the affine model reproduces the published 71 mW at 20.07 Hz, 128 synapses per neuron
    rate = 1048576 * 20.07 * 128
    power_w = hw.chip.static_power_chip_w + hw.chip.costs.energy_synop_j * rate
    assert power_w == pytest.approx(71e-3, rel=0.01)


def test_loihi2_has_graded_spikes_and_fs_neurons():
    core = load_hardware("loihi2").chip.core
    assert core.graded_spikes and core.graded_spike_bits == 32 and core.fs_neurons
    assert core.neurons == 8192


def test_spinnaker_family_uses_ticks_and_multicast():
    for name in ("spinnaker", "spinnaker2"):
        hw = load_hardware(name)
        assert hw.chip.sync.mode == "tick" and hw.chip.sync.tick_s == 1e-3
        assert hw.chip.core.multicast
    assert load_hardware("spinnaker2").chip.cores == 152


def test_pohoiki_springs_is_768_loihi_chips():
    # Frady et al., NICE 2020: 768 Loihi chips (24 Nahuku boards of 32), ~100 M neurons;
    # barrier 14.3 us for a 256-chip column and 16.2 us for all 768 chips (measured).
    board, loihi = load_hardware("loihi-pohoiki-springs"), load_hardware("loihi")
    assert board.total_chips == 768 and board.total_cores == 768 * 128
    assert board.total_cores * board.chip.core.neurons == 100_663_296
    assert board.chip.core == loihi.chip.core and board.chip.costs == loihi.chip.costs
    assert board.chip.noc == loihi.chip.noc
    tiles = board.chip.mesh_x * board.chip.mesh_y
    assert board.chip.sync.barrier_s(256 * tiles) == pytest.approx(14.3e-6)
    assert board.chip.sync.barrier_s(768 * tiles) == pytest.approx(16.2e-6)
    assert board.chip.sync.barrier_s(4) == loihi.chip.sync.barrier_s(4)
