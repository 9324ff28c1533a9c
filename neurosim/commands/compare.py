"""``neurosim compare``: FS vs rate vs TTFS on a chip, with a report and plots (the main job)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from neurosim import options
from neurosim.choose_k import K_TOLERANCE_PP, parse_K
from neurosim.choose_t import RateAuto
from neurosim.coding import REGISTRY, make_code
from neurosim.coding.base import SpikeCode
from neurosim.commands import add_dataset_option
from neurosim.commands.convert import parse_int_list
from neurosim.compare import compare, format_table, rate_options_of, write_report
from neurosim.compare_defaults import BASE, BOARDS, RATE_T_AUTO, CompareDefaults
from neurosim.errors import NeurosimError
from neurosim.fileio import record_run
from neurosim.hardware import load_hardware
from neurosim.pipeline import PLACEMENT_IMAGES
from neurosim.workload import load_workload


class ProgressBar:
    """One line on stderr that redraws itself (or plain lines when stderr is not a terminal),
    with the wall time and the process's CPU time (all threads) since the start: on a shared
    machine the two differ, and a stage's cost is the CPU time."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()
        self.cpu_started = time.process_time()
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.quiet:
            return
        width = 24
        filled = int(width * done / max(total, 1))
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {what:<32} "
                f"{time.perf_counter() - self.started:6.1f} s, CPU "
                f"{time.process_time() - self.cpu_started:6.1f} s")
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
    parser.add_argument("--codes", default=None,
                        help="codes to compare (default fs,rate,ttfs, or the model's own)")
    parser.add_argument("--rate-T", default=None,
                        help="rate code steps per image, one row each (default 16,32,64,128,256), "
                             "or 'auto': one row at the smallest T of --rate-T-ladder whose "
                             "top-1 agreement with the ANN reaches FS's, from one functional "
                             "anytime run (neurosim.choose_t)")
    parser.add_argument("--rate-T-ladder", default=None,
                        help="the T tried by --rate-T auto (default 16,32,64,128,256)")
    parser.add_argument("--rate-percentile", type=options.number(0, 100, low_open=True),
                        default=None,
                        help="percentile of each layer's activations that sets the rate "
                             "code's scale (default 99.9, or the model's own)")
    parser.add_argument("--K", type=parse_K, default=None,
                        help="FS steps per window, or 'auto' (default): the smallest K within "
                             f"{K_TOLERANCE_PP} pp of the ANN on held-out training images")
    parser.add_argument("--ttfs-T", type=options.whole(1, options.MAX_T), default=None,
                        help="TTFS steps per layer (default 32)")
    parser.add_argument("--placer", choices=("baseline", "optimised"), default=None,
                        help="default optimised, or the model's own")
    parser.add_argument("--board", choices=BOARDS, default=None,
                        help="'as given' (default: a network too big for the board is an "
                             "error) or 'fit': the same chip on a board grown to hold it")
    parser.add_argument("--images", type=options.whole(1, options.MAX_IMAGES), default=None,
                        help=f"test images streamed through the event engine (default "
                             f"{BASE.images}, or the model's own)")
    parser.add_argument("--rate-images", type=options.whole(1, options.MAX_IMAGES), default=None,
                        help="engine images of the rate rows (default: as --images, or the "
                             "model's own)")
    parser.add_argument("--accuracy-images", type=options.whole(1, options.MAX_IMAGES), default=None,
                        help="test images for accuracy (default: the whole test split, or the "
                             "model's own)")
    parser.add_argument("--placement-images", type=options.whole(1, options.MAX_IMAGES),
                        default=None,
                        help="training images whose spikes tell the placer where traffic "
                             f"flows (default {PLACEMENT_IMAGES}, or the model's own)")
    parser.add_argument("--out", default="neurosim-compare", help="output directory (default ./neurosim-compare)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--json", action="store_true", help="print summary.json to stdout instead of the table")
    parser.set_defaults(run=run)


def _rate_T(text: str | None, defaults: CompareDefaults) -> tuple[int, ...] | str:
    if text is None:
        return defaults.rate_T
    if text.strip().lower() == RATE_T_AUTO:
        return RATE_T_AUTO
    return tuple(dict.fromkeys(parse_int_list(text, "--rate-T")))


def rows_of(args: argparse.Namespace, defaults: CompareDefaults
            ) -> tuple[list[SpikeCode | RateAuto], dict[str, object]]:
    """The comparison's rows from the flags, the model's compare defaults filling in what is
    not given; and those defaults taken (differing from the main job's), by field."""
    taken: dict[str, object] = {}

    def pick(name: str, given: object) -> object:
        if given is not None:
            return given
        value = getattr(defaults, name)
        if value != getattr(BASE, name):
            taken[name] = value
        return value

    text = args.codes if args.codes is not None else None
    codes = (list(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
             if text is not None else list(pick("codes", None)))  # type: ignore[call-overload]
    unknown = [c for c in codes if c not in REGISTRY]
    if unknown or not codes:
        raise NeurosimError(f"--codes {args.codes!r} names no code or an unknown one {unknown}",
                            fix=f"choose from {', '.join(REGISTRY)}")
    percentile = pick("rate_percentile", args.rate_percentile)
    rate_options = rate_options_of(percentile)  # type: ignore[arg-type]
    rows: list[SpikeCode | RateAuto] = []
    for name in codes:
        if name == "fs":
            rows.append(make_code("fs", K=pick("K", args.K)))
        elif name == "rate":
            rate_T = _rate_T(args.rate_T, defaults)
            if args.rate_T is None and rate_T != BASE.rate_T:
                taken["rate_T"] = rate_T
            if rate_T == RATE_T_AUTO:
                ladder = (tuple(dict.fromkeys(parse_int_list(args.rate_T_ladder,
                                                             "--rate-T-ladder")))
                          if args.rate_T_ladder is not None else pick("rate_T_ladder", None))
                rows.append(RateAuto(ladder=ladder,  # type: ignore[arg-type]
                                     rate_options=rate_options))
            else:
                rows += [make_code("rate", T=t, **rate_options) for t in rate_T]
        elif name == "ttfs":
            rows.append(make_code("ttfs", T=args.ttfs_T))
        else:  # any other registered code runs its defaults
            rows.append(make_code(name))
    if args.rate_T_ladder is not None and not any(isinstance(r, RateAuto) for r in rows):
        raise NeurosimError("--rate-T-ladder is the ladder of --rate-T auto, which this "
                            "comparison does not run", fix="add --rate-T auto, or drop the ladder")
    if args.rate_percentile is not None and "rate" not in codes:
        raise NeurosimError("--rate-percentile sets the rate rows' scale, and this comparison "
                            "has no rate row", fix="add rate to --codes, or drop the percentile")
    return rows, taken


def run(args: argparse.Namespace) -> int:
    workload = load_workload(args.model, args.dataset)
    rows, taken = rows_of(args, workload.compare_defaults)
    comparison = compare(
        workload, rows, load_hardware(args.hw, args.overrides),
        images=args.images, placer=args.placer, accuracy_images=args.accuracy_images,
        rate_images=args.rate_images, board=args.board,
        placement_images=args.placement_images,
        progress=ProgressBar(args.quiet or args.json))
    comparison.defaults_used = {**taken, **comparison.defaults_used}
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
