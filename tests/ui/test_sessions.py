"""Whose conversations a page lists, and the browser's token that keeps them across reloads."""

from __future__ import annotations

from assistant.access import Role, User
from ui.sessions import browser_secret, browser_token, new_conversation_id, owner_of


def test_a_signed_in_user_owns_conversations_on_any_browser_a_visitor_on_this_one():
    token = browser_token(None)
    assert len(token) == 32 and browser_token(token) == token
    assert owner_of(User("s1", "ada", Role.USER), token) == "user:ada"
    assert owner_of(User("s1", None, Role.VISITOR), token) == f"browser:{token}"
    assert owner_of(User("s2", "ada", Role.ADMIN), browser_token(None)) == "user:ada"


def test_a_stored_value_that_is_not_our_token_gets_a_new_one():
    for stored in ("", "user:ada", "x" * 31, "../../etc", {"owner": "user:ada"}, 42):
        fresh = browser_token(stored)
        assert fresh != stored and len(fresh) == 32
    assert browser_token(None) != browser_token(None)
    assert new_conversation_id() != new_conversation_id()


def test_the_key_that_encrypts_browser_state_survives_a_restart(tmp_path):
    first = browser_secret(tmp_path / "data")
    assert len(first) >= 32 and browser_secret(tmp_path / "data") == first
    assert (tmp_path / "data" / "browser-state.key").stat().st_mode & 0o777 == 0o600
    assert browser_secret(tmp_path / "other") != first
