"""The LSP front end: the only package that imports pygls and lsprotocol."""
