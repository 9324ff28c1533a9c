"""``neurosim hw``: list, show, validate and import hardware descriptions.

neurosim hw list
neurosim hw show loihi --set core.neurons=2048 --notes
neurosim hw validate my_chip.yaml
neurosim hw import-sanafe arch/loihi.yaml --out loihi_sanafe.yaml
"""

from __future__ import annotations

import argparse

from neurosim.hardware import list_hardware, load_hardware, parse_override
from neurosim.hardware.schema import KEYS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    keys = ", ".join(k.path for k in KEYS if "." in k.path)
    parser = subparsers.add_parser(
        "hw",
        help="list, show, validate and import hardware descriptions",
        description="Hardware descriptions: shipped models (by name) or YAML files (by path).",
        epilog=f"Keys for --set: {keys}",
    )
    parser.set_defaults(run=lambda args: parser.print_help() or 0)
    actions = parser.add_subparsers(dest="hw_command", metavar="ACTION")

    listing = actions.add_parser("list", help="the shipped hardware models")
    listing.set_defaults(run=run_list)

    show = actions.add_parser("show", help="a model as a table with units and sources")
    show.add_argument("hardware", metavar="NAME|FILE", help="a shipped name or a YAML file")
    _add_set(show)
    show.add_argument("--notes", action="store_true", help="also print each value's note")
    show.set_defaults(run=run_show)

    validate = actions.add_parser("validate", help="check a hardware file (exit 2 if bad)")
    validate.add_argument("hardware", metavar="FILE", help="a YAML file (or a shipped name)")
    _add_set(validate)
    validate.set_defaults(run=run_validate)

    sanafe = actions.add_parser(
        "import-sanafe", help="convert a SANA-FE architecture file into a neurosim file"
    )
    sanafe.add_argument("file", metavar="FILE", help="a SANA-FE architecture YAML file")
    sanafe.add_argument("--out", required=True, metavar="FILE", help="the neurosim file to write")
    sanafe.add_argument(
        "--evidence",
        default="U",
        choices=["M", "S", "V", "D", "C", "2nd", "U", "A"],
        help="evidence code for the imported values (default U: unverified)",
    )
    sanafe.set_defaults(run=run_import_sanafe)


def _add_set(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a value, e.g. --set core.neurons=2048 --set costs.energy_synop='30 pJ'",
    )


def run_list(args: argparse.Namespace) -> int:
    rows = []
    for name in list_hardware():
        hw = load_hardware(name)
        rows.append((name, str(hw.total_cores), hw.description, hw.file))
    header = ("name", "cores", "description", "file")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    return 0


def _overrides(args: argparse.Namespace) -> list[str]:
    for item in args.overrides:
        parse_override(item)  # fail early, naming the --set
    return list(args.overrides)


def run_show(args: argparse.Namespace) -> int:
    from neurosim.hardware.show import format_hardware

    print(format_hardware(load_hardware(args.hardware, _overrides(args)), notes=args.notes))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    hw = load_hardware(args.hardware, _overrides(args))
    chip = hw.chip
    print(
        f"ok: {hw.file}: {hw.name}, {hw.total_chips} chips × {chip.cores} cores "
        f"({chip.mesh_x}×{chip.mesh_y} tiles × {chip.cores_per_tile}), sync {chip.sync.mode}"
    )
    return 0


def run_import_sanafe(args: argparse.Namespace) -> int:
    from neurosim.hardware.sanafe import import_sanafe_file

    result = import_sanafe_file(args.file, args.out, evidence=args.evidence)
    hw = result.hardware
    print(f"wrote {args.out}: {hw.name}, {hw.chip.tiles} tiles × {hw.chip.cores_per_tile} cores")
    print(f"mapped {len(result.mapped)} values; filled {len(result.assumed)} with assumptions:")
    for path in result.assumed:
        print(f"  {path}")
    if result.unmapped:
        print("not mapped:")
        for item in result.unmapped:
            print(f"  {item}")
    return 0
