"""Case pages and source pages: a case as text, and the evidence reader.

Every quoted statement of a case page is a link to its span in the source page
(`source/ID.html#q-EVIDENCE`), and every span there links back to the statement
(`case/ID.html#c-EVIDENCE`): the evidence IRI's local name is the anchor on both sides.
The source text is shown exactly: highlights are <mark> elements around the quoted code
points and anchors are empty elements, so the text content of the reader is the file.
"""

from __future__ import annotations

from collections import defaultdict

from kg.core.namespaces import RKG
from kg.site.data import KINDS, Case, Evidence, SiteData, Text, local
from kg.site.geo import locator
from kg.site.html import Page, bi, dl, e, link, plain, section, table

UNGROUPED = Text("机制", "Mechanisms")
OTHER_FACET = Text("其他(未归入分面)", "Other (no facet)")
STRENGTH = {"core": Text("核心", "core"), "mention": Text("提及", "mention")}
_ROLES = ("hasLeadingActor", "hasSupportingActor", "hasParticipatingActor",
          "hasEvaluatingActor", "supervises")  # fmt: skip


def case_of(evidence: Evidence) -> str:
    """The case an evidence statement belongs to ('' for none): its subject, or the
    case whose IRI the subject's extends (a quantity's period)."""
    if not evidence.subject.startswith(KINDS["case"]):
        return ""
    return local(evidence.subject).split("/", 1)[0]


def by_case(site: SiteData) -> dict[str, list[Evidence]]:
    out: dict[str, list[Evidence]] = defaultdict(list)
    for ev in site.evidence:
        case = case_of(ev)
        if case:
            out[case].append(ev)
    return out


def quote(ev: Evidence, root: str) -> str:
    """A quoted statement that links to its highlight in the source."""
    return link(
        f"{root}source/{ev.source}.html#q-{ev.id}",
        e(ev.quote),
        id=f"c-{ev.id}",
        class_="quote",
        lang="zh",
    )


def _name(site: SiteData, kind: str, ident: str, root: str) -> str:
    label = site.label(KINDS[kind] + ident)
    return link(f"{root}{kind}/{ident}.html", bi(label))


def place_chain_html(site: SiteData, place: str, root: str) -> str:
    return " › ".join(_name(site, "place", p, root) for p in site.place_chain(place))


def case_facts(site: SiteData, case: Case, root: str) -> str:
    body = site.bodies.get(case.body)
    batch = site.batches.get(case.batch)
    level = bi(site.label(body.level)) if body and body.level else ""
    batch_html = ""
    if batch:
        batch_html = _name(site, "batch", batch.id, root) + (
            f" ({e(batch.year)})" if batch.year else ""
        )
    return dl(
        [
            (("编号", "Identifier"), f"<code>{e(case.id)}</code>"),
            (("申报单位", "Declaring body"), _name(site, "body", case.body, root) if body else ""),
            (("层级", "Level"), level),
            (("地点", "Place"), place_chain_html(site, body.place, root) if body else ""),
            (("类别", "Section"), bi(site.label(case.category))),
            (("批次", "Batch"), batch_html),
            (("项目序号", "Item"), e(case.item) if case.item is not None else ""),
            (("起始年份", "Start year"), e(case.start_year)),
            (
                ("证据层级", "Evidence level"),
                bi(site.label(case.evidence_level)) if case.evidence_level else "",
            ),
            (
                ("来源", "Sources"),
                ", ".join(_name(site, "source", s, root) for s in case.sources),
            ),
        ]
    )


def _mechanism_groups(site: SiteData, mechanisms: list[str]) -> list[tuple[Text, list[str]]]:
    """The case's mechanisms by facet (vocabulary v2), or in one group (v1)."""
    if not site.facets:
        return [(UNGROUPED, mechanisms)]
    groups: dict[str, list[str]] = defaultdict(list)
    for m in mechanisms:
        facet = site.mechanisms[m].facet if m in site.mechanisms else ""
        groups[facet].append(m)
    order = [f for f in site.facets if f in groups] + ([""] if "" in groups else [])
    return [(site.facets.get(f, OTHER_FACET), groups[f]) for f in order]


def _mechanisms_html(site: SiteData, case: Case, evs: list[Evidence], root: str) -> str:
    quotes: dict[str, list[Evidence]] = defaultdict(list)
    for ev in evs:
        if ev.predicate == str(RKG.usesMechanism):
            quotes[local(ev.object)].append(ev)
    out = []
    for facet, ms in _mechanism_groups(site, case.mechanisms):
        items = []
        for m in sorted(ms, key=lambda m: (site.families(m), m)):
            strength = (
                "core"
                if any(q.strength == "core" for q in quotes[m])
                else ("mention" if quotes[m] else "")
            )
            badge = (
                f' <span class="badge {strength}">{bi(STRENGTH[strength])}</span>'
                if strength
                else ""
            )
            family = [f for f in site.families(m) if f != m]
            fam = (
                ' <span class="family">← '
                + ", ".join(_name(site, "mechanism", f, root) for f in family)
                + "</span>"
                if family
                else ""
            )
            qs = "".join(f"<li>{quote(q, root)}</li>" for q in quotes[m])
            items.append(
                f'<li class="mechanism">{_name(site, "mechanism", m, root)}{badge}{fam}'
                f'<ul class="quotes">{qs}</ul></li>'
            )
        out.append(f'<h3>{bi(facet)}</h3><ul class="mechanisms">{"".join(items)}</ul>')
    return "".join(out)


def _quantities_html(site: SiteData, case: Case, evs: list[Evidence], root: str) -> str:
    claims = {ev.object: ev for ev in evs if ev.predicate == str(RKG.reportsQuantity)}
    periods = {ev.subject: ev for ev in evs if ev.predicate == str(RKG.period)}
    rows = []
    for q in case.quantities:
        qualifier = bi(site.label(q.qualifier)) if q.qualifier else ""
        period = quote(periods[q.id], root) if q.id in periods else e(q.period)
        rows.append(
            [
                bi(q.label),
                qualifier,
                e(q.year),
                period,
                quote(claims[q.id], root) if q.id in claims else "",
            ]
        )
    head = [("数量", "Quantity"), ("限定", "Qualifier"), ("年份", "Year"), ("期间", "Period"),
            ("原文", "Quote")]  # fmt: skip
    return table(head, rows, "quantities")


def _claims_html(
    site: SiteData, evs: list[Evidence], predicates: tuple[str, ...], root: str
) -> str:
    rows = []
    for ev in evs:
        if local(ev.predicate) not in predicates and ev.predicate not in predicates:
            continue
        rows.append([bi(site.label(ev.predicate)), bi(site.label(ev.object)), quote(ev, root)])
    return table([("关系", "Relation"), ("对象", "Object"), ("原文", "Quote")], rows)


def case_page(site: SiteData, case: Case, evs: list[Evidence], prev: str, nxt: str) -> Page:
    root = "../"
    body = site.bodies.get(case.body)
    shown = {str(RKG.usesMechanism), str(RKG.reportsQuantity), str(RKG.period),
             str(RKG.selectionReason)}  # fmt: skip
    actors = tuple(str(RKG[r]) for r in _ROLES)
    problems = (str(RKG.addressesProblem), str(RKG.usesPlatform))
    rest = [ev for ev in evs if ev.predicate not in shown | set(actors) | set(problems)]
    measures = "".join(
        f'<li id="measure-{m.n}"><b>{bi(m.heading)}</b> '
        + link(
            f"{root}source/{m.source}.html#m-{case.id}-{m.n}",
            e(m.quote),
            class_="quote measure",
            lang="zh",
            id=f"m-{case.id}-{m.n}",
        )
        + "</li>"
        for m in case.measures
    )
    reasons = [ev for ev in evs if ev.predicate == str(RKG.selectionReason)]
    reason_html = ""
    if reasons or case.reason:
        reason_html = (
            "".join(f"<p>{quote(ev, root)}</p>" for ev in reasons) or f"<p>{e(case.reason.zh)}</p>"
        )
        if case.reason.en and case.reason.en != case.reason.zh:
            reason_html += f'<p class="translation" lang="en">{e(case.reason.en)}</p>'
    pager = "".join(
        link(f"{c}.html", bi(label) + f" <code>{e(c)}</code>", rel=rel, class_=rel)
        for c, label, rel in (
            (prev, ("← 上一个案例", "← previous case"), "prev"),
            (nxt, ("下一个案例 →", "next case →"), "next"),
        )
        if c
    )
    parts = [
        '<div class="case-head">',
        case_facts(site, case, root),
        locator(site, body.place, root, plain(site.label(KINDS["place"] + body.place)))
        if body
        else "",
        "</div>",
        section(
            "主要做法",
            "Measures",
            f'<ol class="measures">{measures}</ol>' if measures else "",
            "measures",
        ),
        section("机制", "Mechanisms", _mechanisms_html(site, case, evs, root), "mechanisms"),
        section("数量", "Quantities", _quantities_html(site, case, evs, root), "quantities"),
        section("入选理由", "Why it was selected", reason_html, "reason"),
        section("参与主体", "Actors", _claims_html(site, evs, actors, root), "actors"),
        section(
            "问题与平台",
            "Problems and platforms",
            _claims_html(site, evs, problems, root),
            "problems",
        ),
        section(
            "其他陈述的证据",
            "Evidence of the other statements",
            _claims_html(site, rest, tuple(ev.predicate for ev in rest), root),
            "statements",
        ),  # fmt: skip
        f'<nav class="pager" aria-label="cases">{pager}</nav>',
    ]
    return Page(f"case/{case.id}.html", case.title, "\n".join(p for p in parts if p), "case")


# -- the evidence reader --


def _reader(site: SiteData, source: str, text: str) -> str:
    """The text with every quoted span marked and an anchor at each start."""
    evs = [
        ev for ev in site.evidence if ev.source == source and 0 <= ev.start <= ev.end <= len(text)
    ]
    starts: dict[int, list[str]] = defaultdict(list)
    events: dict[int, list[tuple[int, str]]] = defaultdict(list)  # pos -> (+1/-1, id)
    for ev in evs:
        case = case_of(ev)
        target = f"../case/{case}.html#c-{ev.id}" if case else ""
        what = f"{plain(site.label(ev.predicate))}: {plain(site.label(ev.object))}"
        name = f"{case} · {what}" if case else what
        starts[ev.start].append(
            f'<a class="q" id="q-{e(ev.id)}" href="{e(target)}" aria-label="{e(name)}" '
            f'title="{e(name)}"></a>'
            if target
            else f'<span class="q" id="q-{e(ev.id)}" title="{e(name)}"></span>'
        )
        if ev.end > ev.start:
            events[ev.start].append((1, ev.id))
            events[ev.end].append((-1, ev.id))
    for case in site.cases.values():
        for m in case.measures:
            if m.source == source and 0 <= m.start <= len(text):
                starts[m.start].append(
                    f'<a class="q m" id="m-{e(case.id)}-{m.n}" '
                    f'href="../case/{e(case.id)}.html#measure-{m.n}" '
                    f'aria-label="{e(case.id)} {e(plain(m.heading))}"></a>'
                )
    cuts = sorted({0, len(text), *starts, *events})
    active: dict[str, None] = {}
    out = []
    for i, pos in enumerate(cuts):
        out.extend(starts.get(pos, ()))
        for delta, ident in sorted(events.get(pos, ())):
            if delta < 0:
                active.pop(ident, None)
            else:
                active[ident] = None
        if i + 1 == len(cuts):
            break
        chunk = e(text[pos : cuts[i + 1]])
        if active:
            out.append(f'<mark data-ev="{" ".join(sorted(active))}">{chunk}</mark>')
        else:
            out.append(chunk)
    return "".join(out)


def source_page(site: SiteData, source: str) -> Page:
    root = "../"
    s = site.sources[source]
    cases = sorted(c.id for c in site.cases.values() if source in c.sources)
    batches = sorted(b.id for b in site.batches.values() if source in b.sources)
    facts = dl(
        [
            (("通知标题", "Notice"), e(s.notice)),
            (("发文单位", "Issued by"), bi(s.creator) if s.creator else ""),
            (("发布者", "Publisher"), e(s.publisher)),
            (("日期", "Date"), e(s.issued)),
            (("网址", "URL"), f"<code>{e(s.url)}</code>" if s.url else ""),
            (("文件", "File"), f"<code>{e(s.file)}</code>"),
            (("SHA-256", "SHA-256"), f'<code class="sha">{e(s.sha256)}</code>'),
            (("批次", "Batch"), ", ".join(_name(site, "batch", b, root) for b in batches)),
            (
                ("案例", "Cases"),
                ", ".join(link(f"{root}case/{c}.html", f"<code>{e(c)}</code>") for c in cases),
            ),
        ]
    )
    if s.text is None:
        missing = ("原文不在本站点中。", "The text is not part of this site.")
        reader = f'<p class="note">{bi(missing)}</p>'
    else:
        count = sum(1 for ev in site.evidence if ev.source == source)
        reader = (
            '<p class="note">'
            + bi(
                (
                    f"共 {count} 处引文已标出;点击标记回到对应陈述。",
                    f"{count} quoted spans are marked; follow a marker back to its statement.",
                )
            )
            + '</p><div id="source-text" class="source-text" lang="zh">'
            + _reader(site, source, s.text)
            + "</div>"
        )
    body = facts + section("原文", "Full text", reader, "text")
    return Page(f"source/{source}.html", s.title, body, "source")
