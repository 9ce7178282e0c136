# One command per chore; CI (.ci/run) calls `make test`. `make help` lists the targets.
VENV ?= .venv
PY := $(VENV)/bin/python
PROMPT ?= Summarise what this repository does in three sentences.
# The programs the tests run beside codex-lsp (Codex CLI, npm MCP servers, code-server), cached
# outside the repository; tests/peers.sh installs them and writes their paths to env.sh.
PEERS_DIR ?= $(HOME)/.cache/codex-lsp/peers
PEERS_ENV := $(PEERS_DIR)/env.sh

.PHONY: help setup run peers test test-fast lint extension acp-test bench bench-gate generate

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed  ## create .venv with codex-lsp and the dev tools

run: setup  ## run `codex-lsp exec` on a sample prompt with the detected provider
	$(VENV)/bin/codex-lsp exec "$(PROMPT)"

lint: setup node_modules/.installed  ## ruff, mypy (strict on server/), import layering; ESLint and Prettier on the extension
	$(PY) -m ruff check server tests bench
	$(PY) -m ruff format --check server tests bench
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	npm run lint

node_modules/.installed: package.json package-lock.json vscode-extension/package.json
	npm ci --no-audit --no-fund
	touch $@

extension: setup node_modules/.installed  ## the VS Code extension: type check, bundle, unit tests (the bridge against a real server), .vsix
	npm run typecheck
	npm run build
	CODEX_LSP_PYTHON=$(abspath $(PY)) npm test
	npm run package

acp-tests/node_modules/.installed: acp-tests/package.json acp-tests/package-lock.json
	cd acp-tests && npm ci --no-audit --no-fund
	touch $@

acp-test: setup acp-tests/node_modules/.installed  ## `codex-lsp acp` driven by the official ACP TypeScript client SDK (node --test)
	CODEX_LSP_PYTHON=$(abspath $(PY)) npm --prefix acp-tests test

peers:  ## install the Codex CLI, the npm MCP servers and code-server (and, as root, Debian's chromium, ripgrep)
	bash tests/peers.sh $(PEERS_DIR)

test: peers lint extension acp-test  ## everything: lint, the extension, the ACP client tests, the benchmark gate, the whole Python suite (nothing skipped)
	. $(PEERS_ENV) && $(PY) -m bench.gate
	. $(PEERS_ENV) && CODEX_LSP_NO_SKIPS=1 $(PY) -m pytest -rs --durations=25

test-fast: setup  ## the Python tests not marked slow (no subprocess-heavy end-to-end tests), in about a minute
	$(PY) -m pytest -m "not slow" -q -rs

bench: peers setup node_modules/.installed  ## benchmarks; results (Markdown, JSON, PNG plots) in bench/results/ (not committed)
	$(PY) -m pip install -q -e '.[dev,bench]'
	. $(PEERS_ENV) && $(PY) -m bench.run --codex "$$CODEX_BIN"

bench-gate: peers setup  ## the fast benchmark subset CI holds (ratios against same-run baselines)
	. $(PEERS_ENV) && $(PY) -m bench.gate

generate: setup  ## regenerate the extension's protocol types
	$(VENV)/bin/codex-lsp protocol ts --out vscode-extension/src/shared/generated.ts
