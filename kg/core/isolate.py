"""Run a query evaluation under a deadline that holds even when the evaluation holds the GIL.

A thread with `join(timeout)` cannot stop rdflib: a catastrophic `REGEX` runs inside
Python's `re`, which never releases the GIL, so the waiting thread cannot even wake up
at its deadline. `run_isolated` therefore evaluates in a child process forked from this
one (the graph is inherited copy-on-write, nothing is loaded again), reads the pickled
answer from a pipe with a deadline, and SIGKILLs the child if the deadline passes: a
killed process truly stops. Errors come back as the same `KgError`s the thread path
raises. Where `os.fork` does not exist (Windows) the thread path (`run_in_thread`) is
used; it is also kept for evaluators that release the GIL (Oxigraph), which it abandons
in time.

The child never returns into the caller's code: it leaves with `os._exit`, so it runs no
`atexit` handler and flushes none of the stdio buffers it inherited (whatever the parent
had buffered would otherwise be written twice).

The command line, the Python API and `kg serve` share this one implementation. The
endpoint asks for more: a network sandbox and a memory cap in the child
(`kg.core.sandbox`), a cap on the reply's size, and a registry of its children so that
it can kill them when it stops.
"""

from __future__ import annotations

import contextlib
import copyreg
import datetime
import faulthandler
import gc
import io
import math
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NoReturn, TypeVar

from rdflib import BNode, Literal, URIRef

from kg.core.errors import KgError, Problem, option
from kg.core.sandbox import bound_lifetime, deny_network, limit_memory

# The child only evaluates on inherited, read-only data and leaves with os._exit, so
# forking from a threaded process is safe here (Python 3.12+ warns about it).
warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning)

T = TypeVar("T")

_HEADER = struct.Struct("!Q")  # the length of the pickled reply that follows
# Only one pipe-and-fork at a time: a child forked by another thread in between would
# inherit this pipe's write end, and the parent would then not see EOF when its own
# child dies.
_FORK_LOCK = threading.Lock()


def _new_lock_in_child() -> None:
    """A child forked while another thread held the lock must not inherit it held."""
    global _FORK_LOCK
    _FORK_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)
_INHERITED: list[object] = []  # the child's reference to the parent's sys.stdout


class QueryTimeout(KgError):
    """A query stopped at its deadline."""


class ChildDied(KgError):
    """The evaluating process ended without a whole answer (killed, out of memory)."""


class ReplyTooLarge(KgError):
    """The answer is larger than the caller accepts; the child was killed."""


@dataclass(frozen=True)
class WithBytes:
    """A result whose bulk is bytes: `data` travels from the child unpickled, and arrives
    as one buffer (an endpoint's reply body is held once, not three times)."""

    value: object
    data: bytes | bytearray


class Children:
    """The pids of running children, so that a server can kill them when it stops."""

    def __init__(self) -> None:
        self._pids: set[int] = set()
        self._lock = threading.Lock()

    def add(self, pid: int) -> None:
        with self._lock:
            self._pids.add(pid)

    def discard(self, pid: int) -> None:
        with self._lock:
            self._pids.discard(pid)

    def pids(self) -> list[int]:
        with self._lock:
            return sorted(self._pids)

    def kill_all(self) -> None:
        with self._lock:
            pids = list(self._pids)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def error_for(error: BaseException, what: str) -> KgError:
    """The `KgError` a failed evaluation is reported as (the same on every path)."""
    if isinstance(error, KgError):
        return error
    if isinstance(error, RecursionError):
        return KgError(Problem(what, "query is nested too deeply to evaluate"))
    if isinstance(error, MemoryError):
        return KgError(Problem(what, "query needed more memory than a query may use"))
    return KgError(Problem(what, f"query failed: {type(error).__name__}: {error}"))


def timed_out(timeout: float, what: str) -> KgError:
    """The `KgError` for a query stopped at its deadline (the same on every path)."""
    return QueryTimeout(
        Problem(
            what,
            f"query did not finish within {timeout:g} s and was abandoned",
            hint=f"narrow the query, or allow it more time ({option('timeout')})",
        )
    )


def run_in_thread(
    work: Callable[[], T], timeout: float | None, what: str, *, limits: Limits | None = None
) -> T:
    """Run `work` in a daemon thread; raise a `KgError` if it outlives `timeout` seconds.

    On timeout the thread is abandoned (a daemon never keeps the process alive). This
    only works if the evaluation lets the waiting thread run, i.e. releases the GIL.
    `limits` cannot bind a thread and are not applied: this is the fallback where no
    process can be forked.
    """
    if not timeout:
        return work()
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=target, name="kg-query", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise timed_out(timeout, what)
    if "error" in box:
        raise error_for(box["error"], what)  # type: ignore[arg-type]
    return box["value"]  # type: ignore[return-value]


@dataclass(frozen=True)
class Limits:
    """What the child may do beyond evaluating: `sandbox` denies it the network,
    `max_memory` caps its address space above what it inherited, `max_reply` caps the
    bytes of its answer. `strict` means: never fall back to running in this process."""

    sandbox: bool = False
    max_memory: int | None = None
    max_reply: int | None = None
    strict: bool = False


def run_isolated(
    work: Callable[[], T],
    timeout: float | None,
    what: str,
    *,
    limits: Limits = Limits(),
    children: Children | None = None,
) -> T:
    """Run `work` in a forked child; kill it and raise a `KgError` after `timeout` seconds.

    `work`'s result must be picklable. Without a timeout (None or 0) `work` runs here, in
    this process, and its exceptions propagate unchanged, as with `run_in_thread`, which
    is also used where there is no `os.fork` or the fork fails (no process to spare),
    unless `limits.strict` (then the failure to fork is an error).
    """
    if not timeout and not limits.strict:
        return work()
    if not hasattr(os, "fork"):
        if limits.strict:
            raise KgError(Problem(what, "this platform cannot run a query in its own process"))
        return run_in_thread(work, timeout, what)
    child = _fork(work, timeout, what, limits)
    if child is None:
        return run_in_thread(work, timeout, what)
    return child.wait(children)


def start_isolated(work: Callable[[], T], timeout: float, what: str) -> Callable[[], T]:
    """Start `work` in a forked child now and return the function that waits for its
    result (with `run_isolated`'s deadline and errors): the caller goes on meanwhile, so
    two pieces of CPU-bound work (two figures) use two cores. A `timeout` of 0 sets no
    deadline. Where no child can be forked, the returned function runs `work` itself."""
    child = _fork(work, timeout, what, Limits()) if hasattr(os, "fork") else None
    return work if child is None else child.wait


def cancel(wait: Callable[[], object]) -> None:
    """Kill the child behind a function that `start_isolated` returned, and reap it: its
    answer is no longer wanted. Nothing happens for a function that runs here."""
    child = getattr(wait, "__self__", None)
    if isinstance(child, _Child):
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGKILL)
        with contextlib.suppress(KgError):
            child.wait()


@dataclass
class _Child:
    """A forked child that will write one framed reply to `read_end`'s pipe."""

    pid: int
    read_end: int
    timeout: float | None
    what: str
    limits: Limits
    started: float  # time.monotonic() at the fork: the deadline counts from here

    def wait(self, children: Children | None = None):
        """The child's reply; it is killed at the deadline, and reaped in every case."""
        pid, what, limits, timeout = self.pid, self.what, self.limits, self.timeout
        deadline = None if not timeout else self.started + timeout
        if children is not None:
            children.add(pid)
        reaped = False
        try:
            try:
                data = _receive(self.read_end, deadline, limits.max_reply)
            except TimeoutError:
                raise timed_out(timeout or 0, what) from None
            except OverflowError:
                raise ReplyTooLarge(
                    Problem(what, f"the answer is larger than {limits.max_reply} bytes")
                ) from None
            status = _reap(pid)  # the child leaves right after writing
            reaped = True
            if data is None:  # the pipe closed before a whole reply: the child died
                raise ChildDied(Problem(what, _died(status, limits)))
            try:
                kind, payload = _loads(data[0])
            except Exception as exc:  # not expected: the child wrote a whole frame
                raise error_for(exc, what) from None
            if kind == "error":
                raise KgError(payload)
            if kind == "bytes":
                return WithBytes(payload, data[1])
            return payload
        finally:
            os.close(self.read_end)
            if not reaped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                _reap(pid)
            if children is not None:
                children.discard(pid)


def _fork(work: Callable[[], object], timeout: float | None, what: str, limits: Limits):
    """A `_Child` running `work`, or None if no process could be forked (and that is
    allowed: not `limits.strict`)."""
    started = time.monotonic()
    with _FORK_LOCK:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:  # no process to spare (EAGAIN, ENOMEM)
            os.close(read_end)
            os.close(write_end)
            if limits.strict:
                raise KgError(Problem(what, f"cannot start a query process: {exc}")) from None
            return None
        if pid == 0:
            os.close(read_end)
            _child(work, write_end, what, timeout or 0, limits)
        os.close(write_end)
    return _Child(pid, read_end, timeout, what, limits, started)


def _died(status: int | None, limits: Limits) -> str:
    code = None if status is None else os.waitstatus_to_exitcode(status)
    if code is None:
        how = "status unknown"
    else:
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
    memory = limits.max_memory
    why = (
        f"it may have needed more than the {memory / 1024**3:g} GiB a query may use"
        if memory
        else "it may have run out of memory"
    )
    return f"the query process ended without an answer ({how}); {why}"


def _reap(pid: int) -> int | None:
    """Wait for the child; its status, or None if it was reaped already (SIGCHLD ignored)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


# -- the child --


def _child(
    work: Callable[[], object], fd: int, what: str, timeout: float, limits: Limits
) -> NoReturn:
    """Evaluate, write one framed, pickled reply to `fd`, and leave without any cleanup."""
    code = 0
    _INHERITED.append(sys.stdout)  # kept referenced: freeing it would flush the parent's bytes
    try:
        # Park every inherited object out of the collector's reach: a full collection in
        # the child would otherwise touch, and so copy, every page of the graph.
        gc.freeze()
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # Should the parent die without killing it, the child still ends on its own.
        if timeout:
            bound_lifetime(timeout)
        if limits.sandbox:
            deny_network()
        if limits.max_memory:
            limit_memory(limits.max_memory)
        # The evaluation never prints; if something did, it must not go through the
        # parent's buffer, which may hold output the parent has yet to write.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the process ends with _exit
        # Nor may an engine's own report of a failure (Oxigraph prints a Rust backtrace
        # when an allocation fails) land on the user's terminal: the parent says why.
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
        faulthandler.disable()  # it writes to a copy of stderr (pytest's, for one)
        try:
            reply: tuple[str, object] = ("value", work())
        except BaseException as exc:  # everything goes back to the parent
            reply = ("error", error_for(exc, what).problems)
        raw: bytes | bytearray | memoryview = b""
        if reply[0] == "value" and isinstance(reply[1], WithBytes):
            reply, raw = ("bytes", reply[1].value), reply[1].data
        try:
            data = _dumps(reply)
        except BaseException as exc:  # an unpicklable result
            data, raw = _dumps(("error", error_for(exc, what).problems)), b""
        _write_all(fd, _HEADER.pack(data.nbytes) + _HEADER.pack(len(raw)))
        _write_all(fd, data)
        _write_all(fd, raw)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# -- the reply --


def _receive(
    fd: int, deadline: float | None, max_size: int | None
) -> tuple[bytearray, bytearray] | None:
    """The reply from `fd`: its pickled part and its raw bytes (see `WithBytes`); None
    if the pipe closes first; TimeoutError at `deadline`; OverflowError if the reply
    announces more than `max_size` bytes, before they are read.

    The pipe is read as the child writes, so a reply larger than the pipe's buffer (a
    result of hundreds of MB) flows through instead of blocking both processes.
    """
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    header = _read_exactly(fd, _HEADER.size * 2, poller, deadline)
    if header is None:
        return None
    pickled, raw = _HEADER.unpack(header[:8])[0], _HEADER.unpack(header[8:])[0]
    if max_size is not None and pickled + raw > max_size:
        raise OverflowError(pickled + raw)
    first = _read_exactly(fd, pickled, poller, deadline)
    second = _read_exactly(fd, raw, poller, deadline) if first is not None else None
    return None if second is None else (first, second)


def _read_exactly(
    fd: int, size: int, poller: select.poll, deadline: float | None
) -> bytearray | None:
    buffer = bytearray(size)
    with memoryview(buffer) as view:
        got = 0
        while got < size:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            wait = -1 if remaining is None else math.ceil(remaining * 1000)
            if not poller.poll(wait):
                raise TimeoutError
            n = os.readv(fd, [view[got:]])
            if n == 0:
                return None
            got += n
    return buffer


# -- pickling RDF terms --
#
# rdflib's own pickling rebuilds every term through its constructor, which is slow for
# large results, logs each invalid IRI and ill-typed literal a second time, and
# normalises lexical forms ("01"^^xsd:integer comes back as "1"). Terms are rebuilt
# from their exact state instead, so a result is the same as if evaluated here.

# Literal values that pickle as they are; any other value (an XML document, a duration,
# a date with an unusual time zone) is computed again from the lexical form.
_PLAIN = frozenset(
    {type(None), bool, int, float, str, bytes, Decimal, datetime.date, datetime.timedelta}
)
_ZONES = frozenset({type(None), datetime.timezone})
# one object per datatype IRI or language tag, so that pickle sends each only once
_SHARED: dict[str, str] = {}


def _node(cls: type, value: str) -> object:
    return str.__new__(cls, value)


def _text_literal(lexical: str, lang: str | None, datatype: str | None, ill_typed: object):
    lit = str.__new__(Literal, lexical)
    lit._language, lit._datatype, lit._value, lit._ill_typed = lang, datatype, lexical, ill_typed
    return lit


def _literal(lexical: str, lang: str | None, datatype: str | None, value: object, ill: object):
    lit = str.__new__(Literal, lexical)
    lit._language, lit._datatype, lit._value, lit._ill_typed = lang, datatype, value, ill
    return lit


def _computed_literal(lexical: str, lang: str | None, datatype: str | None) -> Literal:
    return Literal(lexical, lang=lang, datatype=datatype, normalize=False)


def _reduce_node(term: str) -> tuple:
    return (_node, (type(term), str.__str__(term)))


def _reduce_literal(lit: Literal) -> tuple:
    lexical, lang, datatype, value = str.__str__(lit), lit._language, lit._datatype, lit._value
    if lang is not None:
        lang = _SHARED.setdefault(lang, lang)
    if datatype is not None:
        datatype = _SHARED.setdefault(datatype, datatype)
    kind = type(value)
    if kind is str and value == lexical:
        return (_text_literal, (lexical, lang, datatype, lit._ill_typed))
    if kind in _PLAIN or (
        kind in (datetime.datetime, datetime.time) and type(value.tzinfo) in _ZONES
    ):
        return (_literal, (lexical, lang, datatype, value, lit._ill_typed))
    return (_computed_literal, (lexical, lang, datatype))


_REDUCERS = {
    **copyreg.dispatch_table,
    URIRef: _reduce_node,
    BNode: _reduce_node,
    Literal: _reduce_literal,
}


def _dumps(obj: object) -> memoryview:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    with _no_collection():
        pickler.dump(obj)
    return buffer.getbuffer()


def _loads(data: bytearray) -> object:
    with _no_collection():
        return pickle.loads(data)


@contextlib.contextmanager
def _no_collection():
    """Pause the cycle collector: it would trace the millions of new objects of a large
    result over and over (pickle creates no cycles; refcounting frees its garbage)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
