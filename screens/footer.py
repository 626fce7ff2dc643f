"""The footer: the keys that work here, drawn as one line of text.

Textual's Footer rebuilds a widget per key on every focus change, and a tab switch moves
the focus twice: measured here, that was 150-250 ms of each tab switch. This draws the
same keys (grouped keys share one description, as in Footer) in about a millisecond.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rich.style import Style
from rich.text import Text
from textual.binding import ActiveBinding, Binding
from textual.screen import Screen
from textual.widget import Widget


class KeyFooter(Widget):
    COMPONENT_CLASSES = {"keyfooter--key", "keyfooter--description"}
    # Keys reversed, as nano draws them, not in the theme's key colour: an accent that
    # 16 colours turn into bright red, an error's colour.
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom; height: 1; background: $footer-background;
    }
    KeyFooter > .keyfooter--key {
        color: $foreground; background: $footer-background; text-style: bold reverse;
    }
    KeyFooter > .keyfooter--description { color: $footer-description-foreground; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen[Any]) -> None:
        if screen is self.screen:
            self.refresh()

    def _shown(self, active: list[ActiveBinding]) -> list[tuple[Binding, bool, int]]:
        """One binding per action, in the order Footer shows them, with its place in its
        class's BINDINGS (a keymap moves a rebound key to the end of the active ones)."""
        seen: dict[str, tuple[Binding, bool, int]] = {}
        for namespace, binding, enabled, _ in active:
            if binding.show and binding.action not in seen:
                place = _declared(type(namespace)).get(binding.id or "", 0)
                seen[binding.action] = (binding, enabled, place)
        return list(seen.values())

    def render(self) -> Text:
        """As many whole entries as fit: the app's own (Quit, Help, Palette) come last."""
        key_style = self.get_component_rich_style("keyfooter--key")
        text_style = self.get_component_rich_style("keyfooter--description")
        out = Text(no_wrap=True)
        for keys, description, enabled in self._entries():
            if out.cell_len + len(keys) + len(description) + 2 > self.size.width:
                break
            out.append(f" {keys} ", key_style)
            out.append(f"{description} ", text_style + Style(dim=not enabled))
        out.rstrip()
        return out

    def _entries(self) -> list[tuple[str, str, bool]]:
        """(keys, description, enabled); a group's keys share its description: 1-7 Tabs."""
        entries: list[tuple[list[tuple[int, str]], str, bool]] = []
        groups: dict[Binding.Group, list[tuple[int, str]]] = {}
        active = list(self.screen.active_bindings.values())
        for binding, enabled, place in self._shown(active):
            key = (place, self.app.get_key_display(binding))
            group = binding.group
            if group is None:
                entries.append(([key], binding.description, enabled))
            elif group in groups:
                groups[group].append(key)
            else:
                groups[group] = [key]
                entries.append((groups[group], group.description, True))
        out = [(_span([k for _, k in sorted(keys)]), description, enabled)
               for keys, description, enabled in entries]
        palette = _palette(active)
        if palette is not None:  # its key as the keymap set it; shown last, always
            out.append((self.app.get_key_display(palette), "Palette", True))
        return out


def _palette(active: list[ActiveBinding]) -> Binding | None:
    for _, binding, _, _ in active:
        if binding.action in ("command_palette", "app.command_palette"):
            return binding
    return None


@cache
def _declared(kind: type) -> dict[str, int]:
    """Binding id -> its place in the BINDINGS of the class and its bases."""
    ids = [b.id for c in kind.__mro__ for b in vars(c).get("BINDINGS", [])
           if isinstance(b, Binding) and b.id]
    return {id_: place for place, id_ in reversed(list(enumerate(ids)))}


def _span(keys: list[str]) -> str:
    """1-7 for a run of keys in order; as they are when a keymap broke the run (12345x7)."""
    run = len(keys) > 2 and all(len(k) == 1 for k in keys) and all(
        ord(b) - ord(a) == 1 for a, b in zip(keys, keys[1:]))
    return f"{keys[0]}-{keys[-1]}" if run else "".join(keys)
