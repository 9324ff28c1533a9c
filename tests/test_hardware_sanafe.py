"""Import of SANA-FE architecture files written here, with the Loihi values of SANA-FE's
calibrated model (REFERENCES.md §5) and with the older attribute spellings."""

from __future__ import annotations

import textwrap

import pytest

from neurosim.cli import main
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.hardware.sanafe import count_in_name, import_sanafe_file

LOIHI_LIKE = """
architecture:
  name: loihi_like
  attributes:
    topology: mesh
    width: 8
    height: 4
    link_buffer_size: 16
    sync_model: table
    latency_sync: {1: 0.6e-6, 2: 1.0e-6, 4: 1.4e-6, 29: 1.8e-6}
  tile:
    - name: tile[0..31]
      attributes:
        energy_north_hop: 4.2e-12
        latency_north_hop: 6.5e-9
        energy_east_hop: 3.0e-12
        latency_east_hop: 4.1e-9
        energy_south_hop: 4.2e-12
        latency_south_hop: 6.5e-9
        energy_west_hop: 3.0e-12
        latency_west_hop: 4.1e-9
      core:
        - name: core[0..3]
          attributes:
            buffer_position: soma
            max_neurons_supported: 1024
          axon_in:
            - name: in
              attributes: {energy_message_in: 0.0, latency_message_in: 16.0e-9}
          synapse:
            - name: dense
              attributes: {model: current_based, energy_process_spike: 35.5e-12, latency_process_spike: 3.8e-9}
            - name: conv
              attributes: {model: current_based, energy_process_spike: 24.0e-12, latency_process_spike: 3.1e-9}
          dendrite:
            - name: dendrites
              attributes: {model: accumulator, energy_update: 0.0, latency_update: 0.0}
          soma:
            - name: lif
              attributes:
                model: leaky_integrate_fire
                energy_access_neuron: 51.2e-12
                latency_access_neuron: 6.0e-9
                energy_update_neuron: 21.6e-12
                latency_update_neuron: 3.7e-9
                energy_spike_out: 69.3e-12
                latency_spike_out: 30.0e-9
            - name: inputs[0..1023]
              attributes: {model: input, energy_access_neuron: 0.0, latency_access_neuron: 0.0}
          axon_out:
            - name: out
              attributes: {energy_message_out: 111.0e-12, latency_message_out: 5.1e-9}
"""

OLD_STYLE = """
architecture:
  name: old_loihi
  attributes:
    topology: mesh
    dimensions: 2
    width: 2
    height: 2
    latency_global_barrier: 299.0e-9
  tile:
    - name: t[0..3]
      attributes:
        blocking: True
        latency_spike_within_tile: 2.1e-9
        energy_spike_within_tile: 0.0
        energy_east: 2.5e-12
        latency_east: 4.0e-9
        energy_west: 1.5e-12
        latency_west: 4.0e-9
        energy_north: 4.2e-12
        latency_north: 6.5e-9
        energy_south: 4.2e-12
        latency_south: 6.5e-9
      core:
        - name: c[0..1]
          attributes: {blocking: True}
          axon_in:
            - name: in
              attributes: {fan_in: 4096, protocol: dest_axon, energy_message: 0.0, latency_message: 20.0e-9}
          soma:
            - name: lif
              attributes:
                energy_inactive: 51.2e-12
                latency_inactive: 6.0e-9
                energy_active: 72.8e-12
                latency_active: 9.7e-9
                energy_spiking: 69.3e-12
                latency_spiking: 30.0e-9
          synapse:
            - name: syn
              attributes: {weight_bits: 16, word_bits: 64, energy_spike: 35.5e-12, latency_spike: 4.0e-9, energy_memory: 0.0}
          dendrite:
            - name: d
              attributes:
          axon_out:
            - name: out
              attributes: {fan_out: 4096, protocol: dest_axon, energy: 76.8e-12, latency: 7.6e-9}
"""


def _import(tmp_path, text: str, **kw):
    source = tmp_path / "arch.yaml"
    source.write_text(textwrap.dedent(text), "utf-8")
    return import_sanafe_file(source, tmp_path / "out.yaml", **kw)


@pytest.mark.parametrize(
    ("name", "count"), [("core[0..3]", 4), ("tile[0..31]", 32), ("x", 1), ("y[5..5]", 1)]
)
def test_count_in_name(name, count):
    assert count_in_name(name) == count


def test_loihi_values_of_sanafe_are_imported_exactly(tmp_path):
    result = _import(tmp_path, LOIHI_LIKE, evidence="C")
    hw = result.hardware
    c, noc = hw.chip.costs, hw.chip.noc
    assert (hw.chip.mesh_x, hw.chip.mesh_y, hw.chip.cores_per_tile) == (8, 4, 4)
    assert (c.energy_synop_j, c.latency_synop_s) == (35.5e-12, 3.8e-9)  # the first (dense) synapse
    assert (c.energy_neuron_update_inactive_j, c.latency_neuron_update_inactive_s) == (
        51.2e-12,
        6.0e-9,
    )
    assert c.energy_neuron_update_active_j == pytest.approx(72.8e-12)  # access 51.2 + update 21.6
    assert c.latency_neuron_update_active_s == pytest.approx(9.7e-9)
    assert (c.energy_spike_gen_j, c.latency_spike_gen_s) == (69.3e-12, 30e-9)
    assert (c.energy_packet_out_j, c.latency_packet_out_s) == (111e-12, 5.1e-9)
    assert (c.energy_packet_in_j, c.latency_packet_in_s) == (0.0, 16e-9)
    assert (noc.energy_hop_ew_j, noc.energy_hop_ns_j) == (3.0e-12, 4.2e-12)
    assert (noc.latency_hop_ew_s, noc.latency_hop_ns_s) == (4.1e-9, 6.5e-9)
    assert noc.buffer_depth_packets == 16
    assert hw.chip.sync.barrier_s_by_tiles == ((1, 0.6e-6), (2, 1.0e-6), (4, 1.4e-6), (29, 1.8e-6))
    assert hw.chip.core.neurons == 1024
    assert hw.sources["costs.energy_synop"].evidence == "C"
    # what SANA-FE lacks is assumed, and said so
    assert hw.sources["chip.static_power_chip"].evidence == "A"
    assert "chip.static_power_chip" in result.assumed and "core.synapse_memory" in result.assumed
    # every synapse unit has its kind: conv mapped, sparse absent (so it costs as dense)
    assert (c.energy_synop_conv_j, c.latency_synop_conv_s) == (24.0e-12, 3.1e-9)
    assert c.synop_energy_j() == (35.5e-12, 35.5e-12, 24.0e-12)
    assert c.synop_latency_s() == (3.8e-9, 3.8e-9, 3.1e-9)
    unmapped = "\n".join(result.unmapped)
    assert "synapse 'conv'" not in unmapped and "2.4e-11" not in unmapped
    assert "buffer_position" in unmapped
    assert "soma 'inputs[0..1023]'" in unmapped  # input neurons: a second soma unit


def test_old_attribute_spellings(tmp_path):
    result = _import(tmp_path, OLD_STYLE)
    hw = result.hardware
    c, noc = hw.chip.costs, hw.chip.noc
    assert (hw.chip.mesh_x, hw.chip.mesh_y, hw.chip.cores_per_tile) == (2, 2, 2)
    assert (
        c.energy_neuron_update_active_j == 72.8e-12
        and c.energy_neuron_update_inactive_j == 51.2e-12
    )
    assert c.energy_spike_gen_j == 69.3e-12
    assert (c.energy_synop_j, c.latency_synop_s) == (35.5e-12, 4.0e-9)
    assert (c.energy_packet_out_j, c.latency_packet_out_s) == (76.8e-12, 7.6e-9)
    assert c.latency_packet_in_s == 20e-9
    assert noc.energy_hop_ew_j == pytest.approx(2.0e-12)  # mean of east 2.5 and west 1.5
    assert hw.sources["noc.energy_hop_ew"].evidence == "D"
    assert noc.router_delay_s == 2.1e-9
    assert hw.chip.sync.barrier_s_by_tiles == ((1, 299e-9),)
    core = hw.chip.core
    assert (core.input_axons, core.output_routes, core.weight_bits) == (4096, 4096, 16)
    unmapped = "\n".join(result.unmapped)
    for attribute in (
        "energy_memory",
        "word_bits",
        "blocking",
        "protocol",
        "dimensions",
        "energy_spike_within_tile",
    ):
        assert attribute in unmapped


def test_fixed_sync_and_missing_geometry(tmp_path):
    text = LOIHI_LIKE.replace("    width: 8\n    height: 4\n", "").replace(
        "sync_model: table\n    latency_sync: {1: 0.6e-6, 2: 1.0e-6, 4: 1.4e-6, 29: 1.8e-6}",
        "sync_model: fixed\n    latency_sync: 0.0",
    )
    result = _import(tmp_path, text)
    hw = result.hardware
    assert (hw.chip.mesh_x, hw.chip.mesh_y) == (32, 1)
    assert "chip.mesh_x" in result.assumed
    assert hw.chip.sync.barrier_s_by_tiles == ((1, 0.0),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 1\n- 2\n", "expected a mapping"),
        ("chip: {}\n", "expected an 'architecture' section"),
        ("architecture: {name: x}\n", "expected at least one tile"),
        ("architecture: [\n", "not valid YAML"),
    ],
)
def test_bad_sanafe_files(tmp_path, text, message):
    with pytest.raises(NeurosimError, match=message):
        _import(tmp_path, text)


def test_negative_cost_names_the_attribute(tmp_path):
    text = LOIHI_LIKE.replace("energy_process_spike: 35.5e-12", "energy_process_spike: -1.0e-12")
    with pytest.raises(NeurosimError, match=r"arch\.yaml: synapse 'dense'\.energy_process_spike"):
        _import(tmp_path, text)


def test_cli_import_writes_a_valid_file_and_lists_unmapped(tmp_path, capsys):
    source = tmp_path / "arch.yaml"
    source.write_text(LOIHI_LIKE, "utf-8")
    out = tmp_path / "imported.yaml"
    assert main(["hw", "import-sanafe", str(source), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "not mapped:" in printed and "synapse 'conv'" not in printed
    assert out.read_text().startswith("# Imported by `neurosim hw import-sanafe`")
    assert main(["hw", "validate", str(out)]) == 0
    assert load_hardware(out).chip.costs.energy_synop_j == 35.5e-12
    assert load_hardware(out).chip.costs.energy_synop_conv_j == 24.0e-12
