"""Ingest throughput on generated notices, against plain regex splitting of the same texts.

    .venv/bin/python benchmarks/ingest_throughput.py --notices 200

Each generated notice has an intro list, section headings and 10–12 item blocks whose
units are random divisions of Guangdong (county standing committees, township congresses,
street working committees) and whose measures are built from the mechanism vocabulary's
labels. Every notice is ingested with `write=False` (read, parse, resolve, tag, render:
everything but the disk writes). The baseline, timed in the same run, only splits the
same texts into items and fields with regular expressions. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.ingest import ingest_notice  # noqa: E402
from kg.ingest.tag import Vocabulary  # noqa: E402
from kg.ingest.units import cn_ordinal  # noqa: E402
from kg.sources.places import division_table  # noqa: E402
from kg.sources.vocabulary import load_vocabulary  # noqa: E402

SECTIONS = ("监督工作方面", "代表工作方面", "人大制度宣传方面")
TOWN_SYLLABLES = "东南西北新大小石龙凤金银桥头沙塘岗坑田湖山河水"
FILLER = (
    "坚持问题导向,",
    "在党委领导下,",
    "结合辖区实际,",
    "按照有关规定,",
    "围绕中心工作,",
)


def _counties(table: dict) -> list[tuple[str, str]]:
    """(prefecture name, county name) for every county-level division of Guangdong."""
    out = []
    for code, row in sorted(table.items()):
        if code.startswith("44") and not code.endswith("00"):
            prefecture = table.get(code[:4] + "00")
            out.append((prefecture[0] if prefecture else "", row[0]))
    return out


def _unit(rng: random.Random, counties: list[tuple[str, str]]) -> str:
    prefecture, county = rng.choice(counties)
    prefix = prefecture + county if rng.random() < 0.7 else county
    town = "".join(rng.sample(TOWN_SYLLABLES, 2))
    kind = rng.random()
    if kind < 0.7:
        return prefix + "人大常委会"
    if kind < 0.9:
        return f"{prefix}{town}镇人大"
    return f"{prefix}人大常委会{town}街道工委"


def make_notice(rng: random.Random, ordinal: int, counties: list, labels: list[str]) -> str:
    """One notice in the seed's layout with 10–12 items."""
    n_items = rng.randint(10, 12)
    items = []
    for _ in range(n_items):
        a, b = rng.sample(labels, 2)
        items.append((_unit(rng, counties), f"创新{a}工作 推动{b}落地见效"))
    listing = ",".join(f"{unit}“{title}”" for unit, title in items)
    lines = [
        f"来源:广东人大 2024-12-{rng.randint(1, 28):02d} 字体:大 | 中 | 小",
        f"近日,省人大常委会办公厅印发《关于确定第{cn_ordinal(ordinal)}届广东省县乡人大工作"
        f"创新案例的通知》,确定{listing}等{n_items}个项目为第{cn_ordinal(ordinal)}届广东省"
        "县乡人大工作创新案例。",
    ]
    per_section = -(-n_items // len(SECTIONS))
    for i, (unit, title) in enumerate(items):
        if i % per_section == 0:
            lines.append(f"{cn_ordinal(i // per_section + 1)}、{SECTIONS[i // per_section]}")
        measures = []
        for k in range(1, rng.randint(2, 5) + 1):
            label = rng.choice(labels)
            measures.append(
                f"{cn_ordinal(k)}是建立{label}机制。{rng.choice(FILLER)}组织代表开展{label},"
                f"共收集意见建议{rng.randint(5, 300)}件,投入资金{rng.randint(1, 90)}万元。"
            )
        lines += [
            f"项目{cn_ordinal(i + 1)}:{title}",
            f"申报单位:{unit}",
            "主要做法:" + "".join(measures),
            f"入选理由:以{rng.choice(labels)}为抓手,工作成效明显,群众满意度明显提升。",
        ]
    lines.append("扫一扫分享该新闻")
    return "\n".join(lines) + "\n"


_ITEM = re.compile(r"项目[一二三四五六七八九十\d]+[:：]")
_FIELDS = re.compile(r"(申报单位|主要做法|入选理由)[:：]")
_MEASURE = re.compile(r"[一二三四五六七八九十]是")


def baseline(path: Path) -> int:
    """Plain regex splitting: items, their fields and measures. Returns the item count."""
    text = path.read_bytes().decode("utf-8")
    blocks = _ITEM.split(text)[1:]
    for block in blocks:
        fields = dict(zip(*[iter(_FIELDS.split(block)[1:])] * 2, strict=True))
        _MEASURE.split(fields.get("主要做法", ""))
    return len(blocks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=200, help="how many notices to generate")
    parser.add_argument("--seed", type=int, default=2020, help="random seed")
    parser.add_argument("--root", type=Path, default=ROOT, help="project root (read only)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    counties = _counties(division_table())
    vocabulary = Vocabulary(load_vocabulary(args.root / "data" / "vocab"))
    labels = sorted(label for label in vocabulary.mechanisms.by_label if 3 <= len(label) <= 8)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.notices):
            path = Path(tmp) / f"notice-{i:04d}.txt"
            path.write_text(make_notice(rng, 4 + i % 90, counties, labels), encoding="utf-8")
            paths.append(path)
        ingest_notice(paths[0], root=args.root, write=False)  # load vocabulary and places

        start = time.perf_counter()
        cases = mismatched = 0
        for path in paths:
            report = ingest_notice(path, root=args.root, write=False)
            cases += len(report.cases)
            mismatched += len(report.cases) != baseline(path)
        ingest_seconds = time.perf_counter() - start

        start = time.perf_counter()
        base_cases = sum(baseline(path) for path in paths)
        base_seconds = time.perf_counter() - start

    def row(name: str, n_cases: int, seconds: float) -> str:
        return (
            f"| {name} | {len(paths)} | {n_cases} | {seconds:.3f} | "
            f"{len(paths) / seconds:,.1f} | {n_cases / seconds:,.1f} |"
        )

    print("| method | notices | cases | seconds | notices/s | cases/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(row("kg ingest (write=False)", cases, ingest_seconds))
    print(row("baseline: regex split only", base_cases, base_seconds))
    print()
    print(
        f"ratio: the baseline is {ingest_seconds / base_seconds:,.0f}x faster; ingest also "
        "resolves units to places, tags the vocabulary and renders YAML drafts. "
        f"Notices whose case count differs from the baseline's: {mismatched}."
    )


if __name__ == "__main__":
    main()
