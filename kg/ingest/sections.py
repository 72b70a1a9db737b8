"""The section (category) of a case that no heading states, inferred from cue words.

Intro lists, news and commentary never say whether a case is supervision, deputy work or
publicity, but its title and reason usually do. The rule is ordered, not scored, because
the programme files a case by what it is *for*: 宣传 makes a case publicity whatever else
it mentions; 代表 (deputies, their stations, their suggestions) makes it deputy work even
when it speaks of 监督 (the seed's 代表暗访…构建垃圾分类监督工作新常态 is deputy work);
only then do oversight words (监督, 评议, 预算, 询问) make it supervision. The title is read
first, then the reason, then the measures or the prose around a mention. On the ten seed
cases with their headings ignored the rule gives the curated category for all ten.

The result is always marked as inferred (`category_inferred`: the rule and the cue's
span), never silently taken for a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.ingest.page import TextSpan

#: category id -> cue words, in the order the categories are tried.
CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("publicity", ("宣传", "融媒体", "开放日", "讲好", "人大故事", "展示馆", "普法")),
    ("deputy-work", ("代表", "联络站", "联系群众", "联系选民", "选民", "议案", "履职")),
    (
        "supervision",
        ("监督", "评议", "考评", "考核", "询问", "质询", "审查", "预算", "视察",
         "执法检查", "督办", "问效", "测评", "审计", "备案"),
    ),
)  # fmt: skip
_PATTERNS = [(category, re.compile("|".join(map(re.escape, words)))) for category, words in CUES]


@dataclass(frozen=True)
class Inference:
    """An inferred category, the rule that gave it and the cue word's span."""

    category: str
    rule: str
    span: TextSpan


def infer_category(norm: str, fields: list[tuple[str, list[TextSpan]]]) -> Inference | None:
    """The category of a case from `fields`, (name, spans) in reading order (title,
    reason, measures); None when no cue word appears."""
    for name, spans in fields:
        for category, pattern in _PATTERNS:
            for span in spans:
                if m := pattern.search(norm, span.start, span.end):
                    rule = f"cue-word:{m.group()} in the {name}"
                    return Inference(category, rule, TextSpan(m.start(), m.end()))
    return None
