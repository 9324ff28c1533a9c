"""One sweep per output directory at a time.

Two sweeps appending to one ``sweep.csv`` would duplicate, lose or interleave rows, so a
sweep holds an exclusive ``flock`` on ``DIR/.sweep.lock`` while it runs. A second sweep
into the directory *refuses* in one line, naming the holder's pid, rather than waiting:
a wait could block silently for hours, and once the first sweep ends a rerun resumes with
exactly the points still missing, so nothing is lost by refusing. The kernel drops the
lock when the holder dies, even by SIGKILL, so a killed sweep never leaves a stale lock.
A forked child (a pool worker) closes its copy of the lock's descriptor at once: a flock
belongs to the open file, so a worker outliving its sweep would otherwise keep it held.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from neurosim.errors import NeurosimError

LOCK_NAME = ".sweep.lock"
_held: set[int] = set()  # descriptors of the locks this process holds


def _close_held_in_child() -> None:
    for fd in _held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


os.register_at_fork(after_in_child=_close_held_in_child)

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
        _held.add(fd)
        yield path
    finally:
        _held.discard(fd)
        os.close(fd)  # releases the flock
