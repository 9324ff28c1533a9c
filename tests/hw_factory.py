"""Hardware descriptions built in code for tests (Loihi-like numbers unless overridden).

``make_hardware(**overrides)`` takes overrides by key path, as the YAML loader does:
``make_hardware(**{"core.neurons": 64, "board.chips_x": 2})`` or with double underscores
``make_hardware(core__neurons=64, board__chips_x=2)``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from neurosim.hardware.model import Board, Chip, CoreLimits, EventCosts, Hardware, NoC, Sync

_CORE = CoreLimits(
    neurons=1024, synapse_memory_bits=1_048_576, input_axons=4096, output_routes=4096,
    routing_table_entries=4096, weight_bits=8, potential_bits=24, fs_neurons=False,
    graded_spikes=False, multicast=False, weight_sharing=False)
_COSTS = EventCosts(
    energy_synop_j=23.6e-12, latency_synop_s=3.5e-9, energy_neuron_update_active_j=81e-12,
    latency_neuron_update_active_s=8.4e-9, energy_neuron_update_inactive_j=52e-12,
    latency_neuron_update_inactive_s=5.3e-9, energy_spike_gen_j=1.7e-12,
    latency_spike_gen_s=1e-9, energy_packet_out_j=30e-12, latency_packet_out_s=2e-9,
    energy_packet_in_j=30e-12, latency_packet_in_s=2e-9)
_NOC = NoC(energy_hop_ew_j=3.5e-12, energy_hop_ns_j=4.1e-12, latency_hop_ew_s=2.1e-9,
           latency_hop_ns_s=5.3e-9, router_delay_s=1e-9, link_bandwidth_bits_per_s=1.1e11,
           packet_bits=32, buffer_depth_packets=16)
_CHIP = Chip(mesh_x=8, mesh_y=4, cores_per_tile=4, clock_hz=None, core=_CORE, costs=_COSTS,
             noc=_NOC, sync=Sync(mode="barrier", barrier_s_by_tiles=((1, 1e-7), (32, 5e-7))),
             static_power_chip_w=0.1, static_power_core_w=0.0)
_BOARD = Board(chips_x=1, chips_y=1, energy_interchip_hop_j=832e-12, latency_interchip_hop_s=50e-9,
               interchip_bandwidth_bits_per_s=6.4e8)


def make_hardware(**overrides: Any) -> Hardware:
    """A Loihi-like single-chip board; keys ``core.*``, ``chip.*``, ``board.*``, ``noc.*``."""
    parts: dict[str, dict[str, Any]] = {"core": {}, "chip": {}, "board": {}, "noc": {}}
    for key, value in overrides.items():
        section, name = key.replace("__", ".").split(".", 1)
        parts[section][name] = value
    core = replace(_CORE, **parts["core"])
    chip = replace(_CHIP, core=core, noc=replace(_NOC, **parts["noc"]), **parts["chip"])
    board = replace(_BOARD, **parts["board"])
    return Hardware(name="test-loihi", description="Loihi-like test chip", file="<test>",
                    file_hash="0" * 16, board=board, chip=chip)
