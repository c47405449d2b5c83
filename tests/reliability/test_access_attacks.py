"""Attacks on a public deployment's boundaries, through the real app and real HTTP: guessed
document ids, another user's shelf (collection) name, replayed and forged sign-in cookies,
oversized and rapid uploads, and twenty users at once. Every attack must succeed 0 times."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant import Assistant, Settings
from assistant.library import shelf_name
from tests.reliability.conftest import REPORT
from tests.servers import running_app

pytestmark = pytest.mark.slow
USERS = 20
PASSWORDS = {f"user{n}": f"pw-{n}-x" for n in range(USERS)} | {"ada": "pw-ada", "eve": "pw-eve"}


@pytest.fixture(scope="module")
def app(tmp_path_factory, loaded_kb, served_vlm):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("attacked"),
        auth=",".join(f"{n}:{p}" for n, p in PASSWORDS.items()),
        admins="ada",
        max_upload_mb=1,
        upload_mb_per_hour=0.05,
        questions_per_minute=3,
    )
    assistant = Assistant(settings, knowledge=loaded_kb(settings), vlm=served_vlm)
    with running_app(assistant) as url:
        yield url, assistant


def client(url: str, name: str) -> Client:
    return Client(url, auth=(name, PASSWORDS[name]), verbose=False)


def note(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(f"# {name}\n\n{text}\n")
    return handle_file(str(path))


@pytest.fixture(scope="module")
def victim(app, tmp_path_factory):
    """user0's private document and the admin's shared one, with their ids."""
    url, _ = app
    folder = tmp_path_factory.mktemp("victim")
    _, docs = client(url, "user0").predict(
        [note(folder, "diary.md", "My bank PIN is 90210.")], api_name="/ingest"
    )
    private = next(r[0] for r in docs["data"] if r[1] == "diary.md")
    _, docs = client(url, "ada").predict(
        [note(folder, "rules.md", "Quiet hours start at 22:00.")], api_name="/ingest"
    )
    shared = next(r[0] for r in docs["data"] if r[1] == "rules.md")
    return private, shared


def test_guessed_document_ids_delete_nothing(app, victim):
    url, assistant = app
    private, shared = victim
    eve = client(url, "eve")
    guesses = [private, private[:4], private[:8], shared, shared[:4], "0000", "ffff", "*", "%"]
    successes = [g for g in guesses if eve.predict(g, api_name="/kb_delete")[0].startswith("Del")]
    assert successes == []
    owner = assistant.access.user("x", "user0")
    assert {d.doc_id for d in assistant.library.list(owner)} == {private, shared}
    REPORT["guessed document ids"] = f"{len(successes)} of {len(guesses)} succeeded"


def test_another_users_shelf_name_reaches_nothing(app, victim, tmp_path):
    url, assistant = app
    owner = assistant.access.user("x", "user0")
    shelf = shelf_name(owner)
    # The name is the real one: the victim's diary is on that shelf.
    assert [d.source for d in assistant.knowledge.scoped(shelf).list()] == ["diary.md"]
    eve = client(url, "eve")
    tries = [
        eve.predict(shelf, 5, api_name="/kb_search"),
        eve.predict(f"{shelf} PIN", 5, api_name="/kb_search"),
        eve.predict("bank PIN", 5, api_name="/kb_search"),
        eve.predict(shelf, api_name="/kb_delete")[0],
        str(eve.predict(api_name="/kb_list")["data"]),
    ]
    planted = note(tmp_path, "planted.md", "The PIN of user0 is 11111.")
    # A shelf is chosen from two, not named: Gradio refuses the name before the handler runs.
    with pytest.raises(AppError, match="is not in the list of choices"):
        eve.predict([planted], shelf, api_name="/ingest")
    leaks = [t for t in tries if "diary" in t or "90210" in t]
    leaks += [d.source for d in assistant.library.list(owner) if d.source == "planted.md"]
    assert leaks == []
    REPORT["another user's shelf name"] = f"{len(leaks)} of {len(tries) + 1} succeeded"


def test_replayed_and_forged_sign_in_cookies_are_refused(app):
    url, _ = app
    with httpx.Client(base_url=url) as browser:
        assert browser.post("login", data={"username": "eve", "password": "pw-eve"}).is_success
        cookies = dict(browser.cookies)
        assert browser.get("config").is_success
        browser.get("logout")
    replays = []
    for jar in (cookies, {k: v[::-1] for k, v in cookies.items()}, {}):
        response = httpx.get(f"{url}config", cookies=jar)
        replays.append(response.status_code)
    assert all(code == 401 for code in replays), replays
    REPORT["replayed/forged cookies"] = f"0 of {len(replays)} accepted"


def test_oversized_and_rapid_uploads_are_refused_with_their_message(app, tmp_path):
    url, assistant = app
    eve = client(url, "eve")
    big = tmp_path / "big.md"
    big.write_text("# Big\n\n" + "word " * 300_000)  # 1.5 MB, over the 1 MB limit
    # gradio_client checks the app's own limit before sending, and says so.
    with pytest.raises(ValueError, match=r"exceeds the maximum file size of 1048576 bytes"):
        eve.predict([handle_file(str(big))], api_name="/ingest")
    with httpx.Client(base_url=url, auth=None) as raw:  # past the client: the server refuses
        assert raw.post("login", data={"username": "eve", "password": "pw-eve"}).is_success
        sent = raw.post("gradio_api/upload", files={"files": ("big.md", big.read_bytes())})
        assert sent.status_code == 413, (sent.status_code, sent.text[:200])
    added, refused = 0, []
    for n in range(8):  # 10 kB each against 50 kB an hour
        statuses, _ = eve.predict(
            [note(tmp_path, f"n{n}.md", "filler " * 1400)], api_name="/ingest"
        )
        row = statuses["data"][0]
        added += row[1] == "added"
        refused += [row[2]] if row[1] == "refused" else []
    assert added == 5 and len(refused) == 3
    assert "limit of 0.05 MB an hour" in refused[0]
    eve_user = assistant.access.user("x", "eve")
    assert len([d for d in assistant.library.list(eve_user) if d.private]) == 5
    answers = [
        str(eve.predict({"text": "What is 1 + 1?", "files": []}, [], api_name="/chat")[0][-1])
        for _ in range(4)
    ]
    assert "limit of 3 questions a minute" in answers[-1]
    REPORT["uploads past the limits"] = "0 of 1 oversized and 0 of 3 over the hourly budget"


def test_twenty_users_at_once_see_only_their_own_documents(app, tmp_path):
    url, _ = app
    names = [f"user{n}" for n in range(1, USERS)] + ["ada"]
    codes = {name: f"K{7000 + 13 * n}" for n, name in enumerate(names)}

    def own(name: str) -> tuple[str, str, str]:
        me = client(url, name)
        me.predict(
            [note(tmp_path, f"{name}.md", f"The locker code of {name} is {codes[name]}.")],
            "only me",
            api_name="/ingest",
        )
        return (
            name,
            me.predict("locker code", 20, api_name="/kb_search"),
            str(me.predict(api_name="/kb_list")["data"]),
        )

    with ThreadPoolExecutor(USERS) as pool:
        results = list(pool.map(own, names))
    leaks = [
        (name, other)
        for name, found, listed in results
        for other, code in codes.items()
        if other != name and (code in found or f"{other}.md" in listed)
    ]
    assert leaks == []
    assert all(codes[name] in found for name, found, _ in results)
    REPORT["20 users' private documents"] = f"{len(leaks)} leaks"
