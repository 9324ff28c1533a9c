"""Spike codes: how an activation travels in spikes.

One module per code: :mod:`~neurosim.coding.fs` (few spikes, Stöckl & Maass 2021),
:mod:`~neurosim.coding.rate` (integrate-and-fire rate code) and
:mod:`~neurosim.coding.ttfs` (time to first spike). :func:`make_code` builds one by name.
"""

from __future__ import annotations

from typing import Any

from neurosim.coding.base import SpikeCode
from neurosim.errors import NeurosimError

CODES = ("fs", "rate", "ttfs")


def make_code(name: str, **options: Any) -> SpikeCode:
    """The code called ``name`` with the given options (``None`` values mean the default).

    ``fs``: ``K``, ``alpha``, ``alpha_percentile``, ``sequences``;
    ``rate``: ``T``, ``percentile``, ``input`` (``current``/``poisson``), ``seed``;
    ``ttfs``: ``T``, ``percentile``.
    """
    options = {k: v for k, v in options.items() if v is not None}
    if name == "fs":
        from neurosim.coding.fs import FS
        cls: type = FS
    elif name == "rate":
        from neurosim.coding.rate import Rate
        cls = Rate
    elif name == "ttfs":
        from neurosim.coding.ttfs import TTFS
        cls = TTFS
    else:
        raise NeurosimError(f"unknown spike code {name!r}", fix=f"use one of: {', '.join(CODES)}")
    accepted = set(cls.__dataclass_fields__)
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise NeurosimError(f"the {name} code has no option {', '.join(unknown)}",
                            fix=f"its options are: {', '.join(sorted(accepted))}")
    return cls(**options)  # type: ignore[no-any-return]
