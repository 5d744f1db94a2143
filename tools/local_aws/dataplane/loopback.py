"""Loopback addresses of data-plane processes.

On AWS every DB instance and cache node is a host of its own, so all of them listen on the
port their API call asked for (5432, 6379, or the `Port` given). Locally each gets an
address of its own in 127.0.0.0/8 (Linux routes all of it to the loopback interface), so
that they too can share a port: PostgreSQL clusters in 127.10.0.0/16, Redis nodes in
127.20.0.0/16.
"""

import ipaddress
import socket
import threading

POSTGRES_NETWORK = ipaddress.ip_network("127.10.0.0/16")
REDIS_NETWORK = ipaddress.ip_network("127.20.0.0/16")

# Held from choosing an address until the process's config names it.
lock = threading.Lock()


class NoFreeAddress(RuntimeError):
    """Every address of a network is taken for a port."""


def free_address(network, port, taken):
    """The first address of `network` that is not in `taken` and where `port` is free."""
    for host in network.hosts():
        address = str(host)
        if address not in taken and _port_free(address, port):
            return address
    raise NoFreeAddress(f"no address of {network} is free for port {port}")


def _port_free(address, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: a connection of an earlier process in TIME_WAIT does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True
