"""A header timeout for uvicorn's h11 protocol: a connection that has not sent a complete request
head within ``header_timeout`` seconds (on connect, and again after each response) is closed.

uvicorn bounds idle keep-alive connections but not a client that trickles its request headers a
byte at a time; hundreds of those would hold the server's connections for as long as the
client likes. With this protocol each one is closed after the timeout, and ``limit_concurrency``
answers 503 beyond ``max_connections``.

Must not import: yvy.storage, click.
"""

from __future__ import annotations

import functools

__all__ = ["protocol_with_header_timeout"]


@functools.cache
def protocol_with_header_timeout(header_timeout: float):
    """A uvicorn ``http`` protocol class closing connections slower than ``header_timeout``."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeaderTimeoutH11Protocol(H11Protocol):
        _head_timer = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(header_timeout, self._head_timeout)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timeout(self) -> None:
            self._head_timer = None
            if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def handle_events(self) -> None:
            before = self.cycle
            super().handle_events()
            if self.cycle is not None and self.cycle is not before:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

    return HeaderTimeoutH11Protocol
