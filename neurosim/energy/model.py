"""Energy: event counts × per-event costs + static power × time.

The events and their costs are those of :mod:`neurosim.hardware.model`. Energy falls into
five categories, always summed in this order (so a total equals the sum of its breakdown
exactly):

``synapse``        synaptic events of each kind × that kind's cost: ``energy_synop`` (dense),
                   ``energy_synop_sparse``, ``energy_synop_conv`` (see
                   :mod:`neurosim.compiler.synapse_kinds`; one figure when they are equal)
``neuron``         active updates × ``energy_neuron_update_active`` + inactive updates ×
                   ``energy_neuron_update_inactive``
``spike_packet``   spikes × ``energy_spike_gen`` + packets out × ``energy_packet_out`` +
                   packets in × ``energy_packet_in``
``network``        hops × ``energy_hop_ew`` / ``energy_hop_ns`` / ``energy_interchip_hop``
``static``         (chips in use × ``static_power_chip`` + cores in use ×
                   ``static_power_core``) × time

Two views of one run (:class:`~neurosim.engine.run.HardwareRun`):

* :func:`run_energy` — the whole run, by category, by population and by core;
* :func:`energy_breakdown_j` / :func:`energy_per_inference_j` — per inference: the
  dynamic energy attributed to the images (a neuron update to the image in its
  population's window, a spike and everything it causes to the sender's image), divided
  by the number of images, plus static power / throughput. The dynamic energy of the
  pipeline's fill and drain (updates outside every window) is reported apart
  (:attr:`RunEnergy.idle_dynamic_j`).

By population, synaptic events count where they land (the receiving layer's synapses);
spikes, packets and hops count for the layer that fired. By core, static power is the
core's own plus an equal share of its chip's among the chip's cores in use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.compiler.mapping import core_location
from neurosim.engine.kernel import (
    HOP_EW,
    HOP_IC,
    HOP_NS,
    PK_IN,
    PK_OUT,
    SPIKES,
    SYN,
    SYN_KIND,
    UPD_ACTIVE,
    UPD_INACTIVE,
)
from neurosim.engine.run import HardwareRun
from neurosim.hardware.model import Hardware

CATEGORIES = ("synapse", "neuron", "spike_packet", "network", "static")
DYNAMIC = CATEGORIES[:-1]


def dynamic_energy_j(counts: np.ndarray, hw: Hardware) -> dict[str, np.ndarray]:
    """Energy of event counts (last axis: :data:`~neurosim.engine.kernel.COUNT_KINDS`) by category."""
    c, noc, board = hw.chip.costs, hw.chip.noc, hw.board
    n = np.asarray(counts, dtype=np.float64)
    return {
        "synapse": synapse_energy_j(n, hw),
        "neuron": (n[..., UPD_ACTIVE] * c.energy_neuron_update_active_j
                   + n[..., UPD_INACTIVE] * c.energy_neuron_update_inactive_j),
        "spike_packet": (n[..., SPIKES] * c.energy_spike_gen_j
                         + n[..., PK_OUT] * c.energy_packet_out_j
                         + n[..., PK_IN] * c.energy_packet_in_j),
        "network": (n[..., HOP_EW] * noc.energy_hop_ew_j + n[..., HOP_NS] * noc.energy_hop_ns_j
                    + n[..., HOP_IC] * board.energy_interchip_hop_j),
    }


def synapse_energy_j(counts: np.ndarray, hw: Hardware) -> np.ndarray:
    """Synaptic events × their cost: each kind's events × that kind's energy.

    When every kind costs the same, ``synaptic_events × energy_synop`` (the same number,
    formed as it was before kinds had their own costs).
    """
    n = np.asarray(counts, dtype=np.float64)
    energy = hw.chip.costs.synop_energy_j()
    if len(set(energy)) == 1:
        return n[..., SYN] * energy[0]
    total = n[..., SYN_KIND] * energy[0]
    for k in (1, 2):
        total = total + n[..., SYN_KIND + k] * energy[k]
    return total


def total_j(breakdown: dict[str, float]) -> float:
    """The sum of a breakdown, in the order of :data:`CATEGORIES`."""
    total = 0.0
    for name in CATEGORIES:
        total += breakdown.get(name, 0.0)
    return total


@dataclass(frozen=True)
class RunEnergy:
    """Energy of a whole run (images, pipeline fill and drain, static)."""

    total_j: float
    breakdown_j: dict[str, float]
    idle_dynamic_j: float
    by_population_j: dict[str, dict[str, float]]   # dynamic only
    by_core_j: dict[int, dict[str, float]]          # dynamic and static share
    time_s: float


def core_static_power_w(run: HardwareRun, hw: Hardware) -> list[float]:
    """Static power of each core in use: its own, plus its share of its chip's."""
    chip_keys = [core_location(hw, int(core)).chip for core in run.cores]
    cores_on_chip = {key: chip_keys.count(key) for key in set(chip_keys)}
    return [hw.chip.static_power_core_w + hw.chip.static_power_chip_w / cores_on_chip[key]
            for key in chip_keys]


def run_energy(run: HardwareRun, hw: Hardware) -> RunEnergy:
    """Energy of ``run`` by category, by population and by core."""
    counts = run.image_counts.sum(axis=0) + run.idle_counts
    dynamic = dynamic_energy_j(counts, hw)
    breakdown = {k: float(v) for k, v in dynamic.items()}
    breakdown["static"] = run.static_power_w * run.time_s
    idle = dynamic_energy_j(run.idle_counts, hw)
    by_pop = dynamic_energy_j(run.population_counts, hw)
    by_core = dynamic_energy_j(run.core_counts, hw)
    core_static_w = core_static_power_w(run, hw)
    return RunEnergy(
        total_j=total_j(breakdown),
        breakdown_j=breakdown,
        idle_dynamic_j=total_j({k: float(v) for k, v in idle.items()}),
        by_population_j={name: {k: float(by_pop[k][i]) for k in DYNAMIC}
                         for i, name in enumerate(run.population_names)},
        by_core_j={int(core): {**{k: float(by_core[k][i]) for k in DYNAMIC},
                               "static": core_static_w[i] * run.time_s}
                   for i, core in enumerate(run.cores)},
        time_s=run.time_s,
    )


def energy_breakdown_j(run: HardwareRun, hw: Hardware) -> dict[str, float]:
    """Energy per inference by category: attributed dynamic energy / N, static / throughput."""
    dynamic = dynamic_energy_j(run.image_counts.sum(axis=0), hw)
    breakdown = {k: float(v) / run.n_images for k, v in dynamic.items()}
    breakdown["static"] = run.static_power_w / run.throughput_inferences_per_s
    return breakdown


def energy_per_inference_j(run: HardwareRun, hw: Hardware) -> float:
    """The sum of :func:`energy_breakdown_j`."""
    return total_j(energy_breakdown_j(run, hw))


def edp_j_s(energy_j: float, latency_s: float) -> float:
    """Energy-delay product of one inference: energy × latency."""
    return energy_j * latency_s
