"""yvy.io: atomic writes keep the destination intact on error and follow the umask."""

from __future__ import annotations

import os

import pytest

from yvy import io


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_atomic_path_follows_the_umask(tmp_path, umask, expected):
    """Files were written 0600 whatever the umask (mkstemp's mode survived the rename)."""
    old = os.umask(umask)
    io._umask.cache_clear()
    try:
        io.atomic_write_bytes(tmp_path / "out.bin", b"data")
        with io.atomic_path(tmp_path / "private.key", mode=0o600) as tmp:
            tmp.write_bytes(b"secret")
    finally:
        os.umask(old)
        io._umask.cache_clear()
    assert (tmp_path / "out.bin").stat().st_mode & 0o777 == expected
    assert (tmp_path / "private.key").stat().st_mode & 0o777 == 0o600


def test_atomic_path_leaves_destination_on_error(tmp_path):
    dest = tmp_path / "a.txt"
    dest.write_text("before")
    with pytest.raises(RuntimeError), io.atomic_path(dest) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert dest.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_safe_name_keeps_names_apart_and_inside():
    for bad in ("..", ".", "", "../x", "a/b", "/etc/passwd", ".hidden", "a\x00b", "C:\\x"):
        s = io.safe_name(bad)
        assert s and "/" not in s and "\\" not in s and not s.startswith(".") and s not in (".", "..")
    assert io.safe_name("S2A_20KQA_20240101_0_L2A") == "S2A_20KQA_20240101_0_L2A"
    assert io.safe_name("a/b") != io.safe_name("a_b")
