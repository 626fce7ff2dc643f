"""What a connector says about its settings: the keys of the config's `source:` section.

Every connector class declares them (see connectors/__init__.py for the whole contract):

    kind = "clever"                      # the value of `source.kind`
    options = (Option("token", str, required=True, secret=True, help="..."), ...)
    check_options(options)               # what no single key can say; raises OptionError
    from_options(options) -> connector   # built from a checked `source:` mapping

rostertui.config checks a `source:` section against the chosen connector's `options`:
the keys it takes, their types and defaults, which are required, secret (scrubbed from
every message and log), bounded or limited to choices. A newcomer adding a setting
changes only the connector that uses it (and config.example.yaml, which a test holds
to the declarations).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

TYPE_NAMES: dict[type, str] = {str: "a string", int: "a whole number", float: "a number",
                               bool: "true or false", list: "a list"}


@dataclass(frozen=True)
class Option:
    """One `source:` key. `default` is what the config holds when the key is absent
    (None: nothing). A bound is checked only on a value that is there: `at_least` and
    `at_most` include the bound, `above` excludes it (a NaN passes none of them)."""

    name: str
    type: type                       # str, int, float, bool or list (of names)
    default: object = None
    help: str = ""
    required: bool = False           # an empty value counts as missing
    secret: bool = False             # a credential: kept out of the history and messages
    file: bool = False               # a path, relative to the config file's folder
    choices: tuple[str, ...] = ()
    at_least: float | None = None
    above: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        if self.type not in TYPE_NAMES:
            raise TypeError(f"option {self.name}: type must be one of "
                            f"{', '.join(t.__name__ for t in TYPE_NAMES)}")

    def problem(self, value: Any) -> str | None:
        """What is wrong with a value of the right type (`self.type`, checked by the
        caller; None: no value), or None; the message follows the key's name:
        "'source.retries' must be 0 to 10, not 11"."""
        if value is None:
            return None
        if self.choices and value not in self.choices:
            return f"must be {_either(self.choices)}"
        low, high = self.at_least, self.at_most
        if self.above is not None:
            if not (value > self.above and (high is None or value <= high)):
                top = "" if high is None else f" and at most {high:,}"
                return f"must be {TYPE_NAMES[self.type]} above {self.above:,}{top}, not {value}"
        elif low is not None or high is not None:
            if not ((low is None or value >= low) and (high is None or value <= high)):
                if low is not None and high is not None:
                    return f"must be {low:,} to {high:,}, not {value}"
                span = f"of {low:,} or more" if high is None else f"of at most {high:,}"
                return f"must be {TYPE_NAMES[self.type]} {span}, not {value}"
        return None


class OptionError(ValueError):
    """A `source:` value a connector refuses, naming the key: raised by check_options."""

    def __init__(self, key: str, problem: str):
        super().__init__(f"'source.{key}' {problem}")
        self.key = key
        self.problem = problem


ONEROSTER_VERSIONS = ("1.1", "1.2")


def oneroster_version(default: str | None, help: str) -> Option:
    """`source.version`, beside `source.kind`: the OneRoster version a OneRoster source
    speaks (CSV and REST alike). Quote it in YAML ("1.2"); a bare 1.2 is read the same."""
    return Option("version", str, default, choices=ONEROSTER_VERSIONS, help=help)


def given(options: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The options among `names` that are set (not None, empty or zero): the keyword
    arguments a connector's constructor takes, leaving its own defaults for the rest."""
    return {name: options[name] for name in names if options.get(name)}


def _either(choices: tuple[str, ...]) -> str:
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"
