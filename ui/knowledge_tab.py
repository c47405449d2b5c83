"""The Knowledge tab: add documents, see and delete them, search them; admins also see
the audit log. What a user may not do is hidden, and refused if called anyway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant import Assistant
from assistant.access import PermissionDenied, User
from assistant.limits import LimitExceeded
from imaging import UnreadableImage
from knowledge_base import KnowledgeBaseError
from knowledge_base.types import plural
from ui.render import (
    AUDIT_HEADERS,
    DOCUMENT_HEADERS,
    DOCUMENT_TYPES,
    DOCUMENT_WIDTHS,
    SHARED_SHELF,
    audit_rows,
    document_rows,
    hit_cards,
    report_rows,
)
from ui.sessions import user_of

MINE, SHARED = "only me", "everyone (shared)"
# Runs in the browser before /kb_delete: a cancelled confirmation sends no id.
CONFIRM_DELETE = """(doc_id) => (doc_id && window.confirm(
    'Delete this document and everything found in it from the knowledge base?')) ? doc_id : ''"""


# Where a non-admin's files go, said before they upload.
YOUR_SHELF = (
    "Files you add go to **your own shelf**: only you see them, search them and can delete them."
)
DOCS_LABEL = {
    True: "Documents (click one to delete it)",
    False: "Documents (click one of yours to delete it; shared ones are read-only)",
}


@dataclass
class KnowledgeTab:
    docs: gr.Dataframe
    admin_only: list[gr.components.Component | gr.blocks.BlockContext]
    audit: gr.Dataframe
    where: gr.Markdown
    delete_row: gr.Row

    @property
    def outputs(self) -> list:
        """What the page's load event sets for whoever opened it (``shown_to``'s order)."""
        return [self.docs, *self.admin_only, self.where, self.delete_row]

    def shown_to(self, user: User, rows: list[list]) -> list:
        """The tab as ``user`` may use it: a non-admin never sees a control for the shared
        documents, and is told where their uploads go."""
        admin = user.is_admin
        return [
            gr.update(value=rows, label=DOCS_LABEL[admin]),
            *(gr.update(visible=admin) for _ in self.admin_only),
            gr.update(visible=not admin),
            gr.update(visible=admin),
        ]


def knowledge_tab(assistant: Assistant) -> KnowledgeTab:
    """Lay out the Knowledge tab (inside a ``gr.Blocks``); the page's load event fills the
    documents table and shows the admin-only parts to admins."""
    library, access = assistant.library, assistant.access

    def ingest(
        files: list[str] | None,
        shelf: str | None = None,  # optional for API clients: /ingest(files) still works
        request: gr.Request | None = None,
        profile: gr.OAuthProfile | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's idiom
    ) -> tuple:
        user = user_of(access, request, profile)
        if not files:
            return [], document_rows(library.list(user))

        def report(event: Any) -> None:
            progress((event.file_index, event.file_count), desc=event.path.rsplit("/", 1)[-1])

        # Unsaid, an admin adds to the shared base (as before) and anyone else to their own.
        private = shelf == MINE if shelf in (MINE, SHARED) else not user.is_admin
        try:
            result = library.ingest(user, files, progress=report, private=private)
        except (PermissionDenied, LimitExceeded) as exc:
            return [["", "refused", str(exc)]], document_rows(library.list(user))
        return report_rows(result.files), document_rows(library.list(user))

    def listed(request: gr.Request, profile: gr.OAuthProfile | None) -> list[list]:
        return document_rows(library.list(user_of(access, request, profile)))

    def delete(
        doc_id: str, request: gr.Request, profile: gr.OAuthProfile | None
    ) -> tuple[str, list[list]]:
        user = user_of(access, request, profile)
        if not (doc_id or "").strip():
            return "Nothing deleted: pick a document in the table, then confirm.", listed(
                request, profile
            )
        try:
            info = library.delete(user, doc_id or "")
            message = f"Deleted {info.source} ({plural(info.chunks, 'chunk')})."
        except (KnowledgeBaseError, PermissionDenied) as exc:
            message = f"⚠️ {exc}"
        return message, document_rows(library.list(user))

    def picked(
        rows: Any, event: gr.SelectData, request: gr.Request, profile: gr.OAuthProfile | None
    ) -> tuple:
        """A click on a row of the documents table chooses that document for deleting, if
        the user may delete it; only then is the Delete control shown to a non-admin."""
        admin = user_of(access, request, profile).is_admin
        table = rows.values.tolist() if hasattr(rows, "values") else list(rows or [])
        row = event.index[0] if isinstance(event.index, list | tuple) else event.index
        if not table or row is None or row >= len(table) or not table[row][0]:
            return "", "", gr.update(visible=admin)
        doc_id, source, shelf = (str(cell) for cell in table[row][:3])
        if shelf == SHARED_SHELF and not admin:
            return (
                "",
                f"**{source}** is shared: only an admin can delete it.",
                gr.update(visible=False),
            )
        return doc_id, f"Selected **{source}**: press Delete to remove it.", gr.update(visible=True)

    def search(query: str, k: float, request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        try:
            return hit_cards(library.search(user_of(access, request, profile), query or "", int(k)))
        except KnowledgeBaseError as exc:
            return f"⚠️ {exc}"

    def search_picture(
        picture: str | None, k: float, request: gr.Request, profile: gr.OAuthProfile | None
    ) -> str:
        if not picture:
            return ""
        user = user_of(access, request, profile)
        try:
            return hit_cards(assistant.search_with_picture(user, picture, int(k)))
        except (UnreadableImage, KnowledgeBaseError) as exc:
            return f"⚠️ {exc}"

    def audit(request: gr.Request, profile: gr.OAuthProfile | None) -> list[list]:
        try:
            return audit_rows(library.audit(user_of(access, request, profile)))
        except PermissionDenied as exc:
            return [["", "", "", "", "", str(exc)]]

    with gr.Tab("Knowledge", id="knowledge"):
        with gr.Row():
            with gr.Column():
                uploads = gr.File(label="Add documents", file_count="multiple", elem_id="kb-upload")
                where = gr.Markdown(YOUR_SHELF, visible=False, elem_id="kb-where")
                shelf = gr.Radio(
                    [MINE, SHARED], value=None, label="Who sees them", visible=False,
                    elem_id="kb-shelf",
                )  # fmt: skip
                add_btn = gr.Button("Add to knowledge base", variant="primary")
                statuses = gr.Dataframe(
                    headers=["file", "status", "detail"],
                    label="Per-file status",
                    elem_id="kb-status",
                    wrap=True,  # a reason why a file failed is read whole
                    column_widths=["35%", "15%", "50%"],
                )
            with gr.Column():
                docs = gr.Dataframe(
                    headers=DOCUMENT_HEADERS, datatype=DOCUMENT_TYPES,
                    label=DOCS_LABEL[True], interactive=False,
                    elem_id="kb-docs", wrap=True, column_widths=DOCUMENT_WIDTHS,
                )  # fmt: skip
                with gr.Row(visible=False) as delete_row:
                    doc_id = gr.Textbox(label="Document to delete", scale=3, elem_id="kb-pick")
                    delete_btn = gr.Button("Delete", variant="stop", scale=1, elem_id="kb-delete")
                deleted = gr.Markdown(elem_id="kb-deleted")
        with gr.Row():
            query = gr.Textbox(label="Search the knowledge base", scale=4)
            # A file box, not gr.Image: a file that is no picture reaches the handler, which
            # says so, instead of failing inside Gradio.
            picture = gr.File(
                label="…or search with a picture", file_types=["image"], type="filepath",
                height=120, scale=2, elem_id="kb-picture-search",
            )  # fmt: skip
            k = gr.Number(value=5, label="results", minimum=1, maximum=20, scale=1)
        results = gr.Markdown(elem_id="kb-results")
        with gr.Accordion("Audit log (admins)", open=False, visible=False) as audit_box:
            entries = gr.Dataframe(
                headers=AUDIT_HEADERS, label="Changes to the shared base", wrap=True
            )
            audit_btn = gr.Button("Refresh audit log", size="sm")
        add_btn.click(ingest, [uploads, shelf], [statuses, docs], api_name="ingest")
        docs.select(picked, docs, [doc_id, deleted, delete_row], api_name=False)
        delete_btn.click(delete, doc_id, [deleted, docs], api_name="kb_delete", js=CONFIRM_DELETE)
        query.submit(search, [query, k], results, api_name="kb_search")
        picture.upload(search_picture, [picture, k], results, api_name="kb_search_picture")
        refresh = gr.Button("Refresh list", size="sm")
        refresh.click(listed, None, docs, api_name="kb_list")
        audit_btn.click(audit, None, entries, api_name="kb_audit")
    return KnowledgeTab(docs, [shelf, audit_box], entries, where, delete_row)
