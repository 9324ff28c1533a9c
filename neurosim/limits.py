"""Resource bounds: refuse a request before allocating what the machine does not have.

A declared size (a mesh, a layer, an array in a file, a sweep grid, a number of images)
is turned into an estimate of the bytes it needs; :func:`require_memory` compares it with
the memory available now and refuses in one line, giving both figures, when it cannot fit.
"""

from __future__ import annotations

import os

from neurosim.errors import NeurosimError

GiB = 1 << 30


def available_memory() -> int:
    """Bytes of memory available to a new allocation now (MemAvailable on Linux)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 * GiB


def format_bytes(n: float) -> str:
    """``n`` bytes in the largest binary unit that keeps it at or above 1."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} EiB"  # pragma: no cover - unreachable


def require_memory(needed: float, what: str, *, where: str | None = None,
                   fix: str = "make it smaller") -> None:
    """Refuse ``what`` when its estimated ``needed`` bytes exceed the memory available."""
    available = available_memory()
    if needed > available:
        raise NeurosimError(f"{what} needs about {format_bytes(needed)} of memory, "
                            f"this machine has {format_bytes(available)} available",
                            where=where, fix=fix)
