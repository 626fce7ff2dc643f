"""The YAML config: defaults, ${ENV} expansion, and one-line errors naming the key."""

from __future__ import annotations

import os

import pytest

from rostertui import config
from rostertui.errors import RosterError


def write(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    os.chmod(path, 0o600)
    return path


def test_defaults_and_relative_paths(tmp_path):
    cfg = config.load(write(tmp_path, "source:\n  kind: oneroster_csv\n  path: district\n"
                                      "store:\n  path: data/store.json\n"))
    assert cfg.source["path"] == str(tmp_path / "district")
    assert cfg.store_path == tmp_path / "data" / "store.json"
    assert cfg.sync["delete_threshold"] == 500
    assert cfg.sync["delete_threshold_percent"] == 25.0
    assert cfg.sync["username_source"] == "district_username"
    assert cfg.sync["match_existing"] == ["source_id"] and cfg.sync["contacts"] is True
    assert cfg.sync["required_fields"]["student"] == ["email", "username", "graduation_year"]
    assert cfg.schools == {} and cfg.limits == {"max_sections": None, "max_users": None}


def test_env_vars_expand_and_are_known_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEVER_TOKEN", "tok-123")
    cfg = config.load(write(tmp_path, "source:\n  kind: clever\n  token: ${CLEVER_TOKEN}\n"))
    assert cfg.source["token"] == "tok-123"
    assert cfg.source["base_url"] == "https://api.clever.com"
    assert cfg.secrets == ["tok-123"]
    assert "token" not in config.describe_source(cfg.source)


@pytest.mark.parametrize("text, message", [
    ("source:\n  kind: clever\n  token: ${NOPE_NOT_SET}\n",
     "'source.token' uses ${NOPE_NOT_SET}, but the environment variable NOPE_NOT_SET is not set"),
    ("source:\n  kind: oneroster_csv\n  path: x\nsync:\n  delet_threshold: 3\n",
     "unknown key 'sync.delet_threshold'"),
    ("source:\n  kind: oneroster_csv\n  path: x\nsync:\n  delete_threshold: lots\n",
     "'sync.delete_threshold' must be a whole number, not str"),
    ("source:\n  kind: ftp\n", "'source.kind' must be one of"),
    ("source:\n  kind: clever\n", "'source.token' is required for a clever source"),
    ("source:\n  kind: oneroster_csv\n  path: x\n  token: t\n",
     "'source.token' does not apply to a oneroster_csv source"),
    ("source:\n  kind: oneroster_rest\n  base_url: https://x/api\n  client_id: a\n"
     "  client_secret: b\n", "must end in /ims/oneroster/v1p1"),
    ("source:\n  kind: oneroster_rest\n  base_url: https://x/ims/oneroster/v1p1\n"
     "  client_id: a\n  client_secret: b\n  auth: oauth2\n", "'source.token_url' is required"),
    ("source:\n  kind: clever\n  token: t\n  retries: -1\n",
     "'source.retries' must be 0 to 10, not -1"),
    ("source:\n  kind: oneroster_csv\n  path: x\n  retries: 2\n",
     "'source.retries' does not apply to a oneroster_csv source"),
    ("source: [unclosed\n", "line 2"),
])
def test_errors_name_the_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(RosterError) as exc:
        config.load(path)
    assert str(path) in str(exc.value) and message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(RosterError, match="config.example.yaml"):
        config.load(tmp_path / "absent.yaml")


def test_secret_config_readable_by_others_warns(tmp_path):
    path = write(tmp_path, "source:\n  kind: clever\n  token: abc\n")
    os.chmod(path, 0o644)
    assert "chmod 600" in config.load(path).warnings[0]
    os.chmod(path, 0o600)
    assert config.load(path).warnings == []


def test_example_config_is_valid_and_documents_every_key(tmp_path):
    from pathlib import Path
    example = Path(__file__).parent.parent / "config.example.yaml"
    cfg = config.load(example)
    assert cfg.source["kind"] == "oneroster_csv"
    text = example.read_text()

    def keys(schema, prefix=""):
        for key, spec in schema.items():
            yield prefix + key
            if isinstance(spec, dict):
                yield from keys(spec, f"{prefix}{key}.")

    for name in keys(config.SCHEMA):
        assert f"{name.rsplit('.', 1)[-1]}:" in text, f"config.example.yaml lacks {name}"


def test_secrets_only_from_env_need_no_chmod_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("TOK", "abc")
    path = write(tmp_path, "source:\n  kind: clever\n  token: ${TOK}\n")
    os.chmod(path, 0o644)
    cfg = config.load(path)
    assert cfg.warnings == [] and cfg.secrets == ["abc"]
