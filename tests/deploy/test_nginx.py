"""The deployment guide's nginx config, run for real in front of `yvy serve` on loopback.

docs/deploy/nginx-yvy.conf is rendered for the test (loopback ports, a self-signed certificate,
the yvy port) by the substitutions in RENDER, and nothing else: HTTPS must work, HTTP must
redirect, forwarded headers must reach yvy (its links say https://HOST:PORT) and replace what
the client sent, and a body over the limit must be refused by the proxy.
"""

import datetime
import getpass
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ..conftest import REPO, missing

CONF = REPO / "docs" / "deploy" / "nginx-yvy.conf"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, proc, what: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not listen on {port} within {timeout} s")


def _self_signed(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (cryptography); returns the cert path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(ski, False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
            .sign(key, hashes.SHA256()))
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    return folder / "fullchain.pem"


def _render(tmp: Path, http: int, https: int, upstream: int) -> Path:
    """The guide's config with only the test's ports and certificate paths changed."""
    render = {
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "/etc/ssl/yvy/": f"{tmp}/",
        "return 301 https://$host$request_uri;": f"return 301 https://$host:{https}$request_uri;",
    }
    text = CONF.read_text()
    for old, new in render.items():
        assert old in text, f"docs/deploy/nginx-yvy.conf no longer contains {old!r}"
        text = text.replace(old, new)
    (tmp / "yvy.conf").write_text(text)
    temps = "\n".join(f"  {k}_temp_path {tmp}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = f"user {getpass.getuser()};\n" if os.geteuid() == 0 else ""
    main = (f"{user}worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
            f"events {{ worker_connections 64; }}\n"
            f"http {{\n  access_log {tmp}/access.log;\n{temps}\n  include {tmp}/yvy.conf;\n}}\n")
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


@pytest.fixture
def stack(tmp_path):
    """(https port, http port, certificate, serve log path) of nginx + yvy serve on loopback."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        missing("nginx not installed (Debian package nginx)")
    home = tmp_path / "ws"
    env = {**os.environ, "YVY_HOME": str(home)}
    env.pop("YVY_DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", "from yvy.cli.main import cli; cli()", "init"], env=env, check=True,
                   capture_output=True)
    up, http, https = _free_port(), _free_port(), _free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as fh:
        serve = subprocess.Popen([sys.executable, "-c", "from yvy.cli.main import cli; cli()", "serve",
                                  "--port", str(up), "--notify-interval", "0"], env=env, stdout=fh, stderr=fh)
    cert = _self_signed(tmp_path)
    conf = _render(tmp_path, http, https, up)
    proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait(up, serve, "yvy serve")
        _wait(https, proxy, "nginx")
        yield https, http, cert, log
    finally:
        for p in (proxy, serve):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_tls_proxy_in_front_of_yvy(stack):
    https, http, cert, log = stack
    base = f"https://127.0.0.1:{https}"
    with httpx.Client(verify=ssl.create_default_context(cafile=str(cert)), timeout=30) as c:
        spoof = {"X-Forwarded-For": "203.0.113.66", "X-Forwarded-Proto": "http"}
        r = c.get(f"{base}/stac", headers=spoof)  # yvy's own redirect keeps the scheme, host and port
        assert r.status_code in (301, 307, 308) and r.headers["location"] == f"{base}/stac/"
        r = c.get(f"{base}/stac/", headers=spoof)
        assert r.status_code == 200
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert "nginx/" not in r.headers.get("server", "")  # server_tokens off
        # forwarded headers reached yvy: its links are https on the proxy's host and port
        hrefs = [ln["href"] for ln in r.json()["links"]]
        assert hrefs and all(h.startswith(f"{base}/") for h in hrefs), hrefs[:3]
        # a body over client_max_body_size is refused by the proxy, before yvy reads it
        r = c.post(f"{base}/stac/search", content=b"{" + b" " * (3 << 20) + b"}",
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        r = c.post(f"{base}/stac/search", json={"limit": 1})
        assert r.status_code == 200
        # a phone's photo passes the proxy (yvy answers: 401 without a sign-in), above 25m it does not
        photo = f"{base}/api/field/photos/{'0' * 64}"
        r = c.put(photo, content=bytes(5 << 20), headers={"Content-Type": "image/jpeg"})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
        r = c.put(photo, content=bytes(26 << 20), headers={"Content-Type": "image/jpeg"})
        assert r.status_code == 413
    with httpx.Client(timeout=30) as c:  # plain HTTP only redirects
        r = c.get(f"http://127.0.0.1:{http}/stac?limit=1")
        assert r.status_code == 301 and r.headers["location"] == f"{base}/stac?limit=1"
    with pytest.raises(httpx.ConnectError):  # the certificate is checked (no trust, no connection)
        httpx.get(f"{base}/stac", timeout=10)
    served = log.read_text()
    assert "GET /stac" in served and "203.0.113.66" not in served  # the client's spoofed address was replaced
