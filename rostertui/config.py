"""The YAML config: load, expand ${ENV_VAR}, check every key against a schema.

Every mistake is one line naming the file and the key (or the YAML line).
Secrets (tokens, client secrets) are kept only in memory and listed in `secrets`
so that logs and error text can be scrubbed of them.

The checked `sync:` and `limits:` sections become typed, frozen policy objects
(SyncPolicy, Limits): one attribute per key, so `sync.contacts` in the YAML is
`config.sync.contacts` in the code. A new key is a line of SCHEMA (its type and default,
the one place a default is written), an attribute of its policy, and a line of
`_sync_policy` or `_limits`.
"""

from __future__ import annotations

import copy
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, cast

import yaml

from connectors import CONNECTORS, carried_fields
from connectors.options import Option, OptionError

from . import paths
from .errors import RosterError
from .model import SOURCE_FIELDS
from .text import safe

# `source:` is declared by the connectors (connectors/__init__.py): `kind` picks one, and
# its `options` say which keys it takes. SOURCE_KINDS, SECRET_KEYS and _SOURCE below are
# derived from those declarations; nothing about one source is written here.
SOURCE_KINDS = tuple(CONNECTORS)


# A key's spec: (type, default), or (type, default, the values allowed); a nested
# section is a mapping of its own keys.
Spec: TypeAlias = "tuple[type, Any] | tuple[type, Any, tuple[str, ...]]"
Schema: TypeAlias = "Mapping[str, Spec | Schema]"


def _source_schema() -> dict[str, tuple[type, Any]]:
    """Every source key of every kind as (type, default), to read and type them before
    the kind is known. A key that several kinds take must have one type; its default
    here is theirs when they agree, else None (Clever's base_url has a default, OneRoster
    REST's is required): each kind's own default is filled in by _check_source."""
    declared: dict[str, list[Option]] = {}
    for connector in CONNECTORS.values():
        for option in connector.options:
            declared.setdefault(option.name, []).append(option)
    schema: dict[str, tuple[type, Any]] = {"kind": (str, None)}
    for name, options in declared.items():
        if len({o.type for o in options}) > 1:
            raise TypeError(f"source.{name} is declared with different types")
        defaults = [o.default for o in options]
        schema[name] = (options[0].type,
                        defaults[0] if all(d == defaults[0] for d in defaults) else None)
    return schema


SECRET_KEYS = frozenset(o.name for c in CONNECTORS.values() for o in c.options if o.secret)
# key: (type, default). A dict value is a nested section. `None` default: optional.
_SOURCE = _source_schema()
USERNAME_SOURCES = ("district_username", "email", "sis_id")
MATCH_KEYS = ("source_id", "email", "username", "name")
# The default of sync.required_fields, narrowed to what the configured source can carry
# (connectors.carried_fields): a OneRoster source is not asked for a graduation year.
REQUIRED_FIELDS = {"student": ["email", "username", "graduation_year"], "teacher": ["email"],
                   "staff": ["first_name", "last_name", "sis_id", "email"]}
SCHEMA: Schema = {
    "source": _SOURCE,
    "store": {"path": (str, None)},
    "sync": {
        "delete_threshold": (int, 500), "delete_threshold_percent": (float, 25.0),
        "clear_threshold_percent": (float, 10.0),
        "enrollment_threshold_percent": (float, 25.0),
        "change_threshold_percent": (float, 50.0),
        "username_source": (str, "district_username", USERNAME_SOURCES),
        "match_existing": (list, ["source_id"], MATCH_KEYS),
        "legacy_id_fields": (list, ["legacy_ids"]),
        "unique_section_names": (bool, False),
        "contacts": (bool, True),
        "required_fields": (dict, REQUIRED_FIELDS),
        "sections": {"include": (list, []), "exclude": (list, [])},
    },
    "schools": (dict, {}),
    "limits": {"max_sections": (int, None), "max_users": (int, None)},
    "keymap": (dict, {}),  # binding id -> keys; checked by screens/keymap.py at start
}
# The guards' numbers: (section, key) -> the largest value allowed (None: no bound).
# Each must be a finite number, 0 or more; a NaN would make every comparison false and
# so turn its guard off without a word.
THRESHOLDS = {("sync", "delete_threshold"): None, ("sync", "delete_threshold_percent"): 100,
              ("sync", "clear_threshold_percent"): 100,
              ("sync", "enrollment_threshold_percent"): 100,
              ("sync", "change_threshold_percent"): 100,
              ("limits", "max_sections"): None, ("limits", "max_users"): None}
MAX_CONFIG_BYTES = 1024 * 1024  # a real config is a few KB
MAX_YAML_DEPTH = 50
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


# A section rule (sync.sections.include / exclude): rule key -> pattern, all of which a
# section must match (staging/steps/section_rules.py reads them).
SectionRule: TypeAlias = Mapping[str, object]


@dataclass(frozen=True)
class SectionPolicy:
    """sync.sections: with include rules a section must match one of them, and a section
    matching any exclude rule is left out."""

    include: tuple[SectionRule, ...]
    exclude: tuple[SectionRule, ...]


@dataclass(frozen=True)
class SyncPolicy:
    """The config's `sync:` section, checked: the district's policies. Defaults: SCHEMA.

    The thresholds are the guards' (safety.py); the rest the staging steps'
    (staging/steps/, one module per policy)."""

    delete_threshold: int                  # archives (and removals) in one sync
    delete_threshold_percent: float        # ... of the active records of a type
    clear_threshold_percent: float         # a field emptied, of the active records of a type
    enrollment_threshold_percent: float    # enrollments removed, sections left empty
    change_threshold_percent: float        # records changed, of the active ones of a type
    username_source: str                   # one of USERNAME_SOURCES
    match_existing: tuple[str, ...]        # of MATCH_KEYS, in the order they are tried
    legacy_id_fields: tuple[str, ...]      # legacy_ids, extra.<key>: where old ids are named
    unique_section_names: bool
    contacts: bool
    required_fields: Mapping[str, tuple[str, ...]]  # type -> fields (REQUIRED_FIELDS' types)
    sections: SectionPolicy


@dataclass(frozen=True)
class Limits:
    """The config's `limits:` section: capacity after a sync (None: no limit)."""

    max_sections: int | None = None
    max_users: int | None = None


@dataclass
class Config:
    path: Path | None
    source: dict[str, Any]
    store_path: Path
    sync: SyncPolicy
    schools: dict[str, str | None] = field(default_factory=dict)
    limits: Limits = Limits()
    secrets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    keymap: dict[str, Any] = field(default_factory=dict)  # checked by screens/keymap.py


def default_path() -> Path:
    local = Path("config.yaml")
    return local if local.exists() else paths.config_dir() / "config.yaml"


def load(path: Path | None = None) -> Config:
    path = Path(path) if path else default_path()
    if not path.exists():
        raise RosterError(f"{safe(path)}: no config file there; copy config.example.yaml "
                          "to ./config.yaml or pass --config")
    try:
        return from_dict(_read_yaml(path), path)
    except RosterError as exc:  # one line: a key, a value or the path may hold a newline
        raise RosterError(safe(exc)) from None


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise RosterError(f"{path}: the config is over {MAX_CONFIG_BYTES // 1024 ** 2} MB; "
                              "is this the right file?")
        return yaml.load(data.decode("utf-8"), Loader=_ConfigLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = (getattr(exc, "problem", None) or getattr(exc, "reason", None)
                   or "not valid YAML")
        raise RosterError(f"{path}{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the config ({exc})") from None


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader for a config: no anchors or aliases, nesting bounded, and a value no
    constructor can read (a 0x_ int, a 30th of February) is an error at its line.

    An alias repeats a node without repeating its text, so ten lines can expand to
    gigabytes (the "billion laughs"); a config never needs one. Deep nesting would
    otherwise end in a RecursionError.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # composing a node, the next event is one (scalar, alias, collection start);
        # types-PyYAML leaves Parser.peek_event unannotated
        event: yaml.NodeEvent = self.peek_event()  # type: ignore[no-untyped-call]
        # SafeLoader's parser is the pure-Python one: its marks are never the C Mark
        mark = cast("yaml.Mark | None", event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            raise _refused("YAML aliases are not allowed", mark)
        if event.anchor is not None:
            raise _refused("YAML aliases are not allowed, nor anchors (&name) for them", mark)
        if self._depth >= MAX_YAML_DEPTH:
            raise _refused(f"nested more than {MAX_YAML_DEPTH} deep", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, LookupError, TypeError, AttributeError, ArithmeticError) as exc:
            # PyYAML's constructors fail in these ways on a malformed scalar or tag
            tag = node.tag.rsplit(":", 1)[-1]
            raise _refused(f"not a valid {tag} ({exc})", node.start_mark) from None


def _refused(problem: str, mark: yaml.Mark | None) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=problem, problem_mark=mark)


def from_dict(raw: dict[str, Any], path: Path | None = None,
              base_dir: Path | None = None) -> Config:
    where = str(path) if path else "config"
    if not isinstance(raw, dict):
        raise RosterError(f"{where}: the config must be a mapping of keys")
    secrets: list[str] = []
    in_file: list[str] = []  # secret keys written in the file itself, not from ${VAR}
    values = _check_section(raw, SCHEMA, "", where, secrets, in_file)
    source = values["source"]
    options = _check_source(source, where)
    base = base_dir or (path.parent if path else Path.cwd())
    for option in options:
        if option.file and source.get(option.name):
            source[option.name] = str(_home(base / source[option.name],
                                            f"source.{option.name}", where))
    store = values["store"]["path"]
    store_path = (_home(base / store, "store.path", where) if store
                  else paths.data_dir() / "store.json")
    _check_policies(values, where)
    given = isinstance(raw.get("sync"), dict) and raw["sync"].get("required_fields") is not None
    dropped = _carried_required(values["sync"], source["kind"], where, given)
    cfg = Config(path, source, store_path, _sync_policy(values["sync"]), values["schools"],
                 _limits(values["limits"]), secrets, keymap=values["keymap"])
    cfg.warnings += dropped
    if path and in_file and _readable_by_others(path):
        cfg.warnings.append(f"{path} holds secrets ({', '.join(in_file)}) and is readable "
                            f"by group or others; run: chmod 600 {path}")
    return cfg


def _sync_policy(sync: dict[str, Any]) -> SyncPolicy:
    """The checked `sync:` section (every key there, at its default when not given)."""
    sections = sync["sections"]
    return SyncPolicy(
        delete_threshold=sync["delete_threshold"],
        delete_threshold_percent=sync["delete_threshold_percent"],
        clear_threshold_percent=sync["clear_threshold_percent"],
        enrollment_threshold_percent=sync["enrollment_threshold_percent"],
        change_threshold_percent=sync["change_threshold_percent"],
        username_source=sync["username_source"],
        match_existing=tuple(sync["match_existing"]),
        legacy_id_fields=tuple(sync["legacy_id_fields"]),
        unique_section_names=sync["unique_section_names"],
        contacts=sync["contacts"],
        required_fields={type_: tuple(fields)
                         for type_, fields in sync["required_fields"].items()},
        sections=SectionPolicy(include=tuple(sections["include"]),
                               exclude=tuple(sections["exclude"])))


def _limits(limits: dict[str, Any]) -> Limits:
    return Limits(max_sections=limits["max_sections"], max_users=limits["max_users"])


def _home(path: Path, name: str, where: str) -> Path:
    """The path with a leading ~ or ~user expanded; an unknown user is a config error."""
    try:
        return path.expanduser()
    except RuntimeError:
        raise RosterError(f"{where}: '{name}' starts with ~ but that home folder is "
                          f"unknown: {path}") from None


def _check_section(raw: dict[Any, Any], schema: Schema, prefix: str, where: str,
                   secrets: list[str], in_file: list[str]) -> dict[str, Any]:
    unknown = sorted(set(raw) - set(schema), key=str)
    if unknown:
        raise RosterError(f"{where}: unknown key '{prefix}{unknown[0]}'")
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        name = prefix + key
        if isinstance(spec, Mapping):
            sub = raw.get(key) or {}
            if not isinstance(sub, dict):
                raise RosterError(f"{where}: '{name}' must be a mapping of keys")
            out[key] = _check_section(sub, spec, name + ".", where, secrets, in_file)
            continue
        kind, default, *choices = spec
        value = raw.get(key)
        if value is None:
            out[key] = copy.deepcopy(default)
            continue
        literal = isinstance(value, str) and not _ENV.search(value)
        value = _expand(value, name, where)
        out[key] = _coerce(value, kind, name, where)
        if choices:
            _check_choices(out[key], choices[0], name, where)
        if key in SECRET_KEYS and out[key]:
            secrets.append(out[key])
            if literal:
                in_file.append(name)
    return out


def _check_choices(value: object, choices: tuple[str, ...], name: str, where: str) -> None:
    for item in value if isinstance(value, list) else [value]:
        if item not in choices:
            raise RosterError(f"{where}: '{name}' must be one of {', '.join(choices)}, "
                              f"not '{item}'")


def _expand(value: object, name: str, where: str) -> object:
    if isinstance(value, list):
        return [_expand(v, name, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, f"{name}.{k}", where) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def env(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in os.environ:
            raise RosterError(f"{where}: '{name}' uses ${{{var}}}, but the environment "
                              f"variable {var} is not set")
        return os.environ[var]

    return _ENV.sub(env, value)


def _coerce(value: object, kind: type, name: str, where: str) -> Any:
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind in (int, float) and isinstance(value, str):
        try:
            return kind(value)
        except ValueError:
            pass
    if kind is bool and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind is list and isinstance(value, list):  # of names, or of rules (mappings)
        return [{str(k): x for k, x in v.items()} if isinstance(v, dict) else str(v)
                for v in value]
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping of keys"}
    raise RosterError(f"{where}: '{name}' must be {names[kind]}, not {type(value).__name__}")


def _check_source(source: dict[str, Any], where: str) -> tuple[Option, ...]:
    """Check the typed `source:` section against its connector's declared options, fill
    in the kind's defaults, and return those options."""
    kind = source.get("kind")
    if kind not in SOURCE_KINDS:
        raise RosterError(f"{where}: 'source.kind' must be one of {', '.join(SOURCE_KINDS)}"
                          + (f", not '{kind}'" if kind else ""))
    connector = CONNECTORS[kind]
    options = connector.options
    declared = {option.name for option in options}
    # Another kind's key is allowed only at its default: a clever source may say
    # `retries: 3` but not `path: x`.
    for key, (_, default) in _SOURCE.items():
        if key != "kind" and key not in declared and source.get(key) not in (None, default):
            raise RosterError(f"{where}: 'source.{key}' does not apply to a {kind} source")
    for key in sorted(option.name for option in options if option.required):
        if not source.get(key):
            raise RosterError(f"{where}: 'source.{key}' is required for a {kind} source")
    for option in options:
        problem = option.problem(source.get(option.name))
        if problem:
            raise RosterError(f"{where}: 'source.{option.name}' {problem}")
    # A secret goes into an HTTP header: a newline (a YAML | block adds one) or a
    # control character would end up quoted in an error; the value is never shown.
    for key in sorted(option.name for option in options if option.secret):
        value = source.get(key) or ""
        if any(c.isspace() or not c.isprintable() for c in value):
            raise RosterError(f"{where}: 'source.{key}' contains whitespace or control "
                              "characters (a YAML | block adds a newline: use |- or quotes)")
        if not value.isascii():
            raise RosterError(f"{where}: 'source.{key}' contains non-ASCII characters")
    for option in options:
        if source.get(option.name) in (None, "") and option.default is not None:
            source[option.name] = copy.deepcopy(option.default)
    try:
        connector.check_options(source)
    except OptionError as exc:
        raise RosterError(f"{where}: {exc}") from None
    return options


def _check_policies(values: dict[str, Any], where: str) -> None:
    """The policy keys whose shape the plain schema cannot say."""
    from .staging.steps import section_rules

    _check_thresholds(values, where)
    sync = values["sync"]
    for type_, fields in sync["required_fields"].items():
        if type_ not in REQUIRED_FIELDS or not isinstance(fields, list):
            raise RosterError(f"{where}: 'sync.required_fields.{type_}' must be a list, for "
                              f"one of {', '.join(REQUIRED_FIELDS)}")
    for name in sync["legacy_id_fields"]:
        if name != "legacy_ids" and not (name.startswith("extra.") and len(name) > 6):
            raise RosterError(f"{where}: 'sync.legacy_id_fields' names '{name}': give "
                              "legacy_ids or extra.<key> (a column kept in extra)")
    for which in ("include", "exclude"):
        section_rules.parse(sync["sections"][which], f"sync.sections.{which}", where)
    values["schools"] = {str(k): None if v is None else str(v)
                         for k, v in values["schools"].items()}


def _carried_required(sync: dict[str, Any], kind: str, where: str, given: bool) -> list[str]:
    """Narrow sync.required_fields to the fields a `kind` source can fill: silently for
    the default, with a warning per field the config names (a OneRoster set would warn
    for every student). A field the type does not have at all is an error."""
    carried = carried_fields(kind)
    dropped: list[str] = []
    for type_, fields in sync["required_fields"].items():
        for name in fields:
            if name not in SOURCE_FIELDS[type_]:
                raise RosterError(f"{where}: 'sync.required_fields.{type_}' names '{name}', "
                                  f"which a {type_} does not have")
            if name not in carried[type_] and given:
                dropped.append(f"{where}: 'sync.required_fields.{type_}' names {name}, which "
                               f"a {kind} source never carries; it is not checked")
        sync["required_fields"][type_] = [f for f in fields if f in carried[type_]]
    return dropped


def _check_thresholds(values: dict[str, Any], where: str) -> None:
    for (section, key), top in THRESHOLDS.items():
        value = values[section][key]
        if value is None:
            continue
        finite = not isinstance(value, float) or math.isfinite(value)  # an int is finite
        if not finite or value < 0 or (top is not None and value > top):
            # _coerce gave it the schema's type: an int key's value is an int (never a
            # bool), a float key's a float
            what = "a whole number" if isinstance(value, int) else "a number"
            span = f"from 0 to {top}" if top is not None else "of 0 or more"
            raise RosterError(f"{where}: '{section}.{key}' must be {what} {span}, not {value}")


def _readable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def describe_source(source: dict[str, Any]) -> dict[str, Any]:
    """The source without its secrets: safe for the history, status and --json."""
    return {k: v for k, v in source.items()
            if k not in SECRET_KEYS and v not in (None, [], "")}
