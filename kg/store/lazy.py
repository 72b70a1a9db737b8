"""A store that is loaded only when something asks it: a command answered from the
analytic index (`kg.query.index`) then never loads the graph (11 s at 100k cases)."""

from __future__ import annotations

from collections.abc import Callable

from kg.store.base import Store


class LazyStore:
    """Stands for the store `load()` returns, loading it on first use. Its kind (`name`,
    `engine`, `network`) is known before, so queries can be prepared without it."""

    def __init__(self, load: Callable[[], Store], *, name: str, engine: str, network: bool = False):
        self._load = load
        self._store: Store | None = None
        self.name = name
        self.engine = engine
        self.network = network

    @property
    def loaded(self) -> bool:
        return self._store is not None

    def get(self) -> Store:
        if self._store is None:
            self._store = self._load()
        return self._store

    def __getattr__(self, attribute: str):  # everything else is the real store's
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.get(), attribute)

    def __len__(self) -> int:
        return len(self.get())
