"""Security headers on every response: a Content-Security-Policy that allows only this origin's
scripts, styles, images and connections (the web map and the API docs load nothing from
elsewhere), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, a strict
``Referrer-Policy`` and, behind HTTPS, ``Strict-Transport-Security``.

Must not import: yvy.storage, click.
"""

from __future__ import annotations

__all__ = ["CSP", "SecurityHeadersMiddleware"]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
]


class SecurityHeadersMiddleware:
    """ASGI middleware adding the security headers (a route's own values win)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                have = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _HEADERS if k not in have]
                if https and b"strict-transport-security" not in have:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
