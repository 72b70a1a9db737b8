"""What kind of text a page is, from its layout and its chrome.

The genre decides the parser and the evidence level of what it finds:

    notice            the official notice: item blocks, or an intro list 等N个项目
    repost            the notice's layout on a site that names another 来源 (or 转载)
    list-news         several cases named in one paragraph of a news item
    single-case-news  one case named in prose (我县…入选, …凭借“…”成功入选)
    commentary        several cases named across paragraphs, often of several batches

`notice` and `repost` are read by `kg.ingest.notice`, the rest by `kg.ingest.mentions`.
"""

from __future__ import annotations

from kg.ingest.mentions import Mention
from kg.ingest.notice import Notice

NOTICE_GENRES = ("notice", "repost")


def notice_genre(notice: Notice) -> tuple[str, str] | None:
    """`notice` or `repost` with the reason, when the text has the notice's layout."""
    if not notice.items and notice.intro.primary is None:
        return None
    layout = f"{len(notice.items)} item block(s)" if notice.items else "an intro list 等N个项目"
    cues = notice.meta.repost_cues
    if cues:
        return "repost", f"{layout}, and repost cues: {', '.join(cues)}"
    return "notice", layout


def mention_genre(mentions: list[Mention], paragraph_of) -> tuple[str, str]:
    """The genre of a text whose cases are named in prose; `paragraph_of(offset)` is the
    index of the paragraph holding an offset."""
    if len(mentions) == 1:
        return "single-case-news", "one case named in prose"
    paragraphs = {paragraph_of(m.title.start) for m in mentions}
    batches = {m.batch for m in mentions}
    if len(paragraphs) == 1 and len(batches) == 1:
        return "list-news", f"{len(mentions)} cases named in one paragraph"
    why = f"{len(mentions)} cases named across {len(paragraphs)} paragraph(s)"
    if len(batches) > 1:
        why += f" and {len(batches)} batches"
    return "commentary", why
