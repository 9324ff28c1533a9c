"""Reading the arrays of a user's ``.npz`` file, bounded before anything is allocated.

:func:`read_npz` checks the file is a regular file, reads each array's header first
(dtype and shape, without the data), refuses object arrays and a total the machine's
memory cannot hold, and only then reads the arrays. Whatever a damaged file makes
zipfile, zlib or numpy raise becomes one :class:`~neurosim.errors.NeurosimError` line.
Pickles are never loaded.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from neurosim.errors import NeurosimError
from neurosim.fileio import NPZ_FILE_CAP, check_regular_file
from neurosim.limits import require_memory

MAX_ARRAYS = 100_000
"""More members than any model or network has; a zip of millions of entries is refused."""


def _header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(name) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    return tuple(int(n) for n in shape), np.dtype(dtype)


def _detail(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {' '.join(str(exc).split())[:120]}".rstrip(": ")


def read_npz(path: str | Path, *, what: str, fix: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, by key, after bounding their size."""
    path = Path(path)
    where = str(path)
    check_regular_file(path, what=what, fix=fix, cap=NPZ_FILE_CAP)
    damaged = "the file is corrupt or truncated; write it again"
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            if len(names) > MAX_ARRAYS:
                raise NeurosimError(f"the file holds {len(names)} entries", where=where, fix=fix)
            total = 0
            for name in names:
                if not name.endswith(".npy"):
                    raise NeurosimError(f"entry {name!r} is not a numpy array (.npy)",
                                        where=where, fix=fix)
                shape, dtype = _header(archive, name)
                if dtype.hasobject:
                    raise NeurosimError(f"array {name[:-4]!r} holds Python objects "
                                        f"(dtype {dtype}), which neurosim never loads",
                                        where=where, fix=fix)
                total += math.prod(shape) * dtype.itemsize
            require_memory(total, f"the arrays of this {what}", where=where,
                           fix="the file declares arrays larger than any real one; write it again")
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except NeurosimError:
        raise
    # A damaged file fails inside zipfile (BadZipFile, NotImplementedError for an unknown
    # compression method, RuntimeError for an encryption flag), zlib, struct or numpy:
    # every one of them means the file, not neurosim, is broken.
    except Exception as exc:
        raise NeurosimError(f"not a readable .npz file ({_detail(exc)})", where=where,
                            fix=damaged) from None
