"""``neurosim compare``: FS vs rate vs TTFS on a chip, with a report and plots (the main job)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from neurosim import options
from neurosim.choose_k import K_TOLERANCE_PP, parse_K
from neurosim.coding import REGISTRY, make_code
from neurosim.coding.base import SpikeCode
from neurosim.coding.fs import K_AUTO
from neurosim.commands import add_dataset_option
from neurosim.commands.convert import parse_int_list
from neurosim.compare import (
    DEFAULT_IMAGES,
    DEFAULT_RATE_T,
    compare,
    format_table,
    write_report,
)
from neurosim.errors import NeurosimError
from neurosim.fileio import record_run
from neurosim.hardware import load_hardware
from neurosim.workload import load_workload


class ProgressBar:
    """One line on stderr that redraws itself (or plain lines when stderr is not a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.quiet:
            return
        width = 24
        filled = int(width * done / max(total, 1))
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what:<32} "
                f"{time.perf_counter() - self.started:6.1f} s")
        if self.tty:
            end = "\n" if done == total else ""
            print(f"\r{line}", end=end, file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare", help="FS vs rate vs TTFS on a chip: accuracy, energy, latency, cores (main job)",
        description="Convert one model with each spike code, compile it onto one chip, simulate "
                    "it, and print one table (accuracy, spikes, synaptic events, energy per "
                    "inference with its breakdown, latency, throughput, EDP, cores) with the FS/"
                    "rate ratios at iso-accuracy; write summary.json, CSV tables, plots and "
                    "report.md into --out.")
    parser.add_argument("--model", default="digits-cnn", help="zoo name or .npz (default digits-cnn)")
    add_dataset_option(parser, "the one the model file names, else digits")
    parser.add_argument("--hw", default="loihi", help="hardware model name or YAML (default loihi)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a hardware value, e.g. --set core.neurons=256 (repeatable)")
    parser.add_argument("--codes", default="fs,rate,ttfs", help="codes to compare (default fs,rate,ttfs)")
    parser.add_argument("--rate-T", default=",".join(map(str, DEFAULT_RATE_T)),
                        help="rate code steps per image, one row each (default 16,32,64,128,256)")
    parser.add_argument("--K", type=parse_K, default=K_AUTO,
                        help="FS steps per window, or 'auto' (default): the smallest K within "
                             f"{K_TOLERANCE_PP} pp of the ANN on held-out training images")
    parser.add_argument("--ttfs-T", type=options.whole(1, options.MAX_T), default=None,
                        help="TTFS steps per layer (default 32)")
    parser.add_argument("--placer", choices=("baseline", "optimised"), default="optimised")
    parser.add_argument("--images", type=options.whole(1, options.MAX_IMAGES), default=DEFAULT_IMAGES,
                        help=f"test images streamed through the event engine (default {DEFAULT_IMAGES})")
    parser.add_argument("--accuracy-images", type=options.whole(1, options.MAX_IMAGES), default=None,
                        help="test images for accuracy (default: the whole test split)")
    parser.add_argument("--out", default="neurosim-compare", help="output directory (default ./neurosim-compare)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    codes = list(dict.fromkeys(c.strip() for c in args.codes.split(",") if c.strip()))
    unknown = [c for c in codes if c not in REGISTRY]
    if unknown or not codes:
        raise NeurosimError(f"--codes {args.codes!r} names no code or an unknown one {unknown}",
                            fix=f"choose from {', '.join(REGISTRY)}")
    rate_T = list(dict.fromkeys(parse_int_list(args.rate_T, "--rate-T"))) if "rate" in codes else []
    if args.images < 1:
        raise NeurosimError(f"--images {args.images} is not positive", fix="use --images 1 or more")
    # The flags of the three headline codes; any other registered code runs its defaults.
    given = {"fs": [{"K": args.K}], "rate": [{"T": t} for t in rate_T], "ttfs": [{"T": args.ttfs_T}]}
    rows: list[SpikeCode] = [make_code(name, **options)
                             for name in codes for options in given.get(name, [{}])]
    comparison = compare(
        load_workload(args.model, args.dataset), rows, load_hardware(args.hw, args.overrides),
        images=args.images, placer=args.placer, accuracy_images=args.accuracy_images,
        progress=ProgressBar(args.quiet or args.json))
    with record_run(args.out, "compare"):  # a rerun removes its earlier per-code CSVs
        files = write_report(comparison, args.out)
    if args.json:
        print(Path(files["summary"]).read_text(), end="")
        return 0
    print(format_table(comparison))
    if not args.quiet:
        print(f"\nwrote {args.out}/: report.md, summary.json, comparison.csv, per-core and "
              f"per-layer CSVs, {sum(1 for p in files.values() if str(p).endswith('.png'))} plots "
              f"({comparison.seconds:.0f} s)")
    return 0
