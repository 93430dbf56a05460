"""The error families every part of trails raises, and their CLI exit codes (docs/design.md §9).

Two families matter most, as in python-tuf: ``VerificationError`` means the data is bad
or malicious (never retried, exit 3); ``TransportError`` means getting it failed
(may be retried, exit 4). Every message is one line: what failed, then what to do.
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    VERIFICATION_REFUSED = 3
    TRANSPORT = 4
    INTERNAL = 5
    REVOKED = 6  # the installed release was revoked (restored, removed or kept: agent.md)
    UNTRUSTED = 7  # a local file the agent trusts is not root's or others can write it


class Terminated(BaseException):
    """SIGTERM, raised by a command that handles it (``trails report``) so that its
    cleanup runs as on Ctrl-C; not an Exception, so nothing catches it by accident."""


class TrailsError(Exception):
    """Base of every error trails reports to a user; ``str()`` is the one-line message."""

    exit_code: ExitCode = ExitCode.INTERNAL


class CheckFailed(TrailsError):
    """Input was read but did not pass a check (lint errors, failing controls)."""

    exit_code = ExitCode.CHECK_FAILED


class UsageError(TrailsError):
    """The command line or a local config file asks for something impossible."""

    exit_code = ExitCode.USAGE


class VerificationError(TrailsError):
    """A security check refused the data. Subclasses name the check that said no.

    ``version`` is the refused release's version once its signed manifest was read
    (None before that), for the ``--json`` refusal (``trails.commands.common.refusal``).
    """

    exit_code = ExitCode.VERIFICATION_REFUSED
    check: str = "verification"
    version: int | None = None


def failure_name(error: TrailsError) -> str:
    """The check that refused (``rollback``...) or the error family (``transport``...)."""
    return error.check if isinstance(error, VerificationError) else error.exit_code.name.lower()


class TransportError(TrailsError):
    """Fetching or writing failed: network, timeout, disk. The data itself was not judged."""

    exit_code = ExitCode.TRANSPORT


class UntrustedFileError(TrailsError):
    """A local file trails acts on as root (agent.yaml, its state) could be written by
    someone else: refused before it is read."""

    exit_code = ExitCode.UNTRUSTED


class InternalError(TrailsError):
    exit_code = ExitCode.INTERNAL


class SourceLoc(NamedTuple):
    """A place in an input file, for messages of the form ``path:line: message``.

    A NamedTuple, not a dataclass: this module is on every path, and ``trails fetch``
    must not pay for importing ``dataclasses`` (issue 4).
    """

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class SourceError(CheckFailed):
    """Bad input at a known place in a file (policy YAML, pack, rule file)."""

    def __init__(self, loc: SourceLoc, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message
