"""Control packs: CIS / PCI DSS controls as osquery checks plus the audit rules they need.

``include`` turns a pack reference of a policy into a ``Fragment`` (build);
``load_catalog`` gives every control and framework requirement (reports, docs).
"""

from trails.packs.catalog import Catalog, Requirement, load_catalog
from trails.packs.include import include, select
from trails.packs.loader import load_pack
from trails.packs.model import Check, Control, Fixture, Pack, Ref

__all__ = [
    "Catalog",
    "Check",
    "Control",
    "Fixture",
    "Pack",
    "Ref",
    "Requirement",
    "include",
    "load_catalog",
    "load_pack",
    "select",
]
