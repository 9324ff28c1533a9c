"""The summary block of a run, and its per-core, per-layer and per-link tables.

The block's field names are a contract with users' scripts (DESIGN.md, "What a run
reports"): ``code``, ``params``, ``ann_accuracy``, ``snn_accuracy``, ``images``,
``steps_per_image``, ``spikes_per_neuron``, ``synaptic_events_per_inference``,
``packets_per_inference``, ``hops_per_inference``, ``energy_per_inference_j``,
``energy_breakdown_j`` (``synapse``, ``neuron``, ``spike_packet``, ``network``,
``static``), ``latency_s``, ``throughput_inferences_per_s``, ``edp_j_s``, ``cores_used``,
``chips_used``, ``hardware`` (``name``, ``file_hash``), ``model``, ``neurosim_version``.
Fields after those (:data:`EXTRA_FIELDS`) add detail and may grow.

Per-inference counts are those attributed to the images (see :mod:`neurosim.energy`),
divided by the number of images; ``spikes_per_neuron`` is per spiking neuron per image.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.compiler.mapping import core_location
from neurosim.energy.measure import HardwareMeasurement
from neurosim.energy.model import CATEGORIES, DYNAMIC, RunEnergy
from neurosim.engine.kernel import COUNT_KINDS
from neurosim.engine.run import HardwareRun
from neurosim.fileio import write_text
from neurosim.hardware.model import Hardware
from neurosim.plain import plain
from neurosim.report.table import Table
from neurosim.snn.network import SNN
from neurosim.version import __version__

SUMMARY_FIELDS = (
    "code", "params", "ann_accuracy", "snn_accuracy", "images", "steps_per_image",
    "spikes_per_neuron", "synaptic_events_per_inference", "packets_per_inference",
    "hops_per_inference", "energy_per_inference_j", "energy_breakdown_j", "latency_s",
    "throughput_inferences_per_s", "edp_j_s", "cores_used", "chips_used", "hardware", "model",
    "neurosim_version",
)
EXTRA_FIELDS = (
    "latency_steps", "tiles_used", "images_per_stream", "simulated_time_s", "energy_total_j",
    "idle_energy_j", "static_power_w", "packet_deliveries_per_inference",
    "buffer_overflows", "max_link_queue", "tick_overruns", "max_tick_overrun_s",
    "hardware_overrides", "split_neurons", "partial_sum_packets_per_inference",
)


def code_params(snn: SNN) -> dict[str, Any]:
    """The code's step parameter(s), e.g. ``{"T": 64}`` or ``{"K": 10}``."""
    picked = {k: snn.params[k] for k in ("K", "T") if k in snn.params}
    if picked:
        return picked
    return {k: v for k, v in snn.params.items() if isinstance(v, int | float | str | bool)}




def summary_block(snn: SNN, hw: Hardware, measurement: HardwareMeasurement, *,
                  labels: np.ndarray | None = None, ann_accuracy: float | None = None,
                  model: str | None = None) -> dict[str, Any]:
    """The summary of one network in one code on one chip (fields: :data:`SUMMARY_FIELDS`)."""
    run, fig = measurement.run, measurement.figures
    per = run.per_image()
    snn_accuracy = None
    if labels is not None:
        labels = np.asarray(labels)[: run.n_images]
        snn_accuracy = float(np.mean(np.argmax(run.outputs, axis=1) == labels))
    hops = per["hops_ew"] + per["hops_ns"] + per["hops_interchip"]
    block: dict[str, Any] = {
        "code": snn.code,
        "params": code_params(snn),
        "ann_accuracy": ann_accuracy,
        "snn_accuracy": snn_accuracy,
        "images": run.n_images,
        "steps_per_image": snn.window,
        "spikes_per_neuron": per["spikes"] / max(snn.n_spiking_neurons, 1),
        "synaptic_events_per_inference": per["synaptic_events"],
        "packets_per_inference": per["packets_out"],
        "hops_per_inference": hops,
        "energy_per_inference_j": fig.energy_per_inference_j,
        "energy_breakdown_j": {k: fig.energy_breakdown_j[k] for k in CATEGORIES},
        "latency_s": fig.latency_s,
        "throughput_inferences_per_s": fig.throughput_inferences_per_s,
        "edp_j_s": fig.edp_j_s,
        "cores_used": run.cores_used,
        "chips_used": run.chips_used,
        "hardware": {"name": hw.name, "file_hash": hw.file_hash},
        "model": model or str(snn.metadata.get("model", snn.name)),
        "neurosim_version": __version__,
        # extras
        "latency_steps": snn.latency_steps,
        "tiles_used": run.tiles_used,
        "images_per_stream": max(s.n_images for s in run.streams),
        "simulated_time_s": run.time_s,
        "energy_total_j": fig.run_energy.total_j,
        "idle_energy_j": fig.run_energy.idle_dynamic_j,
        "static_power_w": run.static_power_w,
        "packet_deliveries_per_inference": per["packets_in"],
        "buffer_overflows": run.buffer_overflows,
        "max_link_queue": int(run.link_max_queue.max(initial=0)),
        "tick_overruns": run.tick_overruns,
        "max_tick_overrun_s": run.max_tick_overrun_s,
        "hardware_overrides": [f"{k}={v}" for k, v in hw.overrides],
        "split_neurons": run.split_neurons,
        "partial_sum_packets_per_inference": per["partial_sum_packets"],
    }
    return plain(block, nan_to_none=True)  # type: ignore[no-any-return]


def write_summary_json(path: str | Path, block: dict[str, Any]) -> Path:
    return write_text(path, json.dumps(block, indent=2) + "\n")


def per_core_table(run: HardwareRun, hw: Hardware, energy: RunEnergy) -> Table:
    """One row per core in use: place, load, event counts, busy time and energy (J)."""
    header = ["core", "chip_x", "chip_y", "tile_x", "tile_y", "slot", "neurons", "populations",
              *COUNT_KINDS, "busy_s", "utilisation",
              *[f"energy_{k}_j" for k in CATEGORIES], "energy_total_j"]
    rows = []
    for i, core in enumerate(run.cores):
        loc = core_location(hw, int(core))
        e = energy.by_core_j[int(core)]
        rows.append([int(core), loc.chip_x, loc.chip_y, loc.tile_x, loc.tile_y, loc.slot,
                     int(run.core_neurons[i]), run.core_populations[i],
                     *[int(v) for v in run.core_counts[i]], float(run.core_busy_s[i]),
                     float(run.core_busy_s[i] / run.time_s) if run.time_s else 0.0,
                     *[e[k] for k in CATEGORIES], sum(e[k] for k in CATEGORIES)])
    return Table.from_rows(header, rows)


def per_layer_table(run: HardwareRun, snn: SNN, energy: RunEnergy) -> Table:
    """One row per population: size, cores, spikes, event counts and dynamic energy (J).

    ``synaptic_events`` land on the layer's neurons; spikes, packets, hops and
    ``synaptic_events_caused`` are those of the layer's own spikes; ``busy_s`` is the busy
    time of the layer's cores (shared out by neurons on a core holding several layers).
    """
    header = ["population", "role", "dynamics", "neurons", "cores", "spikes_per_neuron",
              *COUNT_KINDS, "busy_s", *[f"energy_{k}_j" for k in DYNAMIC], "energy_dynamic_j"]
    rows = []
    busy = run.population_busy_s
    for i, pop in enumerate(snn.populations):
        e = energy.by_population_j[pop.name]
        spikes = int(run.population_counts[i, COUNT_KINDS.index("spikes")])
        rows.append([pop.name, pop.role, pop.dynamics, pop.size, int(run.population_cores[i]),
                     spikes / (pop.size * run.n_images),
                     *[int(v) for v in run.population_counts[i]], float(busy[i]),
                     *[e[k] for k in DYNAMIC], sum(e[k] for k in DYNAMIC)])
    return Table.from_rows(header, rows)


def per_link_table(run: HardwareRun, hw: Hardware) -> Table:
    """One row per link that carried packets (board-wide tile coordinates)."""
    links = run.used_links()
    energy = {"ew": hw.chip.noc.energy_hop_ew_j, "ns": hw.chip.noc.energy_hop_ns_j,
              "interchip": hw.board.energy_interchip_hop_j}
    header = ["from_x", "from_y", "to_x", "to_y", "kind", "packets", "busy_s", "wait_s",
              "max_queue", "overflows", "energy_j"]
    rows = [[links["from_x"][i], links["from_y"][i], links["to_x"][i], links["to_y"][i],
             links["kind"][i], links["packets"][i], links["busy_s"][i], links["wait_s"][i],
             links["max_queue"][i], links["overflows"][i],
             float(links["packets"][i]) * energy[str(links["kind"][i])]]
            for i in range(len(links["link"]))]
    return Table.from_rows(header, rows)


def per_step_table(run: HardwareRun) -> Table:
    """One row per simulated step of every stream of images: when it ended and how long
    its work (neuron updates, packets, barrier excluded) took."""
    rows = []
    for stream_index, stream in enumerate(run.streams):
        starts = np.concatenate([[0.0], stream.step_end_s[:-1]])
        for step, (start, end, work) in enumerate(zip(starts, stream.step_end_s,
                                                      stream.step_work_s)):
            rows.append([stream_index, step, float(end - start), float(work), float(end)])
    return Table.from_rows(["stream", "step", "step_s", "work_s", "end_s"], rows)


def format_summary(block: dict[str, Any]) -> str:
    """A few lines for a terminal."""
    b = block["energy_breakdown_j"]
    share = ", ".join(f"{k} {100 * b[k] / block['energy_per_inference_j']:.0f}%" for k in CATEGORIES
                      ) if block["energy_per_inference_j"] else ""
    acc = block["snn_accuracy"]
    lines = [
        f"{block['model']} ({block['code']} {block['params']}) on {block['hardware']['name']}: "
        f"{block['images']} images, {block['cores_used']} cores, {block['chips_used']} chip(s)",
        f"  accuracy (SNN on chip)   {acc:.4f}" if acc is not None else "  accuracy (SNN on chip)   n/a",
        f"  energy per inference     {block['energy_per_inference_j'] * 1e6:.4g} uJ ({share})",
        f"  latency                  {block['latency_s'] * 1e6:.4g} us",
        f"  throughput               {block['throughput_inferences_per_s']:.4g} inferences/s",
        f"  spikes per neuron        {block['spikes_per_neuron']:.3g}",
        f"  synaptic events / inf.   {block['synaptic_events_per_inference']:.4g}",
    ]
    if block.get("tick_overruns"):
        lines.append(f"  tick overruns            {block['tick_overruns']}")
    if block.get("buffer_overflows"):
        lines.append(f"  buffer overflows         {block['buffer_overflows']}")
    return "\n".join(lines)
