"""A small column table: what every per-core, per-layer, per-link, per-step and comparison
listing returns, to be read as rows, written as CSV, or turned into a pandas DataFrame.

pandas is optional (``pip install pandas``); only :meth:`Table.to_frame` needs it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurosim.errors import NeurosimError
from neurosim.fileio import atomic_write
from neurosim.plain import plain


def flatten(block: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested fields as one level of columns: ``{"a": {"b": 1}, "c": [1]}`` ->
    ``{"a.b": 1, "c": "[1]"}`` (lists as JSON, so a CSV cell holds them whole)."""
    flat: dict[str, Any] = {}
    for key, value in block.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = json.dumps(plain(value, nan_to_none=True))
        else:
            flat[name] = value
    return flat


@dataclass(frozen=True, eq=False)
class Table:
    """Named columns over rows of plain values."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    @classmethod
    def from_rows(cls, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
        return cls(tuple(columns), tuple(tuple(plain(v, nan_to_none=True) for v in row) for row in rows))

    @classmethod
    def from_dicts(cls, rows: Sequence[dict[str, Any]]) -> Table:
        """One row per dict; the columns are every key in order of first appearance."""
        columns = tuple(dict.fromkeys(k for row in rows for k in row))
        return cls.from_rows(columns, [[row.get(c) for c in columns] for row in rows])

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (dict(zip(self.columns, row)) for row in self.rows)

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def to_frame(self) -> Any:
        """A pandas DataFrame of the table (pandas is an optional extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise NeurosimError("Table.to_frame needs pandas", where="neurosim table",
                                fix="pip install pandas (or read the rows, or .to_csv)") from None
        return pd.DataFrame(list(self.rows), columns=list(self.columns))

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as CSV (a header line, then one line per row)."""
        path = Path(path)
        with atomic_write(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(self.columns)
            writer.writerows(self.rows)
        return path
