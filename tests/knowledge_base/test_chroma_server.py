"""The same knowledge base against a real `chroma run` server on a free loopback port."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from knowledge_base import FileStatus, StoreUnavailable
from knowledge_base.cli import main as cli_main
from tests.servers import free_port, running

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port, path = free_port(), tmp_path_factory.mktemp("chroma-server")
    exe = str(Path(sys.executable).with_name("chroma"))
    command = [exe, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running(command, f"{url}/api/v2/heartbeat", path / "server.log", timeout_s=60):
        yield url


def test_ingest_search_delete_through_the_server(chroma_server, make_kb, tmp_path):
    kb = make_kb(chroma_url=chroma_server)
    (tmp_path / "ships.md").write_text("# Ships\n\nThe ferry to Skye leaves at 09:40 daily.")
    shot = tmp_path / "sign.png"
    from tests import factories

    factories.text_image(["Platform 9 closed today"]).save(shot)
    report = kb.ingest([tmp_path / "ships.md", shot])
    assert [f.status for f in report.files] == [FileStatus.ADDED, FileStatus.ADDED]
    assert kb.search("when does the ferry leave", k=1)[0].source == "ships.md"
    assert kb.search("platform closed", k=1, kind="image")[0].source == "sign.png"
    # Nothing went to the embedded store: the data dir has no Chroma files.
    assert not (kb.settings.data_dir / "chroma").exists()
    # A second client (another app replica) sees the same documents.
    other = make_kb(chroma_url=chroma_server)
    assert {d.source for d in other.list()} == {"ships.md", "sign.png"}
    for doc in kb.list():
        kb.delete(doc.doc_id)
    assert other.list() == [] and other.search("ferry") == []


def test_private_shelves_on_the_server_are_apart_and_drop_cleanly(chroma_server, make_kb, tmp_path):
    shared = make_kb(chroma_url=chroma_server)
    mine, theirs = shared.scoped("ualice"), shared.scoped("ubob")
    (tmp_path / "pin.md").write_text("# PIN\n\nAlice's bike lock code is 3321.")
    mine.ingest([tmp_path / "pin.md"])
    assert [(d.source, d.private) for d in mine.list()] == [("pin.md", True)]
    assert theirs.list() == [] and shared.list() == []
    assert theirs.search("bike lock code") == [] and shared.search("bike lock code") == []
    assert mine.search("bike lock code", k=1)[0].private
    mine.drop()
    assert shared.scoped("ualice").list() == []


def test_server_down_is_a_clear_one_line_error(make_kb, monkeypatch, capsys):
    url = f"http://127.0.0.1:{free_port()}"
    kb = make_kb(chroma_url=url)
    with pytest.raises(StoreUnavailable, match=f"cannot reach the Chroma server at {url}"):
        kb.list()
    monkeypatch.setenv("VIRA_CHROMA_URL", url)
    assert cli_main(["list"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot reach the Chroma server") and "\n" not in err


def test_malformed_url_is_rejected(make_kb):
    with pytest.raises(StoreUnavailable, match="must look like http://host:8000"):
        make_kb(chroma_url="localhost:8000").list()
