"""Exactly once: a form carries a key made by the page script (``idempotency_key``); the first
submission with a key claims it, a repeated one (a queued form sent again, a double tap, a retry
after a lost answer) is answered with the first one's result and creates nothing.

The key is optional: without JavaScript a form has none and is handled as before.
"""
from __future__ import annotations

import re
from datetime import timedelta

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..core.timeutil import utcnow
from ..extensions import db
from .models import SubmissionKey

FIELD = "idempotency_key"
KEEP_DAYS = 30
_VALID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def valid_key(key: str | None) -> bool:
    return bool(key) and _VALID.match(key) is not None


def submitted_key() -> str | None:
    """The submission's key, when the form carries a well-formed one."""
    key = (request.form.get(FIELD) or "").strip()
    return key if valid_key(key) else None


def claim(user, key: str | None, endpoint: str) -> SubmissionKey | None:
    """Claim ``key`` for this submission (in the current transaction, so a failed submission frees
    it again). Returns the earlier submission's row when the key was already used, else None."""
    if not key:
        return None
    earlier = earlier_submission(user, key)
    if earlier is not None:
        return earlier
    try:
        with db.session.begin_nested():
            db.session.add(SubmissionKey(user_id=user.id, key=key, endpoint=endpoint[:64]))
    except IntegrityError:  # the same key sent twice at once: the other request won
        return db.session.scalar(select(SubmissionKey).where(SubmissionKey.user_id == user.id,
                                                             SubmissionKey.key == key))
    return None


def settle(user, key: str | None, result_url: str) -> None:
    """Record where the claimed submission's result is shown (before the commit)."""
    if not key:
        return
    row = db.session.scalar(select(SubmissionKey).where(SubmissionKey.user_id == user.id,
                                                        SubmissionKey.key == key))
    if row is not None:
        row.result_url = result_url[:255]


def forget_old(days: int = KEEP_DAYS) -> int:
    """Remove keys older than ``days`` (a queued form is sent long before that)."""
    result = db.session.execute(delete(SubmissionKey).where(SubmissionKey.created_at < utcnow() - timedelta(days=days)))
    return result.rowcount or 0


def repeated(earlier: SubmissionKey, fallback_url: str):
    """The answer to a repeated submission: the first one's result, nothing created."""
    flash(_("该表单已经提交过，本次未重复录入。"), "info")
    return redirect(earlier.result_url or fallback_url)


def earlier_submission(user, key: str | None) -> SubmissionKey | None:
    if not key:
        return None
    return db.session.scalar(select(SubmissionKey).where(SubmissionKey.user_id == user.id, SubmissionKey.key == key))


def once():
    """The submitted key and, when it was used before by the current user, that submission's row.

    A view answers a repeated key with ``repeated`` at once, and claims a new key with ``claim``
    once the form is valid (a refused form leaves the key free for the corrected one)."""
    key = submitted_key()
    return key, earlier_submission(current_user, key)


def claim_current(key: str | None) -> SubmissionKey | None:
    return claim(current_user, key, request.endpoint or "")
