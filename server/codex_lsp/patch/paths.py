"""What a path in a patch may look like: a name the filesystem can hold and that names a file.

A hostile or confused model can write any string after ``*** Add File:``; the operating system
answers some of them with errors no user should see (a NUL byte, a name over 255 bytes, text that
is not Unicode) and others with a folder instead of a file (``.``, ``a/..``, ``dir/``). Control and
bidirectional-override characters are refused too: the path is shown to the user in approval
requests, and such characters would let it pose as another path there.
"""

from __future__ import annotations

import os

NAME_MAX = 255
"""Bytes in one path component (Linux, macOS)."""
PATH_MAX = 4095
"""Bytes in a whole path, without the terminating NUL (Linux)."""
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SHOWN_CHARS = 60


def _shown(path: str) -> str:
    """``path`` quoted for a message, escapes visible, cut when long."""
    text = repr(path)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 4] + "...'"


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file a patch adds, deletes, updates or moves to (``None``: it
    can). The answer is meant for the model, which wrote the path."""
    if not path.strip():
        return "the path is empty"
    if "\0" in path:
        return f"the path {_shown(path)} contains a NUL byte, which no file name can hold"
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c in _BIDI_CONTROLS for c in path):
        return f"the path {_shown(path)} contains a control character; use a plain file name"
    try:
        encoded = os.fsencode(path)
    except UnicodeError:
        return f"the path {_shown(path)} is not valid Unicode text"
    if len(encoded) > PATH_MAX:
        return f"the path is {len(encoded)} bytes long; a path can have at most {PATH_MAX} bytes"
    for name in encoded.split(b"/"):
        if len(name) > NAME_MAX:
            return (
                f"the path {_shown(path)} has a name of {len(name)} bytes; a file name can have "
                f"at most {NAME_MAX} bytes"
            )
    last = path.rsplit("/", 1)[-1]
    if last in ("", ".", ".."):
        return f"the path {_shown(path)} names a folder, not a file"
    return None
