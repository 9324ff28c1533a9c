"""``neurosim fit-fs``: fit (or check) the FS sequences T, h, d of an activation function.

Examples::

    neurosim fit-fs --activation silu --K 16                      # writes silu_K16.yaml
    neurosim fit-fs --activation sigmoid --K 12 --normal -0.36 1.46 --out sig.yaml
    neurosim fit-fs --activation silu --K 16 --pareto 0,1e-3,3e-3,1e-2 --out-dir front/
    neurosim fit-fs --activation silu --K 16 --evaluate silu_K16.yaml
    neurosim fit-fs --activation relu --K 10 --normal -0.36 1.46   # closed form, α = 25
"""

from __future__ import annotations

import argparse
import csv
import re
import time
from dataclasses import replace
from pathlib import Path

from neurosim import options
from neurosim.coding.fs import (
    PAPER_RELU_ALPHA,
    FSParams,
    load_sequences,
    save_sequences,
)
from neurosim.coding.fs_fit import (
    METHODS,
    FitSettings,
    InputDistribution,
    check_activation,
    default_settings,
    evaluate,
    fit_fs,
    relu_fit,
    resolve_activation,
)
from neurosim.errors import NeurosimError
from neurosim.fileio import atomic_write, save_figure


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fit-fs",
        help="fit few-spikes (FS) neuron sequences T, h, d to an activation function",
        description=(
            "Fit the thresholds T, resets h and output weights d of a K-step few-spikes "
            "neuron to an elementwise activation, print MSE, max error and mean spikes on a "
            "100,000-point grid, and write the sequences as YAML. ReLU uses the closed form "
            "T = h = d = α·2^-t."
        ),
    )
    parser.add_argument("--activation", required=True,
                        help="silu, sigmoid, tanh, gelu, relu, ... or module:function")
    parser.add_argument("--K", type=options.whole(1, options.MAX_FS_K), required=True, help="number of steps (spikes at most)")
    parser.add_argument("--range", nargs=2, type=options.number(-1e9, 1e9), metavar=("A", "B"),
                        help="input range (default -5 5, or μ±5σ with --normal)")
    parser.add_argument("--normal", nargs=2, type=options.number(-1e9, 1e9), metavar=("MU", "SIGMA"),
                        help="weight the fit by the measured input distribution N(MU, SIGMA)")
    parser.add_argument("--spike-weight", type=options.number(0, 1e6), metavar="W",
                        help="penalty per expected spike (default: tuned per activation)")
    parser.add_argument("--seed", type=options.whole(0, options.MAX_SEED), default=0, help="random seed (default 0)")
    parser.add_argument("--bits", type=options.whole(2, 32), help="quantise T, h, d to B-bit signed integers")
    parser.add_argument("--method", default="sg+search",
                        help=f"one of {', '.join(METHODS)} (default sg+search)")
    parser.add_argument("--restarts", type=options.whole(1, 1000), help="random restarts (default 12)")
    parser.add_argument("--alpha", type=options.number(0, 1e12, low_open=True),
                        help=f"ReLU only: the scale α (default {PAPER_RELU_ALPHA:g}, the paper's)")
    parser.add_argument("--out", type=Path, help="sequence file to write (default <act>_K<K>.yaml)")
    parser.add_argument("--pareto", metavar="W1,W2,...",
                        help="fit once per spike weight and store pareto.csv and pareto.png")
    parser.add_argument("--out-dir", type=Path, default=Path("."),
                        help="directory for --pareto results (default: current directory)")
    parser.add_argument("--evaluate", type=Path, metavar="FILE",
                        help="do not fit: report the errors of an existing sequence file")
    parser.set_defaults(run=run)


def _inputs(args: argparse.Namespace) -> InputDistribution:
    lo, hi = args.range if args.range else (None, None)
    if args.normal:
        return InputDistribution.normal(*args.normal, lo=lo, hi=hi)
    return InputDistribution() if args.range is None else InputDistribution(lo, hi)


def _file_stem(activation: str, K: int) -> str:
    return f"{re.sub(r'[^A-Za-z0-9]+', '_', activation)}_K{K}"


def _command(settings: FitSettings) -> str:
    """The command line that reproduces ``settings`` (stored in the file header)."""
    inputs = settings.inputs
    words = ["neurosim fit-fs", f"--activation {settings.activation}", f"--K {settings.K}"]
    words.append(f"--range {inputs.lo:g} {inputs.hi:g}")
    if inputs.is_normal:
        words.append(f"--normal {inputs.mu:g} {inputs.sigma:g}")
    words += [f"--spike-weight {settings.spike_weight:g}", f"--seed {settings.seed}"]
    words += [f"--method {settings.method}", f"--restarts {settings.restarts}"]
    if settings.bits is not None:
        words.append(f"--bits {settings.bits}")
    return " ".join(words)


def _header(settings: FitSettings, function) -> str:
    default = default_settings(settings.activation, settings.K, function=function)
    lines = [
        f"FS sequences for {settings.activation}, K = {settings.K}, fitted by:",
        f"  {_command(settings)}",
    ]
    if settings == default:
        lines.append(
            f"(the default settings of: neurosim fit-fs --activation {settings.activation} "
            f"--K {settings.K})"
        )
    return "\n".join(lines)


def _report(params: FSParams, seconds: float | None = None) -> None:
    errors = params.errors
    lo, hi = errors["range"]
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    print(f"FS {params.activation}, K = {params.K}, on [{lo:g}, {hi:g}]{took}")
    print(f"  MSE {errors['mse']:.4g}   max error {errors['max_error']:.4g}   "
          f"mean spikes {errors['mean_spikes']:.4g} per input")
    if "step" in errors:
        print(f"  one quantisation step α/2^K = {errors['step']:.4g}")
    if "expected_spikes_normal" in errors:
        mu, sigma = errors["normal"]
        print(f"  expected spikes under N({mu:g}, {sigma:g}): {errors['expected_spikes_normal']:.4g}")
    if "weighted_mse" in errors:
        print(f"  MSE weighted by that input distribution: {errors['weighted_mse']:.4g}")


def _check_not_for_relu(args: argparse.Namespace) -> None:
    given = [f"--{name.replace('_', '-')}" for name in ("spike_weight", "pareto", "restarts")
             if getattr(args, name) is not None]
    if args.method != "sg+search":
        given.append("--method")
    if given:
        raise NeurosimError(
            f"{', '.join(given)}: not used for ReLU, which uses the closed form",
            where="fit-fs --activation relu",
            fix="drop these options, or set the scale with --alpha",
        )


def run(args: argparse.Namespace) -> int:
    inputs = _inputs(args)
    if args.alpha is not None and args.activation != "relu":
        raise NeurosimError("--alpha applies to ReLU only", where="fit-fs --alpha")
    if args.activation == "relu" and args.evaluate is None:
        _check_not_for_relu(args)
        alpha = PAPER_RELU_ALPHA if args.alpha is None else args.alpha
        params = relu_fit(alpha, args.K, inputs, bits=args.bits)
        _report(params)
        out = args.out or Path(f"relu_K{args.K}.yaml")
        save_sequences(params, out, header=f"ReLU closed form: neurosim fit-fs --activation relu --K {args.K}")
        print(f"wrote {out}")
        return 0

    function = resolve_activation(args.activation)
    if args.evaluate is not None:
        return _evaluate_file(args, function, inputs)

    overrides = {"seed": args.seed, "bits": args.bits, "method": args.method}
    if args.restarts is not None:
        overrides["restarts"] = args.restarts
    settings = default_settings(
        args.activation, args.K, inputs, function, spike_weight=args.spike_weight, **overrides
    )
    if args.pareto is not None:
        return _pareto(args, settings, function)

    started = time.perf_counter()
    params = fit_fs(settings, function)
    _report(params, time.perf_counter() - started)
    out = args.out or Path(_file_stem(args.activation, args.K) + ".yaml")
    save_sequences(params, out, header=_header(settings, function))
    print(f"wrote {out}")
    return 0


def _evaluate_file(args: argparse.Namespace, function, inputs: InputDistribution) -> int:
    params = load_sequences(args.evaluate, K=args.K)
    if params.activation != args.activation:
        raise NeurosimError(
            f"the file holds sequences for {params.activation!r}, not {args.activation!r}",
            where=f"{args.evaluate}: activation",
            fix=f"use --activation {params.activation}",
        )
    check_activation(args.activation, function, inputs.grid(1000))
    _report(replace(params, errors=evaluate(params, function, inputs)))
    return 0


def _spike_weights(text: str) -> list[float]:
    try:
        weights = [float(word) for word in text.split(",") if word.strip()]
    except ValueError:
        weights = []
    if not weights or any(not (w >= 0 and w < float("inf")) for w in weights):
        raise NeurosimError(
            f"expected a comma-separated list of spike weights >= 0, found {text!r}",
            where="fit-fs --pareto",
            fix="e.g. --pareto 0,1e-3,3e-3,1e-2",
        )
    return weights


def _pareto(args: argparse.Namespace, settings: FitSettings, function) -> int:
    weights = _spike_weights(args.pareto)
    out_dir = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = _file_stem(args.activation, args.K)
    rows = []
    for weight in weights:
        point = replace(settings, spike_weight=weight)
        started = time.perf_counter()
        params = fit_fs(point, function)
        seconds = time.perf_counter() - started
        _report(params, seconds)
        path = out_dir / f"{stem}_W{weight:g}.yaml"
        save_sequences(params, path, header=_header(point, function))
        errors = params.errors
        rows.append({
            "spike_weight": weight, "mse": errors["mse"], "max_error": errors["max_error"],
            "mean_spikes": errors["mean_spikes"],
            "expected_spikes_normal": errors.get("expected_spikes_normal", ""),
            "seconds": round(seconds, 2), "file": path.name,
        })
    with atomic_write(out_dir / "pareto.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    _plot_pareto(rows, out_dir / "pareto.png", f"FS {args.activation}, K = {args.K}")
    print(f"wrote {out_dir / 'pareto.csv'} and {out_dir / 'pareto.png'}")
    return 0


def _plot_pareto(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 3.6), layout="constrained")
    ordered = sorted(rows, key=lambda row: row["mean_spikes"])
    spikes = [row["mean_spikes"] for row in ordered]
    mse = [row["mse"] for row in ordered]
    axes.plot(spikes, mse, "o-")
    for row in rows:
        axes.annotate(f"W={row['spike_weight']:g}", (row["mean_spikes"], row["mse"]),
                      textcoords="offset points", xytext=(4, 4), fontsize=7)
    axes.set_yscale("log")
    axes.set_xlabel("mean spikes per input")
    axes.set_ylabel("MSE")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    save_figure(figure, path)
    plt.close(figure)
