"""One configuration, end to end: convert → compile → simulate → summary.

This is what ``neurosim compare`` runs for each code and what a sweep runs for each point.
Accuracy and spikes per neuron come from the functional simulator over the test split
(every image unless ``accuracy_images`` says fewer); the hardware figures come from the
event engine over the first ``images`` test images streamed back to back.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurosim.choose_k import choose_k
from neurosim.coding import make_code
from neurosim.coding.fs import K_AUTO
from neurosim.compiler import board_that_fits, compile_network
from neurosim.compiler.mapping import CoreMapping
from neurosim.energy import HardwareMeasurement, measure_hardware
from neurosim.engine import IMAGES_PER_STREAM
from neurosim.errors import NeurosimError
from neurosim.hardware import load_hardware
from neurosim.hardware.model import Hardware
from neurosim.report.summary import (
    per_core_table,
    per_layer_table,
    per_link_table,
    per_step_table,
    summary_block,
)
from neurosim.report.table import Table
from neurosim.report.trace import step_trace_table
from neurosim.snn.anytime import simulate_windows
from neurosim.snn.functional import FunctionalResult, simulate
from neurosim.snn.network import SNN
from neurosim.snn.quantise import Precision, potential_bits_needed
from neurosim.stats import accuracy_interval
from neurosim.workload import Workload, load_workload

# Calibration images whose spikes tell the placer where traffic flows.
PLACEMENT_IMAGES = 100


@dataclass(frozen=True)
class Configuration:
    """Everything that decides one result. ``code_options`` as for :func:`make_code`."""

    model: str = "digits-cnn"
    hardware: str = "loihi"
    overrides: tuple[tuple[str, Any], ...] = ()
    code: str = "fs"
    code_options: tuple[tuple[str, Any], ...] = ()
    placer: str = "optimised"
    seed: int = 0
    images: int = 32
    accuracy_images: int | None = None
    images_per_stream: int = IMAGES_PER_STREAM
    dataset: str | None = None
    placement_images: int = PLACEMENT_IMAGES

    def __post_init__(self) -> None:
        if self.images < 1:
            raise NeurosimError(f"images = {self.images} is not positive", fix="use 1 or more")
        if self.placement_images < 1:
            raise NeurosimError(f"placement_images = {self.placement_images} is not positive",
                                fix=f"use 1 or more (default {PLACEMENT_IMAGES})")
        if self.accuracy_images is not None and self.accuracy_images < 1:
            raise NeurosimError(f"accuracy_images = {self.accuracy_images} is not positive",
                                fix="use 1 or more, or leave it out for the whole test split")

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "hardware": self.hardware, "overrides": dict(self.overrides),
                "code": self.code, "code_options": dict(self.code_options), "placer": self.placer,
                "seed": self.seed, "images": self.images, "accuracy_images": self.accuracy_images,
                "images_per_stream": self.images_per_stream, "dataset": self.dataset,
                "placement_images": self.placement_images}


@dataclass(eq=False)
class RunResult:
    """One run's summary block (the DESIGN fields) and the objects behind it.

    The tables (:meth:`per_layer`, :meth:`per_core`, :meth:`per_link`, :meth:`per_step`)
    are :class:`~neurosim.report.table.Table` objects: rows, ``.to_csv(path)``, and
    ``.to_frame()`` for a pandas DataFrame.
    """

    summary: dict[str, Any]
    snn: SNN
    hardware: Hardware
    mapping: CoreMapping
    measurement: HardwareMeasurement
    functional: FunctionalResult
    extras: dict[str, Any] = field(default_factory=dict)

    def per_layer(self) -> Table:
        """Per population: neurons, cores, spikes, event counts, busy time, energy."""
        return per_layer_table(self.measurement.run, self.snn, self.measurement.figures.run_energy)

    def per_core(self) -> Table:
        """Per core in use: place, neurons, event counts, busy time, energy by category."""
        return per_core_table(self.measurement.run, self.hardware,
                              self.measurement.figures.run_energy)

    def per_link(self) -> Table:
        """Per mesh or inter-chip link that carried packets: packets, busy and wait time."""
        return per_link_table(self.measurement.run, self.hardware)

    def per_step(self) -> Table:
        """Per simulated step: its length and the time its work took."""
        return per_step_table(self.measurement.run)

    def trace(self, level: str = "steps") -> Table:
        """Per step and chip (``"steps"``) or core (``"cores"``): event counts, energy by
        category and time (:mod:`neurosim.report.trace`); the run must have been measured
        with ``record_steps=True``."""
        return step_trace_table(self.measurement.run, self.hardware, level)


def placement_traffic(snn: SNN, training_images: np.ndarray,
                      n: int = PLACEMENT_IMAGES) -> dict[str, np.ndarray]:
    """Spikes per neuron on the first ``n`` training images: where the placer expects traffic.

    Every command that compiles (compare, sweep, ``neurosim compile``, ``neurosim
    simulate``) places for this same estimate, so they place alike.
    """
    return simulate(snn, np.asarray(training_images)[:n]).mean_spike_counts()


def for_chip(snn: SNN, hw: Hardware) -> SNN:
    """The network as ``hw`` runs it: its ``if`` neurons compare by the chip's
    ``core.threshold_compare`` (``v ≥ θ`` or ``v > θ``).

    The conversion does not depend on the chip's rules; a rule that changes spikes must
    hold in the functional runs that stand for the chip (accuracy, the placer's traffic
    estimate) as it does in the engine, so every command that brings a network and a chip
    together passes the network through here first.
    """
    return snn.with_threshold_compare(hw.chip.core.threshold_compare)


def precision_for(hw: Hardware) -> Precision:
    """Integer widths the chip stores: its weight bits (FS sequences keep 16 bits)."""
    return Precision(weight_bits=int(hw.chip.core.weight_bits))


def _accuracy_split(config: Configuration, workload: Workload) -> tuple[np.ndarray, np.ndarray]:
    """The test images and labels the functional simulator measures accuracy on."""
    x_test, y_test = workload.x_test, workload.y_test
    if config.accuracy_images is not None:
        x_test, y_test = x_test[:config.accuracy_images], y_test[:config.accuracy_images]
    return x_test, y_test


def functional_runs(configs: Sequence[Configuration], workload: Workload, hardware: Hardware
                    ) -> list[tuple[SNN, FunctionalResult]]:
    """Each configuration's network and functional result, for :func:`run_configuration`.

    Simulated together, so a rate T sweep reads every T out of one run of the largest
    (:func:`neurosim.snn.anytime.simulate_windows`; separate runs where that would not be
    exact). The configurations must share their model, data and accuracy images.
    """
    if not configs:
        return []
    if len({(c.model, c.dataset, c.accuracy_images) for c in configs}) > 1:
        raise NeurosimError("functional runs share one model, data set and test split",
                            fix="group configurations by model, dataset and accuracy_images")
    snns = workload.convert_codes([make_code(c.code, **dict(c.code_options)) for c in configs],
                                  precision_for(hardware))
    snns = [for_chip(snn, hardware) for snn in snns]
    x_test, _ = _accuracy_split(configs[0], workload)
    return list(zip(snns, simulate_windows(snns, x_test)))


def run_configuration(config: Configuration, *, workload: Workload | None = None,
                      hardware: Hardware | None = None,
                      step: Callable[[str], None] | None = None,
                      executor: cf.Executor | None = None,
                      prepared: tuple[SNN, FunctionalResult] | None = None,
                      fit_board: bool = False) -> RunResult:
    """Convert, compile and simulate one configuration; ``step`` hears each stage's name.

    With an ``executor`` the engine's streams of images run on it in parallel (the results
    are identical to a serial run). ``prepared`` is the configuration's network and
    functional result from :func:`functional_runs` (on the same workload and hardware),
    which skips those stages. With ``fit_board`` a network too large for the board runs on
    the same chip on a board grown to hold it (:func:`neurosim.compiler.board_that_fits`;
    the grown board's overrides are in the summary's ``hardware_overrides``), instead of
    failing with what it needs.
    """
    def say(stage: str) -> None:
        if step is not None:
            step(stage)

    workload = workload or load_workload(config.model, config.dataset)
    hw = hardware or load_hardware(config.hardware, dict(config.overrides))
    x_test, y_test = _accuracy_split(config, workload)
    k_choice = None
    if prepared is not None:
        snn, functional = prepared
    else:
        options = dict(config.code_options)
        if config.code == "fs" and options.get("K") == K_AUTO:
            say("choose K")
            k_choice = choose_k(workload, precision_for(hw), options)
            options["K"] = k_choice.K
        code = make_code(config.code, **options)
        say("convert")
        snn = for_chip(workload.convert(code, precision_for(hw)), hw)
        say("functional")
        functional = simulate(snn, x_test)
    say("compile")
    placement_images = workload.calibration(config.placement_images)
    traffic = placement_traffic(snn, placement_images, config.placement_images)
    partitioned = None
    if fit_board:
        hw, partitioned = board_that_fits(snn, hw, traffic)
    mapping = compile_network(snn, hw, traffic, placer=config.placer, seed=config.seed,
                              partitioned=partitioned)
    say("engine")
    images = workload.x_test[:config.images]
    measurement = measure_hardware(snn, mapping, hw, images,
                                   images_per_stream=config.images_per_stream, executor=executor)
    block = summary_block(snn, hw, measurement, labels=workload.y_test[:config.images],
                          ann_accuracy=workload.ann_accuracy(len(y_test)),
                          model=workload.model.name)
    # Accuracy and spikes of the code over the test split; the engine's own accuracy on its
    # images stays beside them (the two simulators give identical spikes).
    block["engine_accuracy"] = block["snn_accuracy"]
    block["snn_accuracy"] = functional.accuracy(y_test)
    block["spikes_per_neuron"] = functional.spikes_per_neuron()
    block["accuracy_images"] = len(y_test)
    block["dataset"] = workload.dataset.describe()
    block["snn_accuracy_ci95"] = list(accuracy_interval(block["snn_accuracy"], len(y_test)))
    block["ann_accuracy_ci95"] = list(accuracy_interval(block["ann_accuracy"], len(y_test)))
    if k_choice is not None:
        block["k_choice"] = k_choice.as_dict()
    block["code_options"] = dict(config.code_options)  # every option, not only K or T
    block["placer"] = config.placer
    block["placement_images"] = len(placement_images)
    run = measurement.run
    # Steps with an image in every layer, over all streams (0: the stream never filled the
    # pipeline, so its throughput is over fill and drain; see HardwareRun.throughput).
    block["engine_stream_full_steps"] = int(sum(
        max(0, s.n_images * run.window - run.deepest_offset) for s in run.streams))
    block["engine_deepest_offset"] = int(run.deepest_offset)
    block["engine_window"] = int(run.window)
    block["potential_bits_needed"] = potential_bits_needed(snn) if snn.integer else None
    block["potential_bits_chip"] = int(hw.chip.core.potential_bits)
    return RunResult(summary=block, snn=snn, hardware=hw, mapping=mapping,
                     measurement=measurement, functional=functional)


def options_tuple(options: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A hashable, ordered form of an options mapping (for :class:`Configuration`)."""
    return tuple(sorted((k, v) for k, v in options.items() if v is not None))
