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
from typing import NoReturn

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
    "import_net",
    "export",
)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit 2), as every other
    user mistake is; ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        self.exit(EXIT_USER_ERROR, f"neurosim: error: {message}. See: {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or an option error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USER_ERROR
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a reader that left shows here, inside the handlers below
        return code
    except BrokenPipeError:
        # The reader went away (e.g. `neurosim hw show loihi | head`): stop quietly, and
        # point stdout at /dev/null so the interpreter's final flush cannot fail again.
        _silence_stdout()
        return 0
    except NeurosimError as exc:
        print(f"neurosim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:
        # A path that cannot be read or written (a missing directory, no permission, a
        # full disk): the user's to fix, so one line.
        where = f"{exc.filename}: " if exc.filename is not None else ""
        print(f"neurosim: error: {where}{exc.strerror or exc}. "
              "Check the path, free space and permissions", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("neurosim: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout already closed or not a real file
        pass


if __name__ == "__main__":
    sys.exit(main())
