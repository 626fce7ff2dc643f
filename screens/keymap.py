"""The config's `keymap:` section: binding id -> keys, as Posting's keymap.

    keymap:
      commit: ctrl+k          # c commits today; now ctrl+k does, on every screen with c
      tab.students: "6,f6"    # one key or several, comma-separated

Every Binding in screens/ and rostertui/app.py has an id. An id names what the key does,
not where: bindings that do the same thing on several screens share one (back, commit,
search, cancel), so one line moves the key everywhere. A family of keys shares a prefix
(tab.*, list.*, filter.*). `binding_ids` lists them all; README.md "Keys" must too.

`check` turns the section into what `App.set_keymap` takes, or raises a RosterError
naming the key: an unknown id (listing the known ones), a key Textual would never send
(F1 rather than f1, ctl+k), or two actions of one screen or widget on the same key.
Part of the app shell, as rostertui/app.py: the CLI and the engine never import it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

from rostertui.config import Config
from rostertui.errors import RosterError

MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")  # Textual sorts them so
# Named keys Textual sends: escape, enter, tab, space, up, pageup, f1 ... f24.
NAMED = frozenset(k.value.rsplit("+", 1)[-1] for k in Keys
                  if not k.value.startswith("<") and len(k.value.rsplit("+", 1)[-1]) > 1)


def owners() -> list[type[DOMNode]]:
    """Every class in the screens package that declares BINDINGS (the app's are added by
    rostertui/app.py, which imports this module)."""
    import screens

    found: dict[type, None] = {}
    for module in pkgutil.iter_modules(screens.__path__, "screens."):
        try:
            loaded = importlib.import_module(module.name)
        except ModuleNotFoundError as exc:  # screens.hangup needs termios: not on Windows
            if exc.name != "termios":
                raise
            continue
        for value in vars(loaded).values():
            if (isinstance(value, type) and issubclass(value, DOMNode)
                    and value.__module__ == loaded.__name__ and "BINDINGS" in vars(value)):
                found[value] = None
    return list(found)


def bindings_of(owner: type[DOMNode]) -> list[Binding]:
    """The class's own bindings, one per Binding (its comma-separated keys together)."""
    return [b if isinstance(b, Binding) else Binding(*b) for b in vars(owner)["BINDINGS"]]


def binding_ids(classes: Iterable[type[DOMNode]]) -> dict[str, list[tuple[str, Binding]]]:
    """id -> [(owner's name, binding)], sorted by id."""
    ids: dict[str, list[tuple[str, Binding]]] = {}
    for owner in classes:
        for binding in bindings_of(owner):
            if binding.id:
                ids.setdefault(binding.id, []).append((owner.__name__, binding))
    return dict(sorted(ids.items()))


def parse_keys(text: str) -> str:
    """Comma-separated keys in the form Textual's key events take ("ctrl+shift+k",
    "question_mark" for ?), or ValueError saying which key is wrong."""
    out = []
    for key in (k.strip() for k in text.split(",")):
        if not key:
            raise ValueError("an empty key (a stray comma?)")
        if key == "+" or key.endswith("++"):  # the + key itself, maybe with modifiers
            mods, base = [m for m in key[:-1].split("+") if m], "+"
        else:
            *mods, base = key.split("+")
        if any(m not in MODIFIERS for m in mods) or len(set(mods)) != len(mods):
            raise ValueError(f"'{key}': the modifiers are {', '.join(MODIFIERS)}, "
                             "each once, then one key")
        out.append("+".join([*sorted(mods), _base(key, base)]))
    return ",".join(out)


def _base(key: str, base: str) -> str:
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            raise ValueError(f"'{key}': write a space as 'space'")
        return base if base.isalnum() else _character_to_key(base)
    if base in NAMED or _character_name(base):
        return base
    lower = base.lower()
    hint = (f" (did you mean {lower}?)" if lower != base
            and (lower in NAMED or _character_name(lower)) else "")
    raise ValueError(f"'{key}' is not a key Textual knows{hint}; a key is a character "
                     "or a name such as escape, enter, tab, space, up, pageup, home, f1, "
                     "after any modifiers: ctrl+k, shift+f2")


def _character_name(name: str) -> bool:
    """A name Textual gives a character key: question_mark, slash, full_stop, plus."""
    char = key_to_character(REPLACED_KEYS.get(name, name))
    return char is not None and _character_to_key(char) == name


def check(raw: object, classes: Iterable[type[DOMNode]],
          where: str = "config") -> dict[str, str]:
    """The section as {binding id: keys} for App.set_keymap; RosterError if it is wrong."""
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise RosterError(f"{where}: 'keymap' must be a mapping of binding ids to keys")
    classes = list(classes)
    known = binding_ids(classes)
    keymap: dict[str, str] = {}
    for name, value in raw.items():
        name = str(name)
        if name not in known:
            raise RosterError(f"{where}: unknown key 'keymap.{name}': not a binding id; "
                              f"the ids are {', '.join(known)}")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise RosterError(f"{where}: 'keymap.{name}' must be a key such as ctrl+k, "
                              f"not {type(value).__name__}")
        try:
            keymap[name] = parse_keys(str(value))
        except ValueError as exc:
            raise RosterError(f"{where}: 'keymap.{name}': {exc}") from None
    _check_clashes(keymap, classes, where)
    return keymap


def _check_clashes(keymap: dict[str, str], classes: list[type[DOMNode]], where: str) -> None:
    """Two actions of one class on one key: Textual would quietly drop one of them."""
    for owner in classes:
        taken: dict[str, str] = {}
        for binding in _merged(owner):
            name = binding.id or binding.action
            for key in keymap.get(binding.id or "", binding.key).split(","):
                other = taken.setdefault(key, name)
                if other != name:
                    moved, kept = (name, other) if name in keymap else (other, name)
                    raise RosterError(f"{where}: 'keymap.{moved}': {key} is {kept}'s key "
                                      f"in {owner.__name__} too")


def _merged(owner: type[DOMNode]) -> list[Binding]:
    """The bindings an instance has: its class's and, as Textual merges them, its
    bases' (a key bound again lower in the hierarchy replaces the base's)."""
    by_key: dict[str, list[Binding]] = {}
    for base in reversed(owner.__mro__):
        if not issubclass(base, DOMNode) or "BINDINGS" not in vars(base):
            continue
        own: dict[str, list[Binding]] = {}
        for binding in _expanded(vars(base)["BINDINGS"]):
            own.setdefault(binding.key, []).append(binding)
        by_key.update(own)
    return [b for bindings in by_key.values() for b in bindings]


def _expanded(bindings: list[BindingType]) -> list[Binding]:
    out = []
    for b in bindings:
        b = b if isinstance(b, Binding) else Binding(*b)
        out += [b.with_key(k.strip()) for k in b.key.split(",")]
    return out


def section(cfg: Config) -> dict[str, Any]:
    """The `keymap:` section of the config the app was built from ({} with none)."""
    return cfg.keymap or {}
