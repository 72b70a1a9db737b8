"""The sections of the pattern report that answer one research question each from a
named query: who is supervised, the station typology, selection reasons, the first
appearance of mechanisms, the party committee's role (shared/RESEARCH-QUESTIONS.md
8, 11, 12, 10 and 7).

Each reads the rows of its query of the library (so `kg query --name X` shows the same
evidence, row by row) and folds them into a few rows a reader can take in at once.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from kg.analysis.networks import CaseMechanisms, compact_id

if TYPE_CHECKING:
    from kg.query.graph import QueryGraph

#: how many quotes a section keeps per row (the query has them all)
QUOTES_KEPT = 3


def _short(value: object) -> str:
    return compact_id(value) if value else ""


def supervised(kg: QueryGraph) -> list[dict]:
    """Targets of oversight (the `supervises` role), most cases first, with quotes."""
    by_target: dict[str, dict] = {}
    for row in kg.select("supervised").dicts():
        target = _short(row["target"])
        entry = by_target.setdefault(
            target,
            {
                "target": target,
                "label_zh": row["target_zh"] or target,
                "label_en": row["target_en"] or "",
                "cases": [],
                "quotes": [],
            },
        )
        case = _short(row["case"])
        if case not in entry["cases"]:
            entry["cases"].append(case)
        quote = {"case": case, "quote": row["quote"]}
        if row["quote"] and quote not in entry["quotes"]:
            entry["quotes"].append(quote)
    rows = sorted(by_target.values(), key=lambda r: (-len(r["cases"]), r["target"]))
    for row in rows:
        row["count"] = len(row["cases"])
    return rows


def station_types(kg: QueryGraph) -> list[dict]:
    """Kinds of contact venue (by the vocabulary's facet), with their cases and places."""
    by_kind: dict[str, dict] = {}
    for row in kg.values("station-typology").dicts():
        kind = _short(row["kind"])
        entry = by_kind.setdefault(
            kind,
            {
                "kind": kind,
                "label_zh": row["kind_zh"] or kind,
                "label_en": row["kind_en"] or "",
                "facet": row["facet"] or "",
                "cases": [],
                "places": [],
                "regions": [],
            },
        )
        entry["cases"].append(_short(row["case"]))
        place = "".join(p for p in (row["prefecture_zh"], row["place_zh"]) if p)
        for key, value in (("places", place), ("regions", row["region_zh"])):
            if value and value not in entry[key]:
                entry[key].append(value)
    return sorted(by_kind.values(), key=lambda r: (r["facet"], -len(r["cases"]), r["kind"]))


def selection_reasons(kg: QueryGraph) -> list[dict]:
    """The province's reason for each case, by batch year."""
    return [
        {
            "case": _short(row["case"]),
            "year": str(row["batch_year"] or ""),
            "category": _short(row["category"]),
            "reason_zh": row["reason_zh"] or "",
            "reason_en": row["reason_en"] or "",
        }
        for row in kg.values("selection-reasons").dicts()
    ]


def first_appearances(kg: QueryGraph) -> list[dict]:
    """When each mechanism (families rolled up) first appears, and how far it spread."""
    return [
        {
            "mechanism": _short(row["mechanism"]),
            "label_zh": row["label_zh"] or "",
            "first_year": str(row["first_year"] or ""),
            "first_batch": _short(row["first_batch"]),
            "first_cases": (row["first_cases"] or "").split(),
            "cases": row["cases"],
            "batches": row["batches"],
        }
        for row in kg.select("first-appearance").dicts()
    ]


def party_role(kg: QueryGraph, data: CaseMechanisms) -> tuple[list[dict], dict[str, list[str]]]:
    """Per case: the passages that give the party committee a role, once each, with the
    roles and mechanisms they are evidence for; and the cases grouped by whether they
    have such a passage (for `patterns.contrast_groups`)."""
    by_case: dict[str, dict] = {}
    for row in kg.select("party-role").dicts():
        case = _short(row["case"])
        entry = by_case.setdefault(
            case,
            {"case": case, "title_zh": row["title_zh"] or "", "roles": [], "passages": []},
        )
        words = (row["actor_roles"] or "").split() + (row["mechanisms"] or "").split()
        entry["roles"] = sorted(set(entry["roles"]) | set(words))
        entry["passages"].append(row["quote"])
    rows = [by_case[c] for c in sorted(by_case)]
    groups: dict[str, list[str]] = defaultdict(list)
    for case in data.uses:
        groups["party-role" if case in by_case else "no-party-role"].append(case)
    return rows, dict(groups)
