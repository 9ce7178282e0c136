"""Templates of SPEC files: the project's own (``templates/`` or ``.specify/templates/``), then
``$CODEX_LSP_HOME/templates/``, then the ones shipped in this package; and the filling of their
``[UPPER_SNAKE]`` placeholders (GitHub's ``[FEATURE NAME]``, ``[###-feature-name]`` and
``$ARGUMENTS`` too). Only known placeholders are replaced: ``[P]`` or ``[x]`` stay."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from codex_lsp.errors import SpeckitError
from codex_lsp.speckit.files import read_text
from codex_lsp.speckit.workspace import Workspace

MAX_TEMPLATE_BYTES = 256 * 1024
_TOKEN = re.compile(r"\[(?P<name>[A-Z][A-Z0-9_ ]*|###-feature-name)\]|\$ARGUMENTS")
_ALIASES = {"FEATURE NAME": "FEATURE_NAME", "###-feature-name": "BRANCH", "FEATURE": "FEATURE_NAME"}


@dataclass(frozen=True)
class Template:
    """A template's text and where it came from (a path, or ``package``)."""

    name: str
    text: str
    source: str


def _packaged(name: str, layout: str) -> str | None:
    base = resources.files("codex_lsp.speckit").joinpath("templates")
    for candidate in (base.joinpath(layout, f"{name}-template.md"), base / f"{name}-template.md"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    return None


def find_template(name: str, workspace: Workspace) -> Template:
    """The ``<name>-template.md`` that applies in ``workspace``."""
    file_name = f"{name}-template.md"
    for folder, root in [(d, workspace.root) for d in workspace.layout.template_dirs] + [
        (workspace.home / "templates", workspace.home)
    ]:
        text = read_text(folder / file_name, root, MAX_TEMPLATE_BYTES)
        if text is not None:
            return Template(name, text, str(folder / file_name))
    text = _packaged(name, workspace.layout.kind.value)
    if text is None:
        raise SpeckitError(f"there is no template {file_name!r} (not even in the package)")
    return Template(name, text, "package")


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value (``DESCRIPTION`` fills
    ``$ARGUMENTS``); unknown ones are left as they are."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        key = "DESCRIPTION" if name is None else _ALIASES.get(name, name.replace(" ", "_"))
        return values.get(key, match.group(0))

    return _TOKEN.sub(replace, text)
