"""Keep secrets out of anything printed, logged or stored."""

from __future__ import annotations

MASK = "***"


def scrub(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, MASK)
    return text
