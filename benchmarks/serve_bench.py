"""Throughput and latency of `kg serve` on loopback, against querying in process.

    .venv/bin/python benchmarks/serve_bench.py
    .venv/bin/python benchmarks/serve_bench.py --store oxigraph --requests 400

The server runs in its own process (forked before any client thread exists) on a free
127.0.0.1 port with the default settings, so clients and server do not share a GIL.
For 1, 4 and 16 concurrent clients (each on its own keep-alive connection) it sends a
bounded number of GET /queries/NAME requests (default 200 per level, at most 30 s per
level) and reports requests per second and p50/p95 latency. The baseline, measured in
the same run, is `kg.select(NAME)` in this process; the last column is p50 over it.
It also times the bare cost of a query process: fork, pipe, reply, reap.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg import KnowledgeGraph  # noqa: E402
from kg.serve.endpoint import make_server  # noqa: E402
from kg.serve.replies import Reply  # noqa: E402
from kg.store.oxigraph import OxigraphStore  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def in_process(kg: KnowledgeGraph, name: str, runs: int, budget: float) -> list[float]:
    kg.select(name)  # warm
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < runs and time.perf_counter() - started < budget:
        t = time.perf_counter()
        kg.select(name)
        times.append(time.perf_counter() - t)
    return times


def ceiling(kg: KnowledgeGraph, name: str, processes: int, runs: int) -> float:
    """Queries per second of `processes` forked copies running `name` with no server."""
    started = time.perf_counter()
    pids = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:
            for _ in range(runs):
                kg.select(name)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return processes * runs / (time.perf_counter() - started)


def fork_overhead(kg: KnowledgeGraph, runs: int) -> list[float]:
    server = make_server(kg)
    try:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            server.run_isolated(lambda: Reply(200, {}, b"x"))
            times.append(time.perf_counter() - t)
        return times
    finally:
        server.server_close()


def _serve(kg: KnowledgeGraph, conn) -> None:
    server = make_server(kg)
    conn.send(server.server_address[1])
    server.serve_forever()


def load(port: int, path: str, clients: int, total: int, budget: float):
    """`total` requests from `clients` threads, stopping early after `budget` seconds."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    issued = [0]
    started = time.perf_counter()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if issued[0] >= total or time.perf_counter() - started > budget:
                    break
                issued[0] += 1
            t = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept": "application/sparql-results+json"})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            elapsed = time.perf_counter() - t
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return latencies, errors[0], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project with data/")
    parser.add_argument("--store", choices=["memory", "oxigraph"], default="memory")
    parser.add_argument("--query", default="mechanism-frequency")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--requests", type=int, default=200, help="per concurrency level")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per level")
    args = parser.parse_args()

    kg = KnowledgeGraph.from_data(args.root)
    if args.store == "oxigraph":
        kg = KnowledgeGraph(OxigraphStore.from_dataset(kg.store.dataset))
    triples = len(kg.store)
    base = in_process(kg, args.query, runs=50, budget=15.0)
    base_p50 = statistics.median(base)
    fork = fork_overhead(kg, runs=200)
    cpus = os.cpu_count() or 1
    runs = max(3, min(20, round(5.0 / base_p50 / cpus)))
    top = ceiling(kg, args.query, cpus, runs)

    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    server = multiprocessing.get_context("fork").Process(
        target=_serve, args=(kg, sender), daemon=True
    )
    server.start()
    port = receiver.recv()
    path = f"/queries/{args.query}"
    load(port, path, 1, 5, 10.0)  # warm the connection path

    print(
        f"`{args.query}` on the {args.store} store ({triples:,} triples), "
        f"{os.cpu_count()} CPUs, server defaults (workers = 2 × CPUs, timeout 5 s)\n"
    )
    print(
        f"- in process, `kg.select`: p50 {base_p50 * 1000:.1f} ms, "
        f"p95 {percentile(base, 95) * 1000:.1f} ms ({len(base)} runs)"
    )
    print(
        f"- a query process alone (fork, sandbox, pipe, reap): p50 "
        f"{statistics.median(fork) * 1000:.2f} ms, p95 {percentile(fork, 95) * 1000:.2f} ms"
    )
    print(
        f"- the machine's ceiling, {cpus} forked processes running `kg.select` with no "
        f"server: {top:.1f} queries/s (one process: {1 / base_p50:.1f})\n"
    )
    print("| clients | requests | errors | req/s | p50 ms | p95 ms | p50 / in-process |")
    print("|---|---|---|---|---|---|---|")
    try:
        for clients in [int(c) for c in args.clients.split(",")]:
            latencies, errors, wall = load(port, path, clients, args.requests, args.max_seconds)
            if not latencies:
                print(f"| {clients} | 0 | {errors} | - | - | - | - |")
                continue
            p50 = statistics.median(latencies)
            print(
                f"| {clients} | {len(latencies)} | {errors} | {len(latencies) / wall:.1f} "
                f"| {p50 * 1000:.1f} | {percentile(latencies, 95) * 1000:.1f} "
                f"| {p50 / base_p50:.2f}× |",
                flush=True,
            )
    finally:
        server.kill()
        server.join()


if __name__ == "__main__":
    main()
