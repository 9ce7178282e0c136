"""Names of SPECs: the fork's ``SPEC-KIT-NNN`` ids and slugs, GitHub spec-kit's ``NNN-short-name``
folders, and the feature title written into the tracker and the templates."""

from __future__ import annotations

import re

from codex_lsp.errors import SpeckitError

FORK_PREFIX = "SPEC-KIT-"
SLUG_MAX_CHARS = 60
FORK_ID = re.compile(r"^SPEC-([A-Z][A-Z0-9]*)-(\d+)(?:-|$)", re.IGNORECASE)
"""A fork SPEC folder or id: ``SPEC-<AREA>-<NNN>`` then ``-<slug>`` or the end."""
GITHUB_DIR = re.compile(r"^(\d{8}-\d{6}|\d+)-[^/]+$")
"""A GitHub spec-kit feature folder: ``NNN-name`` or ``YYYYMMDD-HHMMSS-name``."""

_STOP_WORDS = frozenset(
    {
        "i",
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "will",
        "would",
        "should",
        "could",
        "can",
        "may",
        "might",
        "must",
        "shall",
        "this",
        "that",
        "these",
        "those",
        "my",
        "your",
        "our",
        "their",
        "want",
        "need",
        "add",
        "get",
        "set",
    }
)


def slug(description: str) -> str:
    """The fork's slug: lowercase, letters and digits kept, spaces, ``-`` and ``_`` become
    ``-``, everything else dropped, runs collapsed, cut at a word boundary. Raises
    :class:`SpeckitError` when nothing is left."""
    out: list[str] = []
    for char in description.lower():
        if char.isalnum():
            out.append(char)
        elif char.isspace() or char in "-_":
            out.append("-")
    text = re.sub(r"-{2,}", "-", "".join(out)).strip("-")
    if not text:
        raise SpeckitError(
            f"the description {description.strip()!r} has no letters or digits: describe the "
            'feature in words, e.g. /speckit.new "Add user authentication with OAuth2"'
        )
    if len(text) > SLUG_MAX_CHARS:
        cut = text[:SLUG_MAX_CHARS]
        text = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return text


def github_short_name(description: str) -> str:
    """GitHub spec-kit's short name: the meaningful words (no stop words, three letters or
    more unless an acronym), at most three (four when there are exactly four)."""
    words = re.findall(r"[A-Za-z0-9]+", description)
    meaningful = [
        w.lower()
        for w in words
        if w.lower() not in _STOP_WORDS and (len(w) >= 3 or (w.isupper() and len(w) > 1))
    ]
    if not meaningful:
        return "-".join(slug(description).split("-")[:3])
    keep = 4 if len(meaningful) == 4 else 3
    return "-".join(meaningful[:keep])


def feature_title(description: str) -> str:
    """The description with the first letter of each word upper-cased (``OAuth2`` stays)."""
    words = description.strip().strip("\"'").split()
    return " ".join(w[:1].upper() + w[1:] for w in words)


def fork_id(number: int) -> str:
    """``SPEC-KIT-071`` (three digits at least)."""
    return f"{FORK_PREFIX}{number:03d}"
