"""Who may do what: the shared knowledge base is read by everyone and changed by admins.

With no way to sign in configured (a laptop), the single local user is the admin. Once a
sign-in exists (Gradio's own password list, or Hugging Face sign-in on a Space), admins are
the user names in ``VIRA_ADMINS``; everyone else reads. A Space with no admin configured is
read-only for all its visitors."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from assistant.settings import Settings


class Role(StrEnum):
    ADMIN = "admin"  # manages the shared knowledge base
    USER = "user"  # signed in: reads the shared base
    VISITOR = "visitor"  # not signed in: reads the shared base


class PermissionDenied(Exception):
    """An action the user's role does not allow; ``str()`` is the one-line message."""


@dataclass(frozen=True)
class User:
    session: str  # the browser session (its conversation)
    name: str | None = None  # the signed-in user name; None when not signed in
    role: Role = Role.VISITOR

    @property
    def key(self) -> str:
        """Whose quota and whose audit lines: the user name, else the browser session."""
        return f"user:{self.name}" if self.name else f"session:{self.session}"

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def label(self) -> str:
        return self.name or ("local user" if self.is_admin else "visitor")


class Access:
    """Turns a sign-in (or its absence) into a ``User`` with a role."""

    def __init__(self, settings: Settings) -> None:
        self.admins = frozenset(n.strip() for n in settings.admins.split(",") if n.strip())
        self.passwords = _passwords(settings.auth)
        self.on_space = bool(settings.space_id)
        # Spaces offer Hugging Face sign-in only with `hf_oauth: true` in the README's header.
        self.hf_sign_in = self.on_space and bool(settings.oauth_client_id)
        # No way to sign in and not on a public Space: one person on their own machine.
        self.local = not self.passwords and not self.on_space

    @property
    def sign_in(self) -> str:
        """How people sign in: "none" (local, or a Space without hf_oauth: nobody can),
        "password" (Gradio's auth) or "huggingface"."""
        if self.passwords:
            return "password"
        return "huggingface" if self.hf_sign_in else "none"

    def user(self, session: str, name: str | None = None) -> User:
        if self.local:
            return User(session, name, Role.ADMIN)
        if name and name in self.admins:
            return User(session, name, Role.ADMIN)
        return User(session, name, Role.USER if name else Role.VISITOR)

    @property
    def gradio_auth(self) -> Callable[[str, str], bool] | None:
        """What ``launch(auth=...)`` takes: the password check, or None for no sign-in page."""
        return self.check_password if self.passwords else None

    def check_password(self, name: str, password: str) -> bool:
        """Gradio's ``auth`` callback: constant-time, so timing tells nothing."""
        expected = self.passwords.get(name)
        return expected is not None and hmac.compare_digest(expected, password)


def require_admin(user: User, action: str) -> None:
    if not user.is_admin:
        raise PermissionDenied(f"Only an admin can {action} the shared knowledge base.")


def _passwords(spec: str | None) -> dict[str, str]:
    """``"alice:secret,bob:other"`` -> {name: password}."""
    pairs = [p.strip() for p in (spec or "").split(",") if p.strip()]
    table = {}
    for pair in pairs:
        name, sep, password = pair.partition(":")
        if not sep or not name.strip() or not password:
            raise ValueError("VIRA_AUTH is a comma-separated list of name:password")
        table[name.strip()] = password
    return table
