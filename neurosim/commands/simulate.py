"""``neurosim simulate SNN --hw CHIP --out DIR``: run a converted network on a described chip.

Images come from the test split of the data set named in the SNN's metadata (or
``--dataset``). Without ``--mapping`` the network is compiled for the chip first. Writes
``summary.json``, ``per_core.csv``, ``per_layer.csv`` and ``per_link.csv`` into DIR; with
``--trace steps`` also ``trace_steps.csv`` (per step and chip: spikes, active and inactive
updates, packets, hops, synaptic events, energy by category, step time), with
``--trace cores`` ``trace_cores.csv`` (the same per step and core).

With ``--executor local|dask`` the images' streams (``--images-per-stream`` each) run in
parallel on a process pool or a Dask cluster (``--scheduler tcp://HOST:PORT`` to join a
running one, else a local cluster of ``--workers`` processes); the results are identical
to the serial run's.
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from neurosim import options
from neurosim.commands import add_dataset_option
from neurosim.errors import NeurosimError
from neurosim.fileio import record_run


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate", help="simulate a converted SNN on a chip: energy, latency, throughput",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("snn", metavar="SNN", help="a converted network (.npz from 'neurosim convert')")
    parser.add_argument("--hw", default="loihi", help="hardware model name or YAML file (default: loihi)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a hardware value, e.g. --set core.neurons=512 (repeatable)")
    parser.add_argument("--mapping", help="a mapping file from 'neurosim compile' (default: compile now)")
    parser.add_argument("--images", type=options.whole(1, options.MAX_IMAGES), default=100, metavar="N",
                        help="test images to stream (default: 100)")
    add_dataset_option(parser, "the one the SNN names")
    parser.add_argument("--images-per-stream", type=options.whole(1, options.MAX_IMAGES), default=None, metavar="M",
                        help="images per back-to-back stream (default: the engine's)")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for the results")
    parser.add_argument("--trace", choices=("steps", "cores"), default=None,
                        help="also write per-step counts, energy and time per chip (steps) "
                             "or per core (cores) as trace_steps.csv / trace_cores.csv")
    parser.add_argument("--executor", choices=("local", "dask"), default=None,
                        help="run the image streams in parallel: a local process pool or Dask "
                             "(default: serially, in this process)")
    parser.add_argument("--workers", type=options.whole(1, options.MAX_WORKERS), default=None, metavar="N",
                        help="worker processes of the pool or local Dask cluster (default: cores)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="join a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    parser.set_defaults(run=run)


def _ann_accuracy(snn: Any, images: np.ndarray, labels: np.ndarray) -> float | None:
    """The ANN's accuracy on the same images, when the model named in the SNN can be found."""
    name = snn.metadata.get("model")
    if not name:
        return None
    from neurosim.ann.forward import accuracy
    from neurosim.ann.zoo import resolve_model
    from neurosim.datasets import as_model_input
    try:
        model = resolve_model(name)  # a zoo name, or a file that may have moved since
    except NeurosimError:
        return None
    return float(accuracy(model, as_model_input(images, model), labels))


def run(args: argparse.Namespace) -> int:
    from neurosim.compiler import compile_network
    from neurosim.compiler.io import load_mapping
    from neurosim.datasets import load_dataset, snn_input
    from neurosim.energy import measure_hardware
    from neurosim.engine import IMAGES_PER_STREAM, stream_slices
    from neurosim.hardware import load_hardware
    from neurosim.report.summary import (
        format_summary,
        per_core_table,
        per_layer_table,
        per_link_table,
        summary_block,
        write_summary_json,
    )
    from neurosim.snn.io import load_snn

    if args.images < 1:
        raise NeurosimError(f"--images {args.images} is not positive", fix="use at least 1")
    if args.executor is None and (args.workers is not None or args.scheduler is not None):
        raise NeurosimError("--workers and --scheduler need a parallel executor",
                            fix="add --executor local or --executor dask")
    if args.executor is not None:
        from neurosim.executors import check_options
        check_options(args.executor, args.workers, args.scheduler)
    images_per_stream = (IMAGES_PER_STREAM if args.images_per_stream is None
                         else args.images_per_stream)
    if images_per_stream < 1:
        raise NeurosimError(f"--images-per-stream {images_per_stream} is not positive",
                            fix="use 1 or more (the default is 32)")
    stream_slices(args.images, images_per_stream)
    from neurosim.pipeline import for_chip
    hw = load_hardware(args.hw, args.overrides)
    snn = for_chip(load_snn(args.snn), hw)  # the chip's threshold rule in every run below
    dataset_name = args.dataset or snn.metadata.get("dataset")
    if not dataset_name:
        raise NeurosimError("the SNN does not name its data set", where=args.snn,
                            fix="pass --dataset NAME (e.g. digits)")
    dataset = load_dataset(dataset_name)
    images = np.asarray(snn_input(dataset, snn)[: args.images])
    labels = np.asarray(dataset.y_test[: args.images])
    with ExitStack() as stack:
        # The executor opens before the work, so an unreachable scheduler costs nothing.
        pool = None
        if args.executor is not None:
            from neurosim.executors import open_executor
            pool = stack.enter_context(open_executor(args.executor, workers=args.workers,
                                                     scheduler=args.scheduler))
        if args.mapping:
            mapping = load_mapping(args.mapping, snn, hw)
        else:
            from neurosim.pipeline import placement_traffic
            mapping = compile_network(snn, hw, placement_traffic(
                snn, snn_input(dataset, snn, "x_train")))
        measurement = measure_hardware(snn, mapping, hw, images,
                                       images_per_stream=images_per_stream,
                                       record_steps=args.trace is not None,
                                       executor=pool.executor if pool is not None else None)
    block = summary_block(snn, hw, measurement, labels=labels,
                          ann_accuracy=_ann_accuracy(snn, images, labels))
    block["dataset"] = dataset.describe()
    text = format_summary(block)  # before writing: a block it cannot show writes nothing
    out = Path(args.out)
    with record_run(out, "simulate"):
        write_summary_json(out / "summary.json", block)
        energy = measurement.figures.run_energy
        per_core_table(measurement.run, hw, energy).to_csv(out / "per_core.csv")
        per_layer_table(measurement.run, snn, energy).to_csv(out / "per_layer.csv")
        per_link_table(measurement.run, hw).to_csv(out / "per_link.csv")
        written = "summary.json, per_core.csv, per_layer.csv, per_link.csv"
        if args.trace is not None:
            from neurosim.report.trace import step_trace_table
            step_trace_table(measurement.run, hw, args.trace).to_csv(out / f"trace_{args.trace}.csv")
            written += f", trace_{args.trace}.csv"
    print(text)
    print(f"  written to {out}/ ({written})")
    return 0
