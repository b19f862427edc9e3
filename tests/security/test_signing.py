"""Signed evidence: keys, detached signatures, tamper cases, rotation, the well-known route."""

import json
import shutil
import stat

import pytest
from click.testing import CliRunner

from yvy.alerts import update_alerts
from yvy.alerts.evidence import build_evidence
from yvy.cli.main import cli
from yvy.config import Workspace
from yvy.errors import ConflictError, InputError
from yvy.security.keys import KeyRing, init_keys, load_keyring, load_signing_key, rotate_keys
from yvy.security.signing import TamperedError, sign_file, verify_evidence

from ..alerts.conftest import Patch, make_layers


@pytest.fixture
def home(tmp_path):
    return Workspace.create(tmp_path / "ws").home


def test_key_file_is_private_and_passphrase_protected(home, monkeypatch):
    monkeypatch.setattr("os.umask", lambda m: 0)  # mode must not depend on the umask
    key = init_keys(home, "correct horse")
    f = home / "keys" / "signing.key"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    sealed = json.loads(f.read_text())
    assert sealed["format"] == "yvy-sealed-key/1" and sealed["kdf"]["name"] == "scrypt"
    assert load_signing_key(home, "correct horse").kid == key.kid
    with pytest.raises(InputError, match="wrong passphrase"):
        load_signing_key(home, "battery staple")
    with pytest.raises(InputError, match="YVY_KEY_PASSPHRASE"):
        load_signing_key(home, None)
    with pytest.raises(ConflictError, match="exist already"):
        init_keys(home)
    f.chmod(0o644)
    with pytest.raises(ConflictError, match="readable by others"):
        load_signing_key(home, "correct horse")
    # the kid is the RFC 7638 thumbprint: a JWK Set round-trips and a forged kid is refused
    jwks = load_keyring(home).to_jwks()
    assert KeyRing.from_jwks(jwks).get(key.kid).key.public_bytes_raw() == key.key.public_bytes_raw()
    jwks["keys"][0]["kid"] = "forged"
    with pytest.raises(InputError, match="thumbprint"):
        KeyRing.from_jwks(jwks)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A real evidence package of one alert, signed with the workspace key; (home, folder)."""
    from yvy.storage import open_store
    from yvy.storage.alerts import SQLAlertStore

    from ..conftest import store_url_for

    home = Workspace.create(tmp_path_factory.mktemp("ev") / "ws").home
    s = open_store(store_url_for(home / "yvy.db"), create=True)
    astore = SQLAlertStore(s)
    update_alerts(astore, make_layers([Patch(slice(10, 20), slice(10, 20))]))
    (alert,) = astore.find_alerts()
    init_keys(home)
    key = load_signing_key(home)
    out = home / "reports" / alert.id
    build_evidence(astore, s, alert.id, out, signer=lambda p: sign_file(p, key))
    s.close()
    return home, out


@pytest.fixture
def copy(package, tmp_path):
    home, out = package
    dst = tmp_path / "pkg"
    shutil.copytree(out, dst)
    return load_keyring(home), dst


def test_untouched_package_verifies(copy):
    ring, pkg = copy
    rep = verify_evidence(pkg, ring)
    assert rep.files >= 4 and rep.kid == ring.current.kid and rep.alert_id.startswith("PY-")


def test_tampered_file_is_named(copy):
    ring, pkg = copy
    with open(pkg / "report.pdf", "ab") as fh:
        fh.write(b"%")
    with pytest.raises(TamperedError) as err:
        verify_evidence(pkg, ring)
    assert err.value.subject == "report.pdf" and "altered" in str(err.value)


def test_tampered_manifest_line_breaks_the_signature(copy):
    ring, pkg = copy
    # the forger alters a file AND puts its new hash in the manifest
    (pkg / "alert.geojson").write_text('{"type": "Feature", "forged": true}')
    import hashlib

    man = json.loads((pkg / "manifest.json").read_text())
    for f in man["files"]:
        if f["path"] == "alert.geojson":
            f["sha256"] = hashlib.sha256((pkg / "alert.geojson").read_bytes()).hexdigest()
    (pkg / "manifest.json").write_text(json.dumps(man, indent=1))
    with pytest.raises(TamperedError) as err:
        verify_evidence(pkg, ring)
    assert err.value.subject == "manifest.json"


@pytest.mark.parametrize("field", ["signature", "signed_at", "sha256"])
def test_tampered_signature_file(copy, field):
    ring, pkg = copy
    sig = json.loads((pkg / "manifest.json.sig").read_text())
    sig[field] = {"signature": sig["signature"][::-1], "signed_at": "2020-01-01T00:00:00Z",
                  "sha256": "0" * 64}[field]
    (pkg / "manifest.json.sig").write_text(json.dumps(sig))
    with pytest.raises(TamperedError, match="signature does not verify") as err:
        verify_evidence(pkg, ring)
    assert err.value.subject == "manifest.json.sig"


def test_missing_extra_and_unsigned(copy):
    ring, pkg = copy
    (pkg / "notes.txt").write_text("added later")
    with pytest.raises(TamperedError, match="not in the signed manifest"):
        verify_evidence(pkg, ring)
    (pkg / "notes.txt").unlink()
    (pkg / "locator.png").unlink()
    with pytest.raises(TamperedError, match="missing") as err:
        verify_evidence(pkg, ring)
    assert err.value.subject == "locator.png"
    (pkg / "manifest.json.sig").unlink()
    with pytest.raises(TamperedError, match="not signed"):
        verify_evidence(pkg, ring)


def test_foreign_key_is_refused(copy, tmp_path):
    _, pkg = copy
    other = Workspace.create(tmp_path / "other").home
    init_keys(other)
    with pytest.raises(TamperedError, match="not in the key ring"):
        verify_evidence(pkg, load_keyring(other))


def test_rotation_keeps_old_signatures_and_retires_the_key(package, tmp_path):
    home, out = package
    h2 = tmp_path / "h2"
    shutil.copytree(home / "keys", h2 / "keys")
    old_key = load_signing_key(h2)
    old, new = rotate_keys(h2)
    assert old.kid == old_key.kid and old.not_after == new.not_before and new.kid != old.kid
    ring = load_keyring(h2)
    assert [k.kid for k in ring.keys] == [old.kid, new.kid] and ring.current.kid == new.kid
    assert verify_evidence(out, ring).kid == old.kid  # signed before the rotation: still valid
    # a signature made with the retired key after its retirement is refused
    pkg = tmp_path / "late"
    shutil.copytree(out, pkg)
    sign_file(pkg / "manifest.json", old_key, at="2999-01-01T00:00:00Z")
    with pytest.raises(TamperedError, match="outside the validity"):
        verify_evidence(pkg, ring)
    assert load_signing_key(h2).kid == new.kid  # the old private key is gone


def test_cli_keys_and_evidence_verify(package, tmp_path):
    home, out = package
    r = CliRunner().invoke(cli, ["--home", str(home), "keys", "export", "-o", str(tmp_path / "k.json")])
    assert r.exit_code == 0, r.output
    pem = CliRunner().invoke(cli, ["--home", str(home), "keys", "export", "--format", "pem"])
    assert pem.output.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "k.pem").write_text(pem.output)
    pkg = tmp_path / "pkg"
    shutil.copytree(out, pkg)
    for key in ("k.json", "k.pem"):  # offline: no workspace, only the public key
        r = CliRunner().invoke(cli, ["evidence", "verify", str(pkg), "--key", str(tmp_path / key)])
        assert r.exit_code == 0 and "evidencia correcta" in r.output, r.output
    (pkg / "timeseries.png").write_bytes(b"\x89PNG forged")
    r = CliRunner().invoke(cli, ["--lang", "en", "evidence", "verify", str(pkg), "--key", str(tmp_path / "k.json")])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        "Error: timeseries.png: SHA-256 differs from the signed manifest (the file was altered)"]


def test_well_known_keys_route(package, tmp_path):
    from fastapi.testclient import TestClient

    from yvy.api.app import create_app
    from yvy.api.settings import ServeSettings

    home, _ = package
    # public keys are public: served anonymously even when the server is private
    with TestClient(create_app(Workspace.open(home), ServeSettings.from_env(public_read=False))) as client:
        assert client.get("/stac/").status_code == 401
        r = client.get("/.well-known/yvy-keys.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/jwk-set+json")
    ring = KeyRing.from_jwks(r.json())
    assert ring.current.kid == load_keyring(home).current.kid
    assert "d" not in r.json()["keys"][0]  # never a private member


def test_well_known_without_keys_is_a_plain_404(tmp_path):
    from fastapi.testclient import TestClient

    from yvy.api.app import create_app
    from yvy.storage import open_store

    from ..conftest import store_url_for

    ws = Workspace.create(tmp_path / "ws")
    open_store(store_url_for(ws.db_path), create=True).close()
    with TestClient(create_app(ws)) as client:
        r = client.get("/.well-known/yvy-keys.json")
    assert r.status_code == 404 and str(tmp_path) not in r.text
