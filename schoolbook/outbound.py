"""Requests we make to addresses someone else gave us (a browser's push endpoint): only to the hosts we
expect, and only to public internet addresses, checked on the connected socket itself, so a name that
resolves to our own network (now, or only at the moment we connect: DNS rebinding) is refused before a
single byte is sent. No Django here: the callers pass their settings in."""

import ipaddress
import re
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_HOST_CHARS = re.compile(r"^[a-z0-9.-]+$")


class NonPublicAddress(ValueError):
    """The host resolved to an address that is not on the public internet: nothing was sent. Permanent.
    Not an OSError, so urllib3 neither retries it nor hides it in a ConnectionError."""


def origin(url: str) -> str:
    """scheme://host:port, the port always written, for comparing against an exact list."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def host_allowed(host: str, patterns) -> bool:
    """`host` (lower case, as urlsplit gives it) is one of `patterns`: an exact name, or "*.example.com"
    for any name under example.com (not example.com itself). Names only: an IP address in any spelling
    (127.1, 0177.0.0.1) is in no list, and a trailing dot or any character but a-z 0-9 . - never matches."""
    if not host or not _HOST_CHARS.match(host) or host.endswith(".") or ".." in host:
        return False
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def url_allowed(url: str, hosts, exempt_origins=()) -> bool:
    """An https URL on the default port of an allowed host with nothing else in its authority (no user,
    no password, no backslash for a parser to read differently); or exactly one of `exempt_origins`."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return False
    if "\\" in url or parts.username is not None or parts.password is not None:
        return False
    if origin(url) in exempt_origins:
        return True
    return parts.scheme == "https" and port in (None, 443) and host_allowed(host, hosts)


def is_public_address(address: str) -> bool:
    """A global unicast address; loopback, private, link-local (cloud metadata), shared (CGNAT),
    reserved, multicast and IPv4-mapped private addresses are not."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PublicOnly:
    """Mixed into urllib3's connections: the socket is checked as soon as it is connected, before TLS or
    any request byte; `exempt` is the set of "host:port" a test may reach on its own machine."""

    exempt: frozenset = frozenset()

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if f"{self.host}:{self.port}" not in self.exempt and not is_public_address(peer):
            sock.close()
            raise NonPublicAddress(f"{self.host} resolved to {peer}, which is not a public internet address")
        return sock


def public_only_session(exempt_origins=()) -> requests.Session:
    """A requests session that connects to public addresses only (the exact origins given excepted, for a
    local fake in the tests) and ignores proxy settings from the environment (a proxy would be the peer)."""
    exempt = frozenset(o.split("://", 1)[1] for o in exempt_origins)
    connection = type("Connection", (_PublicOnly, HTTPConnection), {"exempt": exempt})
    tls_connection = type("TLSConnection", (_PublicOnly, HTTPSConnection), {"exempt": exempt})
    pools = {
        "http": type("Pool", (HTTPConnectionPool,), {"ConnectionCls": connection}),
        "https": type("TLSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls_connection}),
    }

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

    session = requests.Session()
    session.trust_env = False
    for prefix in ("http://", "https://"):
        session.mount(prefix, Adapter())
    return session
