"""Password hashing (Argon2id, argon2-cffi) and the password rule for new passwords."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import RFC_9106_LOW_MEMORY

from chartroom.errors import InvalidRequest

log = logging.getLogger(__name__)

MIN_LENGTH = 12
MAX_LENGTH = 1024  # longer inputs are refused before hashing (a cheap denial of service)
HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)  # Argon2id, t=3, m=64 MiB
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY = HASHER.hash("chartroom-no-such-user-0123456789")


def hash_password(password: str) -> str:
    check_password_rule(password)
    return HASHER.hash(password)


def check_password_rule(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidRequest(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidRequest(f"the password must have at most {MAX_LENGTH} characters")
    if len(set(password)) < 5:
        raise InvalidRequest("the password must not repeat a few characters")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash is checked against a dummy (same cost)."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except VerifyMismatchError:
        return False
    except (VerificationError, InvalidHashError):
        log.warning("a stored password hash could not be read")
        return False
