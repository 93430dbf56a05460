"""The generated vectors (scripts/gen_test_vectors.py) and helpers to verify them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.sign.helpers import DevPki, make_dev_pki
from trails.formats.manifest import parse_time
from trails.verify.core import StoredState, TrustPolicy
from trails.verify.trust import load_crls, load_roots

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
INDEX: dict[str, Any] = json.loads((VECTORS / "index.json").read_text())
REFERENCE_TIME: datetime = parse_time(INDEX["reference_time"])
CASES = {case["name"]: case for case in INDEX["cases"]}


@dataclass(frozen=True)
class Case:
    name: str
    envelope: bytes
    policy: TrustPolicy
    namespace: str
    state: StoredState | None
    check: str | None


def load_case(name: str) -> Case:
    raw = CASES[name]
    roots = load_roots((VECTORS / INDEX["roots"]).read_bytes())
    crls = load_crls((VECTORS / "pki" / raw["crl"]).read_bytes()) if raw["crl"] else ()
    state = raw["state"]
    return Case(
        name=name,
        envelope=(VECTORS / "envelopes" / f"{name}.dsse.json").read_bytes(),
        policy=TrustPolicy(roots=roots, crls=crls, require_crl=raw.get("require_crl", False)),
        namespace=raw["namespace"],
        state=StoredState(version=state["version"], files=state["files"]) if state else None,
        check=raw["check"],
    )


@pytest.fixture
def good() -> Case:
    return load_case("good-p256")


@pytest.fixture
def dev_pki(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> DevPki:
    return make_dev_pki(tmp_path, capsys)
