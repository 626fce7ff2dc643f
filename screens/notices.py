"""Notifications: engine and source text is shown literally, never as markup."""

from __future__ import annotations

from textual.dom import DOMNode

from rostertui.text import clean_message


def info(node: DOMNode, text: str, *, title: str = "", timeout: float = 6) -> None:
    node.app.notify(clean_message(text), title=title, markup=False, timeout=timeout)


def warn(node: DOMNode, text: str, *, title: str = "", timeout: float = 10) -> None:
    node.app.notify(clean_message(text), title=title, severity="warning", markup=False,
                    timeout=timeout)


def error(node: DOMNode, exc: Exception | str) -> None:
    node.app.notify(clean_message(str(exc)), title="Error", severity="error", markup=False,
                    timeout=12)
