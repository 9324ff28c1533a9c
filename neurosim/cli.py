"""The ``neurosim`` command line.

Each subcommand lives in its own module under :mod:`neurosim.commands` and offers two
functions: ``add_parser(subparsers)`` and ``run(args) -> int``. This file only wires them
together and turns a :class:`~neurosim.errors.NeurosimError` into one line on stderr and
exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from neurosim.errors import EXIT_USER_ERROR, NeurosimError
from neurosim.version import __version__

# Module names under neurosim.commands, in the order --help lists them.
COMMANDS = (
    "compare",
    "model",
    "convert",
    "fit_fs",
    "hw",
    "compile",
    "simulate",
    "sweep",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neurosim",
        description=(
            "What a trained network costs on a neuromorphic chip: convert an ANN to a "
            "spiking network (few-spikes, rate or TTFS code), map it onto a described chip "
            "and simulate the spike packets, reporting accuracy, energy, latency and cores."
        ),
    )
    parser.add_argument("--version", action="version", version=f"neurosim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"neurosim.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except NeurosimError as exc:
        print(f"neurosim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:
        if exc.filename is None or isinstance(exc, BrokenPipeError):
            raise
        # A path the user gave that cannot be read or written (a missing directory, no
        # permission, a full disk): the user's to fix, so one line.
        print(f"neurosim: error: {exc.filename}: {exc.strerror or exc}. "
              "Check the path and its permissions", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("neurosim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `neurosim hw show loihi | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
