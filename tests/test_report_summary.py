"""The summary block keeps DESIGN.md's field names; the CSV tables add up to the run."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from engine_hw import loihi_like, random_mapping
from engine_nets import converted, random_images, random_model

from neurosim import __version__
from neurosim.energy import CATEGORIES, measure_hardware
from neurosim.report.summary import (
    SUMMARY_FIELDS,
    format_summary,
    per_core_table,
    per_layer_table,
    per_link_table,
    summary_block,
    write_summary_json,
)
from neurosim.snn.functional import simulate

DESIGN_FIELDS = [
    "code", "params", "ann_accuracy", "snn_accuracy", "images", "steps_per_image",
    "spikes_per_neuron", "synaptic_events_per_inference", "packets_per_inference",
    "hops_per_inference", "energy_per_inference_j", "energy_breakdown_j", "latency_s",
    "throughput_inferences_per_s", "edp_j_s", "cores_used", "chips_used", "hardware", "model",
    "neurosim_version",
]


@pytest.fixture(scope="module")
def measured():
    model = random_model(31, residual=True)
    images = random_images(31, model, 5)
    snn = converted(model, "rate", images, steps=8)
    hw = loihi_like()
    mapping = random_mapping(snn, hw, seed=4, neurons_per_core=40)
    return snn, hw, images, measure_hardware(snn, mapping, hw, images, images_per_stream=3)


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_summary_fields_are_the_contract(measured, tmp_path) -> None:
    snn, hw, images, m = measured
    labels = np.arange(len(images)) % 5
    block = summary_block(snn, hw, m, labels=labels, ann_accuracy=0.5)
    assert list(SUMMARY_FIELDS) == DESIGN_FIELDS
    assert list(block)[: len(DESIGN_FIELDS)] == DESIGN_FIELDS
    assert list(block["energy_breakdown_j"]) == ["synapse", "neuron", "spike_packet", "network",
                                                 "static"]
    assert set(block["hardware"]) == {"name", "file_hash"}
    assert block["code"] == "rate" and block["params"] == {"T": 8}
    assert block["images"] == 5 and block["steps_per_image"] == 8
    assert block["neurosim_version"] == __version__
    assert block["energy_per_inference_j"] == sum(block["energy_breakdown_j"][k] for k in CATEGORIES)
    assert block["edp_j_s"] == pytest.approx(block["energy_per_inference_j"] * block["latency_s"])
    functional = simulate(snn, images)
    assert block["snn_accuracy"] == functional.accuracy(labels)
    spikes = sum(int(c.sum()) for c in functional.spike_counts.values())
    assert block["spikes_per_neuron"] == pytest.approx(spikes / (snn.n_spiking_neurons * 5))
    assert block["cores_used"] == m.run.cores_used and block["chips_used"] == 1
    path = write_summary_json(tmp_path / "summary.json", block)
    assert json.loads(path.read_text()) == block
    assert "energy per inference" in format_summary(block)


def test_tables_add_up(measured, tmp_path) -> None:
    snn, hw, _, m = measured
    run, energy = m.run, m.figures.run_energy
    cores = _rows(per_core_table(run, hw, energy).to_csv(tmp_path / "per_core.csv"))
    layers = _rows(per_layer_table(run, snn, energy).to_csv(tmp_path / "per_layer.csv"))
    links = _rows(per_link_table(run, hw).to_csv(tmp_path / "per_link.csv"))
    totals = run.totals()
    assert len(cores) == run.cores_used
    assert len(layers) == len(snn.populations)
    for kind in ("synaptic_events", "spikes", "packets_out", "packets_in", "updates_active"):
        assert sum(int(r[kind]) for r in cores) == totals[kind]
        assert sum(int(r[kind]) for r in layers) == totals[kind]
    assert sum(int(r["neurons"]) for r in cores) == snn.n_neurons
    # Busy time: the layers share out exactly their cores' busy time.
    assert sum(float(r["busy_s"]) for r in layers) == pytest.approx(float(run.core_busy_s.sum()))
    assert all(float(r["busy_s"]) > 0 for r in layers)
    assert sum(float(r["energy_total_j"]) for r in cores) == pytest.approx(energy.total_j)
    assert sum(float(r["energy_dynamic_j"]) for r in layers) == pytest.approx(
        energy.total_j - energy.breakdown_j["static"])
    hops = totals["hops_ew"] + totals["hops_ns"] + totals["hops_interchip"]
    assert sum(int(r["packets"]) for r in links) == hops
    assert sum(float(r["energy_j"]) for r in links) == pytest.approx(energy.breakdown_j["network"])
