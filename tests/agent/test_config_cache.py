"""The agent.yaml cache: identical bytes skip PyYAML; anything doubtful is a miss."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest

from trails.agent import config as config_module
from trails.agent.config import load_config, parse_config
from trails.agent.config_cache import CACHE_FILE, MAX_CACHE_BYTES, ConfigCache
from trails.errors import UsageError

BASE = "base_url: https://cfg.example.test/trails\nnamespace: linux/web\nroots: /etc/r.pem\n"


@pytest.fixture
def yaml_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every YAML parse that load_config does."""
    calls: list[str] = []
    real = config_module.parse_document

    def counting(text: str, source: str) -> dict[object, object]:
        calls.append(source)
        return real(text, source)

    monkeypatch.setattr(config_module, "parse_document", counting)
    return calls


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, ConfigCache]:
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(BASE + "retries: 1\nosquery_reload: [systemctl, reload, osqueryd]\n")
    state = tmp_path / "var/lib/trails"
    return cfg, ConfigCache(state)


def test_identical_bytes_skip_the_yaml_parser(
    setup: tuple[Path, ConfigCache], yaml_parses: list[str]
) -> None:
    cfg, cache = setup
    first = load_config(cfg, cache)
    assert yaml_parses == [str(cfg)]
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    entry = json.loads(cache.path.read_bytes())
    assert entry["doc"]["osquery_reload"] == ["systemctl", "reload", "osqueryd"]
    second = load_config(cfg, cache)
    assert yaml_parses == [str(cfg)]  # no second parse
    assert second == first == parse_config(cfg.read_text(), "x")


def test_an_edit_is_a_miss_and_replaces_the_entry(
    setup: tuple[Path, ConfigCache], yaml_parses: list[str]
) -> None:
    cfg, cache = setup
    load_config(cfg, cache)
    cfg.write_text(BASE + "retries: 3\n")
    assert load_config(cfg, cache).retries == 3
    assert load_config(cfg, cache).retries == 3
    assert len(yaml_parses) == 2


def test_an_edit_to_a_bad_value_is_refused_not_served_from_the_cache(
    setup: tuple[Path, ConfigCache],
) -> None:
    cfg, cache = setup
    load_config(cfg, cache)
    cfg.write_text(BASE + "retries: 99\n")
    with pytest.raises(UsageError, match="retries is out of range"):
        load_config(cfg, cache)


def _tamper(cache: ConfigCache, **changes: object) -> None:
    entry = json.loads(cache.path.read_bytes())
    entry["doc"].update(changes)
    cache.path.write_text(json.dumps(entry))


def test_a_cached_document_is_validated_like_a_parsed_one(
    setup: tuple[Path, ConfigCache], yaml_parses: list[str]
) -> None:
    cfg, cache = setup
    load_config(cfg, cache)
    _tamper(cache, base_url="file:///etc/shadow")
    assert load_config(cfg, cache).base_url.startswith("https://")  # the YAML decided
    assert len(yaml_parses) == 2


@pytest.mark.parametrize(
    "damage",
    ["world-writable", "group-writable", "foreign-owner", "symlink", "dir-world-writable"],
)
def test_a_cache_others_could_write_is_ignored(
    setup: tuple[Path, ConfigCache], yaml_parses: list[str], tmp_path: Path, damage: str
) -> None:
    cfg, cache = setup
    load_config(cfg, cache)
    _tamper(cache, retries=7)  # what an attacker would plant
    if damage == "world-writable":
        cache.path.chmod(0o602)
    elif damage == "group-writable":
        cache.path.chmod(0o620)
    elif damage == "foreign-owner":
        os.chown(cache.path, 65534, 65534)
    elif damage == "symlink":
        planted = tmp_path / "planted.json"
        cache.path.rename(planted)
        cache.path.symlink_to(planted)
    else:
        cache.directory.chmod(0o777)
    assert load_config(cfg, cache).retries == 1
    assert len(yaml_parses) == 2


def test_trusted_tampering_is_what_the_cache_returns(setup: tuple[Path, ConfigCache]) -> None:
    # The control for the test above: the same planted value IS used when the file is
    # private, so that test fails if the ownership checks are removed.
    cfg, cache = setup
    load_config(cfg, cache)
    _tamper(cache, retries=7)
    assert load_config(cfg, cache).retries == 7


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"format": 2, "sha256": "x", "doc": {}}',
        b'{"format": 1, "sha256": "0", "doc": {}}',
        b"{" + b" " * MAX_CACHE_BYTES + b"}",
    ],
)
def test_a_malformed_or_stale_cache_is_a_miss(
    setup: tuple[Path, ConfigCache], yaml_parses: list[str], content: bytes
) -> None:
    cfg, cache = setup
    load_config(cfg, cache)
    cache.path.write_bytes(content)
    assert load_config(cfg, cache).retries == 1
    assert len(yaml_parses) == 2


def test_only_the_default_state_dir_gets_a_cache(tmp_path: Path) -> None:
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(BASE + "state_dir: /srv/trails\n")
    cache = ConfigCache(tmp_path / "var/lib/trails")
    load_config(cfg, cache)
    assert not cache.directory.exists()


def test_an_unwritable_cache_dir_costs_nothing_but_time(
    tmp_path: Path, yaml_parses: list[str]
) -> None:
    cfg = tmp_path / "agent.yaml"
    cfg.write_text(BASE)
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = ConfigCache(blocker / "trails")  # a directory under a regular file
    assert load_config(cfg, cache) == load_config(cfg, cache)
    assert len(yaml_parses) == 2


def test_only_exact_json_copies_are_stored(tmp_path: Path) -> None:
    cache = ConfigCache(tmp_path)
    cache.put("d", {"when": date(2024, 1, 1)})
    cache.put("d", {"argv": ("a", "b")})
    assert not (tmp_path / CACHE_FILE).exists()
    cache.put("d", {"argv": ["a", "b"]})
    assert cache.get("d") == {"argv": ["a", "b"]}
    assert cache.get("other") is None
