"""The smallest pygls server: the cold-start baseline (what pygls + lsprotocol alone cost)."""

from pygls.lsp.server import LanguageServer

if __name__ == "__main__":
    LanguageServer("baseline", "0").start_io()
