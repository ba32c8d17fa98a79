"""Name resolution for the gateway's public host names without touching /etc/hosts."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_mapped: dict[str, int] = {}
_original = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host  # anyio passes IDNA-encoded bytes
    if isinstance(name, str) and name in _mapped:
        host = "127.0.0.1"
    return _original(host, *args, **kwargs)


@contextmanager
def resolve_locally(hosts: Iterable[str]) -> Iterator[None]:
    """Resolve `hosts` to 127.0.0.1 inside the block, as a browser with --host-resolver-rules would."""
    hosts = list(hosts)
    with _lock:
        for h in hosts:
            _mapped[h] = _mapped.get(h, 0) + 1
        socket.getaddrinfo = _getaddrinfo
    try:
        yield
    finally:
        with _lock:
            for h in hosts:
                _mapped[h] -= 1
                if not _mapped[h]:
                    del _mapped[h]
            if not _mapped:
                socket.getaddrinfo = _original
