from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.audit_rules.kernel import KernelRules, skip_without_kernel


@pytest.fixture
def kernel() -> Iterator[KernelRules]:
    rules = KernelRules(skip_without_kernel())
    try:
        yield rules
    finally:
        rules.cleanup()
