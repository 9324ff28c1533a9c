"""``neurosim convert``: an ANN to an SNN in a chosen code, with its accuracy and spikes."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neurosim import options
from neurosim.ann.forward import forward
from neurosim.choose_k import choose_k, parse_K
from neurosim.coding import REGISTRY, code_names, make_code
from neurosim.coding.fs import K_AUTO, load_sequences
from neurosim.commands import add_dataset_option
from neurosim.errors import NeurosimError
from neurosim.snn.anytime import simulate_windows
from neurosim.snn.functional import simulate
from neurosim.snn.io import save_snn
from neurosim.snn.quantise import Precision
from neurosim.stats import accuracy_interval, format_accuracy
from neurosim.workload import load_workload


def parse_int_list(text: str, option: str) -> list[int]:
    """``"8,16,32"`` → [8, 16, 32], with a clear error for anything else."""
    try:
        values = [int(part, 10) for part in text.split(",") if part.strip()]
    except ValueError:
        raise NeurosimError(f"{option} {text!r} is not a comma-separated list of whole numbers",
                            fix=f"write e.g. {option} 8,16,32") from None
    if not values:
        raise NeurosimError(f"{option} is empty", fix=f"write e.g. {option} 64")
    bad = [v for v in values if not 1 <= v <= options.MAX_T]
    if bad:
        raise NeurosimError(f"{option} {bad[0]} is outside the allowed 1 to {options.MAX_T:,}",
                            fix=f"write e.g. {option} 8,16,32")
    if len(values) > 100:
        raise NeurosimError(f"{option} lists {len(values)} values, more than 100",
                            fix="sweep fewer values, or use 'neurosim sweep'")
    return values


def add_code_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that converts a model."""
    parser.add_argument("--K", type=parse_K, default=None,
                        help="FS: steps per window (default: per activation, ReLU 10, sigmoid 12, "
                             "SiLU 16), or 'auto': the smallest K that keeps the ANN's accuracy "
                             "on held-out training images")
    parser.add_argument("--alpha", type=options.number(0, 1e12, low_open=True), default=None,
                        help="FS ReLU scale α (default: from the data; the paper used 25)")
    parser.add_argument("--sequences", default=None, metavar="FILE[,FILE]",
                        help="FS: sequences fitted with 'neurosim fit-fs' for non-ReLU activations")
    parser.add_argument("--percentile", type=options.number(0, 100, low_open=True), default=None,
                        help="rate/TTFS: activation percentile for normalisation (default 99.9)")
    parser.add_argument("--input", choices=("current", "poisson"), default=None,
                        help="rate: input as a constant current (default) or Poisson spikes")
    parser.add_argument("--seed", type=options.whole(0, options.MAX_SEED), default=None, help="rate: seed of the Poisson input")
    parser.add_argument("--weight-bits", type=options.whole(2, 32), default=8, help="integer weight width (default 8)")
    parser.add_argument("--ideal", action="store_true",
                        help="ideal float arithmetic instead of integers (to measure quantisation)")
    add_dataset_option(parser, "the one the model file names, else digits")


# The code options the command line offers (--K, --alpha, ...); --T is the step option of
# the codes that have one. An option given for a code without it is a mistake.
_CLI_OPTIONS = ("K", "alpha", "sequences", "percentile", "input", "seed")


def code_options(args: argparse.Namespace, code: str, T: int | None = None) -> dict[str, Any]:
    """The options the command line gives ``code``, by the fields its registry entry lists."""
    info = REGISTRY[code]
    misplaced = [f"--{name}" for name in _CLI_OPTIONS
                 if getattr(args, name) is not None and name not in info.options]
    if misplaced:
        raise NeurosimError(f"{', '.join(misplaced)} do(es) not apply to the {code} code",
                            fix="drop them, or choose the code they belong to with --code")
    options: dict[str, Any] = {name: getattr(args, name) for name in _CLI_OPTIONS
                               if name in info.options and name != "sequences"}
    if "sequences" in info.options:
        files = [f for f in (args.sequences or "").split(",") if f.strip()]
        options["sequences"] = tuple(load_sequences(f.strip()) for f in files) or None
    if "T" in info.options:
        options["T"] = T
    return options


def precision_from(args: argparse.Namespace) -> Precision:
    return Precision.ideal() if args.ideal else Precision(weight_bits=args.weight_bits)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert a model to a spiking network and measure its accuracy",
        description="Convert an ANN to an SNN in the FS, rate or TTFS code; print ANN and SNN "
                    "accuracy on the test set and spikes per neuron by layer; save the SNN.")
    parser.add_argument("model", help="zoo name (e.g. digits-cnn) or .npz model file")
    parser.add_argument("--code", choices=code_names(), default="fs")
    parser.add_argument("--T", default=None,
                        help="rate/TTFS: steps per image; a list (8,16,32) sweeps (default 64 / 32)")
    add_code_options(parser)
    parser.add_argument("--images", type=options.whole(1, options.MAX_IMAGES), default=None,
                        help="test images to use (default: the whole test split)")
    parser.add_argument("--out", default=None, help="write the SNN here (.npz)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    workload = load_workload(args.model, args.dataset)
    x, y = workload.x_test, workload.y_test
    if args.images is not None:
        if args.images < 1:
            raise NeurosimError(f"--images {args.images} is not positive", fix="use --images 1 or more")
        x, y = x[:args.images], y[:args.images]
    t_values: list[int | None] = [None]
    if args.T is not None:
        if "T" not in REGISTRY[args.code].options:
            with_t = ", ".join(name for name, info in REGISTRY.items() if "T" in info.options)
            raise NeurosimError(f"--T applies to the codes with T ({with_t})",
                                fix=f"use --{REGISTRY[args.code].step_option} for the "
                                    f"{args.code} code")
        t_values = list(parse_int_list(args.T, "--T"))
    if args.out and len(t_values) > 1:
        raise NeurosimError("--out saves one network, but --T lists several", fix="give one T with --out")
    precision = precision_from(args)
    options = [code_options(args, args.code, t) for t in t_values]
    choice = None
    if args.code == "fs" and options[0]["K"] == K_AUTO:
        choice = choose_k(workload, precision, options[0])
        options[0]["K"] = choice.K
    codes = [make_code(args.code, **o) for o in options]
    snns = workload.convert_codes(codes, precision)  # a model the code cannot take fails here
    first = snns[0]
    ann = float(np.mean(np.argmax(forward(workload.model, x), axis=1) == y))
    print(f"{workload.model.name} on {len(y)} test images of {workload.dataset.name}: "
          f"ANN accuracy {format_accuracy(ann, accuracy_interval(ann, len(y)))} % (95 % interval)")
    if choice is not None:
        print(choice.describe())
    print(f"{'code':<6} {'params':<12} {'SNN acc %':>9} {'Δ pp':>7} {'spikes/neuron':>14} "
          f"{'steps/image':>12} {'latency steps':>14} {'SNN 95 % CI':>12}")
    # A rate T sweep reads every T out of one run of the largest where that is exact.
    results = simulate_windows(snns, x) if len(snns) > 1 else [simulate(first, x)]
    last = None
    for code, snn, result in zip(codes, snns, results):
        acc = result.accuracy(y)
        params = ",".join(f"{k}={v}" for k, v in snn.params.items() if k in ("K", "T"))
        low, high = accuracy_interval(acc, len(y))
        print(f"{code.name:<6} {params:<12} {100 * acc:>9.2f} {100 * (acc - ann):>+7.2f} "
              f"{result.spikes_per_neuron():>14.3f} {snn.window:>12d} {snn.latency_steps:>14d} "
              f"{f'{100 * low:.1f}–{100 * high:.1f}':>12}")
        last = (snn, result)
    if len(codes) == 1 and last is not None:
        snn, result = last
        print("spikes per neuron by layer: " + ", ".join(
            f"{name} {value:.3f}" for name, value in result.spikes_per_neuron_by_population().items()))
        if args.out:
            path = save_snn(snn, args.out)
            print(f"saved the SNN to {path}")
    return 0
