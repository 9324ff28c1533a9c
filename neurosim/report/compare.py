"""The main job: the FS, rate and TTFS codes of one model on one chip, side by side.

:func:`compare` runs :func:`neurosim.pipeline.run_configuration` for each row (FS, the
rate code at each T, TTFS) on the same chip; :func:`write_report` writes what a person
wants to look at: ``summary.json``, ``comparison.csv``, per-core tables, the plots and a
``report.md`` that explains them.

The FS/rate ratios are taken *at iso-accuracy*: against the rate row with the smallest
T whose accuracy is within :data:`ISO_ACCURACY_PP` percentage points of the FS row.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurosim import plots
from neurosim.compiler.mapping import core_location
from neurosim.fileio import atomic_write, write_text
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.pipeline import Configuration, RunResult, options_tuple, run_configuration
from neurosim.report.summary import per_core_table, per_layer_table
from neurosim.snn.functional import simulate_stream
from neurosim.workload import Workload, load_workload

ISO_ACCURACY_PP = 0.5
DEFAULT_RATE_T = (16, 32, 64, 128, 256)
DEFAULT_IMAGES = 32
RATIO_FIELDS = ("energy_per_inference_j", "latency_s", "edp_j_s", "spikes_per_neuron",
                "synaptic_events_per_inference", "packets_per_inference", "cores_used")


@dataclass(eq=False)
class Comparison:
    """The rows of a comparison (one per code setting) and the iso-accuracy ratios."""

    model: str
    hardware: str
    results: list[RunResult]
    workload: Workload
    ratios: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [r.summary for r in self.results]


def iso_accuracy_ratios(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """FS divided by the rate row with the smallest T within 0.5 pp of FS's accuracy."""
    fs = next((r for r in rows if r["code"] == "fs"), None)
    rates = sorted((r for r in rows if r["code"] == "rate"), key=lambda r: r["params"]["T"])
    if fs is None or not rates:
        return {}
    matched = next((r for r in rates
                    if 100 * (fs["snn_accuracy"] - r["snn_accuracy"]) <= ISO_ACCURACY_PP), None)
    if matched is None:
        return {"rate_T": None, "note": f"no rate row within {ISO_ACCURACY_PP} pp of FS accuracy"}
    ratios = {f"fs_over_rate_{name}": (fs[name] / matched[name] if matched[name] else None)
              for name in RATIO_FIELDS}
    ratios["fs_over_rate_throughput"] = (fs["throughput_inferences_per_s"]
                                         / matched["throughput_inferences_per_s"])
    return {"rate_T": matched["params"]["T"], "fs_accuracy": fs["snn_accuracy"],
            "rate_accuracy": matched["snn_accuracy"], **ratios}


def compare(model: str = "digits-cnn", hardware: str = "loihi",
            overrides: Sequence[str] = (), codes: Sequence[str] = ("fs", "rate", "ttfs"),
            rate_T: Sequence[int] = DEFAULT_RATE_T, images: int = DEFAULT_IMAGES,
            fs_options: dict[str, Any] | None = None, ttfs_options: dict[str, Any] | None = None,
            rate_options: dict[str, Any] | None = None, placer: str = "optimised",
            accuracy_images: int | None = None, dataset: str | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> Comparison:
    """Run every code setting of ``model`` on ``hardware`` and gather the rows.

    ``model`` is a zoo name or a model file; ``dataset`` a data set name or file (default:
    the one the model's metadata names).
    """
    started = time.perf_counter()
    workload = load_workload(model, dataset)
    hw = load_hardware(hardware, list(overrides))
    settings: list[tuple[str, dict[str, Any]]] = []
    for code in codes:
        if code == "rate":
            settings += [("rate", {**(rate_options or {}), "T": t}) for t in rate_T]
        elif code == "fs":
            settings.append(("fs", dict(fs_options or {})))
        else:
            settings.append((code, dict(ttfs_options or {})))
    results = []
    for i, (code, options) in enumerate(settings):
        label = " ".join([code.upper() if code != "rate" else code,
                          *(f"{k}={v}" for k, v in options.items() if v is not None)])
        config = Configuration(model=model, hardware=hardware, code=code,
                               code_options=options_tuple(options), placer=placer, images=images,
                               accuracy_images=accuracy_images, dataset=dataset)
        results.append(run_configuration(
            config, workload=workload, hardware=hw,
            step=(lambda stage, i=i, label=label: progress(i, len(settings), f"{label}: {stage}"))
            if progress else None))
    if progress:
        progress(len(settings), len(settings), "done")
    comparison = Comparison(model=workload.model.name, hardware=hw.name, results=results,
                            workload=workload)
    comparison.ratios = iso_accuracy_ratios(comparison.rows)
    comparison.seconds = time.perf_counter() - started
    return comparison


# --- the table ------------------------------------------------------------------------------

def _row_cells(row: dict[str, Any]) -> list[str]:
    b = row["energy_breakdown_j"]
    return [
        plots.row_label(row),
        f"{100 * row['ann_accuracy']:.2f}",
        f"{100 * row['snn_accuracy']:.2f}",
        f"{row['spikes_per_neuron']:.2f}",
        f"{row['synaptic_events_per_inference'] / 1e3:.1f}k",
        f"{row['energy_per_inference_j'] * 1e6:.1f}",
        " / ".join(f"{b[k] * 1e6:.1f}" for k in plots.BREAKDOWN),
        f"{row['latency_s'] * 1e6:.0f}",
        f"{row['throughput_inferences_per_s']:.0f}",
        f"{row['edp_j_s']:.2e}",
        f"{row['cores_used']}",
    ]


TABLE_HEADER = ["code", "ANN %", "SNN %", "spikes/neuron", "syn. events", "energy µJ",
                "syn / neuron / spike+pkt / network / static µJ", "latency µs", "inf/s",
                "EDP J·s", "cores"]


def format_table(comparison: Comparison, markdown: bool = False) -> str:
    """The comparison as a text (or Markdown) table, with the ratios underneath."""
    rows = [TABLE_HEADER] + [_row_cells(r) for r in comparison.rows]
    first = comparison.rows[0]
    head = (f"{comparison.model} on {comparison.hardware}{overrides_text(comparison)}: ANN "
            f"accuracy {100 * first['ann_accuracy']:.2f} % on {first['accuracy_images']} test "
            f"images of {dataset_text(comparison)}; hardware figures over {first['images']} "
            "images streamed back to back")
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "|".join("---" for _ in TABLE_HEADER) + "|")
        table = "\n".join(lines)
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(len(TABLE_HEADER))]
        table = "\n".join("  ".join(c.rjust(w) if i else c.ljust(w)
                                    for i, (c, w) in enumerate(zip(r, widths))) for r in rows)
    notes = [f"note: {plots.row_label(r)} needs up to {r['potential_bits_needed']}-bit potentials "
             f"in the worst case; the chip's cores hold {r['potential_bits_chip']} (neurosim "
             "computes exactly; real hardware would need rescaling)"
             for r in comparison.rows
             if (r.get("potential_bits_needed") or 0) > r.get("potential_bits_chip", 64)]
    return "\n\n".join([head, table, format_ratios(comparison.ratios), *notes])


def dataset_text(comparison: Comparison) -> str:
    data = comparison.workload.dataset
    return f"{data.name} ({len(data.y_train):,} train / {len(data.y_test):,} test)"


def overrides_text(comparison: Comparison) -> str:
    overrides = featured_hw(comparison).overrides
    return f" ({', '.join(f'{k}={v}' for k, v in overrides)})" if overrides else ""


def format_ratios(ratios: dict[str, Any]) -> str:
    if not ratios:
        return "No FS/rate ratios (the comparison needs an FS row and rate rows)."
    if ratios.get("rate_T") is None:
        return f"No FS/rate ratios: {ratios.get('note')}."
    def r(name: str) -> str:
        value = ratios.get(f"fs_over_rate_{name}")
        return "n/a" if value is None else f"{value:.2f}×"
    return (f"FS / rate at iso-accuracy (rate T={ratios['rate_T']}, the smallest T within "
            f"{ISO_ACCURACY_PP} pp of FS: {100 * ratios['rate_accuracy']:.2f} % vs "
            f"{100 * ratios['fs_accuracy']:.2f} %): energy {r('energy_per_inference_j')}, "
            f"latency {r('latency_s')}, throughput {r('throughput')}, EDP {r('edp_j_s')}, "
            f"spikes {r('spikes_per_neuron')}, synaptic events "
            f"{r('synaptic_events_per_inference')}, cores {r('cores_used')}")


# --- files ----------------------------------------------------------------------------------

def _slug(row: dict[str, Any]) -> str:
    return plots.row_label(row).lower().replace(" ", "-").replace("=", "")


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, list):
            out[f"{prefix}{key}"] = ";".join(map(str, value))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _heatmap(result: RunResult, path: Path) -> Path:
    run, hw = result.measurement.run, result.hardware
    per_image = run.core_counts[:, 0] / max(run.n_images, 1)  # synaptic events received
    locations = [core_location(hw, int(c)) for c in run.cores]
    tile_x = np.array([loc.chip_x * hw.chip.mesh_x + loc.tile_x for loc in locations])
    tile_y = np.array([loc.chip_y * hw.chip.mesh_y + loc.tile_y for loc in locations])
    slot = np.array([loc.slot for loc in locations])
    plots.core_heatmap(tile_x, tile_y, slot, per_image, hw.chip.cores_per_tile,
                       f"{plots.row_label(result.summary)}: synaptic events per core "
                       f"per inference", "synaptic events / inference", path=path)
    return path


def _raster(result: RunResult, images: np.ndarray, path: Path,
            per_layer: int = 12) -> Path:
    """A few of the busiest neurons of each spiking layer, over two images in the pipeline."""
    snn = result.snn
    stream = simulate_stream(snn, images)
    rows, steps, labels = [], [], []
    next_row = 0
    for pop in snn.populations:
        if not pop.spiking:
            continue
        first = snn.first_neuron(pop.name)
        mine = (stream.spike_neurons >= first) & (stream.spike_neurons < first + pop.size)
        counts = np.bincount(stream.spike_neurons[mine] - first, minlength=pop.size)
        chosen = np.argsort(-counts, kind="stable")[:per_layer]
        labels.append((next_row, pop.name))
        for r, neuron in enumerate(chosen):
            at = stream.spike_steps[stream.spike_neurons == first + neuron]
            steps.append(at)
            rows.append(np.full(len(at), next_row + r))
        next_row += len(chosen) + 2
    plots.spike_raster(np.concatenate(steps), np.concatenate(rows), labels, snn.window,
                       f"{plots.row_label(result.summary)}: {per_layer} busiest neurons "
                       f"per layer, {len(images)} images in the pipeline", path=path)
    return path


def featured_hw(comparison: Comparison) -> Hardware:
    """The chip every row ran on (one per comparison)."""
    return comparison.results[0].hardware


def write_report(comparison: Comparison, out: str | Path, raster_images: np.ndarray | None = None
                 ) -> dict[str, Path]:
    """Write summary.json, comparison.csv, per-code tables, plots and report.md into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = comparison.rows
    files: dict[str, Path] = {}
    files["summary"] = out / "summary.json"
    write_text(files["summary"], json.dumps(
        {"model": comparison.model, "hardware": comparison.hardware,
         "hardware_overrides": [f"{k}={v}" for k, v in featured_hw(comparison).overrides],
         "dataset": comparison.workload.dataset.describe(), "rows": rows,
         "iso_accuracy": comparison.ratios, "wall_time_s": comparison.seconds}, indent=2) + "\n")
    files["table"] = out / "comparison.csv"
    flat = [_flat(r) for r in rows]
    columns = list(dict.fromkeys(k for row in flat for k in row))
    with atomic_write(files["table"], "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(flat)
    for result in comparison.results:
        slug = _slug(result.summary)
        energy = result.measurement.figures.run_energy
        per_core_table(result.measurement.run, result.hardware, energy).to_csv(
            out / f"per_core_{slug}.csv")
        per_layer_table(result.measurement.run, result.snn, energy).to_csv(
            out / f"per_layer_{slug}.csv")
    for key, draw, name in (("energy", plots.energy_breakdown, "energy_breakdown.png"),
                            ("accuracy_energy", plots.accuracy_vs_energy, "accuracy_vs_energy.png"),
                            ("accuracy_latency", plots.accuracy_vs_latency,
                             "accuracy_vs_latency.png")):
        draw(rows, path=out / name)
        files[key] = out / name
    featured = next((r for r in comparison.results if r.summary["code"] == "fs"), comparison.results[0])
    files["heatmap"] = _heatmap(featured, out / "core_heatmap.png")
    if raster_images is None:
        raster_images = comparison.workload.x_test[:2]
    files["raster"] = _raster(featured, raster_images, out / "spike_raster.png")
    files["report"] = out / "report.md"
    write_text(files["report"], report_markdown(comparison, featured))
    return files


def report_markdown(comparison: Comparison, featured: RunResult) -> str:
    rows = comparison.rows
    first = rows[0]
    hw = featured.hardware
    return f"""# {comparison.model} on {comparison.hardware}: FS, rate and TTFS codes

{format_table(comparison, markdown=True)}

Data: {comparison.workload.dataset.description}.

Chip: `{comparison.hardware}` ({hw.description}); overrides: {", ".join(f"`{k}={v}`" for k, v in hw.overrides) or "none"}.

Each row converts the same trained model with one spike code, compiles it onto the
`{comparison.hardware}` description, and simulates it. Accuracy and
spikes per neuron come from the functional simulator on {first['accuracy_images']} test
images; every hardware figure comes from the event-driven engine on {first['images']}
images streamed back to back (the engine fires exactly the functional simulator's spikes).

## What the columns mean

* **ANN %**, **SNN %**: top-1 accuracy of the ANN and of the spiking network (integer arithmetic at the chip's
  {hw.chip.core.weight_bits}-bit weights); the ANN reaches {100 * first['ann_accuracy']:.2f} %.
* **spikes/neuron**: spikes per spiking neuron per image (input layer included).
* **syn. events**: synaptic operations per inference (a packet's synapses on its core).
* **energy µJ**: energy per inference = events × per-event energies + static power × time
  per inference (1 / throughput). The breakdown: synaptic ops / neuron updates (active and
  inactive) / spike generation + packets out and in / mesh hops / static power.
* **latency µs**: one image alone, from its first input step to the step that completes its
  output. **inf/s**: images streamed back to back (the pipeline full).
* **EDP**: energy per inference × latency. **cores**: cores the compiler used.

## Pictures

* `energy_breakdown.png`: where the energy of one inference goes, per code.
* `accuracy_vs_energy.png`, `accuracy_vs_latency.png`: the rate code's T sweep as a curve,
  FS and TTFS as points; up and to the left is better.
* `core_heatmap.png`: synaptic events per core per inference of the
  {plots.row_label(featured.summary)} row over the mesh (the busiest core sets the step time).
* `spike_raster.png`: the busiest neurons of each layer of the {plots.row_label(featured.summary)}
  row while two images pass through the pipeline (blue lines: windows).

![energy](energy_breakdown.png)
![accuracy vs energy](accuracy_vs_energy.png)
![accuracy vs latency](accuracy_vs_latency.png)
![core heatmap](core_heatmap.png)
![spike raster](spike_raster.png)

## Assumptions

* Time: a step ends when every core has updated its neurons and served its packets, plus
  the chip's barrier for the tiles in use; cores update every neuron every step.
* FS and TTFS neurons need a threshold and reset per step of their window
  (`core.fs_neurons = {str(hw.chip.core.fs_neurons).lower()}`): a core without that feature emulates
  it by rewriting them each step, so each of those updates counts as active.
* Graded spikes (`core.graded_spikes = {str(hw.chip.core.graded_spikes).lower()}`): without them, the
  FS output weight d(k) is applied by the receiving core as a per-step scale of its input.
* Input: pixels enter through an encoding layer of the same code (FS: a rounded binary
  expansion; rate: a constant current; TTFS: one spike), set per image as biases are.
  The output layer does not spike: it accumulates, and the class is the arg-max.
* Static power ({1e3 * featured.measurement.run.static_power_w:.1f} mW here) covers every
  chip in use and every core in use, charged for the time each inference occupies the
  pipeline.

Machine time for the whole comparison: {comparison.seconds:.1f} s.
"""
