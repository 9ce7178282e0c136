"""Command-line entry points. Each subcommand imports only what it needs: ``exec`` never loads
pygls, and the language server never loads the exec renderer."""
