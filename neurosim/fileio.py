"""Reading a user's file safely and writing every output atomically.

Reading: :func:`read_regular_file` refuses anything that is not a regular file (a FIFO,
``/dev/zero`` or a directory would hang or exhaust memory) and anything larger than a cap,
before reading a byte. Writing: :func:`atomic_write` writes to a temporary name in the
target's directory and renames it into place, so a full disk, a missing permission or a
kill leaves the old file (or none), never a truncated one; such an error is one
:class:`~neurosim.errors.NeurosimError` line naming the path. :class:`RunManifest` records
what a run directory holds so a rerun can remove its own stale artefacts.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from neurosim.errors import NeurosimError

MiB = 1 << 20
TEXT_FILE_CAP = 64 * MiB
"""Largest YAML or text input read: far above any real hardware, mapping or sweep file."""
NPZ_FILE_CAP = 8 << 30
"""Largest .npz read (the arrays inside are bounded separately, by the memory available)."""


def check_regular_file(path: str | Path, *, what: str, fix: str, cap: int) -> int:
    """The size of ``path`` after checking it is a regular file of at most ``cap`` bytes."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise NeurosimError(f"no such {what}", where=str(path), fix=fix) from None
    except OSError as exc:
        raise NeurosimError(f"cannot read the {what} ({exc.strerror or exc})", where=str(path),
                            fix="check the path and its permissions") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise NeurosimError(f"the {what} is {kind} (a device, FIFO or socket cannot be read)",
                            where=str(path), fix=fix)
    if info.st_size > cap:
        raise NeurosimError(f"the {what} is {info.st_size / MiB:.1f} MiB, more than the "
                            f"{cap / MiB:.0f} MiB neurosim reads", where=str(path), fix=fix)
    return info.st_size


def read_regular_file(path: str | Path, *, what: str, fix: str, cap: int = TEXT_FILE_CAP) -> bytes:
    """The bytes of ``path``, a regular file of at most ``cap`` bytes (else one-line error)."""
    check_regular_file(path, what=what, fix=fix, cap=cap)
    try:
        with open(path, "rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        raise NeurosimError(f"cannot read the {what} ({exc.strerror or exc})", where=str(path),
                            fix="check the path and its permissions") from None
    if len(data) > cap:  # grew while being read
        raise NeurosimError(f"the {what} is larger than {cap / MiB:.0f} MiB", where=str(path),
                            fix=fix)
    return data


def decode_utf8(data: bytes, where: str, what: str) -> str:
    """``data`` as text; a file that is not UTF-8 is the user's mistake, said in one line.

    A file starting with a UTF-16 or UTF-32 byte-order mark is decoded by it, as YAML allows.
    """
    encoding = "utf-8-sig"
    for bom, name in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                      (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            encoding = name
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise NeurosimError(f"the {what} is not {encoding.upper().removesuffix('-SIG')} text "
                            f"(byte {exc.start})", where=where,
                            fix="save it as UTF-8") from None


def write_error(path: str | Path, exc: OSError) -> NeurosimError:
    """The one-line error for an output that could not be written."""
    reason = exc.strerror or exc.__class__.__name__
    return NeurosimError(f"cannot write the file ({reason})", where=str(path),
                         fix="check free space, the directory and its permissions")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, newline: str | None = None
                 ) -> Iterator[IO[Any]]:
    """A file handle whose content appears at ``path`` only once it is complete.

    The data go to a temporary file beside ``path`` (same file system, so the final
    ``os.replace`` is atomic); any failure removes it and leaves ``path`` as it was.
    ``mode`` is ``"w"`` (UTF-8 text) or ``"wb"``.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        if mode == "w":
            handle: IO[Any] = os.fdopen(fd, "w", encoding="utf-8", newline=newline)
        else:
            handle = os.fdopen(fd, "wb")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            # mkstemp makes the file private; an output gets the usual permissions.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
        temporary = None
        for manifest in _ACTIVE.get():
            manifest.add(path)
    except OSError as exc:
        raise write_error(path, exc) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return Path(path)


MANIFEST_NAME = "manifest.json"


_ACTIVE: contextvars.ContextVar[tuple[RunManifest, ...]] = contextvars.ContextVar(
    "neurosim_run_manifests", default=())


class RunManifest:
    """What a command wrote into its output directory, kept in ``manifest.json``.

    A rerun into the same directory calls :meth:`finish` with the files it wrote this
    time; files the earlier manifest listed and this run did not write are removed, so no
    stale artefact of the earlier run sits beside the new ones. Files neurosim did not
    list are never touched.
    """

    def __init__(self, directory: str | Path, command: str) -> None:
        self.directory = Path(directory)
        self.command = command
        self.written: list[str] = []
        self.previous = self._read_previous()

    def _read_previous(self) -> list[str]:
        path = self.directory / MANIFEST_NAME
        try:
            data = json.loads(path.read_text("utf-8"))
            files = data.get("files", []) if isinstance(data, dict) else []
        except (OSError, ValueError, UnicodeDecodeError):
            return []
        return [f for f in files if isinstance(f, str) and "/" not in f and f not in ("", ".", "..")]

    def add(self, path: str | Path) -> Path:
        """Record ``path`` as written by this run, if it lies directly in the directory."""
        path = Path(path)
        if path.parent.resolve() == self.directory.resolve() and path.name != MANIFEST_NAME:
            if path.name not in self.written:
                self.written.append(path.name)
        return path

    def finish(self) -> Path:
        """Remove the earlier run's files this run did not write, and write the manifest."""
        for name in self.previous:
            if name not in self.written and name != MANIFEST_NAME:
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    (self.directory / name).unlink()
        return write_text(self.directory / MANIFEST_NAME, json.dumps(
            {"command": self.command, "files": sorted(self.written)}, indent=2) + "\n")


def save_figure(figure: Any, path: str | Path, dpi: int = 120) -> Path:
    """Save a matplotlib ``figure`` to ``path`` atomically (format from the suffix, else PNG)."""
    path = Path(path)
    with atomic_write(path, "wb") as fh:
        figure.savefig(fh, format=path.suffix.lstrip(".").lower() or "png", dpi=dpi)
    return path


@contextlib.contextmanager
def record_run(directory: str | Path, command: str) -> Iterator[RunManifest]:
    """Record every file :func:`atomic_write` puts directly into ``directory`` during the
    block; when the block succeeds, remove what the earlier run there wrote and this one
    did not, and write ``manifest.json``. A failed run changes neither."""
    manifest = RunManifest(directory, command)
    token = _ACTIVE.set((*_ACTIVE.get(), manifest))
    try:
        yield manifest
    finally:
        _ACTIVE.reset(token)
    manifest.finish()
