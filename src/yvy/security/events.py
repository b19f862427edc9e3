"""Security events as structured JSON lines in the Elastic Common Schema (ECS), for a CSIRT.

The domain and the adapters call :func:`emit`; where the events go is configured once per
process by :func:`configure`: the workspace's ``logs/security.jsonl`` (always) and, when
``YVY_SYSLOG`` names one (``udp://host:514`` or ``tcp://host:514``), a syslog collector in the
RFC 5424 format with the ECS JSON as the message. :func:`read_events` reads the file back
(``yvy security events --since``).

Actions (``event.action``): ``login-failed``, ``login``, ``lockout``, ``unlock``,
``api-key-invalid``, ``api-key-created``, ``api-key-revoked``, ``user-created``, ``role-changed``,
``password-changed``, ``user-revoked``, ``review``, ``export``, ``evidence``, ``admin``,
``request-rejected``, ``asset-refused``, ``csrf-rejected``, ``webhook-refused``.

Must not import: click, fastapi, yvy.storage, yvy.api, yvy.cli.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from ..errors import InputError

__all__ = ["ECS_VERSION", "LOGGER", "configure", "emit", "log_path", "read_events"]

ECS_VERSION = "8.11.0"
LOGGER = logging.getLogger("yvy.security")
LOGGER.propagate = False
LOGGER.setLevel(logging.INFO)
_CATEGORY = {
    "login-failed": ("authentication", "start"), "login": ("authentication", "start"),
    "lockout": ("authentication", "denied"), "unlock": ("iam", "change"),
    "api-key-invalid": ("authentication", "denied"), "api-key-created": ("iam", "creation"),
    "api-key-revoked": ("iam", "deletion"), "user-created": ("iam", "creation"),
    "role-changed": ("iam", "change"), "password-changed": ("iam", "change"),
    "user-revoked": ("iam", "deletion"), "review": ("database", "change"),
    "export": ("file", "creation"), "evidence": ("file", "creation"), "admin": ("configuration", "change"),
    "request-rejected": ("web", "denied"), "asset-refused": ("web", "denied"),
    "csrf-rejected": ("web", "denied"), "webhook-refused": ("configuration", "denied"),
}
_lock = threading.Lock()
_configured: dict[str, logging.Handler] = {}


def log_path(home: str | os.PathLike) -> Path:
    """The security log of the workspace at ``home``."""
    return Path(home) / "logs" / "security.jsonl"


def emit(action: str, *, outcome: str = "success", reason: str | None = None, user: str | None = None,
         source_ip: str | None = None, target: str | None = None, **labels) -> dict:
    """Record one security event and return it (an ECS document).

    Parameters
    ----------
    action
        What happened (``event.action``; see the module docstring for the list).
    outcome
        ``success``, ``failure`` or ``unknown``.
    reason, user, source_ip, target
        Why (``event.reason``), who (``user.name``), from where (``source.ip``) and on what
        (``yvy.target``: an alert id, a user name, a path).
    labels
        Further keyword values, kept under ``labels``.
    """
    category, kind = _CATEGORY.get(action, ("process", "info"))
    doc = {
        "@timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "ecs": {"version": ECS_VERSION},
        "event": {"kind": "event", "category": [category], "type": [kind], "action": action,
                  "outcome": outcome, "module": "yvy", "dataset": "yvy.security"},
        "service": {"name": "yvy", "version": __version__},
        "host": {"hostname": socket.gethostname()},
        "message": f"{action} {outcome}" + (f": {reason}" if reason else ""),
    }
    if reason:
        doc["event"]["reason"] = reason
    if user:
        doc["user"] = {"name": str(user)[:128]}
    if source_ip:
        doc["source"] = {"ip": source_ip}
    if target:
        doc["yvy"] = {"target": str(target)[:256]}
    if labels:
        doc["labels"] = {k: str(v)[:256] for k, v in labels.items() if v is not None}
    LOGGER.info(doc["message"], extra={"ecs": doc})
    return doc


class _EcsJson(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(getattr(record, "ecs", {"message": record.getMessage()}), separators=(",", ":"))


class _Rfc5424(logging.Formatter):
    """``<PRI>1 TIMESTAMP HOST yvy PID MSGID - JSON`` (facility authpriv, RFC 5424)."""

    def format(self, record: logging.LogRecord) -> str:
        doc = getattr(record, "ecs", {})
        outcome = doc.get("event", {}).get("outcome")
        severity = 4 if outcome == "failure" else 6  # warning / informational
        pri = 10 * 8 + severity  # facility 10 = authpriv
        msgid = doc.get("event", {}).get("action", "-")[:32] or "-"
        ts = doc.get("@timestamp") or datetime.now(UTC).isoformat()
        host = socket.gethostname()[:255] or "-"
        return f"<{pri}>1 {ts} {host} yvy {os.getpid()} {msgid} - {_EcsJson().format(record)}"


class _SyslogHandler(logging.Handler):
    """Send each record to a syslog collector over UDP, or TCP with octet counting (RFC 6587)."""

    def __init__(self, url: str):
        super().__init__()
        parts = urlsplit(url)
        if parts.scheme not in ("udp", "tcp") or not parts.hostname:
            raise InputError("YVY_SYSLOG", f"{url!r} is not udp://HOST:PORT or tcp://HOST:PORT")
        self.proto, self.addr = parts.scheme, (parts.hostname, parts.port or 514)
        self.setFormatter(_Rfc5424())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = self.format(record).encode()
            if self.proto == "udp":
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.sendto(data, self.addr)
            else:
                with socket.create_connection(self.addr, timeout=2) as s:
                    s.sendall(f"{len(data)} ".encode() + data)
        except OSError:
            self.handleError(record)


class _JsonLinesHandler(logging.Handler):
    """Append one JSON line per event to a file (0600), opening it per write (safe across processes)."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path
        self.setFormatter(_EcsJson())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = (self.format(record) + "\n").encode()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError:
            self.handleError(record)


def configure(home: str | os.PathLike, syslog: str | None = None) -> None:
    """Send this process's security events to ``home``'s log (and ``syslog`` / ``YVY_SYSLOG``)."""
    syslog = syslog if syslog is not None else os.environ.get("YVY_SYSLOG", "")
    wanted = {f"file:{log_path(home)}": lambda: _JsonLinesHandler(log_path(home))}
    if syslog:
        wanted[f"syslog:{syslog}"] = lambda: _SyslogHandler(syslog)
    with _lock:
        for key in list(_configured):
            if key not in wanted:
                LOGGER.removeHandler(_configured.pop(key))
        for key, make in wanted.items():
            if key not in _configured:
                _configured[key] = make()
                LOGGER.addHandler(_configured[key])


def read_events(home: str | os.PathLike, *, since: datetime | None = None, action: str | None = None,
                outcome: str | None = None) -> Iterator[dict]:
    """The workspace's security events, oldest first, filtered by time, action and outcome."""
    path = log_path(home)
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            ev = doc.get("event", {})
            if action and ev.get("action") != action or outcome and ev.get("outcome") != outcome:
                continue
            if since is not None:
                try:
                    ts = datetime.fromisoformat(doc["@timestamp"].replace("Z", "+00:00"))
                except (KeyError, ValueError):
                    continue
                if ts < since:
                    continue
            yield doc
