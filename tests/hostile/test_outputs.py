"""Where outputs go (issue #21, items 6 to 8): special files, sets of files, permissions.

Before: `--out /dev/stdout` or a device node was replaced by a 0600 regular file (as
root); a kill during `kg ingest` left a source without its drafts (and `--accept` then
said "accepted 0 file(s)"); views, docs, figures, exports and source copies were 0600
whatever the umask. Now output to a character device or a FIFO is written through (the
node stays what it was), ingest writes the source text last so a failure leaves no
source without drafts, and every file we write honours the umask (0644 under 022).
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from .conftest import Built, accepted, refused, run, snapshot


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_dev_null_stays_a_device(seed_trig):
    before = os.stat("/dev/null")
    accepted(
        run("export", "--graph", seed_trig, "--format", "ttl", "--out", "/dev/null", "--force")
    )
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert stat.S_IMODE(after.st_mode) == stat.S_IMODE(before.st_mode)


@pytest.mark.parametrize("fmt", ["ttl", "nt"])
def test_a_fifo_gets_the_same_bytes_as_a_file(seed_trig, tmp_path, fmt):
    fifo = tmp_path / f"pipe.{fmt}"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    accepted(run("export", "--graph", seed_trig, "--format", fmt, "--out", fifo, "--force"))
    reader.join(30)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO was replaced by a file"
    plain = tmp_path / f"plain.{fmt}"
    accepted(run("export", "--graph", seed_trig, "--format", fmt, "--out", plain))
    assert received == [plain.read_bytes()]


def _modes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def test_every_written_file_honours_the_umask(built: Built, tmp_path, umask_022):
    out = tmp_path / "out"
    accepted(run("build", "--root", built.root, "--out", out / "build"))
    accepted(run("render", "--graph", out / "build" / "kg.trig", "--out", out / "views"))
    accepted(
        run("docs", "--graph", out / "build" / "kg.trig", "--out", out / "docs" / "index.html")
    )
    for fmt, name in (("ttl", "kg.ttl"), ("xml", "kg.rdf"), ("graphml", "kg.graphml")):
        accepted(
            run("export", "--graph", out / "build" / "kg.trig", "--format", fmt, "--out",
                out / "export" / name)
        )  # fmt: skip
    accepted(
        run("export", "--graph", out / "build" / "kg.trig", "--format", "csv", "--out",
            out / "export" / "csv")
    )  # fmt: skip
    modes = _modes(out)
    assert len(modes) > 20, modes
    wrong = {name: oct(mode) for name, mode in modes.items() if mode != 0o644}
    assert not wrong, wrong


def test_ingest_copies_the_source_with_the_umask(built: Built, tmp_path, umask_022):
    notice = tmp_path / "notice.txt"
    notice.write_text(
        "广东省人大常委会办公厅关于第四届全省县乡人大工作创新案例的通报\n"
        "经研究,确定广州市越秀区人大常委会“代表联络站建设”等1个项目为第四届全省县乡人大"
        "工作创新案例。\n",
        encoding="utf-8",
    )
    before = snapshot(built.root / "data")
    result = run("ingest", notice, "--root", built.root, "--source-id", "gd-example-2021")
    if result.exit_code != 0:  # refused as a notice: then nothing may have been written
        refused(result)
        assert snapshot(built.root / "data") == before
        return
    new = set(snapshot(built.root / "data")) - set(before)
    assert any(name.startswith("sources/") for name in new), new
    modes = _modes(built.root / "data")
    wrong = {name: oct(modes[name]) for name in new if modes[name] != 0o644}
    assert not wrong, wrong
