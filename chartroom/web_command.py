"""`chartroom serve`, `chartroom users add` and `chartroom users token` (docs/cli.md, docs/web.md).

Passwords are read from standard input (one line, when it is not a terminal) or a hidden
prompt - never from the command line, where other users and the shell history could read them.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import secrets
import sys
from typing import Any

from chartroom.errors import InvalidRequest, RecordNotFound, UsageError
from chartroom.settings import Settings

log = logging.getLogger(__name__)

ROLES = ("clerk", "records", "auditor", "admin")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the web app with a production WSGI server (waitress)",
        description="Serve the web app (docs/web.md). Needs CHARTROOM_WEB_SECRET_KEY.",
    )
    serve.add_argument("--host", help="address to listen on (default CHARTROOM_WEB_HOST)")
    serve.add_argument("--port", type=int, help="port (default CHARTROOM_WEB_PORT)")
    serve.set_defaults(func=run_serve)

    users = sub.add_parser("users", help="web app users")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser(
        "add",
        help="create a user (password from standard input or a prompt)",
        description="Create a web app user. The password is read from standard input or a prompt.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", choices=ROLES, required=True)
    add.set_defaults(func=run_users_add)
    token = users_sub.add_parser(
        "token",
        help="create an API token for a user (printed once)",
        description="Create a bearer token for the JSON API; it is printed once, stored hashed.",
    )
    token.add_argument("name", metavar="NAME")
    token.set_defaults(func=run_users_token)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import waitress

    from webapp import create_app

    host = args.host or settings.web_host
    port = args.port if args.port is not None else settings.web_port
    if not 0 < port < 65536:
        raise UsageError("--port must be between 1 and 65535")
    app = create_app(settings=settings)
    print(f"chartroom: serving on http://{host}:{port}/ (Ctrl+C stops)", file=sys.stderr)
    waitress.serve(
        app,
        host=host,
        port=port,
        threads=settings.web_threads,
        ident="chartroom",
        clear_untrusted_proxy_headers=True,
    )
    return 0


def read_password(stdin: Any = None) -> str:
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise InvalidRequest("the two passwords differ")
        return first
    return str(stream.readline()).rstrip("\r\n")


def run_users_add(args: argparse.Namespace, settings: Settings) -> int:
    from records.access import AccessStore
    from webapp.admin import valid_name
    from webapp.passwords import hash_password
    from webapp.security import now

    name = valid_name(args.name)
    password_hash = hash_password(read_password())
    access = AccessStore(settings)
    try:
        user = access.create_user(name, args.role, password_hash, now())
        _audit(access, "user.create", {"user_id": user.id, "role": args.role})
    finally:
        access.close()
    print(f"created user {name} ({args.role})")
    return 0


def run_users_token(args: argparse.Namespace, settings: Settings) -> int:
    from records.access import AccessStore
    from webapp.security import digest, now

    access = AccessStore(settings)
    try:
        user = access.user_by_name(args.name)
        if user is None or not user.active:
            raise RecordNotFound("no active user with this name")
        token = secrets.token_urlsafe(32)
        access.create_token(user.id, digest(token), now())
        _audit(access, "user.token", {"user_id": user.id})
    finally:
        access.close()
    print(token)
    return 0


def _audit(access: Any, action: str, detail: dict[str, object]) -> None:
    from records.audit_log import AuditEntry
    from webapp.security import now

    access.append_audit(
        AuditEntry(at=now(), user_name="cli", action=action, address="cli", detail=detail)
    )
