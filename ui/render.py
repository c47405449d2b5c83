"""Turning assistant results into what Gradio components display. Presentation only."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image

from assistant import Answer, Event
from assistant.audit import AuditEntry
from assistant.events import Source
from assistant.memory import Conversation, Exchange
from knowledge_base import DocumentInfo, FileReport, Hit, SourceView
from knowledge_base.instructions import inert
from knowledge_base.types import plural
from ui.private_files import PAGE_VIEWS

log = logging.getLogger(__name__)

_MARK = re.compile(r"\[(\d{1,3})\]")


def _cited_first(answer: Answer) -> tuple[list[Source], list[Source]]:
    """The sources the answer cites, and the others that were only searched."""
    cited = [s for s in answer.sources if s.cited]
    return cited, [s for s in answer.sources if not s.cited]


def source_cards(answer: Answer) -> str:
    """Numbered source cards (document, page, snippet): the cited ones, then the others
    under "Also searched"."""
    cited, searched = _cited_first(answer)

    def card(s: Source) -> str:
        snippet = html.escape(" ".join(s.hit.text.split())[:240])
        where = f"{html.escape(s.hit.citation())}** · {_shelf(s.hit.private)}"
        return f"**[{s.number}] {where}  \n{snippet}"

    parts = ["### Sources", *map(card, cited)] if cited else []
    if searched:
        parts += [f"### Also searched ({len(searched)})", *map(card, searched)]
    return "\n\n".join(parts)


def source_images(answer: Answer) -> list[tuple[str, str]]:
    """Thumbnails of image items among the sources, captioned with their number."""
    return [
        (s.hit.image_path, f"[{s.number}] {s.hit.citation()}")
        for s in answer.sources
        if s.hit.kind == "image" and s.hit.image_path
    ]


class PageViews:
    """Cited passages where they sit: the assistant's view of each, its page pictures served
    from a folder of Gradio's cache (the private-files guard lets only the client they were
    sent to fetch them)."""

    def __init__(self, view: Callable[[Hit], SourceView], cache_dir: str | Path) -> None:
        self.view = view
        self.folder = Path(os.path.realpath(cache_dir)) / PAGE_VIEWS

    def opened(self, hit: Hit) -> str:
        """What a cited source opens to: its page with the passage highlighted, or the
        passage marked inside its section, or the passage alone."""
        try:
            shown = self.view(hit)
        except Exception:  # a source that cannot be shown still lists its passage
            log.exception("showing %s failed", hit.citation())
            shown = SourceView()
        passage = html.escape(_snippet(hit, 600))
        if shown.page_image:
            alt = html.escape(f"{hit.citation()}, the passage highlighted", quote=True)
            page = f"gradio_api/file={self._served(shown.page_image)}"
            src = f"gradio_api/file={self._served(shown.excerpt_image or shown.page_image)}"
            picture = f'<img class="vira-page" src="{src}" alt="{alt}">'
            link = f'<a class="vira-whole-page" href="{page}" target="_blank">Open the page</a>'
            return f"{picture}{link}<p>{passage}</p>"
        if shown.before or shown.after:
            before, after = html.escape(shown.before), html.escape(shown.after)
            return f"<p>{before} <mark>{passage}</mark> {after}</p>"
        return f"<p>{passage}</p>"

    def _served(self, path: str) -> str:
        """A copy of a page picture under an unguessable name in the served folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(f"{_SECRET}{Path(path).resolve()}".encode()).hexdigest()[:32]
        target = self.folder / f"{name}.jpg"
        if not target.exists():
            shutil.copyfile(path, target)
        return str(target)


_SECRET = secrets.token_hex(16)  # served page names cannot be worked out from a document


def answer_content(answer: Answer, views: PageViews | None = None) -> list:
    """An answer as one chat message: its text first (API clients read the answer there),
    then its sources, each cited one opening where its passage sits, then thumbnails of the
    pictures among them. Nothing is added for an answer without sources."""
    parts: list = [_marked(answer)]
    if answer.sources:
        parts.append(_source_list(answer, views))
    parts += [
        {"path": servable(path), "alt_text": caption} for path, caption in source_images(answer)
    ]
    return parts


def _marked(answer: Answer) -> str:
    """The answer with each citation mark showing its passage when pointed at."""
    by_number = {s.number: s for s in answer.sources}

    def mark(match: re.Match) -> str:
        source = by_number.get(int(match[1]))
        if source is None:
            return match[0]
        tip = html.escape(f"{source.hit.citation()}: {_snippet(source.hit, 200)}", quote=True)
        return f'<abbr title="{tip}">{match[0]}</abbr>'

    return _MARK.sub(mark, answer.text)


def _source_list(answer: Answer, views: PageViews | None) -> str:
    """The cited sources, each opening where its passage sits; the ones only searched folded
    away under "also searched (N)", each opening to its passage."""
    cited, searched = _cited_first(answer)

    def item(s: Source) -> str:
        summary = f"[{s.number}] {html.escape(s.hit.citation())} · {_shelf(s.hit.private)}"
        if views is not None and s.cited and s.hit.kind == "text":
            opened = views.opened(s.hit)
        else:
            opened = f"<p>{html.escape(_snippet(s.hit, 600))}</p>"
        return f'<details class="vira-source"><summary>{summary}</summary>{opened}</details>'

    listed = "Sources:" + "".join(map(item, cited)) if cited else ""
    if searched:
        listed += (
            f'<details class="vira-also"><summary>also searched ({len(searched)})</summary>'
            + "".join(map(item, searched))
            + "</details>"
        )
    return listed


def _snippet(hit: Hit, chars: int) -> str:
    """The passage as the answering model read it: a sentence that addresses the assistant is
    shown as left out (the Knowledge tab flags its document), never repeated in the chat."""
    return " ".join(inert(hit.text).split())[:chars]


def transcript_messages(exchanges: list[Exchange], views: PageViews | None = None) -> list[dict]:
    """A stored conversation as the chat shows it, each answer with its own sources."""
    messages: list[dict] = []
    for exchange in exchanges:
        messages += [
            {"role": "user", "content": {"path": servable(str(image.path))}}
            for image in exchange.uploaded
        ]
        messages.append({"role": "user", "content": exchange.question})
        messages.append({"role": "assistant", "content": answer_content(exchange.answer, views)})
    return messages


def servable(path: str) -> str:
    """A path Gradio agrees to send: its own rule takes files under the working directory
    or the temp folder only, and the data dir may be elsewhere (``/data`` on a Space). A
    file outside both is sent as a copy in the temp folder."""
    resolved = Path(path).resolve()
    for root in (Path.cwd(), Path(tempfile.gettempdir())):
        if resolved.is_relative_to(root.resolve()):
            return path
    folder = Path(tempfile.gettempdir()) / "vira-shown"
    folder.mkdir(exist_ok=True)
    # Stored images and thumbnails are named by their content: one name, one content.
    target = folder / f"{hashlib.sha256(str(resolved).encode()).hexdigest()[:32]}{resolved.suffix}"
    if not target.exists():
        shutil.copyfile(resolved, target)
    return str(target)


def conversation_labels(found: list[Conversation]) -> list[str]:
    """The conversations' titles as the list shows them: titles shared by several also say
    when each was last used (UTC), so that they can be told apart."""
    counts = Counter(c.title for c in found)
    return [f"{c.title} · {_when(c.last_seen)}" if counts[c.title] > 1 else c.title for c in found]


def _when(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, UTC).strftime("%d %b %H:%M:%S").lstrip("0")


def trace_entry(event: Event) -> dict:
    said = {"text": event.text} if event.kind == "status" else {}
    return {"kind": event.kind, "tool": event.tool, **said, **event.data}


def report_rows(files: list[FileReport]) -> list[list[str]]:
    return [[f.source, f.status.value, f.detail()] for f in files]


def document_rows(docs: list[DocumentInfo]) -> list[list]:
    return [[d.doc_id, d.source, _shelf(d.private), d.chunks, d.images, d.pages or "", _flag(d),
             picture_cell(d.thumbnail)] for d in docs]  # fmt: skip


# "picture" comes last so that API clients reading the columns by position keep working.
DOCUMENT_HEADERS = ["id", "document", "shelf", "chunks", "images", "pages", "warning", "picture"]
DOCUMENT_TYPES = ["str"] * 7 + ["html"]
# Every column fits the half of a 1280-pixel page the table has; long names and warnings wrap.
DOCUMENT_WIDTHS = ["15%", "20%", "10%", "9%", "9%", "8%", "17%", "12%"]
PICTURE_CELL_PX = 48


def picture_cell(thumbnail: str | None) -> str:
    """A small inline copy of a document's first picture (a data URI: the table needs no
    file route, and the picture goes only to whoever is shown the row)."""
    if not thumbnail:
        return ""
    try:
        stat = Path(thumbnail).stat()
    except OSError:
        return ""
    return _inline_picture(thumbnail, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1024)
def _inline_picture(path: str, _mtime_ns: int) -> str:
    with Image.open(path) as image:
        small = image.convert("RGB")
        small.thumbnail((PICTURE_CELL_PX * 2, PICTURE_CELL_PX))
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=80)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/jpeg;base64,{data}" alt="" height="{PICTURE_CELL_PX}">'


SHARED_SHELF = "shared"


def _shelf(private: bool) -> str:
    return "yours" if private else SHARED_SHELF


def _flag(doc: DocumentInfo) -> str:
    if not doc.flagged:
        return ""
    talk = "talks" if doc.flagged == 1 else "talk"
    return f"{plural(doc.flagged, 'passage')} {talk} to the assistant: left out of answers"


def hit_cards(hits: list[Hit]) -> str:
    if not hits:
        return "No results."
    lines = []
    for n, h in enumerate(hits, start=1):
        text = html.escape(" ".join(h.text.split())[:300])
        where = f"{h.kind}, {_shelf(h.private)}, {relevance(h)}"
        lines.append(f"**[{n}] {html.escape(h.citation())}** ({where})  \n{text}")
    return "\n\n".join(lines)


def relevance(hit: Hit) -> str:
    """How close a result is in words a person reads: from the meaning similarity (the
    fused rank score, like 0.016, says only where it ranked). With the packaged MiniLM,
    unrelated text scores about 0-0.1, a two-word query on its passage 0.25-0.3, a
    question on its answer 0.5-0.7."""
    if hit.similarity is None:
        return "shares words only"
    if hit.similarity >= 0.5:
        return "high relevance"
    if hit.similarity >= 0.25:
        return "medium relevance"
    return "low relevance"


AUDIT_HEADERS = ["time (UTC)", "user", "role", "action", "target", "result"]


def audit_rows(entries: list[AuditEntry]) -> list[list[str]]:
    return [[e.time, e.user, e.role, e.action, e.target, e.result] for e in entries]
