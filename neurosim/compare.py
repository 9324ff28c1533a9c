"""The main job: the FS, rate and TTFS codes of one model on one chip, side by side.

:func:`compare` runs :func:`neurosim.pipeline.run_configuration` for each row (FS, the
rate code at each T, TTFS) on the same chip; :func:`write_report` writes what a person
wants to look at: ``summary.json``, ``comparison.csv``, per-core tables, the plots and a
``report.md`` that explains them.

The FS/rate ratios are taken *at iso-accuracy*: against the cheapest rate row (lowest
energy per inference) whose accuracy is not significantly different from FS's on the same
test images, by the exact McNemar test at level :data:`ISO_ACCURACY_ALPHA` on per-image
correctness. Every accuracy is printed with its 95 % Wilson interval.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurosim import plots
from neurosim.choose_k import choose_k
from neurosim.choose_t import RateAuto, TChoice, choose_rate_T
from neurosim.coding.base import SpikeCode
from neurosim.coding.fs import FS, K_AUTO
from neurosim.coding.rate import Rate
from neurosim.coding.ttfs import TTFS
from neurosim.compare_defaults import (
    BASE,
    BOARDS,
    DEFAULT_RATE_T,
    RATE_T_AUTO,
    CompareDefaults,
)
from neurosim.compiler.mapping import core_location
from neurosim.errors import NeurosimError
from neurosim.fileio import write_text
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.pipeline import (
    PLACEMENT_IMAGES,
    Configuration,
    RunResult,
    for_chip,
    functional_runs,
    options_tuple,
    precision_for,
    run_configuration,
)
from neurosim.report.summary import per_core_table, per_layer_table
from neurosim.report.table import Table, flatten
from neurosim.snn.functional import FunctionalResult, simulate_stream
from neurosim.snn.network import SNN
from neurosim.stats import (
    accuracy_interval,
    discordant_counts,
    format_accuracy,
    mcnemar_exact,
    output_fidelity,
)
from neurosim.workload import Workload, load_workload

ISO_ACCURACY_ALPHA = 0.05
ISO_ACCURACY_TEST = "exact McNemar"
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
    fidelity: list[dict[str, float]] = field(default_factory=list)
    """Per row, :func:`neurosim.stats.output_fidelity` of its functional outputs against
    the ANN's on the same test images (top-1 agreement, relative output error)."""
    defaults_used: dict[str, Any] = field(default_factory=dict)
    """The compare defaults taken from the model (no value given) that differ from the main
    job's (:mod:`neurosim.compare_defaults`); empty for a model that carries none."""
    defaults_reason: str = ""

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [r.summary for r in self.results]

    def table(self) -> Table:
        """One row per code, the summary fields flattened (``energy_breakdown_j.static``)."""
        return Table.from_dicts([flatten(r) for r in self.rows])

    def to_frame(self) -> Any:
        """The rows as a pandas DataFrame (pandas is an optional extra)."""
        return self.table().to_frame()

    def write_report(self, out: str | Path) -> dict[str, Path]:
        """summary.json, comparison.csv, per-code tables, plots and report.md in ``out``."""
        return write_report(self, out)


def iso_accuracy_ratios(rows: Sequence[dict[str, Any]], correct: Sequence[np.ndarray]
                        ) -> dict[str, Any]:
    """FS divided by the cheapest rate row whose accuracy is not significantly different.

    ``correct[i]`` is row ``i``'s per-image correctness on the test images (the same images
    for every row). Each rate row is paired with FS by the exact McNemar test; a row with
    p ≥ :data:`ISO_ACCURACY_ALPHA` is "at iso-accuracy", and of those the one with the lowest
    energy per inference is matched (a difference of a few images on a few hundred means
    nothing, so the smallest T within some points is no fairer than the cheapest such row).
    """
    fs_index = next((i for i, r in enumerate(rows) if r["code"] == "fs"), None)
    rate_index = [i for i, r in enumerate(rows) if r["code"] == "rate"]
    if fs_index is None or not rate_index:
        return {}
    fs = rows[fs_index]
    by_energy = sorted(rate_index, key=lambda i: (rows[i]["energy_per_inference_j"],
                                                  rows[i]["params"]["T"]))
    candidates = []
    for i in by_energy:
        b, c = discordant_counts(correct[fs_index], correct[i])
        p = mcnemar_exact(b, c)
        candidates.append({"rate_T": rows[i]["params"]["T"], "rate_accuracy": rows[i]["snn_accuracy"],
                           "energy_per_inference_j": rows[i]["energy_per_inference_j"],
                           "fs_only_correct": b, "rate_only_correct": c, "p_value": p,
                           "significant": p < ISO_ACCURACY_ALPHA})
    test = {"test": ISO_ACCURACY_TEST, "alpha": ISO_ACCURACY_ALPHA,
            "images": len(correct[fs_index]), "candidates": candidates}
    chosen = next((k for k, cand in enumerate(candidates) if not cand["significant"]), None)
    if chosen is None:
        return {"rate_T": None, **test,
                "note": (f"every rate row's accuracy differs significantly from FS's "
                         f"({ISO_ACCURACY_TEST}, α = {ISO_ACCURACY_ALPHA}), so no rate row is "
                         "at iso-accuracy")}
    match = candidates[chosen]
    matched = rows[by_energy[chosen]]
    ratios = {f"fs_over_rate_{name}": (fs[name] / matched[name] if matched[name] else None)
              for name in RATIO_FIELDS}
    ratios["fs_over_rate_throughput"] = (fs["throughput_inferences_per_s"]
                                         / matched["throughput_inferences_per_s"])
    return {"rate_T": matched["params"]["T"], "fs_accuracy": fs["snn_accuracy"],
            "rate_accuracy": matched["snn_accuracy"], **ratios,
            "p_value": match["p_value"], "fs_only_correct": match["fs_only_correct"],
            "rate_only_correct": match["rate_only_correct"], **test}


def default_codes(rate_T: Sequence[int] | str = DEFAULT_RATE_T,
                  defaults: CompareDefaults = BASE) -> list[SpikeCode | RateAuto]:
    """The main job's rows: FS at the defaults' K (chosen automatically unless a model says
    otherwise), rate at each T (or one row at the T :mod:`neurosim.choose_t` picks), TTFS;
    only the codes the defaults name."""
    rate_options = rate_options_of(defaults.rate_percentile)
    rows: list[SpikeCode | RateAuto] = []
    for name in defaults.codes:
        if name == "fs":
            rows.append(FS(K=defaults.K))
        elif name == "rate":
            rows += ([RateAuto(ladder=tuple(defaults.rate_T_ladder), rate_options=rate_options)]
                     if rate_T == RATE_T_AUTO
                     else [Rate(T=int(t), **rate_options) for t in rate_T])
        elif name == "ttfs":
            rows.append(TTFS())
    return rows


def rate_options_of(percentile: float | None) -> dict[str, Any]:
    """The rate code's options a comparison sets: its percentile, if one is named."""
    return {} if percentile is None else {"percentile": percentile}


def _config(code: SpikeCode, workload: Workload, hw: Hardware, placer: str, seed: int,
            images: int, accuracy_images: int | None, placement_images: int) -> Configuration:
    return Configuration(model=workload.model.name, hardware=hw.name, overrides=hw.overrides,
                         code=code.name, code_options=options_tuple(code.options()),
                         placer=placer, seed=seed, images=images,
                         accuracy_images=accuracy_images, dataset=workload.dataset.name,
                         placement_images=placement_images)


def _resolve_fs_K(codes: list[SpikeCode | RateAuto], workload: Workload, hw: Hardware,
                  progress: Callable[[int, int, str], None] | None
                  ) -> tuple[int, dict[str, Any] | None]:
    """The FS row a rate-T-auto row is matched against, with its K fixed first (a K auto is
    chosen here, as its own run would choose it, since the rate T depends on FS's result)."""
    fs_rows = [i for i, c in enumerate(codes) if isinstance(c, FS)]
    if not fs_rows:
        raise NeurosimError("rate T auto picks the T at which rate agrees with the ANN as often "
                            "as FS, but the comparison has no FS row", where="compare",
                            fix="add fs to the codes (--codes fs,rate) or give rate T values "
                                "(--rate-T 32,64)")
    index = fs_rows[0]
    fs = codes[index]
    assert isinstance(fs, FS)
    if fs.K != K_AUTO:
        return index, None
    if progress:
        progress(0, len(codes), "FS: choose K")
    choice = choose_k(workload, precision_for(hw), fs.options())
    codes[index] = dataclasses.replace(fs, K=choice.K)
    return index, choice.as_dict()


def compare(workload: Workload | str | Path = "digits-cnn",
            codes: Sequence[SpikeCode | RateAuto] | None = None,
            hardware: Hardware | str = "loihi", *,
            images: int | None = None, placer: str | None = None, seed: int = 0,
            accuracy_images: int | None = None, rate_images: int | None = None,
            board: str | None = None, placement_images: int | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> Comparison:
    """Run ``workload`` with each of ``codes`` on ``hardware``; one row per code.

    ``workload`` is a :class:`~neurosim.workload.Workload` or a model name/file (with the
    data set it names); ``codes`` are spike-code objects (default :func:`default_codes`),
    or a :class:`~neurosim.choose_t.RateAuto` for one rate row at the T where rate agrees
    with the ANN as often as the FS row does (:func:`neurosim.choose_t.choose_rate_T`);
    ``hardware`` a :class:`~neurosim.hardware.model.Hardware` or a shipped name/file. An
    ``FS(K="auto")`` row has its K chosen by :func:`neurosim.choose_k.choose_k`. Rows that
    can share a functional run (a rate T sweep) take accuracy and spikes from one run of
    the largest T; the engine runs every row.

    ``placement_images`` training images tell the placer where traffic flows (default
    :data:`~neurosim.pipeline.PLACEMENT_IMAGES`).

    What is left ``None`` (``images``, ``rate_images``, ``accuracy_images``, ``placer``,
    ``board``, ``placement_images``, and ``codes``) takes the workload's compare defaults
    (:attr:`Workload.compare_defaults <neurosim.workload.Workload.compare_defaults>`):
    the main job's for a model that carries none. Given ``images`` and no ``rate_images``,
    rate rows run on ``images`` too. The values taken from the model, where they differ
    from the main job's, are kept in :attr:`Comparison.defaults_used`.
    """
    started = time.perf_counter()
    if not isinstance(workload, Workload):
        workload = load_workload(workload)
    hw = hardware if isinstance(hardware, Hardware) else load_hardware(hardware)
    defaults = workload.compare_defaults
    given = {"images": images, "rate_images": rate_images, "accuracy_images": accuracy_images,
             "placer": placer, "board": board, "placement_images": placement_images}
    taken = {name: getattr(defaults, name) for name, value in given.items() if value is None}
    if rate_images is None and images is not None:
        rate_images = images
        taken.pop("rate_images")
    images = defaults.images if images is None else images
    rate_images = (defaults.rate_images or images) if rate_images is None else rate_images
    accuracy_images = defaults.accuracy_images if accuracy_images is None else accuracy_images
    placer = defaults.placer if placer is None else placer
    board = defaults.board if board is None else board
    placement_images = (defaults.placement_images or PLACEMENT_IMAGES
                        if placement_images is None else placement_images)
    if board not in BOARDS:
        raise NeurosimError(f"unknown board choice {board!r}", where="compare",
                            fix=f"use {' or '.join(BOARDS)}")
    if codes is None:
        codes = default_codes(defaults.rate_T, defaults)
        taken.update({k: v for k, v in (("codes", defaults.codes), ("K", defaults.K),
                                         ("rate_T", defaults.rate_T),
                                         ("rate_T_ladder", defaults.rate_T_ladder),
                                         ("rate_percentile", defaults.rate_percentile))})
    codes = list(codes)
    if not codes:
        raise NeurosimError("no codes to compare", where="compare",
                            fix="give at least one code, e.g. [neurosim.FS(K=8)]")
    auto = [i for i, c in enumerate(codes) if isinstance(c, RateAuto)]
    if len(auto) > 1:
        raise NeurosimError("a comparison takes one rate-T-auto row", where="compare")
    fs_index, k_choice = (_resolve_fs_K(codes, workload, hw, progress) if auto else (None, None))
    configs: list[Configuration | None] = [
        None if isinstance(code, RateAuto) else
        _config(code, workload, hw, placer, seed,
                rate_images if code.name == "rate" else images, accuracy_images,
                placement_images)
        for code in codes]
    # Every row but an FS K auto (whose K its run chooses) is converted and simulated
    # together: one ANN pass, and a rate T sweep read out of one run of its largest T.
    shared = [i for i, c in enumerate(configs)
              if c is not None and dict(c.code_options).get("K") != K_AUTO]
    if progress and shared:
        progress(0, len(configs), "functional simulation")
    prepared = dict(zip(shared, functional_runs([configs[i] for i in shared], workload, hw)))
    t_choice = None
    if auto:
        i = auto[0]
        row = codes[i]
        assert isinstance(row, RateAuto) and fs_index is not None
        fs_config = configs[fs_index]
        assert fs_config is not None
        if progress:
            progress(0, len(configs), f"rate: choose T (one run to T={max(row.ladder)})")
        chosen_code, t_choice, prepared[i] = _choose_rate_row(
            row, workload, hw, accuracy_images, prepared[fs_index][1].outputs,
            plots.row_label({"code": "fs", "params": dict(fs_config.code_options)}))
        codes[i] = chosen_code
        configs[i] = _config(chosen_code, workload, hw, placer, seed, rate_images,
                             accuracy_images, placement_images)
    results = []
    for i, config in enumerate(configs):
        assert config is not None
        label = " ".join([config.code, *(f"{k}={v}" for k, v in config.code_options
                                          if k in ("K", "T"))])
        results.append(run_configuration(
            config, workload=workload, hardware=hw, prepared=prepared.pop(i, None),
            fit_board=board == "fit",
            step=(lambda stage, i=i, label=label: progress(i, len(configs), f"{label}: {stage}"))
            if progress else None))
        if i == fs_index and k_choice is not None:
            results[-1].summary["k_choice"] = k_choice
        if auto and i == auto[0] and t_choice is not None:
            results[-1].summary["t_choice"] = t_choice.as_dict()
    if progress:
        progress(len(configs), len(configs), "done")
    comparison = Comparison(model=workload.model.name, hardware=hw.name, results=results,
                            workload=workload,
                            defaults_used={k: v for k, v in taken.items()
                                           if getattr(BASE, k) != v},
                            defaults_reason=defaults.reason)
    correct = [r.functional.predictions == workload.y_test[:len(r.functional.predictions)]
               for r in results]
    comparison.ratios = iso_accuracy_ratios(comparison.rows, correct)
    comparison.fidelity = _fidelity(workload, results)
    comparison.seconds = time.perf_counter() - started
    return comparison


def _choose_rate_row(row: RateAuto, workload: Workload, hw: Hardware,
                     accuracy_images: int | None, fs_outputs: np.ndarray, fs_label: str
                     ) -> tuple[Rate, TChoice, tuple[SNN, FunctionalResult]]:
    """Convert the rate code at every T of the ladder, simulate them in one anytime run on
    the accuracy images, and keep the T :func:`~neurosim.choose_t.choose_rate_T` picks."""
    codes = [Rate(T=int(t), **row.rate_options) for t in sorted(set(row.ladder))]
    snns = [for_chip(snn, hw) for snn in workload.convert_codes(codes, precision_for(hw))]
    x_test = workload.x_test[:accuracy_images]
    choice, functional = choose_rate_T(snns, x_test, workload.ann_outputs(len(x_test)),
                                       fs_outputs, fs_label)
    chosen = next(i for i, c in enumerate(codes) if c.T == choice.T)
    return codes[chosen], choice, (snns[chosen], functional)


def _fidelity(workload: Workload, results: Sequence[RunResult]) -> list[dict[str, float]]:
    """Each row's agreement with the ANN on its accuracy images."""
    return [output_fidelity(workload.ann_outputs(len(r.functional.outputs)), r.functional.outputs)
            if len(r.functional.outputs) else {} for r in results]


def format_fidelity(comparison: Comparison) -> str:
    """One line: each row's top-1 agreement with the ANN and relative output error."""
    parts = [f"{plots.row_label(row)} {100 * f['top1_agreement']:.1f} % / "
             f"{f['relative_output_error']:.3f}"
             for row, f in zip(comparison.rows, comparison.fidelity) if f]
    if not parts:
        return ""
    images = comparison.rows[0]["accuracy_images"]
    return (f"Fidelity to the ANN on the same {images} test images (top-1 agreement / relative "
            f"output error ‖y_snn − y_ann‖ / ‖y_ann‖): " + "; ".join(parts))


# --- the table ------------------------------------------------------------------------------

def _with_interval(row: dict[str, Any], name: str) -> str:
    """``99.44 (98.0–99.8)``: a row's accuracy ``name`` with its 95 % interval."""
    interval = row.get(f"{name}_ci95") or accuracy_interval(row[name], row["accuracy_images"])
    return format_accuracy(row[name], interval)


def _rate_text(per_s: float) -> str:
    """Whole numbers from 100 up, three significant digits below (0.265, not 0)."""
    return f"{per_s:.0f}" if per_s >= 100 else f"{per_s:#.3g}"


def _row_cells(row: dict[str, Any]) -> list[str]:
    b = row["energy_breakdown_j"]
    return [
        plots.row_label(row),
        _with_interval(row, "ann_accuracy"),
        _with_interval(row, "snn_accuracy"),
        f"{row['spikes_per_neuron']:.2f}",
        f"{row['synaptic_events_per_inference'] / 1e3:.1f}k",
        f"{row['energy_per_inference_j'] * 1e6:.1f}",
        " / ".join(f"{b[k] * 1e6:.1f}" for k in plots.BREAKDOWN),
        f"{row['latency_s'] * 1e6:.0f}",
        _rate_text(row["throughput_inferences_per_s"]),
        f"{row['edp_j_s']:.2e}",
        f"{row['cores_used']}",
    ]


TABLE_HEADER = ["code", "ANN % (95 % CI)", "SNN % (95 % CI)", "spikes/neuron", "syn. events", "energy µJ",
                "syn / neuron / spike+pkt / network / static µJ", "latency µs", "inf/s",
                "EDP J·s", "cores"]


def format_table(comparison: Comparison, markdown: bool = False) -> str:
    """The comparison as a text (or Markdown) table, with the ratios underneath."""
    rows = [TABLE_HEADER] + [_row_cells(r) for r in comparison.rows]
    first = comparison.rows[0]
    head = (f"{comparison.model} on {comparison.hardware}{overrides_text(comparison)}: ANN "
            f"accuracy {_with_interval(first, 'ann_accuracy')} % on {first['accuracy_images']} "
            f"test images of {dataset_text(comparison)}; hardware figures over "
            f"{engine_images_text(comparison)}")
    chosen = defaults_text(comparison)
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
    notes += [f"note: {plots.row_label(r)}: {_describe_k_choice(r['k_choice'])}"
              for r in comparison.rows if r.get("k_choice")]
    notes += [f"note: {plots.row_label(r)}: {_describe_t_choice(r['t_choice'])}"
              for r in comparison.rows if r.get("t_choice")]
    notes += [f"note: {plots.row_label(r)}: {_describe_short_stream(r)}"
              for r in comparison.rows if _short_stream(r)]
    fidelity = format_fidelity(comparison)
    return "\n\n".join([head, *([chosen] if chosen else []), table,
                        format_ratios(comparison.ratios),
                        *([fidelity] if fidelity else []), *notes])


def engine_images_text(comparison: Comparison) -> str:
    """``32 images streamed back to back``, ``1 image``, or per row where the rows differ
    (``2 images (FS K=10), 1 image (rate T=64)``)."""
    def images(n: int) -> str:
        return "1 image" if n == 1 else f"{n} images"
    counts = [r["images"] for r in comparison.rows]
    if len(set(counts)) == 1:
        return images(counts[0]) + ("" if counts[0] == 1 else " streamed back to back")
    return (", ".join(f"{images(r['images'])} ({plots.row_label(r)})" for r in comparison.rows)
            + ", streamed back to back")


def defaults_text(comparison: Comparison) -> str:
    """What the comparison took from the model's compare defaults, as the flags that would
    set it (empty when the model carries none, so the main job's table is unchanged)."""
    if not comparison.defaults_used:
        return ""
    flags = " ".join(f"--{name.replace('_', '-')} {_flag(value)}"
                     for name, value in comparison.defaults_used.items())
    reason = f" ({comparison.defaults_reason})" if comparison.defaults_reason else ""
    return f"Defaults of {comparison.model} (no flag given; a flag overrides): {flags}{reason}"


def _flag(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(map(str, value))
    text = str(value)
    return f"'{text}'" if " " in text else text


def _describe_t_choice(choice: dict[str, Any]) -> str:
    n = choice["images"]
    tried = "; ".join(f"T={t['T']} {round(t['top1_agreement'] * n)}/{n} / "
                      f"{t['relative_output_error']:.3f}" for t in choice["tried"])
    fs = choice["fs"]
    outcome = (f"the smallest T whose top-1 agreement with the ANN reaches {fs}'s"
               if choice["reached"] else
               f"no T up to {choice['T_max']} reaches {fs}'s top-1 agreement, so the largest "
               "T is run: rate falls short of FS here, and its costs are a lower bound on "
               "rate's at FS's agreement")
    error = (f"its relative output error reaches {fs}'s at T={choice['error_T']}"
             if choice["error_T"] is not None else
             f"its relative output error does not reach {fs}'s up to T={choice['T_max']}")
    return (f"T={choice['T']} chosen automatically ({outcome}; {error}), from one functional "
            f"anytime run to T={choice['T_max']} on the {n} accuracy images; top-1 agreement / "
            f"relative output error per T: {tried}; {fs} "
            f"{round(choice['fs_top1_agreement'] * n)}/{n} / "
            f"{choice['fs_relative_output_error']:.3f}. Only T={choice['T']} is compiled and "
            f"run in the engine. Rule: {choice['rule']}")


def _short_stream(row: dict[str, Any]) -> bool:
    """Whether the engine's stream was too short ever to hold an image in every layer."""
    return bool(row.get("engine_stream_full_steps") == 0)


def _describe_short_stream(row: dict[str, Any]) -> str:
    return (f"its {row['images']} engine image(s) never fill the pipeline (the deepest layer "
            f"starts after {row['engine_deepest_offset']} steps, the input ends after "
            f"{row['images'] * row['engine_window']}), so its throughput (and the static "
            "energy charged per inference) is over the whole stream, fill and drain included: "
            "a lower bound on the pipelined throughput")


def dataset_text(comparison: Comparison) -> str:
    data = comparison.workload.dataset
    return f"{data.name} ({len(data.y_train):,} train / {len(data.y_test):,} test)"


def overrides_text(comparison: Comparison) -> str:
    overrides = featured_hw(comparison).overrides
    return f" ({', '.join(f'{k}={v}' for k, v in overrides)})" if overrides else ""


def _describe_k_choice(choice: dict[str, Any]) -> str:
    tried = ", ".join(f"K={t['K']} {100 * t['snn_accuracy']:.2f} % / {100 * t['logit_error']:.1f} %"
                      for t in choice["tried"])
    return (f"K={choice['K']} chosen automatically ({choice['reason']}): held-out accuracy / "
            f"logit error {tried}; ANN {100 * choice['ann_accuracy']:.2f} % on the same "
            f"{choice['held_out_images']} images. Rule: {choice['rule']}")


def format_ratios(ratios: dict[str, Any]) -> str:
    if not ratios:
        return "No FS/rate ratios (the comparison needs an FS row and rate rows)."
    if ratios.get("rate_T") is None:
        tested = "; ".join(f"T={c['rate_T']} p = {c['p_value']:.2g}"
                           for c in ratios.get("candidates", []))
        return f"No FS/rate ratios: {ratios.get('note')} ({tested})."
    def r(name: str) -> str:
        value = ratios.get(f"fs_over_rate_{name}")
        return "n/a" if value is None else f"{value:.2f}×"
    return (f"FS / rate at iso-accuracy (rate T={ratios['rate_T']}, the cheapest rate row whose "
            f"accuracy is not significantly different from FS's: "
            f"{100 * ratios['rate_accuracy']:.2f} % vs {100 * ratios['fs_accuracy']:.2f} %, "
            f"{ratios['test']} p = {ratios['p_value']:.2g} on {ratios['images']} images, "
            f"{ratios['fs_only_correct']} right under FS only, {ratios['rate_only_correct']} "
            f"under rate only): energy {r('energy_per_inference_j')}, "
            f"latency {r('latency_s')}, throughput {r('throughput')}, EDP {r('edp_j_s')}, "
            f"spikes {r('spikes_per_neuron')}, synaptic events "
            f"{r('synaptic_events_per_inference')}, cores {r('cores_used')}")


# --- files ----------------------------------------------------------------------------------

def _slug(row: dict[str, Any]) -> str:
    return plots.row_label(row).lower().replace(" ", "-").replace("=", "")


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
         "iso_accuracy": comparison.ratios,
         "compare_defaults_used": {k: list(v) if isinstance(v, tuple) else v
                                   for k, v in comparison.defaults_used.items()},
         "compare_defaults_reason": comparison.defaults_reason if comparison.defaults_used else "",
         "wall_time_s": comparison.seconds}, indent=2) + "\n")
    files["table"] = comparison.table().to_csv(out / "comparison.csv")
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


def _iso_sentence(ratios: dict[str, Any]) -> str:
    """What the paired test found, in words, for report.md."""
    if not ratios:
        return "This comparison has no FS row or no rate rows, so there is nothing to pair."
    tested = ", ".join(f"T={c['rate_T']} (p = {c['p_value']:.2g}, {c['fs_only_correct']} / "
                       f"{c['rate_only_correct']} discordant)" for c in ratios["candidates"])
    if ratios.get("rate_T") is None:
        return f"Here no rate row qualifies: {ratios['note']}. Tested: {tested}."
    return (f"Here rate T={ratios['rate_T']} is matched. Tested, cheapest first (p-value, images "
            f"right under FS only / rate only): {tested}.")


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
  {hw.chip.core.weight_bits}-bit weights); the ANN reaches {_with_interval(first, 'ann_accuracy')} %.
  In brackets: the 95 % Wilson score interval, how far the accuracy on
  {first['accuracy_images']} images can be from the accuracy on unlimited data of the same kind.
* **spikes/neuron**: spikes per spiking neuron per image (input layer included).
* **syn. events**: synaptic operations per inference (a packet's synapses on its core).
* **energy µJ**: energy per inference = events × per-event energies + static power × time
  per inference (1 / throughput). The breakdown: synaptic ops / neuron updates (active and
  inactive) / spike generation + packets out and in / mesh hops / static power.
* **latency µs**: one image alone, from its first input step to the step that completes its
  output. **inf/s**: images streamed back to back (the pipeline full).
* **EDP**: energy per inference × latency. **cores**: cores the compiler used.

## Iso-accuracy

The FS / rate ratios under the table compare FS with the *cheapest* rate row (lowest energy
per inference) whose accuracy is not significantly different from FS's. Both rows classify
the same test images, so they are paired: the exact McNemar test looks only at the images
one row gets right and the other wrong, and calls the rows different when the two-sided
binomial p-value of that split is below {ISO_ACCURACY_ALPHA}. {_iso_sentence(comparison.ratios)}

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
