"""The PDF's provenance section says whether the releases were verified."""

from __future__ import annotations

import dataclasses

from reportlab.platypus import Paragraph

from tests.report.factories import example_report
from trails.report.model import Report
from trails.report.pdf.sections import provenance


def _paragraphs(report: Report) -> list[str]:
    return [f.getPlainText() for f in provenance.story(report) if isinstance(f, Paragraph)]


def _with_releases(verified: tuple[bool, ...]) -> Report:
    report = example_report()
    (release,) = report.scope.releases
    releases = tuple(
        dataclasses.replace(release, namespace=f"ns{i}", verified=v) for i, v in enumerate(verified)
    )
    return dataclasses.replace(report, scope=dataclasses.replace(report.scope, releases=releases))


def test_verified_releases_say_what_was_checked() -> None:
    texts = _paragraphs(_with_releases((True, True)))
    assert provenance.UNVERIFIED_BANNER not in texts
    assert any(t.startswith("Each release was verified before use") for t in texts)


def test_unverified_releases_get_a_banner_and_a_count() -> None:
    texts = _paragraphs(_with_releases((True, False, False)))
    assert provenance.UNVERIFIED_BANNER in texts
    assert any(t.startswith("2 of 3 releases were read without verification") for t in texts)
    assert not any(t.startswith("Each release was verified") for t in texts)


def test_no_releases_claims_nothing() -> None:
    texts = _paragraphs(_with_releases(()))
    assert provenance.UNVERIFIED_BANNER not in texts
    assert not any("verified" in t for t in texts)
    assert "No signed releases were given (--releases)." in texts
