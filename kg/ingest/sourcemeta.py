"""A new source's id, its batch and its drafted metadata record (data/sources/ID.yaml).

A batch has one definition across every text about it: when data/sources already defines
the batch (the notice, ingested first), a repost, a mirror or a news item copies that
definition instead of drafting another, so a Traditional mirror cannot introduce a
second, Traditional label. A batch seen first here gets its proper name from the text's
Simplified copy (第N届广东省县乡人大工作创新案例), or the programme's name for it when the
text only says 第N届全省… (the rule says so). A text about several batches (commentary)
has no `batch:`; it defines the batches nobody has defined yet under `batches:`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.core.errors import KgError, Problem, option
from kg.core.yamlstrict import load_yaml
from kg.ingest.batches import label_of, proper_label, year_of_batch
from kg.ingest.genre import NOTICE_GENRES
from kg.ingest.notice import Notice
from kg.records.schema import PLACEHOLDER

BATCH_FIELDS = ("id", "ordinal", "year", "province", "label", "label_en")


def defined_batches(sources_dir: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """Batch id -> (its definition, the file defining it), from data/sources/*.yaml."""
    out: dict[str, tuple[dict[str, Any], str]] = {}
    for path in sorted(sources_dir.glob("*.yaml")):
        try:
            data = load_yaml(path)
        except KgError:
            continue  # a broken record is `kg validate`'s business
        if not isinstance(data, dict):
            continue
        found = [data.get("batch")] + list(data.get("batches") or [])
        for batch in found:
            if isinstance(batch, dict) and isinstance(batch.get("id"), str):
                out.setdefault(batch["id"], (dict(batch), path.name))
    return out


def source_batches(sources_dir: Path) -> tuple[dict[str, str], frozenset[str]]:
    """Source id -> its batch id ("" when it names several), and every further batch id
    (`batches:`), from the raw metadata records in data/sources."""
    sources: dict[str, str] = {}
    further: set[str] = set()
    for path in sorted(sources_dir.glob("*.yaml")):
        try:
            data = load_yaml(path)
        except KgError:
            continue
        if not isinstance(data, dict):
            continue
        batch = data.get("batch")
        sources[path.stem] = str(batch.get("id", "")) if isinstance(batch, dict) else ""
        further |= {
            str(b["id"]) for b in data.get("batches") or [] if isinstance(b, dict) and "id" in b
        }
    return sources, frozenset(further)


@dataclass
class MetaDraft:
    """A drafted metadata record with its `# rule:` / `# fill:` comments."""

    data: dict[str, Any] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)

    def put(self, key: str, value: Any, rule: str, target: dict | None = None) -> None:
        """Set `key` (a dotted path for comments) to `value`, or TODO with what to fill."""
        name = key.rsplit(".", 1)[-1]
        where = self.data if target is None else target
        if value is None or value == "":
            self.todo.append(key)
            self.comments[key] = f"fill: {rule}"
            where[name] = PLACEHOLDER
        else:
            self.comments[key] = f"rule: {rule}"
            where[name] = value


@dataclass
class BatchFacts:
    """What the text says of one batch: ordinal, year, province, and where."""

    id: str
    ordinal: int | None
    year: int | None
    year_rule: str
    province: str | None
    ordinal_rule: str = "第N届"


def batch_record(
    meta: MetaDraft,
    prefix: str,
    facts: BatchFacts,
    notice: Notice,
    defined: dict[str, tuple[dict[str, Any], str]],
    province_name: str | None,
) -> dict[str, Any]:
    """The batch's definition: copied when data/sources has it, else drafted."""
    if facts.id in defined:
        definition, file = defined[facts.id]
        record = {k: definition[k] for k in BATCH_FIELDS if k in definition}
        meta.comments[f"{prefix}.id"] = f"rule: as data/sources/{file} defines it"
        return record
    record: dict[str, Any] = {"id": facts.id}
    meta.put(f"{prefix}.ordinal", facts.ordinal, facts.ordinal_rule, record)
    meta.put(f"{prefix}.year", facts.year, facts.year_rule, record)
    meta.put(f"{prefix}.province", facts.province, "the province of the declaring units", record)
    label = rule = None
    if facts.ordinal and province_name:
        regions = notice_regions(notice)
        label = proper_label(notice.text.norm, regions, facts.ordinal, province_name)
        rule = "the proper name 第N届{province}…创新案例 in the text (Simplified)"
        if label is None:
            label = label_of(facts.ordinal, province_name)
            rule = "the programme's name for batch N: the text gives no proper name; check it"
    meta.put(f"{prefix}.label", label, rule or "第N届{province}…创新案例", record)
    meta.put(f"{prefix}.label_en", None, "English translation of the label", record)
    return record


def notice_regions(notice: Notice) -> list:
    """The content paragraphs of the text (page chrome left out)."""
    return notice.page.paragraphs() if notice.page else []


def provisional(path: Path, what: str, value: str, setting: str, warnings: list[Problem]) -> None:
    """Warn that an id could not be derived from the text."""
    warnings.append(
        Problem(
            str(path),
            f"{what}; the id {value!r} is provisional",
            severity="warning",
            hint=f"pass {option(setting)} ID to name it",
        )
    )


def immutable(text_path: Path, raw: bytes, source_id: str) -> None:
    """A KgError when another text is stored under `source_id`."""
    if text_path.is_file() and text_path.read_bytes() != raw:
        raise KgError(
            Problem(
                str(text_path),
                f"a different text is already stored as source {source_id!r}",
                hint=f"raw sources are immutable: pass {option('source_id')} with a new id",
            )
        )


@dataclass
class Identity:
    """Who a text is: its source id, the batch of the whole text (None when it names
    several or none), each mention's batch, and the curated metadata if there is any."""

    source_id: str
    batch_id: str | None
    curated_meta: Any
    prefix: str  # the province's slug: gd
    by_mention: dict[int, str] = field(default_factory=dict)  # id(mention) -> batch id

    def mention_batches(self, mentions: list, batch: str | None) -> None:
        """Each mention's batch id (`batch` when given); the text's batch when they share
        one."""
        for m in mentions:
            if batch is not None:
                self.by_mention[id(m)] = batch
            elif m.batch:
                self.by_mention[id(m)] = f"{self.prefix}-b{m.batch}"
            else:
                self.by_mention[id(m)] = PLACEHOLDER
        ids = set(self.by_mention.values())
        if len(ids) == 1 and PLACEHOLDER not in ids:
            self.batch_id = ids.pop()

    def case_batch(self, case: Any) -> str:
        """The batch id of a drafted case (a `kg.ingest.assemble.NoticeCase`)."""
        if case.mention is not None:
            return self.by_mention[id(case.mention)]
        return self.batch_id or PLACEHOLDER


def draft_source_meta(
    reading: Any,
    ident: Identity,
    province: str | None,
    url: str | None,
    date: str | None,
    places: Any,
    sources_dir: Path,
) -> MetaDraft:
    """The source's metadata record (fields of data/sources/*.yaml), TODO where unknown."""
    notice = reading.notice
    t, intro, page = notice.text, notice.intro, notice.meta
    meta = MetaDraft()

    def quote(span) -> str | None:
        return t.text[span.start : span.end] if span else None

    line = t.line_of
    put = meta.put
    put("id", ident.source_id, "the notice's batch and year, or genre and hash")
    put("file", f"{ident.source_id}.txt", "the text, copied verbatim")
    put("sha256", hashlib.sha256(t.raw).hexdigest(), "the text's checksum")
    headline = quote(intro.title or page.headline)
    put(
        "title",
        headline,
        f"the clause with 印发《…》 (line {line(intro.title.start)})"
        if intro.title
        else "the headline: the first line of the text"
        if page.headline
        else "the headline of the text",
    )
    put("title_en", None, "English translation of the title")
    put(
        "url",
        url,
        "given with the url setting"
        if url
        else "the page's web address (https://...); delete the line if the text has none",
    )
    put("genre", reading.genre, f"detected: {reading.why}")
    put("publisher", page.publisher, page.publisher_rule or "the site or outlet of the page")
    put("publisher_en", None, "English name of the publisher")
    if page.original_publisher:
        put("original_publisher", page.original_publisher, "来源: of the reposted text")
    date = date or page.date
    put(
        "date",
        date,
        "given with the date setting"
        if date and date != page.date
        else page.date_rule or "the page's date (YYYY-MM-DD)",
    )
    if reading.genre in NOTICE_GENRES:
        put("notice_title", quote(intro.notice_title), "《…通知》 in the intro")
        issuing = quote(intro.issuing_body)
        issuing_rule = "the subject before 印发《…》 or 关于…的通知"
        if issuing and province and issuing.startswith("省") and not t.traditional:
            issuing = places.table[province][0] + issuing[1:]
            issuing_rule += ", 省 → the province of the units"
        put("issuing_body", issuing, issuing_rule)
        put("issuing_body_en", None, "English name of the issuing body")
    defined = defined_batches(sources_dir)
    province_name = places.table[province][0] if province else None
    regions = notice_regions(notice)
    facts = []
    if ident.batch_id and ident.batch_id != PLACEHOLDER:
        ordinal = intro.ordinal[0] if intro.ordinal else None
        ordinal_rule = f"第N届 (line {line(intro.ordinal[1].start)})" if intro.ordinal else ""
        if reading.mentions:
            ordinal = next((m.batch for m in reading.mentions if m.batch), None)
            ordinal_rule = "第N届 tied to the cases"
        year, year_rule = _batch_year(notice, regions, ordinal, date)
        facts.append(BatchFacts(ident.batch_id, ordinal, year, year_rule, province, ordinal_rule))
        meta.data["batch"] = batch_record(meta, "batch", facts[0], notice, defined, province_name)
        return meta
    further = []
    seen: set[str] = set()
    for m in reading.mentions:
        bid = ident.by_mention[id(m)]
        if bid == PLACEHOLDER or bid in seen or bid in defined:
            continue  # defined once, wherever it is defined
        seen.add(bid)
        year, year_rule = _batch_year(notice, regions, m.batch, None)
        fact = BatchFacts(bid, m.batch, year, year_rule, province, m.batch_rule)
        prefix = f"batches[{len(further)}]"
        further.append(batch_record(meta, prefix, fact, notice, defined, province_name))
    if further:
        meta.data["batches"] = further
    return meta


def _batch_year(
    notice: Notice, regions: list, ordinal: int | None, date: str | None
) -> tuple[int | None, str]:
    if ordinal and (found := year_of_batch(notice.text.norm, regions, ordinal)):
        return found[0], f"the year before 第N届 (line {notice.text.line_of(found[1].start)})"
    if date:
        return int(date[:4]), "the year of the date; check it"
    return None, "the year of the batch (20xx年…第N届)"
