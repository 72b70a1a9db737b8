"""Limits for a forked child that evaluates a query: no network, bounded memory and life.

Used by `kg.core.isolate` for the endpoint's query processes and for any caller that
asks for a sandbox. On Linux (x86-64, arm64) `deny_network` installs a seccomp filter
that lets `socket()` create only Unix sockets, so no engine can open a network
connection even if a query got past the checks (pyoxigraph has a live HTTP client for
SERVICE). Each function is best effort where the platform lacks the mechanism.
"""

from __future__ import annotations

import contextlib
import ctypes
import platform
import resource
import signal
import socket
import sys

_AUDIT = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}  # arch, socket()


def deny_network() -> bool:
    """Install a seccomp filter: from now on `socket()` makes only Unix sockets.

    For the calling process only (a forked child); False where it cannot be installed.
    """
    arch = _AUDIT.get(platform.machine())
    if arch is None or not sys.platform.startswith("linux"):
        return False
    audit, nr_socket = arch
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO|EPERM
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, JMP|JEQ|K, JMP|JGE|K, RET|K
    program = [
        (ld, 0, 0, 4),  # 0: seccomp_data.arch
        (jeq, 1, 0, audit),  # 1: native arch -> 3, else -> 2
        (ret, 0, 0, deny),  # 2: foreign ABI: refuse
        (ld, 0, 0, 0),  # 3: seccomp_data.nr
        (jge, 4, 0, 0x40000000),  # 4: x32 ABI -> 9
        (jeq, 0, 2, nr_socket),  # 5: socket() -> 6, else -> 8
        (ld, 0, 0, 16),  # 6: args[0], the address family
        (jeq, 0, 1, socket.AF_UNIX),  # 7: AF_UNIX -> 8, else -> 9
        (ret, 0, 0, allow),  # 8
        (ret, 0, 0, deny),  # 9
    ]

    class Filter(ctypes.Structure):
        _fields_ = [
            ("code", ctypes.c_ushort),
            ("jt", ctypes.c_ubyte),
            ("jf", ctypes.c_ubyte),
            ("k", ctypes.c_uint32),
        ]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

    filters = (Filter * len(program))(*[Filter(*f) for f in program])
    prog = Program(len(program), filters)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ulong = ctypes.c_ulong
        if libc.prctl(38, ulong(1), ulong(0), ulong(0), ulong(0)) != 0:  # NO_NEW_PRIVS
            return False
        return libc.prctl(22, ulong(2), ctypes.byref(prog), ulong(0), ulong(0)) == 0
    except (OSError, AttributeError):
        return False


def limit_memory(extra: int) -> None:
    """Cap the address space at what the process holds now plus `extra` bytes."""
    try:
        with open("/proc/self/statm") as f:
            current = int(f.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (current + extra, current + extra))
    except (OSError, ValueError):
        pass


def bound_lifetime(seconds: float, *, die_with_parent: bool = True) -> None:
    """End after `seconds` (+2) of CPU time whatever happens, and with the parent (Linux)."""
    if die_with_parent:
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    cpu = int(seconds) + 2
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
