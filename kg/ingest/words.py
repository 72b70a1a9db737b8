"""Word edges by jieba (HMM off), with its dictionary read from SQLite as it is needed.

The tagger asks jieba whether a two-character label straddles words (询问 in 咨询/问题),
on windows of a dozen characters. jieba's own start reads its whole dictionary, 500k
entries, from a marshal cache: 1.3 s and 70 MB in every process that tags a notice.
Here the same entries are kept in an SQLite file, made once from jieba's dictionary,
and each window looks up only its own substrings, so the words are jieba's exactly.

The file lives beside jieba's own cache (the temporary folder), or under $KG_CACHE_DIR,
one per user and jieba version; a file another user owns is not trusted, and where
none can be made jieba loads its dictionary as usual.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
import threading
from functools import cache
from pathlib import Path

from kg.core.layout import CACHE_ENV
from kg.core.textio import atomic_write_bytes

_FORMAT = 1


class _Frequencies:
    """jieba's `Tokenizer.FREQ` (word or prefix -> count), read from SQLite on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()  # a connection per thread and process (fork)
        self._seen: dict[str, int | None] = {}

    def _connection(self) -> sqlite3.Connection:
        if getattr(self._local, "pid", None) != os.getpid():
            self._local.db = sqlite3.connect(_read_only(self.path), uri=True)
            self._local.pid = os.getpid()
        return self._local.db

    def get(self, word: str, default: int | None = None) -> int | None:
        if word not in self._seen:
            if len(self._seen) >= 500_000:  # as many as the dictionary holds
                self._seen.clear()
            row = self._connection().execute("SELECT n FROM freq WHERE w = ?", (word,)).fetchone()
            self._seen[word] = None if row is None else row[0]
        found = self._seen[word]
        return default if found is None else found

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self.get(word)
        if found is None:
            raise KeyError(word)
        return found


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"  # as_uri: a ? or # in a folder name is quoted


def _path() -> Path:
    """$KG_CACHE_DIR/words/, when set (the test suite's), else jieba's own folder."""
    import jieba

    name = f"renda-kg-jieba-{jieba.__version__}-{_FORMAT}-{os.getuid()}.sqlite"
    base = os.environ.get(CACHE_ENV, "").strip()
    return Path(base) / "words" / name if base else Path(tempfile.gettempdir()) / name


def _usable(path: Path) -> int | None:
    """The total count kept in `path`, if it is a whole file of this user's."""
    try:
        if path.stat().st_uid != os.getuid():
            return None
        with contextlib.closing(sqlite3.connect(_read_only(path), uri=True)) as db:
            row = db.execute("SELECT total FROM meta").fetchone()
    except (OSError, sqlite3.Error):
        return None
    return row[0] if row else None


def _write(path: Path, tokenizer) -> None:
    """The dictionary jieba loaded into `tokenizer`, written whole or not at all."""
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE freq (w TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (total INTEGER)")
        db.executemany("INSERT INTO freq VALUES (?, ?)", tokenizer.FREQ.items())
        db.execute("INSERT INTO meta VALUES (?)", (tokenizer.total,))
        db.commit()
        data = db.serialize()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)


@cache
def _tokenizer():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    path = _path()
    tokenizer = jieba.Tokenizer()
    if (total := _usable(path)) is None:
        tokenizer.initialize()  # jieba's own load, once: its entries are then kept
        with contextlib.suppress(OSError, sqlite3.Error):
            _write(path, tokenizer)
        total = _usable(path)
        if total is None:  # nowhere to keep them: jieba's dictionary, as loaded
            return tokenizer
    tokenizer.FREQ, tokenizer.total = _Frequencies(path), total
    tokenizer.initialized = True
    return tokenizer


def cut(text: str) -> list[str]:
    """The words of `text` as `jieba.cut(text, HMM=False)` gives them."""
    return list(_tokenizer().cut(text, HMM=False))
