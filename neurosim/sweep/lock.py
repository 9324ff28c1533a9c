"""One sweep per output directory at a time.

Two sweeps appending to one ``sweep.csv`` would duplicate, lose or interleave rows, so a
sweep holds an exclusive ``flock`` on ``DIR/.sweep.lock`` while it runs. A second sweep
into the directory *refuses* in one line, naming the holder's pid, rather than waiting:
a wait could block silently for hours, and once the first sweep ends a rerun resumes with
exactly the points still missing, so nothing is lost by refusing. The kernel drops the
lock when the holder dies, even by SIGKILL, so a killed sweep never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from neurosim.errors import NeurosimError

LOCK_NAME = ".sweep.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


@contextlib.contextmanager
def sweep_lock(directory: str | Path) -> Iterator[Path]:
    """Hold the directory's sweep lock for the duration of the block."""
    directory = Path(directory)
    path = directory / LOCK_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise NeurosimError(f"cannot create the sweep lock ({exc.strerror or exc})",
                            where=str(path), fix="check the --out directory and its permissions"
                            ) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                raise NeurosimError(
                    f"another sweep (pid {holder}) is writing into this directory",
                    where=str(directory),
                    fix="wait for it to finish and rerun (only missing points run), "
                        "or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the flock
