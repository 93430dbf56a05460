"""The exceptions (waivers) a report applied: from the signed releases, with their use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trails.formats.exceptions import ControlException


@dataclass(frozen=True)
class ExceptionSeen:
    """One exception of one namespace's release, as the report applied it.

    ``in_force``: it had not expired at the window's end, so it waived the failures it
    covers (``waived`` of them); an expired one waives nothing and is listed so an auditor
    sees that it ended.
    """

    namespace: str
    exception: ControlException
    in_force: bool
    waived: int  # (host, control) failures it turned into ``waived``
    verified: bool  # from a verified release (else --insecure-unverified-releases)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.exception.to_dict(),
            "namespace": self.namespace,
            "in_force": self.in_force,
            "waived": self.waived,
            "verified": self.verified,
        }
