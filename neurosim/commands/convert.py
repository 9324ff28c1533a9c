"""``neurosim convert``: an ANN to an SNN in a chosen code, with its accuracy and spikes."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from neurosim import options
from neurosim.ann.forward import forward
from neurosim.coding import CODES, make_code
from neurosim.coding.fs import load_sequences
from neurosim.commands import add_dataset_option
from neurosim.errors import NeurosimError
from neurosim.snn.functional import simulate
from neurosim.snn.io import save_snn
from neurosim.snn.quantise import Precision
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
    parser.add_argument("--K", type=options.whole(1, options.MAX_FS_K), default=None,
                        help="FS: steps per window (default: per activation, ReLU 10, sigmoid 12, SiLU 16)")
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


# Which code each option belongs to: an option given for another code is a mistake.
_OPTION_CODES = {"K": ("fs",), "alpha": ("fs",), "sequences": ("fs",),
                 "percentile": ("rate", "ttfs"), "input": ("rate",), "seed": ("rate",)}


def code_options(args: argparse.Namespace, code: str, T: int | None = None) -> dict[str, Any]:
    misplaced = [f"--{name}" for name, codes in _OPTION_CODES.items()
                 if getattr(args, name) is not None and code not in codes]
    if misplaced:
        raise NeurosimError(f"{', '.join(misplaced)} do(es) not apply to the {code} code",
                            fix="drop them, or choose the code they belong to with --code")
    if code == "fs":
        files = [f for f in (args.sequences or "").split(",") if f.strip()]
        return {"K": args.K, "alpha": args.alpha,
                "sequences": tuple(load_sequences(f.strip()) for f in files) or None}
    if code == "rate":
        return {"T": T, "percentile": args.percentile, "input": args.input, "seed": args.seed}
    return {"T": T, "percentile": args.percentile}


def precision_from(args: argparse.Namespace) -> Precision:
    return Precision.ideal() if args.ideal else Precision(weight_bits=args.weight_bits)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert", help="convert a model to a spiking network and measure its accuracy",
        description="Convert an ANN to an SNN in the FS, rate or TTFS code; print ANN and SNN "
                    "accuracy on the test set and spikes per neuron by layer; save the SNN.")
    parser.add_argument("model", help="zoo name (e.g. digits-cnn) or .npz model file")
    parser.add_argument("--code", choices=CODES, default="fs")
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
        if args.code == "fs":
            raise NeurosimError("--T applies to the rate and TTFS codes", fix="use --K for the FS code")
        t_values = list(parse_int_list(args.T, "--T"))
    if args.out and len(t_values) > 1:
        raise NeurosimError("--out saves one network, but --T lists several", fix="give one T with --out")
    codes = [make_code(args.code, **code_options(args, args.code, t)) for t in t_values]
    precision = precision_from(args)
    first = workload.convert(codes[0], precision)  # a model the code cannot take fails here
    ann = float(np.mean(np.argmax(forward(workload.model, x), axis=1) == y))
    print(f"{workload.model.name} on {len(y)} test images of {workload.dataset.name}: "
          f"ANN accuracy {100 * ann:.2f} %")
    print(f"{'code':<6} {'params':<12} {'SNN acc %':>9} {'Δ pp':>7} {'spikes/neuron':>14} "
          f"{'steps/image':>12} {'latency steps':>14}")
    last = None
    for code in codes:
        snn = first if code is codes[0] else workload.convert(code, precision)
        result = simulate(snn, x)
        acc = result.accuracy(y)
        params = ",".join(f"{k}={v}" for k, v in snn.params.items() if k in ("K", "T"))
        print(f"{code.name:<6} {params:<12} {100 * acc:>9.2f} {100 * (acc - ann):>+7.2f} "
              f"{result.spikes_per_neuron():>14.3f} {snn.window:>12d} {snn.latency_steps:>14d}")
        last = (snn, result)
    if len(codes) == 1 and last is not None:
        snn, result = last
        print("spikes per neuron by layer: " + ", ".join(
            f"{name} {value:.3f}" for name, value in result.spikes_per_neuron_by_population().items()))
        if args.out:
            path = save_snn(snn, args.out)
            print(f"saved the SNN to {path}")
    return 0
