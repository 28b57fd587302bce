"""Helpers for the content-page web tests: audit rows, escaping checks, a seeded archive fixture."""

from __future__ import annotations

import pytest
from flask import Flask

from records.audit_log import AuditEntry, AuditFilter
from tests._web_archive import XSS, Archive, seed
from webapp.stores import get_access

ROLES = ("clerk", "records", "auditor", "admin")


@pytest.fixture
def archive(app: Flask) -> Archive:
    return seed(app)


def audit_rows(app: Flask, action: str = "", **where: int) -> list[AuditEntry]:
    with app.app_context():
        return get_access().audit_entries(AuditFilter(action=action, **where), limit=1000)


def assert_escaped(html: str) -> None:
    """The attack string never appears as markup, only as text."""
    assert XSS not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
