"""The YAML config: defaults, ${ENV} expansion, and one-line errors naming the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rostertui import config
from rostertui.errors import RosterError

from ..support.paths import ROOT


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
    assert cfg.sync.delete_threshold == 500
    assert cfg.sync.delete_threshold_percent == 25.0
    assert cfg.sync.username_source == "district_username"
    assert cfg.sync.match_existing == ("source_id",) and cfg.sync.contacts is True
    # OneRoster 1.1 carries no graduation year: not asked of it (test_cli_required_fields)
    assert cfg.sync.required_fields["student"] == ("email", "username")
    assert cfg.sync.sections == config.SectionPolicy(include=(), exclude=())
    assert cfg.schools == {} and cfg.limits == config.Limits(max_sections=None, max_users=None)


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
    example = ROOT / "config.example.yaml"
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


# -- the guards' thresholds ----------------------------------------------------------

CSV_SOURCE = "source:\n  kind: oneroster_csv\n  path: x\n"
PERCENTS = ("delete_threshold_percent", "clear_threshold_percent",
            "enrollment_threshold_percent", "change_threshold_percent")


def load_text(tmp_path, text):
    """config.load of the text; the RosterError's message if it is refused."""
    try:
        return config.load(write(tmp_path, text))
    except RosterError as exc:
        message = str(exc)
        assert "\n" not in message and str(tmp_path) in message
        return message


def test_new_thresholds_have_defaults_and_accept_their_range(tmp_path):
    cfg = config.load(write(tmp_path, CSV_SOURCE))
    assert (cfg.sync.clear_threshold_percent, cfg.sync.enrollment_threshold_percent,
            cfg.sync.change_threshold_percent) == (10.0, 25.0, 50.0)
    edges = "".join(f"  {key}: {n}\n" for key, n in zip(PERCENTS, (0, 100, 0.5, "'75'")))
    cfg = config.load(write(tmp_path, CSV_SOURCE + "sync:\n" + edges + "  delete_threshold: 0\n"))
    assert [getattr(cfg.sync, k) for k in PERCENTS] == [0.0, 100.0, 0.5, 75.0]
    assert cfg.sync.delete_threshold == 0


@pytest.mark.parametrize("key", PERCENTS)
@pytest.mark.parametrize("value, shown", [
    (".nan", "not nan"), (".inf", "not inf"), ("-.inf", "not -inf"), ("-1", "not -1"),
    ("100.5", "not 100.5"), ("'nan'", "not nan"), ("'1e999'", "not inf"),
])
def test_a_percent_threshold_outside_0_to_100_names_the_key(tmp_path, key, value, shown):
    message = load_text(tmp_path, CSV_SOURCE + f"sync:\n  {key}: {value}\n")
    assert f"'sync.{key}' must be a number from 0 to 100, {shown}" in message


@pytest.mark.parametrize("key", PERCENTS)
@pytest.mark.parametrize("value, kind", [("lots", "str"), ("25%", "str"), ("[25]", "list"),
                                         ("true", "bool")])
def test_a_percent_threshold_that_is_not_a_number_names_the_key(tmp_path, key, value, kind):
    message = load_text(tmp_path, CSV_SOURCE + f"sync:\n  {key}: {value}\n")
    assert f"'sync.{key}' must be a number, not {kind}" in message


@pytest.mark.parametrize("text, expected", [
    ("sync:\n  delete_threshold: -1\n", "'sync.delete_threshold' must be a whole number of 0 "
                                        "or more, not -1"),
    ("sync:\n  delete_threshold: .nan\n", "'sync.delete_threshold' must be a whole number, "
                                          "not float"),
    ("sync:\n  delete_threshold: 'nan'\n", "'sync.delete_threshold' must be a whole number, "
                                           "not str"),
    ("limits:\n  max_users: -5\n", "'limits.max_users' must be a whole number of 0 or more"),
    ("limits:\n  max_sections: .inf\n", "'limits.max_sections' must be a whole number, "
                                        "not float"),
])
def test_count_thresholds_are_whole_numbers_not_negative(tmp_path, text, expected):
    assert expected in load_text(tmp_path, CSV_SOURCE + text)


def test_a_threshold_from_the_environment_is_checked_too(tmp_path, monkeypatch):
    monkeypatch.setenv("DELETE_PERCENT", "nan")
    message = load_text(tmp_path, CSV_SOURCE + "sync:\n  delete_threshold_percent: "
                                               "${DELETE_PERCENT}\n")
    assert "'sync.delete_threshold_percent' must be a number from 0 to 100, not nan" in message
    monkeypatch.setenv("DELETE_PERCENT", "30")
    cfg = load_text(tmp_path, CSV_SOURCE + "sync:\n  delete_threshold_percent: "
                                           "${DELETE_PERCENT}\n")
    assert cfg.sync.delete_threshold_percent == 30.0


# -- hostile YAML --------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8))


def test_billion_laughs_is_refused_at_the_first_anchor(tmp_path):
    message = load_text(tmp_path, BILLION_LAUGHS)
    assert message.endswith("line 1: YAML aliases are not allowed, nor anchors (&name) for them")


def test_an_alias_is_refused_naming_its_line(tmp_path):
    # An alias to an anchor that was never defined: refused as an alias, not followed.
    message = load_text(tmp_path, CSV_SOURCE + "sync:\n  match_existing: *keys\n")
    assert message.endswith("line 5: YAML aliases are not allowed")
    message = load_text(tmp_path, CSV_SOURCE + "limits:\n  <<: *base\n")
    assert message.endswith("line 5: YAML aliases are not allowed")


def test_a_config_over_1_mb_is_refused_without_parsing_it(tmp_path):
    assert isinstance(load_text(tmp_path, CSV_SOURCE + "#" * (1024 * 1024 - 100) + "\n"),
                      config.Config)
    message = load_text(tmp_path, CSV_SOURCE + "#" * (1024 * 1024) + "\n")
    assert message.endswith(": the config is over 1 MB; is this the right file?")


@pytest.mark.parametrize("text, expected", [
    ("a: " + "[" * 60 + "]" * 60 + "\n", "line 1: nested more than 50 deep"),
    ("a:\n  b: " + "{x: " * 200 + "1" + "}" * 200 + "\n", "line 2: nested more than 50 deep"),
    ("sync:\n  delete_threshold: 0x_\n", "line 2: not a valid int"),
    ("\n\nstarted: 2001-02-30\n", "line 3: not a valid timestamp (day is out of range for month)"),
    ("a: !!bool maybe\n", "line 1: not a valid bool"),
    ("a: !!float x\n", "line 1: not a valid float"),
    ("a: !!python/object:os.system x\n", "line 1: could not determine a constructor"),
    ("a: 1\x00\n", "special characters are not allowed"),
    ("{1: a, b: c}\n", "unknown key '1'"),
    (CSV_SOURCE + "sync:\n  sections:\n    include:\n      - {1: a, school: c}\n",
     "'sync.sections.include' rule 1 has unknown key '1'"),
    ('"ke\\ny\\e]0;x\\a": 1\n', "unknown key 'ke\\ny\\x1b]0;x\\x07'"),
])
def test_hostile_yaml_is_one_line_naming_the_line_or_key(tmp_path, text, expected):
    assert expected in load_text(tmp_path, text)


def test_a_home_folder_that_does_not_exist_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "source:\n  kind: oneroster_csv\n  path: ~no-such-user-here/district\n")
    with pytest.raises(RosterError, match="'source.path' starts with ~ but that home folder "
                                          "is unknown"):
        config.load(Path("config.yaml"))
