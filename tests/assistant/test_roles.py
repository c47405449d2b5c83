"""The shared knowledge base and the chat under a public deployment's rules, with the real
knowledge base and the real packaged models: visitors read, admins change, every change is
audited, and fair-use limits answer with their message."""

from __future__ import annotations

import pytest
from PIL import Image
from skimage import data

from assistant import Assistant, Settings
from assistant.access import PermissionDenied
from assistant.limits import FairUse, LimitExceeded


@pytest.fixture
def public(make_kb, served_vlm, tmp_path) -> Assistant:
    settings = Settings(data_dir=tmp_path / "data", auth="ada:pw-1,bob:pw-2", admins="ada")
    return Assistant(settings, knowledge=make_kb(), vlm=served_vlm)


@pytest.fixture
def note(tmp_path):
    path = tmp_path / "hours.md"
    path.write_text("# Opening hours\n\nThe reading room opens at 9:15 on Mondays.\n")
    return path


def test_visitors_and_users_read_but_cannot_change_the_shared_base(public, note):
    access, library = public.access, public.library
    ada, bob, visitor = access.user("s1", "ada"), access.user("s2", "bob"), access.user("s3")
    report = library.ingest(ada, [note])
    doc_id = report.files[0].doc_id
    for user in (bob, visitor):
        with pytest.raises(PermissionDenied, match="Only an admin can add documents"):
            library.ingest(user, [note])
        with pytest.raises(PermissionDenied, match="Only an admin can delete documents"):
            library.delete(user, doc_id)
        assert [d.source for d in library.list(user)] == ["hours.md"]
        assert library.search(user, "when does the reading room open")[0].source == "hours.md"
    assert library.delete(ada, doc_id).source == "hours.md"
    log = [(e.user, e.action, e.result.split(":")[0]) for e in library.audit(ada)]
    assert {e.target for e in library.audit(ada)} == {"hours.md"}  # file names, not ids
    assert log == [
        ("ada", "delete", "deleted hours.md (1 chunk)"),
        ("visitor", "delete", "refused"),
        ("visitor", "ingest", "refused"),
        ("bob", "delete", "refused"),
        ("bob", "ingest", "refused"),
        ("ada", "ingest", "1 added"),
    ]
    with pytest.raises(PermissionDenied):
        library.audit(bob)


def test_a_visitor_over_the_question_limit_is_told_to_wait_and_then_answered(public):
    clock = [0.0]
    public.fair_use = FairUse(1, 0, lambda: clock[0])
    session = public.session("s2", public.access.user("s2", "bob"))
    assert session.ask_text("What is 2 + 2?").text
    with pytest.raises(ValueError, match=r"limit of 1 questions a minute: please wait 60 s"):
        session.ask_text("And 3 + 3?")
    clock[0] += 61
    assert session.ask_text("And 3 + 3?").text
    # The admin is not limited.
    admin = public.session("s1", public.access.user("s1", "ada"))
    for question in ("What is 2 + 2?", "And 3 + 3?"):
        assert admin.ask_text(question).text


def test_a_visitor_over_the_upload_limit_keeps_the_session_as_it_was(public, tmp_path):
    photo = tmp_path / "cat.png"
    Image.fromarray(data.chelsea()).save(photo)
    public.fair_use = FairUse(0, photo.stat().st_size * 1.5 / 1024 / 1024)
    session = public.session("s2", public.access.user("s2", "bob"))
    assert "cat" in session.ask_text("What animal is this?", images=[photo]).text.lower()
    with pytest.raises(ValueError, match=r"limit of .* MB an hour: please wait"):
        session.ask_text("And this one?", images=[photo])
    assert len(session.images()) == 1


def test_private_documents_are_seen_searched_and_cited_by_their_owner_only(public, tmp_path):
    access, library = public.access, public.library
    bob, cyd = access.user("s2", "bob"), access.user("s3", "cyd")
    secret = tmp_path / "locker.md"
    secret.write_text("# Locker\n\nThe code of locker 12 is 4471.\n")
    report = library.ingest(bob, [secret], private=True)
    doc_id = report.files[0].doc_id
    assert [(d.source, d.private) for d in library.list(bob)] == [("locker.md", True)]
    assert library.list(cyd) == []
    assert library.search(bob, "locker 12 code")[0].private
    assert library.search(cyd, "locker 12 code") == []
    answer = public.session("s2", bob).ask_text("What is the code of locker 12?")
    assert "4471" in answer.text and answer.sources[0].hit.private
    other = public.session("s3", cyd).ask_text("What is the code of locker 12?")
    assert "4471" not in other.text and other.sources == []
    with pytest.raises(PermissionDenied):  # another user's id is not theirs to delete
        library.delete(cyd, doc_id)
    assert library.delete(bob, doc_id).source == "locker.md"
    assert library.list(bob) == []


def test_a_visitors_shelf_expires_with_the_session_a_users_does_not(public, note):
    access, library = public.access, public.library
    visitor, bob = access.user("s9"), access.user("s2", "bob")
    library.ingest(visitor, [note], private=True)
    library.ingest(bob, [note], private=True)
    assert library.expire(3600) == 0  # both just used
    assert library.expire(0) == 1
    assert library.list(visitor) == []
    assert [d.source for d in library.list(bob)] == ["hours.md"]


def test_private_documents_are_limited_in_number(make_kb, served_vlm, tmp_path, note):
    settings = Settings(data_dir=tmp_path / "d", auth="bob:pw", max_user_documents=1)
    public = Assistant(settings, knowledge=make_kb(), vlm=served_vlm)
    bob = public.access.user("s2", "bob")
    public.library.ingest(bob, [note], private=True)
    other = tmp_path / "other.md"
    other.write_text("# Other\n\nSomething else.\n")
    with pytest.raises(LimitExceeded, match="You keep 1 documents of your own and may keep 1"):
        public.library.ingest(bob, [other], private=True)


def test_a_signed_in_users_documents_survive_a_restart(public, note, make_kb, served_vlm):
    bob = public.access.user("s2", "bob")
    public.library.ingest(bob, [note], private=True)
    restarted = Assistant(public.settings, knowledge=make_kb(), vlm=served_vlm)
    again = restarted.access.user("another-browser", "bob")
    assert [(d.source, d.private) for d in restarted.library.list(again)] == [("hours.md", True)]
    assert restarted.library.list(restarted.access.user("s3", "cyd")) == []
