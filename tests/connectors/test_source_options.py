"""Each connector declares its `source:` keys; the config checks them from that
declaration, config.example.yaml documents them, and the engine is handed a connector."""

from __future__ import annotations

import re

import pytest

from connectors import CONNECTORS, connector_for, make_connector
from connectors.feed import SourceError
from connectors.options import Option
from rostertui import config
from rostertui.engine import Engine
from rostertui.errors import RosterError

from ..support.paths import ROOT

EXAMPLE = ROOT / "config.example.yaml"
# The least each kind needs to load: a config with only these is valid.
MINIMAL = {"oneroster_csv": {"path": "district"}, "clever": {"token": "tok-1"},
           "oneroster_rest": {"base_url": "https://sis.example/ims/oneroster/v1p1",
                              "client_id": "id-1", "client_secret": "sec-1"}}
OPTIONS = [(kind, option) for kind, cls in CONNECTORS.items() for option in cls.options]


def load(tmp_path, kind: str, **values):
    return config.from_dict({"source": {"kind": kind, **MINIMAL[kind], **values}},
                            base_dir=tmp_path)


def message(tmp_path, kind: str, **values) -> str:
    with pytest.raises(RosterError) as err:
        load(tmp_path, kind, **values)
    return str(err.value)


def test_every_kind_is_declared_and_loads_with_its_required_keys(tmp_path):
    assert set(MINIMAL) == set(CONNECTORS) and config.SOURCE_KINDS == tuple(CONNECTORS)
    for kind, cls in CONNECTORS.items():
        assert cls.kind == kind
        assert {o.name for o in cls.options if o.required} == set(MINIMAL[kind])
        assert all(isinstance(o, Option) and o.help for o in cls.options)
        assert len({o.name for o in cls.options}) == len(cls.options)
        connector = make_connector(load(tmp_path, kind).source)
        assert type(connector) is cls and connector.kind == kind


def test_the_example_config_lists_every_option_of_every_kind():
    """config.example.yaml says, per kind, "Keys: ..." and documents each key below."""
    text = EXAMPLE.read_text()
    source = text[text.index("\nsource:"):text.index("\nstore:")]
    for kind, cls in CONNECTORS.items():
        entry = source[source.index(f"#   {kind} "):]
        keys = re.match(r"Keys:([^.]*)\.", entry[entry.index("Keys:"):]).group(1)
        assert {k.strip() for k in keys.replace("#", " ").split(",")} == \
            {o.name for o in cls.options}, f"config.example.yaml: the keys of {kind}"
        for option in cls.options:
            assert re.search(rf"^  #? ?{option.name}:", source, re.M), (kind, option.name)


@pytest.mark.parametrize("kind, option", [(k, o) for k, o in OPTIONS if o.required],
                         ids=lambda v: getattr(v, "name", v))
def test_a_required_option_missing_or_empty_names_the_key(tmp_path, kind, option):
    assert message(tmp_path, kind, **{option.name: ""}).endswith(
        f"'source.{option.name}' is required for a {kind} source")


@pytest.mark.parametrize("kind, option", [(k, o) for k, o in OPTIONS
                                          if o.at_most is not None],
                         ids=lambda v: getattr(v, "name", v))
def test_a_bounded_option_past_its_bound_names_the_key(tmp_path, kind, option):
    over = option.at_most + 1
    assert f"'source.{option.name}' must be " in message(tmp_path, kind, **{option.name: over})
    assert load(tmp_path, kind, **{option.name: option.at_most}).source[option.name] == \
        option.at_most


def test_the_bound_messages_are_those_of_before(tmp_path):
    assert message(tmp_path, "clever", timeout=0).endswith(
        "'source.timeout' must be a number above 0 and at most 86,400, not 0.0")
    assert message(tmp_path, "clever", max_pages=10 ** 9 + 1).endswith(
        "'source.max_pages' must be a whole number above 0 and at most 1,000,000,000, "
        "not 1000000001")
    assert message(tmp_path, "oneroster_rest", max_response_mb="nan").endswith(
        "'source.max_response_mb' must be a number above 0 and at most 1,048,576, not nan")
    assert message(tmp_path, "clever", retries=11).endswith(
        "'source.retries' must be 0 to 10, not 11")
    assert message(tmp_path, "oneroster_rest", auth="oauth3").endswith(
        "'source.auth' must be oauth1 or oauth2")


def test_another_kinds_key_applies_only_at_its_default(tmp_path):
    assert load(tmp_path, "clever", auth="oauth1", demographics=False).source["auth"] == "oauth1"
    assert load(tmp_path, "oneroster_csv", retries=3, timeout=30).source["path"]
    assert message(tmp_path, "clever", demographics=True).endswith(
        "'source.demographics' does not apply to a clever source")
    assert message(tmp_path, "oneroster_csv", base_url="https://api.clever.com").endswith(
        "'source.base_url' does not apply to a oneroster_csv source")
    with pytest.raises(RosterError, match="unknown key 'source.password'"):
        load(tmp_path, "clever", password="x")


def test_secrets_come_from_the_declarations_and_stay_out_of_the_description(tmp_path):
    secret = {(k, o.name) for k, o in OPTIONS if o.secret}
    assert secret == {("clever", "token"), ("oneroster_rest", "client_secret")}
    assert config.SECRET_KEYS == {name for _, name in secret}
    for kind, name in secret:
        cfg = load(tmp_path, kind)
        assert cfg.secrets == [MINIMAL[kind][name]]
        assert name not in config.describe_source(cfg.source)
        assert message(tmp_path, kind, **{name: "a b"}).endswith(
            f"'source.{name}' contains whitespace or control characters (a YAML | block "
            "adds a newline: use |- or quotes)")


def test_each_kind_fills_its_own_defaults(tmp_path):
    clever = load(tmp_path, "clever").source
    assert clever["base_url"] == "https://api.clever.com" and clever["retries"] == 3
    assert load(tmp_path, "clever", base_url="").source["base_url"] == "https://api.clever.com"
    assert load(tmp_path, "oneroster_rest").source["auth"] == "oauth1"
    csv = load(tmp_path, "oneroster_csv").source
    assert csv["path"] == str(tmp_path / "district")  # a file option: relative to the config


def test_the_engine_is_given_its_connector_and_builds_none(tmp_path):
    """connector_for builds the connector when it is first used: a setting it refuses
    fails the sync (recorded) and the check, not the commands that only read the store."""
    cfg = load(tmp_path, "clever", base_url="http://api.clever.example")
    engine = Engine(cfg, connector_for(cfg.source))
    assert engine.status()["source"]["base_url"] == "http://api.clever.example"
    expected = ("source.base_url must start with https:// (plain http only reaches a server "
                "on this machine)")
    with pytest.raises(RosterError, match=re.escape(expected)):
        engine.sync()
    with pytest.raises(RosterError, match=re.escape(expected)):
        engine.check()
    assert engine.history()[0]["status"] == "failed"
    with pytest.raises(SourceError, match=re.escape(expected)):
        make_connector(cfg.source)
