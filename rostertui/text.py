"""Making untrusted text safe for a person to read: on a terminal, in the dashboard, in
a history entry or in a CSV file.

Source data (a CSV cell, a server's error JSON) may carry escape sequences that retitle
or recolour a terminal (ESC, BEL and the other C0/C1 controls), a newline that forges a
line of output, and bidi controls that make text read in another order than it is
stored. Each is shown as a visible escape (\\x1b, \\n, \\u202e), so the value stays
readable and nothing is silently dropped.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CONTROLS = [*range(0x00, 0x20), *range(0x7F, 0xA0)]  # C0, DEL, C1 (NEL among them)
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_LINE_BREAKS = [0x2028, 0x2029]  # line and paragraph separators: newlines to an editor
_TABLE = {code: _NAMED.get(chr(code), f"\\x{code:02x}") for code in _CONTROLS}
_TABLE |= {code: f"\\u{code:04x}" for code in _BIDI + _LINE_BREAKS}


def safe(value: object) -> str:
    """One value as text with every control, newline, tab and bidi control escaped.

    All of them are outside str.isprintable(), so printable text (nearly all of it)
    is returned as it is without building a new string.
    """
    text = "" if value is None else str(value)
    return text if text.isprintable() else text.translate(_TABLE)


def clean_message(text: object) -> str:
    """A message of ours that may span lines (a source's list of problems): each line
    made safe, the line breaks between them kept. For the history and the CLI's errors."""
    if text is None:
        return ""
    return "\n".join(safe(line) for line in str(text).split("\n"))
