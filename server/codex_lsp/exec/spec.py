"""A launcher's spec: its arguments, folder and environment in one memfd, which is how the server
hands a command to a fork server's launcher (:mod:`codex_lsp.exec.spawn`) and a launcher hands it
to its namespace's init (:mod:`codex_lsp.exec.sandbox_launch`). Imports nothing but ``os``: it
runs in every command's launcher."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # as in sandbox_launch: typing is not imported at run time
if TYPE_CHECKING:
    from collections.abc import Mapping

    Environment = Mapping[str, str] | Mapping[bytes, bytes]


def encode_spec(args: list[str], cwd: str | bytes, env: Environment) -> bytes:
    """NUL-separated fields (folder, made absolute; argument count, arguments, ``KEY=VALUE``
    pairs); ``ValueError`` for what ``execve`` could not carry either."""
    folder = os.path.abspath(os.fsencode(cwd))
    fields = [folder, str(len(args)).encode(), *(os.fsencode(a) for a in args)]
    for key, value in env.items():
        name = os.fsencode(key)
        if not name or b"=" in name:
            raise ValueError(f"illegal environment variable name {key!r}")
        fields.append(name + b"=" + os.fsencode(value))
    if any(b"\0" in field for field in fields):
        raise ValueError("embedded null byte")
    return b"\0".join(fields)


def decode_spec(data: bytes) -> tuple[list[str], bytes, dict[bytes, bytes]]:
    """The arguments, folder and environment from :func:`encode_spec`'s bytes (the last two as
    bytes: the system calls take them so, and decoding costs every command)."""
    fields = data.split(b"\0")
    count = int(fields[1])
    env = dict(item.partition(b"=")[::2] for item in fields[2 + count :])
    return [os.fsdecode(arg) for arg in fields[2 : 2 + count]], fields[0], env


def spec_file(spec: bytes) -> int:
    """A memfd holding ``spec`` (close-on-exec), to pass as a descriptor."""
    fd = os.memfd_create("codex-lsp-spec", os.MFD_CLOEXEC)
    view = memoryview(spec)
    while view:
        view = view[os.write(fd, view) :]
    return fd


def read_spec(fd: int) -> bytes:
    """The whole content of the memfd ``fd``."""
    size = os.fstat(fd).st_size
    parts = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        parts.append(chunk)
        offset += len(chunk)
    return b"".join(parts)
