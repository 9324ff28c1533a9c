"""``DIR/sweep.csv``: one row per configuration, appended as each one finishes.

Columns: ``hash`` (the configuration's key), ``status`` (``ok`` or ``error``), ``error``
(the message), ``seconds`` (wall time of the point on its worker), the sweep's values
(``code``, ``code.K``, ``placer``, ``seed``, hardware key paths such as ``core.neurons``),
then the summary block flattened (``energy_breakdown_j.synapse``, ``params.T``, ...; lists
as JSON). Only the process that runs the sweep writes the file: a row is written and
flushed when its point finishes, so a killed sweep keeps every finished point. A line cut
short by a kill is dropped when the file is opened again. When a row brings a column the
file does not have yet, or replaces the row of a point that failed before, the file is
rewritten (to a temporary file, then renamed over the old one).
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from neurosim.errors import NeurosimError
from neurosim.fileio import atomic_write, write_error

CSV_NAME = "sweep.csv"
STATUS_COLUMNS = ("hash", "status", "error", "seconds")
OK = "ok"
ERROR = "error"


def cell(value: Any) -> str:
    """A value as a CSV cell: one line; floats exactly (shortest round-trip form)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def read_rows(path: str | Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a sweep CSV (a line cut short by a kill is left out)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError) as exc:
        raise NeurosimError(f"cannot read the sweep results ({exc})", where=str(path)) from None
    text = text[: text.rfind("\n") + 1]  # "" when not even the header is complete
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if header and not set(STATUS_COLUMNS) <= set(header):
        raise NeurosimError("not a sweep result file (no hash and status columns)",
                            where=str(path), fix="choose another --out directory")
    rows = [dict(zip(header, r)) for r in reader if len(r) == len(header)]
    return header, rows


class ResultsFile:
    """The rows of ``sweep.csv`` in memory and on disk; :meth:`record` adds one."""

    def __init__(self, path: str | Path, columns: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self.header, self.rows = read_rows(self.path)
        self._columns = [c for c in (*STATUS_COLUMNS, *columns) if c not in self.header]
        self._prepared = False

    def _prepare(self) -> None:
        """Before the first row: the header, without a line a kill may have cut short."""
        if self._columns or self._cut_short() or not self.path.exists():
            self.header += self._columns
            self._rewrite()
        self._prepared = True

    def _cut_short(self) -> bool:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        return bool(data) and not data.endswith(b"\n")

    def done(self) -> set[str]:
        """Keys of the configurations that finished without error."""
        return {r["hash"] for r in self.rows if r.get("status") == OK}

    def record(self, row: Mapping[str, Any]) -> None:
        """Add a finished configuration's row (replacing an earlier failed one)."""
        if not self._prepared:
            self._prepare()
        row = {k: cell(v) for k, v in row.items()}
        new = [c for c in row if c not in self.header]
        replaces = any(r["hash"] == row["hash"] for r in self.rows)
        self.rows = [r for r in self.rows if r["hash"] != row["hash"]] + [row]
        if new or replaces:
            self.header += new
            self._rewrite()
            return
        # The whole line in one write() on an O_APPEND file: a kill cuts at most this
        # line (dropped on reading), and no other write can land inside it.
        line = io.StringIO(newline="")
        csv.writer(line).writerow([row.get(c, "") for c in self.header])
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(fd, line.getvalue().encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            raise write_error(self.path, exc) from None

    def _rewrite(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.header)
            writer.writerows([r.get(c, "") for c in self.header] for r in self.rows)
