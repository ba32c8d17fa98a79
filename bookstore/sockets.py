"""The sockets the platform's processes listen on: every component's process tree, from the kernel's view."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import psutil


@dataclass(frozen=True, order=True)
class Listener:
    protocol: str  # "tcp" or "udp"
    address: str
    port: int
    pid: int

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        ip = ipaddress.ip_address(self.address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return ip.ipv4_mapped  # a dual-stack JVM socket bound to 127.0.0.1 shows as ::ffff:127.0.0.1
        return ip

    @property
    def loopback(self) -> bool:
        return self.ip.is_loopback  # 127.0.0.0/8 or ::1; 0.0.0.0 and :: (every interface) are not

    def __str__(self) -> str:
        host = f"[{self.ip}]" if self.ip.version == 6 else str(self.ip)
        return f"{host}:{self.port}" + ("/udp" if self.protocol == "udp" else "")


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (a component's launcher script, its JVM, its worker processes)."""
    try:
        root = psutil.Process(pid)
        return [pid, *(child.pid for child in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return []


def all_listeners() -> list[Listener]:
    """Every TCP socket in LISTEN state and every bound, unconnected UDP socket on this machine, with its pid."""
    found = set()
    for conn in psutil.net_connections(kind="inet"):
        if not conn.laddr or conn.pid is None:
            continue
        if conn.type == socket.SOCK_STREAM and conn.status == psutil.CONN_LISTEN:
            protocol = "tcp"
        elif conn.type == socket.SOCK_DGRAM and not conn.raddr:
            protocol = "udp"
        else:
            continue
        found.add(Listener(protocol, conn.laddr.ip, conn.laddr.port, conn.pid))
    return sorted(found)


def owned_by(pids: list[int], among: list[Listener]) -> list[Listener]:
    wanted = set(pids)
    return [listener for listener in among if listener.pid in wanted]
