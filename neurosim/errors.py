"""The one exception type for a user's mistake.

A :class:`NeurosimError` says *where* (a file, a key path, a layer), *what* was wrong and
*how to fix it*. The command line prints it on one line and exits with status 2; anything
else that escapes is a bug in neurosim and keeps its traceback.
"""

from __future__ import annotations

EXIT_USER_ERROR = 2
# Characters str.splitlines() breaks at: shown escaped, so that a message stays one line
# even when it quotes a user's key or value that contains one.
_LINE_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class NeurosimError(Exception):
    """A mistake in the user's input: a bad file, key, layer, option or value.

    Parameters
    ----------
    what:
        What was wrong, e.g. ``"expected a positive number, found -3"``.
    where:
        The file, key path or layer it concerns, e.g. ``"hw_models/x.yaml: core.neurons (line 12)"``.
    fix:
        What would make it right, e.g. ``"use a value of at least 1"``.
    """

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text = f"{text.rstrip('.')}. {self.fix}"
        return text.translate(_LINE_BREAKS)

    def __str__(self) -> str:
        return self.message
