"""Word edges (kg.ingest.words): jieba's own words, from its dictionary kept in SQLite;
a damaged or foreign file is not trusted, and without one jieba loads as usual."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import jieba
import pytest

from kg.ingest import words

ROOT = Path(__file__).resolve().parents[2]


def _at(path: Path, monkeypatch) -> Path:
    """The tokenizer made anew, with its file at `path`."""
    monkeypatch.setattr(words, "_path", lambda: path)
    words._tokenizer.cache_clear()
    return path


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Path:
    yield _at(tmp_path / "a ?#% folder" / "words.sqlite", monkeypatch)  # quoted as a URI
    words._tokenizer.cache_clear()


@pytest.fixture(scope="module")
def kept(tmp_path_factory) -> Path:
    """A file made once for the module (jieba's load and the writing take 2 s)."""
    return tmp_path_factory.mktemp("words") / "words.sqlite"


@pytest.fixture
def shared(kept, monkeypatch) -> Path:
    yield _at(kept, monkeypatch)
    words._tokenizer.cache_clear()


def _windows() -> list[str]:
    """Windows of the seed notice and the test notices, as the tagger cuts them."""
    texts = [p.read_text("utf-8") for p in sorted((ROOT / "data" / "sources").glob("*.txt"))]
    texts += [
        p.read_text("utf-8", errors="replace") for p in sorted((ROOT / "tests").rglob("*.txt"))
    ]
    rng = random.Random(0)
    out = []
    for text in texts:
        for _ in range(60):
            start = rng.randrange(max(1, len(text) - 16))
            out.append(text[start : start + rng.randint(2, 16)])
    return out


def test_the_words_are_jiebas(shared):
    windows = _windows()
    assert len(windows) > 1000
    expected = [list(jieba.cut(w, HMM=False)) for w in windows]
    assert [words.cut(w) for w in windows] == expected  # the file is made from jieba's
    assert isinstance(words._tokenizer().FREQ, words._Frequencies)
    words._tokenizer.cache_clear()
    assert [words.cut(w) for w in windows] == expected  # and read back from it


def test_a_damaged_file_is_made_again(fresh):
    fresh.parent.mkdir()
    fresh.write_bytes(b"not a database")
    assert words.cut("代表咨询问题") == list(jieba.cut("代表咨询问题", HMM=False))
    assert words._usable(fresh) == jieba.dt.total
    assert isinstance(words._tokenizer().FREQ, words._Frequencies)


def test_a_file_of_another_user_is_not_read(shared, monkeypatch):
    words.cut("联络站")
    assert words._usable(shared) == jieba.dt.total
    monkeypatch.setattr(words.os, "getuid", lambda: 4242)
    assert words._usable(shared) is None


def test_with_nowhere_to_keep_the_file_jieba_loads_its_own(fresh, monkeypatch):
    def full_disk(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(words, "_write", full_disk)
    assert words.cut("代表咨询问题") == list(jieba.cut("代表咨询问题", HMM=False))
    assert isinstance(words._tokenizer().FREQ, dict) and not fresh.exists()


def test_the_file_follows_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path))
    assert words._path().parent == tmp_path / "words"
    monkeypatch.delenv("KG_CACHE_DIR")
    assert words._path().parent == Path(tempfile.gettempdir())
