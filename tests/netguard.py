"""A socket guard: any connection to a non-loopback address fails loudly.

Installed for the whole test session (see conftest.py), so no test can reach the
internet, and a test that proves "offline" proves it against this guard.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo
attempts: list[str] = []


class OutboundConnectionBlockedError(RuntimeError):
    pass


def _is_local(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    if isinstance(address, tuple) and address:
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        attempts.append(repr(address))
        raise OutboundConnectionBlockedError(f"outbound connection blocked in tests: {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_local(address):
        attempts.append(repr(address))
        raise OutboundConnectionBlockedError(f"outbound connection blocked in tests: {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost") and not _is_local((name,)):
        attempts.append(f"dns:{name}")
        raise OutboundConnectionBlockedError(f"DNS lookup blocked in tests: {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


def install() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]


def uninstall() -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo  # type: ignore[assignment]


@contextmanager
def recording() -> Iterator[list[str]]:
    """Collects blocked attempts made inside the block."""
    start = len(attempts)
    box: list[str] = []
    try:
        yield box
    finally:
        box.extend(attempts[start:])
