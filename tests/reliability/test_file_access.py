"""Attempts to read files through Gradio's routes: absolute paths, "..", encodings, the data
dir, and other sessions' uploads and answers. None may succeed."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from gradio_client import Client, handle_file
from PIL import Image
from skimage import data

from tests.app_clients import browser_client

pytestmark = pytest.mark.slow
REFUSED = {400, 403, 404, 405, 422}


@pytest.fixture(scope="module")
def victim(launched, tmp_path_factory):
    """A session that uploaded a photo and got an answer: the paths an attacker would want."""
    url, assistant = launched
    photo = tmp_path_factory.mktemp("victim") / "passport.png"
    Image.fromarray(data.astronaut()).save(photo)
    client = Client(url, verbose=False, download_files=False)
    message = {"text": "What is this?", "files": [handle_file(str(photo))]}
    history, _, _, gallery, _ = client.predict(message, [], api_name="/chat")
    upload = next(m["content"] for m in history if m["role"] == "user" and m["content"])
    upload = upload[0]["file"]["path"] if isinstance(upload, list) else upload["path"]
    (stored,) = assistant.memory.images(client.session_hash)
    return {
        "upload": upload,
        "answer image": gallery[0]["image"]["path"],
        "stored copy": str(stored.path),
        "memory database": str(assistant.settings.data_dir / "sessions" / "memory.sqlite3"),
        "chroma database": str(next(assistant.settings.data_dir.rglob("chroma.sqlite3"))),
    }


def test_other_sessions_files_and_the_data_dir_are_refused(launched, victim):
    mallory = browser_client(launched[0])
    for name, path in victim.items():
        for route in ("/gradio_api/file=", "/gradio_api/file/", "/file="):
            status = mallory.get(route + path).status_code
            assert status in REFUSED, (name, route, status)
        assert mallory.get("/gradio_api/file=" + quote(path)).status_code in REFUSED, name


@pytest.mark.parametrize(
    "path",
    [
        "/etc/passwd",
        "../../../../../../etc/passwd",
        "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/tmp/gradio/../../etc/passwd",
        "/proc/self/environ",
        "app.py",
        "./pyproject.toml",
        "~/.bashrc",
        "C:\\Windows\\win.ini",
        "http://127.0.0.1:1/",
    ],
)
def test_paths_outside_are_refused(launched, path):
    mallory = browser_client(launched[0])
    for route in ("/gradio_api/file=", "/gradio_api/file/", "/gradio_api/proxy="):
        assert mallory.get(route + path).status_code in REFUSED, (route, path)


def test_the_victim_still_gets_its_own_answer_image(launched, victim):
    # The guard is per client, not a blanket refusal: the owner's own requests succeed.
    owner = Client(launched[0], verbose=False, download_files=False)
    message = {"text": "What is this?", "files": [handle_file(victim["stored copy"])]}
    _, _, _, gallery, _ = owner.predict(message, [], api_name="/chat")
    own = httpx.get(
        f"{launched[0]}gradio_api/file={gallery[0]['image']['path']}", cookies=owner.cookies
    )
    assert own.status_code == 200 and own.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
