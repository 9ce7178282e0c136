"""Configuration: a typed tree (``config.model``) read from config.toml (``config.loader``) with
``-c`` overrides (``config.overrides``). Import the submodules directly; this file stays empty
so that parsing ``-c`` does not load pydantic."""
