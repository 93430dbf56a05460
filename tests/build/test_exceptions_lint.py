"""Issue 15 item 3, build and lint side: every exception error and warning, and scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.build.conftest import ROOT, PolicyRepo
from trails.build.pipeline import CompileResult, compile_repository
from trails.formats.exceptions import ControlException, parse_exceptions
from trails.models.diagnostic import Diagnostic, Severity
from trails.osquery.schema import load_schema

PACKS = ROOT / "cis_pci_packs"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HEAD = """\
platform: linux
tags: {org: o, owner: secops, owner_group: g, project: p}
"""
CONTROL = "pci-dss-4.0.1-10.2.1.2-admin-commands"
# The smallest pack that schedules CONTROL (the unscheduled check needs one that does).
INCLUDE = "include:\n  - {pack: pci_dss_4_0_1}\n"


def entry(**fields: object) -> str:
    """One exception as YAML lines (two-space list indentation), defaults filled in."""
    values: dict[str, object] = {
        "id": "EXC-2026-001",
        "control": CONTROL,
        "justification": "Legacy build agents need NOPASSWD until the March migration",
        "approved_by": "Jane Doe (CISO)",
        "expires": "2027-03-31",
    }
    values.update(fields)
    lines = []
    for key, value in values.items():
        if value is None:
            continue
        text = value if isinstance(value, str) else repr(value).replace("'", '"')
        lines.append(f"    {key}: {text}")
    lines[0] = "  - " + lines[0].lstrip()
    return "\n".join(lines) + "\n"


def exceptions(*entries: str) -> str:
    return "exceptions:\n" + "".join(entries)


def lint(
    repo: PolicyRepo, now: datetime = NOW, namespaces: list[str] | None = None
) -> CompileResult:
    return compile_repository(
        repo.policies,
        schema=load_schema(),
        packs_dir=PACKS,
        display_base=repo.root,
        namespaces=namespaces,
        now=now,
    )


def coded(result: CompileResult, code: str) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.code == code]


def shipped(result: CompileResult, namespace: str) -> tuple[ControlException, ...]:
    [c] = [c for c in result.namespaces if c.namespace == namespace]
    return parse_exceptions(c.exceptions, namespace) if c.exceptions else ()


# -- a good exception ----------------------------------------------------------------------


def test_a_valid_exception_is_shipped_to_its_namespace_with_its_source(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry(hosts="[web-01, 6c1e0f]")))
    result = lint(repo)
    assert result.diagnostics == ()
    [exc] = shipped(result, "linux")
    assert exc.id == "EXC-2026-001"
    assert exc.control == CONTROL
    assert exc.hosts == ("web-01", "6c1e0f")
    assert exc.owner == ""
    assert exc.approved_by == "Jane Doe (CISO)"
    # a date: through the end of that day UTC
    assert exc.expires == datetime(2027, 4, 1, tzinfo=UTC)
    assert exc.source == "policies/linux/policy.yaml:6"  # the `- id:` line


@pytest.mark.parametrize(
    ("written", "instant"),
    [
        ("2027-03-31", datetime(2027, 4, 1, tzinfo=UTC)),
        ('"2027-03-31"', datetime(2027, 4, 1, tzinfo=UTC)),
        ("2027-12-31", datetime(2028, 1, 1, tzinfo=UTC)),
        ("2027-03-31T12:30:00Z", datetime(2027, 3, 31, 12, 30, tzinfo=UTC)),
        ('"2027-03-31T12:30:00Z"', datetime(2027, 3, 31, 12, 30, tzinfo=UTC)),
        ("2027-03-31T12:30:00+00:00", datetime(2027, 3, 31, 12, 30, tzinfo=UTC)),
    ],
)
def test_expires_forms(repo: PolicyRepo, written: str, instant: datetime) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry(expires=written)))
    result = lint(repo)
    assert result.diagnostics == ()
    assert shipped(result, "linux")[0].expires == instant


def test_exception_values_are_not_templates(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD + INCLUDE + exceptions(entry(justification="'until {{ undefined }} is gone'")),
    )
    result = lint(repo)
    assert result.ok, result.diagnostics
    assert shipped(result, "linux")[0].justification == "until {{ undefined }} is gone"


# -- errors --------------------------------------------------------------------------------


def test_unknown_key_did_you_mean_at_its_line(repo: PolicyRepo) -> None:
    text = entry(justification=None, justifcation="typo")
    repo.write("linux/policy.yaml", HEAD + exceptions(text))
    result = lint(repo)
    assert not result.ok
    [d] = coded(result, "exception.key")
    assert "did you mean justification" in d.message
    assert d.loc.line == 8  # id, control, approved_by, expires, justifcation
    [missing] = coded(result, "exception.missing")
    assert "justification" in missing.message


def test_missing_required_keys_in_one_message_at_the_entry(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions("  - id: EXC-1\n    control: x\n"))
    result = lint(repo)
    [d] = coded(result, "exception.missing")
    assert d.severity is Severity.ERROR
    assert d.loc == ("policies/linux/policy.yaml", 4)
    assert "justification, approved_by, expires" in d.message
    assert "exception EXC-1" in d.message


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"id": 2026001}, "id"),
        ({"hosts": "web-01"}, "hosts"),
        ({"hosts": "[web-01, 7]"}, "hosts"),
        ({"approved_by": "[Jane]"}, "approved_by"),
        ({"owner": "{team: x}"}, "owner"),
        ({"namespaces": "linux"}, "namespaces"),
        ({"expires": "[2027-01-01]"}, "expires"),
        ({"control": "yes"}, "control"),  # YAML 1.1: a boolean
    ],
)
def test_wrong_types(repo: PolicyRepo, fields: dict[str, object], key: str) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(**fields)))
    result = lint(repo)
    [d] = coded(result, "exception.type")
    assert key in d.message
    assert not result.ok


def test_exceptions_must_be_a_list_of_mappings(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + "exceptions: {id: EXC-1}\n")
    assert [d.loc.line for d in coded(lint(repo), "exception.type")] == [3]
    repo.write("linux/policy.yaml", HEAD + "exceptions:\n  - EXC-1\n")
    assert [d.loc.line for d in coded(lint(repo), "exception.type")] == [4]


def test_empty_justification_and_approver(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml", HEAD + exceptions(entry(justification='"   "', approved_by='""'))
    )
    result = lint(repo)
    found = coded(result, "exception.empty")
    assert sorted(d.message.split(": ")[1].split()[0] for d in found) == [
        "approved_by",
        "justification",
    ]
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(hosts="[]")))
    assert coded(lint(repo), "exception.empty")


def test_bad_id_and_limits(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(id='"EXC 1"')))
    [d] = coded(lint(repo), "exception.id")
    assert "EXC-2026-001" in d.message  # says what an id looks like
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(id="E" * 65)))
    assert coded(lint(repo), "exception.limit")
    hosts = "[" + ", ".join(f"h{i}" for i in range(1025)) + "]"
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(hosts=hosts)))
    assert coded(lint(repo), "exception.limit")
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(justification="x" * 2049)))
    assert coded(lint(repo), "exception.limit")


def test_namespaces_must_be_the_declaring_one_or_below(repo: PolicyRepo) -> None:
    repo.write("linux/pci/policy.yaml", "description: pci\n")
    repo.write("linux/pci/web/policy.yaml", "description: pci web\n")
    repo.write("linux/web/policy.yaml", "description: web\n")
    pci = "linux/pci/policy.yaml"
    for scope in ("[linux/web]", "[linux]", "[linux/pcix]"):
        repo.write(pci, exceptions(entry(namespaces=scope)))
        [d] = coded(lint(repo), "exception.namespace")
        assert "is not linux/pci or a namespace below it" in d.message, scope
        assert d.loc == ("policies/linux/pci/policy.yaml", 7)
    repo.write(pci, exceptions(entry(namespaces="[linux/pci/wbe]")))
    [d] = coded(lint(repo), "exception.namespace")
    assert "no namespace linux/pci/wbe in the repository; did you mean linux/pci/web?" in (
        d.message
    )
    repo.write(pci, exceptions(entry(namespaces="[Linux/PCI]")))
    [d] = coded(lint(repo), "exception.namespace")
    assert "must match" in d.message
    for scope in ("[linux/pci]", "[linux/pci/web]"):
        repo.write(pci, exceptions(entry(namespaces=scope)))
        assert coded(lint(repo), "exception.namespace") == [], scope


def test_unknown_control_did_you_mean_from_the_packs_catalog(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(control="cis-ubuntu-22.04-5.2.4")))
    result = lint(repo)
    [d] = coded(result, "exception.control")
    assert "is in no pack's catalog; did you mean cis-ubuntu2204-5.2.4?" in d.message
    assert d.loc.line == 5
    assert not result.ok


def test_unreadable_packs_catalog_is_an_error_not_a_crash(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry()))
    result = compile_repository(
        repo.policies,
        schema=load_schema(),
        packs_dir=repo.root / "nowhere",
        display_base=repo.root,
        now=NOW,
    )
    [d] = coded(result, "exception.control")
    assert "cannot check control" in d.message


def test_an_id_used_twice_in_the_repository(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry()))
    repo.write("linux/web/policy.yaml", exceptions(entry(control="cis-ubuntu2204-5.2.5")))
    result = lint(repo)
    [d] = coded(result, "exception.duplicate")
    assert d.loc == ("policies/linux/web/policy.yaml", 2)
    assert "already used at policies/linux/policy.yaml:6" in d.message
    # the first keeps applying; the repeated one is not shipped
    assert [e.control for e in shipped(result, "linux/web")] == [CONTROL]


@pytest.mark.parametrize(
    "written",
    [
        '"2027-13-01"',
        '"2027-02-30"',
        "next march",
        '"2027-03-31T25:00:00Z"',
        "2027-03-31T12:00:00+02:00",  # not UTC
        "2027-03-31 12:00:00",  # no time zone
        "2027-03-31T12:00:00.5Z",  # a YAML timestamp with a fraction
        '"2027-03-31T12:00:00.5Z"',
        "9999-12-31",  # the day after does not exist
    ],
)
def test_unparsable_expires(repo: PolicyRepo, written: str) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(expires=written)))
    result = lint(repo)
    [d] = coded(result, "exception.expires")
    assert d.loc.line == 8
    assert not result.ok


def test_a_date_yaml_cannot_construct_is_a_parse_error_not_a_crash(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(expires="2027-02-30")))
    [d] = coded(lint(repo), "policy.parse")
    assert "'2027-02-30' is not a real date or time" in d.message
    assert d.loc.line > 1  # at the date's own line


def test_one_pass_reports_every_exception_and_the_rest_of_the_file(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD  # noqa: S608
        + "osquery:\n  schedule:\n    q:\n      query: SELECT pid FROM proceses;\n"
        "      interval: 60\n"
        + exceptions(
            entry(control="nope-1"),
            entry(id="EXC-2", expires='"soon"'),
            entry(id="EXC-3", approved_by='""', bogus=1),
        ),
    )
    codes = sorted(d.code for d in lint(repo).diagnostics)
    assert codes == [
        "exception.control",
        "exception.empty",
        "exception.expires",
        "exception.key",
        "sql.unknown-table",
    ]


def test_a_schema_error_elsewhere_still_gets_its_exceptions_checked(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + "osqeury: {}\n" + exceptions(entry(approved_by='""')))
    codes = {d.code for d in lint(repo).diagnostics}
    assert {"policy.schema", "exception.empty"} <= codes


# -- warnings: the clock and the schedule ----------------------------------------------------


def _with_expiry(repo: PolicyRepo, expires: str) -> None:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry(expires=expires)))


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (datetime(2027, 4, 1, tzinfo=UTC), "exception.expired"),  # the end of 2027-03-31
        (datetime(2028, 1, 1, tzinfo=UTC), "exception.expired"),
        (datetime(2027, 3, 18, tzinfo=UTC), "exception.expiring"),  # exactly 14 days
        (datetime(2027, 3, 31, 23, 59, 59, tzinfo=UTC), "exception.expiring"),
        (datetime(2027, 3, 17, 23, 59, 59, tzinfo=UTC), None),
    ],
)
def test_expired_and_expiring_are_warnings_by_the_injected_clock(
    repo: PolicyRepo, now: datetime, code: str | None
) -> None:
    _with_expiry(repo, "2027-03-31")
    result = lint(repo, now=now)
    assert result.ok  # warnings never fail the build
    assert [d.code for d in result.diagnostics] == ([code] if code else [])
    if code:
        [d] = result.diagnostics
        assert d.severity is Severity.WARNING
        assert d.loc.line == 10  # the expires line
        assert "2027-04-01T00:00:00Z" in d.message
    # expired or not, it is shipped: a report for a past window needs it
    assert len(shipped(result, "linux")) == 1


def test_clock_defaults_to_now(repo: PolicyRepo) -> None:
    soon = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _with_expiry(repo, soon)
    result = compile_repository(
        repo.policies, schema=load_schema(), packs_dir=PACKS, display_base=repo.root
    )
    assert [d.code for d in result.diagnostics] == ["exception.expiring"]


def test_an_expired_warning_is_silenced_with_a_reason(repo: PolicyRepo) -> None:
    _with_expiry(repo, "2026-01-31  # trails: ignore[exception.expired] kept for the Q1 report")
    result = lint(repo)
    assert result.diagnostics == ()
    _with_expiry(repo, "2026-01-31  # trails: ignore[exception.expired]")
    assert {d.code for d in lint(repo).diagnostics} == {"exception.expired", "ignore.reason"}


def test_unscheduled_control_is_a_warning(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry()))  # no pack included
    result = lint(repo)
    assert result.ok
    [d] = result.diagnostics
    assert d.code == "exception.unscheduled"
    assert d.loc.line == 5  # the control line
    assert f"(linux) schedules control {CONTROL}" in d.message


def test_scheduled_in_one_covered_namespace_is_enough(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry()))
    repo.write("linux/pci/policy.yaml", INCLUDE)
    assert lint(repo).diagnostics == ()
    # narrowed to the namespace that does not schedule it: it can never apply
    repo.write("linux/web/policy.yaml", "description: web\n")
    repo.write("linux/policy.yaml", HEAD + exceptions(entry(namespaces="[linux/web]")))
    assert [d.code for d in lint(repo).diagnostics] == ["exception.unscheduled"]


def test_no_unscheduled_verdict_about_namespaces_not_checked(repo: PolicyRepo) -> None:
    repo.write("linux/policy.yaml", HEAD + exceptions(entry()))
    repo.write("linux/pci/policy.yaml", INCLUDE)
    # --namespace linux: linux/pci (which schedules it) is not compiled, so no verdict
    assert lint(repo, namespaces=["linux"]).diagnostics == ()


# -- scope ---------------------------------------------------------------------------------


def _scoped_repo(repo: PolicyRepo, scope: str = "") -> CompileResult:
    repo.write("linux/policy.yaml", HEAD + INCLUDE + exceptions(entry() + scope))
    for ns in ("linux/pci", "linux/pci/web", "linux/web", "other"):
        repo.write(f"{ns}/policy.yaml", "description: x\n" if ns != "other" else HEAD)
    result = lint(repo)
    assert result.ok, result.diagnostics
    return result


def _ids_by_namespace(result: CompileResult) -> dict[str, list[str]]:
    return {c.namespace: [e.id for e in shipped(result, c.namespace)] for c in result.namespaces}


def test_an_exception_applies_to_its_namespace_and_every_one_below(repo: PolicyRepo) -> None:
    result = _scoped_repo(repo)
    assert _ids_by_namespace(result) == {
        "linux": ["EXC-2026-001"],
        "linux/pci": ["EXC-2026-001"],
        "linux/pci/web": ["EXC-2026-001"],
        "linux/web": ["EXC-2026-001"],
        "other": [],
    }
    # no exception: no exceptions.json at all
    assert [c.exceptions for c in result.namespaces if c.namespace == "other"] == [b""]


def test_namespaces_narrow_to_those_and_the_ones_below(repo: PolicyRepo) -> None:
    result = _scoped_repo(repo, "    namespaces: [linux/pci]\n")
    assert _ids_by_namespace(result) == {
        "linux": [],
        "linux/pci": ["EXC-2026-001"],
        "linux/pci/web": ["EXC-2026-001"],
        "linux/web": [],
        "other": [],
    }
    result = _scoped_repo(repo, "    namespaces: [linux/pci/web, linux/web]\n")
    assert [ns for ns, ids in _ids_by_namespace(result).items() if ids] == [
        "linux/pci/web",
        "linux/web",
    ]


def test_hosts_and_owner_are_copied_for_the_report_to_match(repo: PolicyRepo) -> None:
    result = _scoped_repo(repo, "    hosts: [web-01]\n    owner: payments\n")
    [exc] = shipped(result, "linux/pci/web")
    assert exc.hosts == ("web-01",)
    assert exc.owner == "payments"
    assert exc.covers("any-uuid", "web-01", "payments")
    assert not exc.covers("any-uuid", "web-01", "secops")  # all must match
    assert not exc.covers("any-uuid", "web-02", "payments")


def test_every_namespace_gets_its_exceptions_sorted_by_id(repo: PolicyRepo) -> None:
    repo.write(
        "linux/policy.yaml",
        HEAD + INCLUDE + exceptions(entry(id="EXC-9"), entry(id="EXC-10"), entry(id="A-1")),
    )
    repo.write("linux/pci/policy.yaml", exceptions(entry(id="EXC-5")))
    result = lint(repo)
    assert _ids_by_namespace(result) == {
        "linux": ["A-1", "EXC-10", "EXC-9"],
        "linux/pci": ["A-1", "EXC-10", "EXC-5", "EXC-9"],
    }
