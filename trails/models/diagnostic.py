"""One finding of a check, at a place in a file: what lint, rules check and build report."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from trails.errors import SourceLoc


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    loc: SourceLoc
    severity: Severity
    message: str
    code: str = ""  # stable machine name of the check, e.g. "sql.unknown-table"

    def __str__(self) -> str:
        return f"{self.loc}: {self.severity.value}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.loc.path,
            "line": self.loc.line,
            "severity": self.severity.value,
            "message": self.message,
            "code": self.code,
        }


def did_you_mean(word: str, candidates: Iterable[str], n: int = 1) -> str:
    """``"; did you mean X?"`` naming the closest candidates, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=n, cutoff=0.75)
    return f"; did you mean {' or '.join(close)}?" if close else ""
