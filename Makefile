# One command per chore; CI (.ci/run) calls `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PROMPT ?= Summarise what this repository does in three sentences.

.PHONY: setup run test lint extension bench bench-gate generate

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed  ## create .venv with codex-lsp and the dev tools

run: setup  ## run `codex-lsp exec` on a sample prompt with the detected provider
	$(VENV)/bin/codex-lsp exec "$(PROMPT)"

lint: setup  ## ruff, mypy (strict on server/), import layering
	$(PY) -m ruff check server tests bench
	$(PY) -m ruff format --check server tests bench
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

node_modules/.installed: package.json package-lock.json vscode-extension/package.json
	npm ci --no-audit --no-fund
	touch $@

extension: setup node_modules/.installed  ## the VS Code extension: type check, bundle, unit tests (the bridge against a real server), .vsix
	npm run typecheck
	npm run build
	CODEX_LSP_PYTHON=$(abspath $(PY)) npm test
	npm run package

test: lint extension  ## lint, the extension, then the whole Python test suite (slow tests included)
	$(PY) -m pytest

bench: setup node_modules/.installed  ## benchmarks; results (Markdown, JSON, PNG plots) in bench/results/ (not committed)
	$(PY) -m pip install -q -e '.[dev,bench]'
	$(PY) -m bench.run --install-codex /tmp/codex-peer

bench-gate: setup  ## the fast benchmark subset CI holds (ratios against same-run baselines)
	$(PY) -m bench.gate

generate: setup  ## regenerate the extension's protocol types
	$(VENV)/bin/codex-lsp protocol ts --out vscode-extension/src/protocol/generated.ts
