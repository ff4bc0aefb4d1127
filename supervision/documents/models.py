"""What the import pipeline remembers: the column mappings users chose, per kind of import."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import TimestampMixin
from ..extensions import db


class ImportMapping(TimestampMixin, db.Model):
    """A header of somebody's own ledger and the column it fills (or ``ledger.IGNORE``) for one kind
    of import ("estates", "companies" …), so next month's file of the same shape needs no questions.
    Bureau reference data: read and changed only through the import pages (no ``scope_clause``);
    every change is audited ("import.mapping")."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("kind", "header"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    header: Mapped[str] = mapped_column(String(255))  # normalise.header_key of the source header
    source_header: Mapped[str] = mapped_column(String(255))  # as the file wrote it (shown)
    field: Mapped[str] = mapped_column(String(64))  # a column key, or ledger.IGNORE
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
