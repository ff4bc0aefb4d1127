"""Uploaded files: evidence photos, PDFs, scans, workbooks.

Files are stored under generated names outside the static folder. An
attachment belongs to one owner row (``owner_type`` names a registered model),
and whoever may see that owner may download the file.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, exists, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db

# owner_type -> model class; filled by ``register_owner`` at import time.
OWNER_TYPES: dict[str, type] = {}


def register_owner(name: str):
    def decorator(model):
        OWNER_TYPES[name] = model
        model.attachment_owner_type = name
        return model

    return decorator


class OwnerVisible(scoping.Rule):
    """An attachment is visible when its owner row is (by the owner model's own rule); one
    uploaded but not yet attached, only to its uploader."""

    def clause(self, model, user):
        clauses = [(model.owner_type == name)
                   & exists(select(owner.id).where(owner.id == model.owner_id, owner.scope_clause(user)))
                   for name, owner in OWNER_TYPES.items()]
        clauses.append(model.owner_type.is_(None) & (model.uploaded_by_id == user.id))
        return or_(*clauses)


def load_visible(attachment_id: int, user):
    """One attachment if ``user`` may see it (``OwnerVisible``'s rule for its own owner type), else None: the
    same answer as ``scope.load``, without building the rule's OR over every owner type (most of a page)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        return None
    if attachment.owner_type is None:
        return attachment if attachment.uploaded_by_id == user.id else None
    owner = OWNER_TYPES.get(attachment.owner_type)
    if owner is None:
        return None
    seen = db.session.scalar(select(owner.id).where(owner.id == attachment.owner_id, owner.scope_clause(user)))
    return attachment if seen is not None else None


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_type: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column()
    # What it is for its owner, e.g. "evidence", "photo", "signed_scan".
    purpose: Mapped[str] = mapped_column(String(32), default="evidence")
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    reduced_name: Mapped[str | None] = mapped_column(String(64))
    # A small JPEG (320 px) for lists on a phone connection.
    thumb_name: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The date the fact shown happened, as opposed to the upload time.
    fact_date: Mapped[date | None] = mapped_column()
    description: Mapped[str | None] = mapped_column(String(255))
    # Where and when a photo was taken, from its EXIF data (DateTimeOriginal, GPS).
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    uploaded_by = relationship("User")

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def owner_model(self):
        return OWNER_TYPES.get(self.owner_type)

    # Visible when the owner row is visible to the user.
    scope_clause = OwnerVisible()
