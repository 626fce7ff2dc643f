"""The footer: the keys that work here, drawn as one line of text.

Textual's Footer rebuilds a widget per key on every focus change, and a tab switch moves
the focus twice: measured here, that was 150-250 ms of each tab switch. This draws the
same keys (grouped keys share one description, as in Footer) in about a millisecond.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


class KeyFooter(Widget):
    COMPONENT_CLASSES = {"keyfooter--key", "keyfooter--description"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom; height: 1; background: $footer-background;
    }
    KeyFooter > .keyfooter--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    KeyFooter > .keyfooter--description { color: $footer-description-foreground; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def _shown(self) -> list[tuple[Binding, bool]]:
        """One binding per action, in the order Footer shows them."""
        seen: dict[str, tuple[Binding, bool]] = {}
        for _, binding, enabled, _ in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen[binding.action] = (binding, enabled)
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
        entries: list[tuple[str, str, bool]] = []
        group, keys = None, []
        for binding, enabled in self._shown():
            if binding.group is not None and binding.group is group:
                keys.append(self.app.get_key_display(binding))
                entries[-1] = (_span(keys), group.description, True)
                continue
            group, keys = binding.group, [self.app.get_key_display(binding)]
            entries.append((keys[0], group.description if group else binding.description,
                            enabled))
        palette = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette")
        entries.append((self.app.get_key_display(palette), "Palette", True))
        return entries


def _span(keys: list[str]) -> str:
    return f"{keys[0]}-{keys[-1]}" if len(keys) > 2 else "".join(keys)
