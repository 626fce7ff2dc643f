"""The YAML config: load, expand ${ENV_VAR}, check every key against a schema.

Every mistake is one line naming the file and the key (or the YAML line).
Secrets (tokens, client secrets) are kept only in memory and listed in `secrets`
so that logs and error text can be scrubbed of them.
"""

from __future__ import annotations

import copy
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import paths
from .errors import RosterError

SOURCE_KINDS = ("oneroster_csv", "clever", "oneroster_rest")
SECRET_KEYS = frozenset({"token", "client_secret"})

# key: (type, default). A dict value is a nested section. `None` default: optional.
_SOURCE = {
    "kind": (str, None), "path": (str, None), "base_url": (str, None), "token": (str, None),
    "district_id": (str, None), "schools": (list, []), "auth": (str, "oauth1"),
    "client_id": (str, None), "client_secret": (str, None), "token_url": (str, None),
    "scope": (str, None), "page_size": (int, None), "timeout": (float, 30.0),
    "demographics": (bool, False), "retries": (int, 3),
}
MAX_RETRIES = 10
USERNAME_SOURCES = ("district_username", "email", "sis_id")
MATCH_KEYS = ("source_id", "email", "username", "name")
REQUIRED_FIELDS = {"student": ["email", "username", "graduation_year"], "teacher": ["email"],
                   "staff": ["first_name", "last_name", "sis_id", "email"]}
SCHEMA = {
    "source": _SOURCE,
    "store": {"path": (str, None)},
    "sync": {
        "delete_threshold": (int, 500), "delete_threshold_percent": (float, 25.0),
        "username_source": (str, "district_username", USERNAME_SOURCES),
        "match_existing": (list, ["source_id"], MATCH_KEYS),
        "unique_section_names": (bool, False),
        "contacts": (bool, True),
        "required_fields": (dict, REQUIRED_FIELDS),
        "sections": {"include": (list, []), "exclude": (list, [])},
    },
    "schools": (dict, {}),
    "limits": {"max_sections": (int, None), "max_users": (int, None)},
}
# Which source keys each kind accepts, and which it needs.
KIND_KEYS = {
    "oneroster_csv": ({"kind", "path"}, {"path"}),
    "clever": ({"kind", "base_url", "token", "district_id", "schools", "page_size", "timeout",
                "retries"}, {"token"}),
    "oneroster_rest": ({"kind", "base_url", "auth", "client_id", "client_secret", "token_url",
                        "scope", "page_size", "timeout", "demographics", "retries"},
                       {"base_url", "client_id", "client_secret"}),
}
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Config:
    path: Path | None
    source: dict
    store_path: Path
    sync: dict
    schools: dict[str, str | None] = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def default_path() -> Path:
    local = Path("config.yaml")
    return local if local.exists() else paths.config_dir() / "config.yaml"


def load(path: Path | None = None) -> Config:
    path = Path(path) if path else default_path()
    if not path.exists():
        raise RosterError(f"{path}: no config file there; copy config.example.yaml "
                          "to ./config.yaml or pass --config")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise RosterError(f"{path}{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot read the config ({exc})") from None
    return from_dict(raw, path)


def from_dict(raw: dict, path: Path | None = None, base_dir: Path | None = None) -> Config:
    where = str(path) if path else "config"
    if not isinstance(raw, dict):
        raise RosterError(f"{where}: the config must be a mapping of keys")
    secrets: list[str] = []
    in_file: list[str] = []  # secret keys written in the file itself, not from ${VAR}
    values = _check_section(raw, SCHEMA, "", where, secrets, in_file)
    source = values["source"]
    _check_source(source, where)
    base = base_dir or (path.parent if path else Path.cwd())
    if source.get("path"):
        source["path"] = str((base / source["path"]).expanduser())
    store = values["store"]["path"]
    store_path = (base / store).expanduser() if store else paths.data_dir() / "store.json"
    _check_policies(values, where)
    cfg = Config(path, source, store_path, values["sync"], values["schools"],
                 values["limits"], secrets)
    if path and in_file and _readable_by_others(path):
        cfg.warnings.append(f"{path} holds secrets ({', '.join(in_file)}) and is readable "
                            f"by group or others; run: chmod 600 {path}")
    return cfg


def _check_section(raw: dict, schema: dict, prefix: str, where: str, secrets: list,
                   in_file: list) -> dict:
    unknown = sorted(set(raw) - set(schema))
    if unknown:
        raise RosterError(f"{where}: unknown key '{prefix}{unknown[0]}'")
    out = {}
    for key, spec in schema.items():
        name = prefix + key
        if isinstance(spec, dict):
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


def _check_choices(value, choices: tuple, name: str, where: str) -> None:
    for item in value if isinstance(value, list) else [value]:
        if item not in choices:
            raise RosterError(f"{where}: '{name}' must be one of {', '.join(choices)}, "
                              f"not '{item}'")


def _expand(value, name: str, where: str):
    if isinstance(value, list):
        return [_expand(v, name, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand(v, f"{name}.{k}", where) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def env(match: re.Match) -> str:
        var = match.group(1)
        if var not in os.environ:
            raise RosterError(f"{where}: '{name}' uses ${{{var}}}, but the environment "
                              f"variable {var} is not set")
        return os.environ[var]

    return _ENV.sub(env, value)


def _coerce(value, kind: type, name: str, where: str):
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
    if kind is list and isinstance(value, list):
        return [v if isinstance(v, dict) else str(v) for v in value]
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a mapping of keys"}
    raise RosterError(f"{where}: '{name}' must be {names[kind]}, not {type(value).__name__}")


def _check_source(source: dict, where: str) -> None:
    kind = source.get("kind")
    if kind not in SOURCE_KINDS:
        raise RosterError(f"{where}: 'source.kind' must be one of {', '.join(SOURCE_KINDS)}"
                          + (f", not '{kind}'" if kind else ""))
    allowed, needed = KIND_KEYS[kind]
    for key, (_, default) in _SOURCE.items():
        if key not in allowed and source.get(key) not in (None, default):
            raise RosterError(f"{where}: 'source.{key}' does not apply to a {kind} source")
    for key in sorted(needed):
        if not source.get(key):
            raise RosterError(f"{where}: 'source.{key}' is required for a {kind} source")
    if not 0 <= source["retries"] <= MAX_RETRIES:
        raise RosterError(f"{where}: 'source.retries' must be 0 to {MAX_RETRIES}, "
                          f"not {source['retries']}")
    if kind == "oneroster_rest":
        if source["auth"] not in ("oauth1", "oauth2"):
            raise RosterError(f"{where}: 'source.auth' must be oauth1 or oauth2")
        if source["auth"] == "oauth2" and not source.get("token_url"):
            raise RosterError(f"{where}: 'source.token_url' is required with auth: oauth2")
        if not source["base_url"].rstrip("/").endswith("/ims/oneroster/v1p1"):
            raise RosterError(f"{where}: 'source.base_url' must end in /ims/oneroster/v1p1")
    if kind == "clever":
        source["base_url"] = source.get("base_url") or "https://api.clever.com"


def _check_policies(values: dict, where: str) -> None:
    """The policy keys whose shape the plain schema cannot say."""
    from .policies import section_rules

    sync = values["sync"]
    for type_, fields in sync["required_fields"].items():
        if type_ not in REQUIRED_FIELDS or not isinstance(fields, list):
            raise RosterError(f"{where}: 'sync.required_fields.{type_}' must be a list, for "
                              f"one of {', '.join(REQUIRED_FIELDS)}")
    for which in ("include", "exclude"):
        section_rules.parse(sync["sections"][which], f"sync.sections.{which}", where)
    values["schools"] = {str(k): None if v is None else str(v)
                         for k, v in values["schools"].items()}


def _readable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def describe_source(source: dict) -> dict:
    """The source without its secrets: safe for the history, status and --json."""
    return {k: v for k, v in source.items()
            if k not in SECRET_KEYS and v not in (None, [], "")}
