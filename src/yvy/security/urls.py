"""Outbound URLs the server will call (webhooks): ``http(s)`` only, and by default only hosts
whose every address is a public (global unicast) one, so that a subscriber cannot point the
server at its own loopback, the cloud metadata service (169.254.169.254) or the agency's
internal network (server-side request forgery). Checked when a webhook is created and again
before each delivery (a host name may resolve differently later).

Must not import: click, fastapi, yvy.storage, yvy.api, yvy.cli.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..errors import InputError

__all__ = ["check_outbound_url"]


def check_outbound_url(url: str, *, allow_private: bool = False, subject: str = "url") -> str:
    """``url`` if the server may send requests to it, else InputError naming why.

    Parameters
    ----------
    url
        An ``http://`` or ``https://`` URL.
    allow_private
        Also accept loopback, private, link-local and other non-global addresses (an agency
        whose receivers are internal sets this deliberately).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(subject, f"{url[:200]!r} is not an http(s) URL with a host")
    if parts.username or parts.password:
        raise InputError(subject, "credentials in the URL are not accepted; use the webhook secret")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InputError(subject, f"{url[:200]!r} has an invalid port") from None
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise InputError(subject, f"cannot resolve {parts.hostname!r} ({exc.strerror or exc})") from None
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%")[0])
        mapped = getattr(addr, "ipv4_mapped", None)
        if not (mapped or addr).is_global:
            raise InputError(subject, f"{parts.hostname} resolves to {addr}, which is not a public address; "
                             "webhooks may only call public hosts (YVY_WEBHOOK_ALLOW_PRIVATE to change)")
    return url
