"""Request limits of the server, checked before any work starts.

Every limit here is explicit, documented in ``docs/security.md`` and enforced at the edge:

- :class:`RequestLimitsMiddleware` (pure ASGI, outermost) refuses a body larger than
  ``max_body_bytes`` with 413 *before the body is read* when ``Content-Length`` says so, and
  stops reading a chunked body as soon as it passes the limit; a body that trickles in slower
  than ``body_timeout`` seconds per chunk gets 408. It runs before authentication, so an
  anonymous client cannot make the server buffer a large body for a route that would 401.
  Named routes may have a larger limit of their own (``route_limits``: a field photo upload,
  streamed to disk by its route), every other route keeps ``max_body_bytes``.
- :func:`check_filter` bounds a CQL2 filter's length, nesting depth and node count before the
  parser sees it (the parser recurses and its time grows with depth: a filter nested a few
  thousand levels deep overflows its stack and kills the process).
- :func:`check_count` bounds list parameters (``ids``, ``collections``).

Must not import: yvy.storage, click.
"""

from __future__ import annotations

import asyncio
import json

from ..errors import InputError

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_COLLECTIONS",
    "MAX_FILTER_CHARS",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_NODES",
    "MAX_IDS",
    "MAX_OFFSET",
    "RequestLimitsMiddleware",
    "check_count",
    "check_filter",
]

MAX_BODY_BYTES = 1 << 20
"""Largest request body accepted (1 MiB; ``YVY_MAX_BODY_BYTES``)."""
MAX_FILTER_CHARS = 4096
"""Longest CQL2 filter (text, or JSON once serialised)."""
MAX_FILTER_DEPTH = 8
"""Deepest nesting of a CQL2 filter: parentheses in text, operators in JSON."""
MAX_FILTER_NODES = 128
"""Most operators and operands in one CQL2 filter."""
MAX_IDS = 1000
"""Most item ids in one search."""
MAX_COLLECTIONS = 100
"""Most collection ids in one search."""
MAX_OFFSET = 10_000_000
"""Largest paging offset a token may carry."""


def check_count(name: str, values, limit: int) -> None:
    """InputError when the list parameter ``name`` has more than ``limit`` values."""
    if values is not None and len(values) > limit:
        raise InputError(name, f"at most {limit} values per request (got {len(values)})")


def check_filter(expr) -> None:
    """InputError unless the CQL2 filter ``expr`` (text or parsed JSON) is within the limits."""
    if isinstance(expr, str):
        if len(expr) > MAX_FILTER_CHARS:
            raise InputError("filter", f"longer than {MAX_FILTER_CHARS} characters")
        text = expr.lstrip()
        if text.startswith("{"):
            depth, nodes = _json_text_shape(text)
        else:
            depth, nodes = _text_shape(text)
    else:
        depth, nodes = _json_shape(expr)
        if nodes > MAX_FILTER_NODES * 4 or len(json.dumps(expr)) > MAX_FILTER_CHARS:
            raise InputError("filter", f"longer than {MAX_FILTER_CHARS} characters")
    if depth > MAX_FILTER_DEPTH:
        raise InputError("filter", f"nested deeper than {MAX_FILTER_DEPTH} levels")
    if nodes > MAX_FILTER_NODES:
        raise InputError("filter", f"more than {MAX_FILTER_NODES} operators and operands")


def _text_shape(text: str) -> tuple[int, int]:
    """(deepest parenthesis nesting, rough node count) of CQL2 text, ignoring quoted strings."""
    depth = best = nodes = 0
    quote = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
            best = max(best, depth)
        elif ch == ")":
            depth -= 1
        elif ch == ",":
            nodes += 1
    words = len(text.split())
    return best, nodes + words // 2


def _json_text_shape(text: str) -> tuple[int, int]:
    """Shape of CQL2-JSON given as text: brackets counted without parsing (no recursion)."""
    depth = best = nodes = 0
    in_str = escape = False
    for ch in text:
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
            nodes += ch == "{"
        elif ch in "]}":
            depth -= 1
    return (best + 1) // 2, nodes


def _json_shape(obj) -> tuple[int, int]:
    """(operator nesting depth, node count) of parsed CQL2-JSON, walked without recursion."""
    best = nodes = 0
    stack = [(obj, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_FILTER_NODES * 4:
            break
        if isinstance(node, dict):
            depth += "op" in node
            best = max(best, depth)
            stack.extend((v, depth) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth) for v in node)
    return best, nodes


class RequestLimitsMiddleware:
    """ASGI middleware: body size and body read time limits, checked before the app runs."""

    def __init__(self, app, *, max_body_bytes: int = MAX_BODY_BYTES, body_timeout: float = 30.0,
                 on_reject=None, route_limits=()):
        self.app = app
        self.max_body = max_body_bytes
        self.body_timeout = body_timeout
        self.on_reject = on_reject
        """``on_reject(scope, status, reason)``: called for each refused request (security log)."""
        self.route_limits = tuple(route_limits)
        """``(method, prefix, bytes)``: the limit of ``method`` on ``prefix`` + one path segment."""

    def _limit(self, scope) -> int:
        path = scope.get("path", "")
        for method, prefix, limit in self.route_limits:
            if scope.get("method") == method and path.startswith(prefix) and "/" not in path[len(prefix):]:
                return limit
        return self.max_body

    async def __call__(self, scope, receive, send):
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        max_body = self._limit(scope)
        length = _content_length(scope)
        if length is not None and length > max_body:
            return await self._refuse(scope, send, 413, f"body larger than {max_body} bytes")
        seen = 0
        refused = None
        read = False  # whether the app asked for the body at all

        async def app_receive():
            nonlocal read
            read = True
            return await limited_receive()

        async def limited_receive():
            nonlocal seen, refused
            try:
                message = await asyncio.wait_for(receive(), timeout=self.body_timeout)
            except TimeoutError:
                refused = (408, f"body not received within {self.body_timeout:g} s")
                raise _Refused from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_body:
                    refused = (413, f"body larger than {max_body} bytes")
                    raise _Refused
            return message

        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message.get("status", 200) >= 400 and not read and _has_body(scope, length):
                    await drain()
            await send(message)

        async def drain():
            # An error answered before the app read a declared body (a 401 on an upload): read the
            # body first, within the limits. Closing a connection with unread data resets it, and a
            # proxy streaming the body to us may then lose the answer and drop its client.
            nonlocal refused
            try:
                while True:
                    message = await limited_receive()
                    if message["type"] != "http.request" or not message.get("more_body", False):
                        return
            except _Refused:
                refused = None  # the answer stands; the server closes this connection after it

        try:
            await self.app(scope, app_receive, tracking_send)
        except _Refused:
            if not started:
                await self._refuse(scope, send, *refused)
        except Exception:
            if refused is None:
                raise
            if not started:
                await self._refuse(scope, send, *refused)

    async def _refuse(self, scope, send, status: int, reason: str) -> None:
        if self.on_reject is not None:
            self.on_reject(scope, status, reason)
        body = json.dumps({"code": "RequestRejected", "description": f"request: {reason}"}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class _Refused(Exception):
    """Raised inside ``receive`` to stop the app reading an over-limit body."""


def _has_body(scope, length: int | None) -> bool:
    """Whether the request declares a body (a positive Content-Length, or chunked)."""
    if length is not None:
        return length > 0
    return any(n == b"transfer-encoding" and b"chunked" in v.lower() for n, v in scope.get("headers") or ())


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
