"""Batches named in a text: 第N届 (or 首届) tied to the programme, its proper name, its year.

A 第N届 counts only when the programme follows in the same sentence (第三届…创新案例,
第五届评选, 第六届入选的): 第十七届人民代表大会 is a congress term, not a batch. The
batch's label is its proper name, 第N届广东省县乡人大工作创新案例, read from the
normalised (Simplified) copy, so a Traditional text gives the same label; a text that only
says 第N届全省… or 第N届创新案例 gives no proper name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.ingest.page import TextSpan
from kg.ingest.units import cn_int

_ORDINAL = r"(?:第(?P<num>[〇一二三四五六七八九十]+|\d+)|(?P<first>首))[届]"
_BATCH = re.compile(_ORDINAL + r"(?=[^。!?;]{0,30}?(?:创新案例|案例|评选|入选|创新项目))")
_PROPER = re.compile(
    _ORDINAL + r"(?P<province>[\u4e00-\u9fff]{2,7}?(?:省|自治区))"
    r"[^,;。!?:“”\"'‘’《》\s]{0,20}?创新案例"
)
_YEAR_OF_BATCH = re.compile(r"((?:19|20)\d\d)年[^。]{0,20}?" + _ORDINAL)


@dataclass(frozen=True)
class BatchMention:
    """A batch named at `span` (第N届 or 首届): its ordinal."""

    ordinal: int
    span: TextSpan


def _ordinal(m: re.Match) -> int:
    return 1 if m.group("first") else cn_int(m.group("num"))


def batch_mentions(norm: str, regions: list[TextSpan]) -> list[BatchMention]:
    """Every programme batch named inside `regions` (content, not page chrome), in order."""
    out = []
    for region in regions:
        for m in _BATCH.finditer(norm, region.start, region.end):
            out.append(BatchMention(_ordinal(m), TextSpan(m.start(), m.end())))
    return out


def proper_label(norm: str, regions: list[TextSpan], ordinal: int, province: str) -> str | None:
    """The batch's proper name as the text writes it (Simplified): 第N届{province}…创新案例."""
    for region in regions:
        for m in _PROPER.finditer(norm, region.start, region.end):
            if _ordinal(m) == ordinal and m.group("province") == province:
                return norm[m.start() : m.end()]
    return None


def year_of_batch(norm: str, regions: list[TextSpan], ordinal: int) -> tuple[int, TextSpan] | None:
    """The year a text gives for the batch (2020年…第三届), with where it says so."""
    for region in regions:
        for m in _YEAR_OF_BATCH.finditer(norm, region.start, region.end):
            if _ordinal(m) == ordinal:
                return int(m.group(1)), TextSpan(m.start(1), m.end(1) + 1)
    return None


def label_of(ordinal: int, province: str) -> str:
    """The proper name the programme gives batch `ordinal` of `province`, for a text that
    only says 第N届创新案例 (the rule says so, and the curator checks it)."""
    from kg.ingest.units import cn_ordinal

    return f"第{cn_ordinal(ordinal)}届{province}县乡人大工作创新案例"
