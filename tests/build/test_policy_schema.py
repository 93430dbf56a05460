from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from trails.build import policy
from trails.models.yaml_source import load_yaml, parse_yaml

ROOT = Path(__file__).resolve().parents[2]
RAW = json.loads(policy.SCHEMA_PATH.read_text())


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(RAW)


@pytest.mark.parametrize(
    "text",
    [
        "platform: linux\n",
        "platform: bsd\n",
        "tags: {org: 1}\n",
        "variables: {ok: [1, {a: b}], 'bad name': 1}\n",
        "osquery: {schedule: {q: {query: SELECT 1, interval: 60, extra: 1}}}\n",
        "osquery: {packs: {p: {queries: {q: {query: '', interval: 1}}}}}\n",
        "audit: {rules: [{rule: x, override: maybe}], files: [x.txt]}\n",
        "include: [{level: 1}]\n",
        "osquery: {decorators: {interval: {abc: []}}, views: {V: x}}\n",
    ],
)
def test_inlined_schema_agrees_with_the_published_one(text: str) -> None:
    doc = parse_yaml(text, "p.yaml")
    raw = sorted(e.message for e in jsonschema.Draft202012Validator(RAW).iter_errors(doc))
    fast = sorted(e.message for e in policy._validator().iter_errors(doc))
    assert raw == fast


def test_example_policies_are_schema_valid() -> None:
    for path in sorted((ROOT / "policies").rglob("policy.yaml")):
        assert policy.schema_errors(load_yaml(path, str(path)), str(path)) == []
