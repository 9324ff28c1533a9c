"""Spike codes: how an activation travels in spikes.

One module per code: :mod:`~neurosim.coding.fs` (few spikes, Stöckl & Maass 2021),
:mod:`~neurosim.coding.rate` (integrate-and-fire rate code) and
:mod:`~neurosim.coding.ttfs` (time to first spike). Each module declares its
:class:`~neurosim.coding.base.CodeInfo` (options, label, colour, properties) and
:data:`REGISTRY` lists them: the command line, sweep files, comparisons and plots read
it, so a new code is its own module plus one line here (or a :func:`register` call).
"""

from __future__ import annotations

from typing import Any

from neurosim.coding import fs, rate, ttfs
from neurosim.coding.base import CodeInfo, SpikeCode
from neurosim.errors import NeurosimError

REGISTRY: dict[str, CodeInfo] = {info.name: info for info in (fs.INFO, rate.INFO, ttfs.INFO)}
"""Every known spike code by name, in the order tables list them."""


def register(info: CodeInfo) -> None:
    """Make a spike code known to every command, sweep, comparison and plot."""
    if info.code.name != info.name:
        raise NeurosimError(f"code class {info.code.__name__} is named {info.code.name!r}, its "
                            f"entry {info.name!r}", where="spike-code registry",
                            fix="give the class and its CodeInfo the same name")
    REGISTRY[info.name] = info


def code_names() -> tuple[str, ...]:
    """The names of the registered codes."""
    return tuple(REGISTRY)


def code_info(name: str) -> CodeInfo | None:
    """The registry entry of ``name``, or None for a code neurosim does not know."""
    return REGISTRY.get(name)


def make_code(name: str, **options: Any) -> SpikeCode:
    """The code called ``name`` with the given options (``None`` values mean the default).

    The options of a code are its dataclass fields (``REGISTRY[name].options``), e.g.
    ``fs``: ``K``, ``alpha``, ``alpha_percentile``, ``sequences``; ``rate``: ``T``,
    ``percentile``, ``input`` (``current``/``poisson``), ``seed``; ``ttfs``: ``T``,
    ``percentile``.
    """
    info = REGISTRY.get(name)
    if info is None:
        raise NeurosimError(f"unknown spike code {name!r}",
                            fix=f"use one of: {', '.join(REGISTRY)}")
    options = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(options) - set(info.options))
    if unknown:
        raise NeurosimError(f"the {name} code has no option {', '.join(unknown)}",
                            fix=f"its options are: {', '.join(sorted(info.options))}")
    return info.code(**options)
