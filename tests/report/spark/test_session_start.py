"""Spark that cannot start stops the report with one line and its own exit code: no
traceback, no internal error. Each case runs the real CLI in a fresh process (a session
already running in this one would be reused whatever the master)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.osquery_lines import T0, control, decorations
from trails.report.engine.choose import reader

pytestmark = pytest.mark.spark


@pytest.mark.parametrize(
    "master",
    [
        "local",
        "local[*]",
        "local[4]",
        "local[4, 2]",
        "local-cluster[2, 1, 1024]",
        "spark://head:7077",
        "spark://head1:7077,head2:7077",
        "yarn",
        "k8s://https://kube:6443",
    ],
)
def test_every_master_spark_takes_is_accepted(master: str) -> None:
    assert callable(reader("spark", spark_master=master))


def _report(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    logs = tmp_path / "osqueryd.results.log"
    logs.write_text(control("c1", "pass", T0, decorations("h1")) + "\n")
    argv = ["report", "--results", str(logs), "--engine", "spark", "--out", str(tmp_path / "out")]
    return subprocess.run(
        [sys.executable, "-m", "trails", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )


def _refusal(done: subprocess.CompletedProcess[str], tmp_path: Path, code: int) -> str:
    """The one line a report stopped with (exit ``code``), having written nothing."""
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "report.json").exists()
    return done.stderr.strip().splitlines()[-1]


def test_no_java_runtime_is_a_usage_error_that_says_to_install_one(tmp_path: Path) -> None:
    last = _refusal(_report(tmp_path, {"JAVA_HOME": str(tmp_path / "no-java")}), tmp_path, 2)
    assert last.startswith("trails: error: Spark's JVM exited before it started")
    assert "install a Java 17 runtime" in last


def test_a_java_that_exits_is_a_usage_error_that_does_not_say_to_install_one(
    tmp_path: Path,
) -> None:
    """Regression: with a java there, the message still said to install one."""
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(
        "#!/bin/sh\necho 'Error: Could not create the Java Virtual Machine.' >&2\nexit 1\n"
    )
    java.chmod(0o755)
    last = _refusal(_report(tmp_path, {"JAVA_HOME": str(tmp_path / "jdk")}), tmp_path, 2)
    assert last.startswith("trails: error: Spark's JVM exited before it started")
    assert "check the JVM options in spark-defaults.conf" in last
    assert "install a Java" not in last


def test_a_session_that_fails_to_start_is_a_transport_error_with_sparks_reason(
    tmp_path: Path,
) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.scheduler.mode BOGUS\n")
    last = _refusal(_report(tmp_path, {"SPARK_CONF_DIR": str(conf)}), tmp_path, 4)
    assert last.startswith("trails: error: Spark did not start a session on local[*]:")
    assert "spark.scheduler.mode" in last
