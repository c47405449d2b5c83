"""A public deployment with Gradio's own sign-in, through gradio_client and a real browser:
a signed-in user who is not an admin cannot change the shared knowledge base through any
endpoint (and does not see the controls), an admin can, and the audit log records both."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AuthenticationError

from assistant import Assistant, Settings
from tests.browser import chromium, tab
from tests.servers import running_app
from ui import build_ui
from ui.knowledge_tab import SHARED
from ui.sessions import user_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def public_app(tmp_path_factory, loaded_kb, served_vlm):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("public-data"), auth="ada:pw-1,bob:pw-2", admins="ada"
    )
    with running_app(Assistant(settings, knowledge=loaded_kb(settings), vlm=served_vlm)) as url:
        yield url


@pytest.fixture
def note(tmp_path) -> Path:
    path = tmp_path / "hours.md"
    path.write_text("# Opening hours\n\nThe reading room opens at 9:15 on Mondays.\n")
    return path


def test_without_signing_in_nothing_is_reachable(public_app):
    with pytest.raises(AuthenticationError, match="Please login"):
        Client(public_app, verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(public_app, auth=("bob", "pw-1"), verbose=False)  # another user's password


def test_a_user_cannot_change_the_shared_base_an_admin_can(public_app, note):
    ada = Client(public_app, auth=("ada", "pw-1"), verbose=False)
    bob = Client(public_app, auth=("bob", "pw-2"), verbose=False)
    statuses, docs = bob.predict([handle_file(str(note))], SHARED, api_name="/ingest")
    assert statuses["data"] == [["", "refused", "Only an admin can add documents to the shared "
                                 "knowledge base."]]  # fmt: skip
    assert all(row[1] != "hours.md" for row in docs["data"])
    statuses, docs = ada.predict([handle_file(str(note))], api_name="/ingest")  # shared
    assert statuses["data"][0][:2] == ["hours.md", "added"]
    doc_id = next(row[0] for row in docs["data"] if row[1] == "hours.md")
    # Bob reads it, searches it, is answered from it, but cannot delete it, even by its id.
    assert any(row[1] == "hours.md" for row in bob.predict(api_name="/kb_list")["data"])
    assert "hours.md" in bob.predict("reading room", 3, api_name="/kb_search")
    message, docs = bob.predict(doc_id, api_name="/kb_delete")
    assert message == "⚠️ Only an admin can delete documents of the shared knowledge base."
    assert any(row[0] == doc_id for row in docs["data"])
    audit = bob.predict(api_name="/kb_audit")
    assert audit["data"] == [["", "", "", "", "", "Only an admin can read the audit log of the "
                              "shared knowledge base."]]  # fmt: skip
    rows = ada.predict(api_name="/kb_audit")["data"]
    assert [(r[1], r[3], r[5].split(":")[0]) for r in rows[:3]] == [
        ("bob", "delete", "refused"),
        ("ada", "ingest", "1 added"),
        ("bob", "ingest", "refused"),
    ]
    assert [r[2] for r in ada.predict(api_name="/kb_list")["data"]] == ["shared"]
    message, _ = ada.predict(doc_id, api_name="/kb_delete")
    assert message.startswith("Deleted hours.md")


def test_the_browser_shows_the_controls_to_admins_only(public_app, note, tmp_path):
    from playwright.sync_api import expect

    shots = tmp_path
    ada = Client(public_app, auth=("ada", "pw-1"), verbose=False)
    ada.predict([handle_file(str(note))], api_name="/ingest")  # a shared document to click

    with chromium() as browser:
        for name, password, admin in (("bob", "pw-2", False), ("ada", "pw-1", True)):
            page = browser.new_page()
            page.goto(public_app)
            page.get_by_label("username").fill(name)
            page.get_by_label("password").fill(password)
            page.get_by_role("button", name="Login").click()
            tab(page, "Knowledge").click()
            # The page's load event names the user and shows or hides the admin's controls
            # in one update: once the name shows, the controls are as they will stay.
            who = page.locator("#who")
            expect(who).to_contain_text(name, timeout=30_000)
            assert ("admin" in who.inner_text()) is admin
            expect(page.locator("#kb-upload")).to_be_visible()  # anyone adds their own
            admins_only = [page.locator("#kb-shelf"), page.get_by_text("Audit log (admins)")]
            admins_only.append(page.locator("#kb-delete"))
            for control in admins_only:
                (expect(control).to_be_visible if admin else expect(control).to_be_hidden)()
            where = page.locator("#kb-where")
            if admin:
                expect(where).to_be_hidden()
            else:
                expect(where).to_contain_text("only you")
            if not admin:  # a click on a shared document offers no delete control
                page.locator("#kb-docs [role=gridcell]", has_text="hours.md").first.click()
                expect(page.locator("#kb-deleted")).to_contain_text("only an admin")
                expect(page.locator("#kb-delete")).to_be_hidden()
                page.screenshot(path=shots / "knowledge-non-admin.png", full_page=True)
            page.locator("#sign-out").click()
            expect(page.get_by_label("username")).to_be_visible(timeout=30_000)
            page.close()


def test_on_a_space_with_hf_oauth_the_page_offers_hugging_face_sign_in(
    make_kb, served_vlm, monkeypatch
):
    # What a Space with `hf_oauth: true` sets. Gradio's real OAuth routes are built (they
    # reach huggingface.co only when someone signs in); a signed-in profile becomes a role.
    monkeypatch.setenv("SYSTEM", "spaces")
    monkeypatch.setenv("SPACE_ID", "someone/vira")
    for name, value in [("OAUTH_CLIENT_ID", "abc"), ("OAUTH_CLIENT_SECRET", "secret"),
                        ("OAUTH_SCOPES", "openid profile"),
                        ("OPENID_PROVIDER_URL", "https://huggingface.co")]:  # fmt: skip
        monkeypatch.setenv(name, value)
        monkeypatch.setattr(gr.oauth, name, value)  # Gradio reads them at import
    assistant = Assistant(Settings(admins="ada"), knowledge=make_kb(), vlm=served_vlm)
    assert assistant.access.sign_in == "huggingface"
    demo = build_ui(assistant)
    assert demo.expects_oauth  # a gr.LoginButton on the page
    routes = {getattr(route, "path", "") for route in demo.app.routes}
    assert {"/login/huggingface", "/login/callback", "/logout"} <= routes
    request = gr.Request(username=None, session_hash="s1")
    profile = gr.OAuthProfile({"name": "Ada", "preferred_username": "ada", "profile": "",
                               "picture": ""})  # fmt: skip
    assert user_of(assistant.access, request, profile).is_admin
    assert not user_of(assistant.access, request, None).is_admin
    monkeypatch.delenv("OAUTH_CLIENT_ID")  # a Space without hf_oauth: nobody signs in
    assert Assistant(Settings(), knowledge=make_kb(), vlm=served_vlm).access.sign_in == "none"


def test_each_user_adds_documents_only_they_see_find_and_delete(public_app, tmp_path):
    ada = Client(public_app, auth=("ada", "pw-1"), verbose=False)
    bob = Client(public_app, auth=("bob", "pw-2"), verbose=False)
    secret = tmp_path / "locker.md"
    secret.write_text("# Locker\n\nThe code of locker 12 is 4471.\n")
    statuses, docs = bob.predict([handle_file(str(secret))], api_name="/ingest")
    assert statuses["data"][0][:2] == ["locker.md", "added"]
    row = next(row for row in docs["data"] if row[1] == "locker.md")
    assert row[2] == "yours"
    assert "locker.md" in bob.predict("locker 12", 3, api_name="/kb_search")
    history, cards, *_ = bob.predict({"text": "What is the code of locker 12?", "files": []},
                                     [], api_name="/chat")  # fmt: skip
    assert "4471" in str(history[-1]) and "locker.md** · yours" in cards
    # The admin neither lists, finds, is answered from, nor deletes it, even knowing its id.
    assert all(r[1] != "locker.md" for r in ada.predict(api_name="/kb_list")["data"])
    assert "locker.md" not in ada.predict("locker 12", 3, api_name="/kb_search")
    history, cards, *_ = ada.predict({"text": "What is the code of locker 12?", "files": []},
                                     [], api_name="/chat")  # fmt: skip
    assert "4471" not in str(history[-1]) and "locker.md" not in cards
    message, _ = ada.predict(row[0], api_name="/kb_delete")
    assert message.startswith("⚠️ no document with id")
    message, docs = bob.predict(row[0], api_name="/kb_delete")
    assert message.startswith("Deleted locker.md")
