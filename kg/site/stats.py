"""Counts the mechanism pages show: co-occurrence with support, lift and Fisher's exact p,
and when each mechanism first appears.

Co-occurrence counts direct tags, like the library's `mechanism-cooccurrence` query. The
p-value is Fisher's exact test, one-sided (do the two travel together more often than
chance?), which for a 2×2 table is the upper tail of the hypergeometric distribution.
It is summed here from log-binomials (`math.lgamma`): the same numbers as scipy's
`fisher_exact(..., alternative="greater")` (the tests compare them), without importing
scipy.stats, which took 4.6 s of the 11 s `kg site` run on a busy machine.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from kg.site.data import SiteData


@dataclass(frozen=True)
class Pair:
    other: str
    shared: int
    support: float
    lift: float
    p: float


def rolled_up(site: SiteData) -> dict[str, set[str]]:
    """case -> its mechanisms together with all their broader concepts."""
    closure: dict[str, set[str]] = {}

    def up(m: str) -> set[str]:
        if m not in closure:
            closure[m] = {m}
            for b in site.mechanisms[m].broader if m in site.mechanisms else ():
                closure[m] |= up(b)
        return closure[m]

    return {c: set().union(*(up(m) for m in case.mechanisms)) for c, case in site.cases.items()}


def users(site: SiteData) -> dict[str, list[str]]:
    """mechanism -> the cases tagged with it directly, in id order."""
    out: dict[str, list[str]] = defaultdict(list)
    for c, case in site.cases.items():
        for m in case.mechanisms:
            out[m].append(c)
    return out


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def upper_tail(k: int, n: int, na: int, nb: int) -> float:
    """P(X >= k) for X ~ Hypergeom(n cases, na with A, nb drawn with B): the one-sided
    Fisher exact p of A and B sharing k of n cases."""
    top = min(na, nb)
    if k <= max(0, na + nb - n):
        return 1.0
    base = _log_comb(n, nb)
    total = sum(
        math.exp(_log_comb(na, i) + _log_comb(n - na, nb - i) - base) for i in range(k, top + 1)
    )
    return min(1.0, total)


def cooccurrence(site: SiteData) -> dict[str, list[Pair]]:
    """mechanism -> the mechanisms it shares cases with, most shared first."""
    n = len(site.cases)
    single = Counter(m for case in site.cases.values() for m in case.mechanisms)
    shared: Counter[tuple[str, str]] = Counter()
    for case in site.cases.values():
        ms = case.mechanisms
        for i, a in enumerate(ms):
            for b in ms[i + 1 :]:
                shared[(a, b)] += 1
    pairs = sorted(shared.items())
    if not pairs:
        return {}
    ks = [k for _, k in pairs]
    na = [single[a] for (a, _), _ in pairs]
    nb = [single[b] for (_, b), _ in pairs]
    ps = [upper_tail(k, n, x, y) for k, x, y in zip(ks, na, nb, strict=True)]
    out: dict[str, list[Pair]] = defaultdict(list)
    for ((a, b), k), p, x, y in zip(pairs, ps, na, nb, strict=True):
        support, lift = round(k / n, 4), round(k * n / (x * y), 3)
        out[a].append(Pair(b, k, support, lift, float(p)))
        out[b].append(Pair(a, k, support, lift, float(p)))
    for m in out:
        out[m].sort(key=lambda r: (-r.shared, -r.lift, r.other))
    return out


def batch_key(site: SiteData, batch: str) -> tuple:
    b = site.batches.get(batch)
    return (b.year if b else "", b.ordinal if b and b.ordinal is not None else 0, batch)


def first_batches(site: SiteData, rolled: dict[str, set[str]]) -> dict[str, list[tuple[str, int]]]:
    """mechanism -> (batch, cases using it or a narrower concept) in batch order."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for c, ms in rolled.items():
        for m in ms:
            counts[m][site.cases[c].batch] += 1
    return {
        m: sorted(batches.items(), key=lambda item: batch_key(site, item[0]))
        for m, batches in counts.items()
    }
