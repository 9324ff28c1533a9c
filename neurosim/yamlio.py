"""The one way neurosim reads YAML: safe, bounded, and with one-line errors.

Every YAML loader (hardware, ``--set``, mapping, sweep, FS sequences, SANA-FE) goes
through :func:`read_yaml` or :func:`parse_yaml`, which

* read only a regular file of bounded size (:func:`neurosim.fileio.read_regular_file`)
  and require UTF-8;
* use the safe loader (no Python objects) with dates left as strings, so that
  ``seed: 2001-02-30`` is a string the caller refuses by type, not a ``ValueError``;
* scan the events first, iteratively, and refuse nesting deeper than :data:`MAX_DEPTH`
  (a ``RecursionError`` otherwise) and aliases beyond :data:`MAX_ALIASES` or expanding to
  more than :data:`MAX_ALIAS_NODES` nodes (a "billion laughs" bomb would hang whatever
  walks the document).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import yaml

from neurosim.errors import NeurosimError
from neurosim.fileio import TEXT_FILE_CAP, decode_utf8, read_regular_file

MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_ALIAS_NODES = 100_000
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_FAILURES = (yaml.YAMLError, ValueError, TypeError, ArithmeticError, RecursionError)
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeLoader(_Base):  # type: ignore[misc,valid-type]
    """The safe loader (C where available) without the implicit timestamp type."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[Any]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _problem(exc: BaseException) -> str:
    mark = getattr(exc, "problem_mark", None)
    at = f" (line {mark.line + 1})" if mark is not None else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return f"not valid YAML{at}: {' '.join(str(problem).split())[:120]}"


def check_structure(text: str, where: str) -> None:
    """Refuse deep nesting and alias bombs, from the event stream (no recursion)."""
    depth = aliases = 0
    anchors: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, nodes inside] per open collection
    literal = expanded = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise NeurosimError(f"nesting deeper than {MAX_DEPTH} levels", where=where,
                                        fix="flatten the document")
                stack.append([event.anchor, 1])
                literal += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                anchor, count = stack.pop()
                if anchor is not None:
                    anchors[anchor] = count
                stack[-1][1] += count
            elif isinstance(event, yaml.ScalarEvent):
                literal += 1
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                stack[-1][1] += 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                stack[-1][1] += anchors.get(event.anchor, 1)
                if aliases > MAX_ALIASES:
                    raise NeurosimError(f"more than {MAX_ALIASES} aliases (*name)", where=where,
                                        fix="write the values out instead of aliasing them")
            expanded = max(expanded, stack[0][1])
            if expanded > literal + MAX_ALIAS_NODES:
                raise NeurosimError(
                    f"aliases expand the document to more than {MAX_ALIAS_NODES} extra nodes",
                    where=where, fix="write the values out instead of aliasing them")
    except _FAILURES as exc:
        raise NeurosimError(_problem(exc), where=where,
                            fix="check the indentation and quoting near that line") from None


def _text(data: str | bytes, where: str, what: str) -> str:
    return decode_utf8(data, where, what) if isinstance(data, bytes) else data


def _checked(read: Any, data: str | bytes, where: str, what: str) -> Any:
    """``read(text)`` (PyYAML's load or compose) after the structure checks, any failure
    as one line."""
    text = _text(data, where, what)
    check_structure(text, where)
    try:
        return read(text, Loader=SafeLoader)
    except _FAILURES as exc:
        raise NeurosimError(_problem(exc), where=where,
                            fix="check the indentation and quoting near that line") from None


def parse_yaml(data: str | bytes, where: str, what: str = "YAML file") -> Any:
    """The Python value of the YAML document ``data`` (one-line error for any problem)."""
    return _checked(yaml.load, data, where, what)


def compose_yaml(data: str | bytes, where: str, what: str = "YAML file") -> yaml.Node | None:
    """The node tree of ``data`` (for loaders that report line numbers), checked alike."""
    return _checked(yaml.compose, data, where, what)


def construct_node(node: yaml.Node) -> Any:
    """The Python value of a node from :func:`compose_yaml` (safe types only)."""
    return yaml.constructor.SafeConstructor().construct_document(node)


def read_yaml(path: str | Path, *, what: str, fix: str, cap: int = TEXT_FILE_CAP) -> Any:
    """The YAML document in the regular file ``path`` (at most ``cap`` bytes, UTF-8)."""
    data = read_regular_file(path, what=what, fix=fix, cap=cap)
    return parse_yaml(data, str(path), what)
