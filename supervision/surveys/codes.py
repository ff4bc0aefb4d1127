"""One-time survey codes: how they are made, normalised and hashed.

A code is 12 characters of a 32-letter alphabet without the look-alikes 0/O, 1/I (60 random-looking
bits), printed in groups of four (``ABCD-EFGH-JKMN``). It is derived, never stored::

    code = alphabet(HMAC-SHA256(SURVEY_CODE_KEY, f"{round_estate_id}:{salt}:{serial}"))[:12]

so a lost sheet can be printed again, while the database holds only SHA-256(code) (to find the
code's row when it is used) and the salt; without the server key nobody can derive a code from
what the database holds, and 60 bits are not guessed through a rate-limited page. A new salt
(regenerating an estate's codes) voids every code of the old sheet.

``SURVEY_CODE_KEY`` defaults to ``SECRET_KEY``: changing either makes printed sheets unprintable
again (the codes already handed out keep working: their hashes are stored).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 letters: no 0, 1, I, O
CODE_LENGTH = 12


def new_salt() -> str:
    return secrets.token_hex(16)


def code_key() -> bytes:
    key = current_app.config.get("SURVEY_CODE_KEY") or current_app.config["SECRET_KEY"]
    return key.encode() if isinstance(key, str) else key


def derive(key: bytes, round_estate_id: int, salt: str, serial: int) -> str:
    digest = hmac.new(key, f"{round_estate_id}:{salt}:{serial}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") >> 4  # 60 bits
    letters = []
    for _ in range(CODE_LENGTH):
        letters.append(ALPHABET[number & 31])
        number >>= 5
    return "".join(letters)


def derive_many(key: bytes, round_estate_id: int, salt: str, serials) -> list[str]:
    return [derive(key, round_estate_id, salt, serial) for serial in serials]


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise(typed: str | None) -> str | None:
    """The code as stored from what somebody typed or scanned (case, spaces and dashes ignored);
    None when it cannot be a code."""
    if not typed:
        return None
    code = "".join(ch for ch in typed.upper() if ch not in " -\t")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def keyed_hash(value: str) -> str:
    """An HMAC of a phone number or an address: comparable, not reversible without the server key."""
    return hmac.new(code_key(), value.encode(), hashlib.sha256).hexdigest()
