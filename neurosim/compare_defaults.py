"""What ``neurosim compare`` runs when the user names nothing: the same knobs for every model,
with values a model may carry.

The defaults of the main job (32 engine images, rate rows T = 16 … 256 each through the
engine, FS K chosen automatically, accuracy on the whole test split, the optimising
placer) suit the zoo's small models, where the whole comparison takes a minute. On a
network with millions of neurons the same choices take hours: the event engine needs
tens of seconds per image, a rate row at T = 256 some minutes of functional simulation
per image, and K auto needs held-out training images a synthetic data set does not have.
So a model may carry its own values, in its metadata under :data:`METADATA_KEY` (a
mapping of :class:`CompareDefaults` field names to values, with a ``reason``). The
synthetic scale zoo sets them for its 224×224 ResNets (:mod:`neurosim.ann.zoo.synthetic`);
a model file can carry them the same way. Every flag the user gives wins over them, and
``compare`` prints the values it took from the model, with the reason.

There is one mechanism for every model: :func:`compare_defaults` reads the model's
mapping over :data:`BASE`; a model without one gets :data:`BASE`, which is today's main
job, so the zoo models' comparisons do not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from neurosim.errors import NeurosimError

METADATA_KEY = "compare_defaults"
"""The key of a model's metadata under which its compare defaults are kept."""

RATE_T_AUTO = "auto"
DEFAULT_RATE_T = (16, 32, 64, 128, 256)
DEFAULT_IMAGES = 32
BOARDS = ("as given", "fit")


@dataclass(frozen=True)
class CompareDefaults:
    """The values ``compare`` uses for what the user leaves out.

    ``rate_T`` is a tuple of windows (one rate row each) or ``"auto"``: one row at the T
    :mod:`neurosim.choose_t` picks from ``rate_T_ladder``. ``rate_images`` is the number of
    engine images for rate rows (``None``: the same as ``images``); ``accuracy_images``
    ``None`` means the whole test split. ``board`` is ``"as given"`` (a network too big for
    the board is an error that says what it needs) or ``"fit"`` (it runs on the same chip
    on a board grown to hold it, :func:`neurosim.compiler.board_that_fits`).
    ``rate_percentile`` is the rate rows' normalisation percentile (``None``: the rate
    code's own, 99.9); on a deep network the clipping at 99.9 alone keeps rate from FS's
    fidelity at any T. ``placement_images`` is the number of training images whose spikes
    tell the placer where traffic flows (``None``: :data:`neurosim.pipeline.PLACEMENT_IMAGES`).
    """

    codes: tuple[str, ...] = ("fs", "rate", "ttfs")
    images: int = DEFAULT_IMAGES
    rate_images: int | None = None
    accuracy_images: int | None = None
    K: int | str = "auto"
    rate_T: tuple[int, ...] | str = DEFAULT_RATE_T
    rate_T_ladder: tuple[int, ...] = DEFAULT_RATE_T
    placer: str = "optimised"
    board: str = "as given"
    rate_percentile: float | None = None
    placement_images: int | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        for name in ("images", "rate_images", "accuracy_images", "placement_images"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise NeurosimError(f"compare default {name} = {value!r} is not a positive whole "
                                    "number", where=METADATA_KEY)
        if isinstance(self.rate_T, str) and self.rate_T != RATE_T_AUTO:
            raise NeurosimError(f"compare default rate_T = {self.rate_T!r} is neither a list of "
                                f"windows nor {RATE_T_AUTO!r}", where=METADATA_KEY)
        if not self.rate_T_ladder or any(int(t) < 1 for t in self.rate_T_ladder):
            raise NeurosimError(f"compare default rate_T_ladder = {self.rate_T_ladder!r} is not "
                                "a list of positive windows", where=METADATA_KEY)
        if self.rate_percentile is not None and not (
                isinstance(self.rate_percentile, (int, float)) and 0 < self.rate_percentile <= 100):
            raise NeurosimError(f"compare default rate_percentile = {self.rate_percentile!r} is "
                                "outside (0, 100]", where=METADATA_KEY,
                                fix="use a high percentile such as 99.9 or 99.99")
        if self.board not in BOARDS:
            raise NeurosimError(f"compare default board = {self.board!r} is unknown",
                                where=METADATA_KEY, fix=f"use {' or '.join(BOARDS)}")
        if self.placer not in ("baseline", "optimised"):
            raise NeurosimError(f"compare default placer = {self.placer!r} is unknown",
                                where=METADATA_KEY, fix="use baseline or optimised")

    def changed(self) -> dict[str, Any]:
        """The fields that differ from :data:`BASE` (what a model chose), ``reason`` left out."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "reason" and getattr(self, f.name) != getattr(BASE, f.name)}

    def describe(self) -> str:
        """One line: the values that differ from the main job's, as flags, and why."""
        changed = self.changed()
        if not changed:
            return ""
        flags = " ".join(f"--{name.replace('_', '-')} {_flag_value(value)}"
                         for name, value in changed.items())
        return f"{flags}{f' ({self.reason})' if self.reason else ''}"


def _flag_value(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


BASE = CompareDefaults()
"""The main job's defaults: what a model without its own values gets."""


def from_mapping(values: Mapping[str, Any] | None) -> CompareDefaults:
    """:data:`BASE` with the fields of ``values`` (a model's metadata entry) replaced."""
    if not values:
        return BASE
    known = {f.name for f in fields(CompareDefaults)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise NeurosimError(f"unknown compare defaults {unknown}", where=METADATA_KEY,
                            fix=f"use only {', '.join(sorted(known))}")
    cleaned = {k: (tuple(int(t) for t in v) if k in ("rate_T", "rate_T_ladder")
                   and not isinstance(v, str) else tuple(v) if k == "codes" else v)
               for k, v in values.items()}
    return replace(BASE, **cleaned)


def compare_defaults(metadata: Mapping[str, Any]) -> CompareDefaults:
    """The compare defaults a model's ``metadata`` carries (:data:`BASE` if none)."""
    return from_mapping(metadata.get(METADATA_KEY))
