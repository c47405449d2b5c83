"""Roles, the audit log and fair-use limits of a public deployment, below the UI."""

from __future__ import annotations

import pytest

from assistant import Settings
from assistant.access import Access, PermissionDenied, Role, User
from assistant.audit import AuditEntry, AuditLog
from assistant.limits import FairUse, LimitExceeded, SlidingWindow


def access(**values) -> Access:
    return Access(Settings(**values))


def test_the_single_local_user_is_the_admin():
    local = access()
    assert local.sign_in == "none" and local.user("s1").role is Role.ADMIN
    assert local.gradio_auth is None


def test_with_passwords_only_the_named_admins_manage_the_shared_base():
    rules = access(auth="ada:pw-1,bob:pw-2", admins="ada")
    assert rules.sign_in == "password"
    assert rules.user("s1", "ada").role is Role.ADMIN
    assert rules.user("s2", "bob").role is Role.USER
    assert rules.user("s3").role is Role.VISITOR
    assert rules.check_password("bob", "pw-2") and rules.gradio_auth is not None
    assert not rules.check_password("bob", "pw-1")
    assert not rules.check_password("eve", "")


def test_a_space_without_an_admin_is_read_only_for_visitors():
    space = access(space_id="someone/vira")
    assert space.sign_in == "none"  # no hf_oauth: nobody can sign in
    assert space.user("s1").role is Role.VISITOR
    signed = access(space_id="someone/vira", oauth_client_id="x", admins="ada")
    assert signed.sign_in == "huggingface"
    assert signed.user("s1", "ada").is_admin and not signed.user("s2", "bob").is_admin


def test_a_malformed_password_list_is_refused_with_its_format():
    with pytest.raises(ValueError, match="name:password"):
        access(auth="ada-without-password")


def test_the_audit_log_is_newest_first_and_for_admins_only(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    admin, bob = User("s1", "ada", Role.ADMIN), User("s2", "bob", Role.USER)
    log.record(AuditEntry.now(bob, "delete", "abc", "refused: no"))
    log.record(AuditEntry.now(admin, "ingest", "a.md", "1 added"))
    entries = log.entries(admin)
    assert [(e.user, e.action, e.result) for e in entries] == [
        ("ada", "ingest", "1 added"),
        ("bob", "delete", "refused: no"),
    ]
    assert AuditLog(tmp_path / "audit.jsonl").entries(admin, limit=1)[0].user == "ada"
    with pytest.raises(PermissionDenied, match="Only an admin"):
        log.entries(bob)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sliding_window_refuses_past_its_budget_and_frees_up_with_time():
    clock = Clock()
    window = SlidingWindow(3, 60, clock)
    for _ in range(3):
        window.take("a", 1, "wait {wait}")
        clock.now += 10
    with pytest.raises(LimitExceeded, match="wait 30"):  # the first one expires at +60
        window.take("a", 1, "wait {wait}")
    window.take("b", 1, "wait {wait}")  # another user has their own budget
    clock.now += 30
    window.take("a", 1, "wait {wait}")


def test_fair_use_messages_name_the_limit():
    clock = Clock()
    limits = FairUse(1, 1.0, clock)
    limits.ask("user:bob")
    with pytest.raises(LimitExceeded, match="limit of 1 questions a minute: please wait 60 s"):
        limits.ask("user:bob")
    limits.upload("user:bob", 600_000)
    with pytest.raises(LimitExceeded, match="limit of 1 MB an hour"):
        limits.upload("user:bob", 600_000)
    clock.now += 3600
    limits.upload("user:bob", 600_000)


def test_pictures_are_read_ahead_at_most_as_often_as_questions_and_never_refused_aloud():
    clock = Clock()
    limits = FairUse(2, 1.0, clock)
    assert [limits.may_read_ahead("user:bob") for _ in range(3)] == [True, True, False]
    limits.ask("user:bob")  # reading ahead spends none of the questions themselves
    limits.ask("user:bob")
    clock.now += 60
    assert limits.may_read_ahead("user:bob")


def test_zero_means_no_limit():
    limits = FairUse(0, 0, Clock())
    for _ in range(100):
        limits.ask("user:bob")
        limits.upload("user:bob", 10**9)
