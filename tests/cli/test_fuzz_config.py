"""Fuzzing the config loader: whatever a config file holds, `config.load` gives a Config
or one RosterError line (naming the file, with no raw control character), never another
exception, a traceback or a hang."""

from __future__ import annotations

import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rostertui import config
from rostertui.errors import RosterError
from rostertui.text import safe

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Pieces of YAML that reach the parser's corners: anchors, aliases, merge keys, tags,
# flow and block collections, odd scalars (0x_, 2001-02-30, .nan), ${VAR}, ~user paths.
TOKENS = ("source:", "sync:", "store:", "limits:", "schools:", "kind:", "path:",
          "oneroster_csv", "clever", "oneroster_rest", "token:", "delete_threshold_percent:",
          "clear_threshold_percent:", "match_existing:", "sections:", "include:", "school:",
          "required_fields:", "student:", "\n", "  ", "    ", "- ", ": ", ", ", "[", "]",
          "{", "}", "&a ", "*a", "<<: ", "? ", "!!int ", "!!bool ", "!!binary ", "!!python/",
          "!!timestamp ", "0x_", "2001-02-30", ".nan", "-.inf", "1e999", "-1", "101", "'",
          '"', "\\e", "|", ">", "#", "---", "...", "%YAML 1.1\n", "${HOME}", "${NOPE_UNSET}",
          "~nobody-here/x", "\t", "\x00", "\x1b]0;x\x07", "\u202e", "\r\n", "é", "\ufeff")

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=12),
                    st.sampled_from(["oneroster_csv", "clever", "oneroster_rest", "email",
                                     "source_id", "https://x/ims/oneroster/v1p1", "${HOME}",
                                     "${NOPE_UNSET}", "~nobody-here/x", "nan", "1e999"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=8), st.integers(), st.sampled_from(
        ["school", "subject", "student", "teacher", "name"])), inner, max_size=3)),
    max_leaves=8)


NAMES = st.sampled_from(["email", "username", "student", "teacher", "staff", "school",
                         "subject", "name", "period", "sch1", "*math*"])
# A value of the type the schema asks for, most of the time, so that checks past the
# first wrong type are reached too.
TYPED = {str: st.one_of(st.text(max_size=12), NAMES),
         int: st.integers(), float: st.one_of(st.floats(), st.integers()), bool: st.booleans(),
         list: st.lists(st.one_of(NAMES, VALUES, st.dictionaries(
             st.one_of(NAMES, st.integers(), st.none()), VALUES, max_size=3)), max_size=3),
         dict: st.dictionaries(NAMES, st.one_of(st.lists(NAMES, max_size=2), VALUES),
                               max_size=3)}


def mostly(kind: type):
    return st.integers(0, 9).flatmap(lambda n: VALUES if n == 0 else TYPED[kind])


def section(schema: dict):
    """A mapping of some of the schema's keys, each with a value mostly of its type."""
    return st.fixed_dictionaries({}, optional={
        key: section(spec) if isinstance(spec, dict) else mostly(spec[0])
        for key, spec in schema.items()})


SOURCES = st.one_of(
    st.fixed_dictionaries({"kind": st.just("oneroster_csv"), "path": mostly(str)}),
    st.fixed_dictionaries({"kind": st.sampled_from(config.SOURCE_KINDS)},
                          optional={k: mostly(spec[0]) for k, spec in config._SOURCE.items()
                                    if k != "kind"}))
CONFIGS = st.fixed_dictionaries(
    {"source": SOURCES},
    optional={name: section(spec) if isinstance(spec, dict) else mostly(spec[0])
              for name, spec in config.SCHEMA.items() if name != "source"})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def loads(folder, data: bytes):
    """config.load of these bytes as the file: a Config, or the RosterError's message."""
    path = folder / "config.yaml"
    path.write_bytes(data)
    os.chmod(path, 0o600)
    try:
        return config.load(path)
    except RosterError as exc:
        message = str(exc)
        assert message.startswith(str(path)), message
        assert message == safe(message), "a raw control character or newline in: " + message
        return message


@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_is_a_config_or_one_error(folder, text):
    loads(folder, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(data=st.binary(max_size=300))
def test_any_bytes_are_a_config_or_one_error(folder, data):
    loads(folder, data)


@FUZZ
@given(pieces=st.lists(st.sampled_from(TOKENS), max_size=60))
def test_yaml_made_of_its_hard_parts_is_a_config_or_one_error(folder, pieces):
    loads(folder, "".join(pieces).encode("utf-8"))


@FUZZ
@given(raw=CONFIGS)
def test_any_values_under_the_real_keys_are_a_config_or_one_error(folder, raw):
    result = loads(folder, yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).encode())
    if isinstance(result, config.Config):
        for (where, key), top in config.THRESHOLDS.items():
            value = getattr(getattr(result, where), key)
            assert value is None or 0 <= value <= (top if top is not None else value)
