"""Loopback addresses of data-plane processes.

On AWS every DB instance and cache node is a host of its own, so all of them listen on the
port their API call asked for (5432, 6379, or the `Port` given). Locally each gets an
address of its own in 127.0.0.0/8 (Linux routes all of it to the loopback interface), so
that they too can share a port.

Each endpoint has a /24 of its own, derived from the port it serves on (unique among the
endpoints of a machine): 127.<port // 256>.<port % 256>.0/24, e.g. 127.19.136.0/24 for
port 5000. PostgreSQL clusters take hosts 1-127, Redis nodes 128-254. So a cluster that is
stopped keeps its address: no other endpoint can take it meanwhile.
"""

import socket
import threading

from .. import configured_port

POSTGRES_HOSTS = (1, 127)
REDIS_HOSTS = (128, 254)

# The port of the endpoint this process serves (server.serve sets it); else LOCAL_AWS_PORT.
_ENDPOINT = {"port": None}

# Held from choosing an address until the process's config names it.
lock = threading.Lock()


class NoFreeAddress(RuntimeError):
    """Every address of the endpoint's range is taken for a port."""


def serve_on(port):
    """Take the addresses of the endpoint serving on `port`."""
    _ENDPOINT["port"] = port


def addresses(hosts, endpoint_port=None):
    """The loopback addresses of an endpoint (this one by default) for a range of host numbers."""
    port = endpoint_port or _ENDPOINT["port"] or configured_port()
    return ["127.%d.%d.%d" % (port >> 8, port & 255, host) for host in range(hosts[0], hosts[1] + 1)]


def free_address(hosts, port, taken):
    """The first of this endpoint's addresses in `hosts` that is not in `taken` and where
    `port` is free."""
    for address in addresses(hosts):
        if address not in taken and _port_free(address, port):
            return address
    raise NoFreeAddress(f"no address of {addresses(hosts)[0]}-{addresses(hosts)[-1]} is free for port {port}")


def _port_free(address, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: a connection of an earlier process in TIME_WAIT does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True
