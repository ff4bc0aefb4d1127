"""Storing uploads safely: checked by content and size, saved under generated names."""
from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from ..audit.services import record
from ..core.errors import DomainError
from ..core.timeutil import to_local
from ..extensions import db
from .models import Attachment
from .photos import PhotoFacts, read_facts, taken_on, thumbnail

Image.MAX_IMAGE_PIXELS = 60_000_000
REDUCED_MAX_SIDE = 1600
MB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    name: str
    max_bytes: int
    label: str


IMAGE = Kind("image", 10 * MB, "JPG/PNG")
PDF = Kind("pdf", 20 * MB, "PDF")
XLSX = Kind("xlsx", 10 * MB, "Excel (.xlsx)")
EVIDENCE = (IMAGE, PDF)


class UploadError(DomainError):
    pass


def check_filename(name: str | None) -> str:
    """The original name for display; refuses names that carry a path."""
    name = (name or "").strip()
    if not name:
        raise UploadError(_("请选择要上传的文件。"))
    if "/" in name or "\\" in name or name in {".", ".."} or "\x00" in name:
        raise UploadError(_("文件名不能包含路径：%(name)s", name=name[:80]))
    cleaned = "".join(ch for ch in name if ch.isprintable())
    return cleaned[:200] or "file"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(kind, content type) judged by the bytes, never by the name."""
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        try:
            with Image.open(io.BytesIO(data)) as img:
                img.verify()
                fmt = img.format
        except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError):
            return None
        if fmt == "JPEG":
            return IMAGE.name, "image/jpeg"
        if fmt == "PNG":
            return IMAGE.name, "image/png"
        return None
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return PDF.name, "application/pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError):
            return None
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names and unpacked < 300 * MB:
            return XLSX.name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def validate(data: bytes, filename: str | None, kinds) -> tuple[str, Kind, str]:
    """Check name, size and content; return (display name, kind, content type)."""
    original = check_filename(filename)
    kinds = tuple(kinds)
    if not data:
        raise UploadError(_("文件为空：%(name)s", name=original))
    largest = max(k.max_bytes for k in kinds)
    if len(data) > largest:
        raise UploadError(
            _("文件过大：%(name)s 超过 %(limit)s MB 的上限。", name=original, limit=largest // MB)
        )
    sniffed = sniff(data)
    allowed = {k.name: k for k in kinds}
    if sniffed is None or sniffed[0] not in allowed:
        raise UploadError(
            _("文件类型不符：%(name)s 不是允许的类型（%(types)s）。",
              name=original, types="、".join(k.label for k in kinds))
        )
    kind = allowed[sniffed[0]]
    if len(data) > kind.max_bytes:
        raise UploadError(
            _("文件过大：%(name)s 超过 %(limit)s MB 的上限。", name=original, limit=kind.max_bytes // MB)
        )
    return original, kind, sniffed[1]


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def path_for(stored_name: str) -> Path:
    return upload_root() / stored_name[:2] / stored_name


_PENDING = "attachments.pending_files"


def _write(stored_name: str, data: bytes) -> None:
    target = path_for(stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    _track(db.session(), target)


# Files written during a transaction belong to it: kept when it commits, removed when it (or the
# savepoint they were written in) rolls back — e.g. the loser of two concurrent answers to one item.
def _track(session: Session, path: Path) -> None:
    session.info.setdefault(_PENDING, []).append((path, session.get_nested_transaction()))


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _remove(paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_files_of_rolled_back_savepoint(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending or not previous_transaction.nested:
        return
    _remove(path for path, tx in pending if _within(tx, previous_transaction))
    pending[:] = [(path, tx) for path, tx in pending if not _within(tx, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _remove_files_of_uncommitted_transaction(session: Session, transaction) -> None:
    # The outermost transaction ended without after_commit having claimed its files: rolled
    # back, or closed (session.remove() at the end of a request that failed).
    if transaction.parent is None and not transaction.nested:
        _remove(path for path, _tx in session.info.pop(_PENDING, []))


def _reduced_copy(data: bytes) -> bytes | None:
    """A JPEG no larger than 1600 px on its longest side, upright, without metadata."""
    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        if max(img.size) > REDUCED_MAX_SIDE:
            img.thumbnail((REDUCED_MAX_SIDE, REDUCED_MAX_SIDE))
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=85)
        return out.getvalue()


def store(file_storage, *, kinds=EVIDENCE, owner=None, purpose: str = "evidence",
          fact_date=None, description: str | None = None, user=None, fact_date_default=None) -> Attachment:
    """Validate and save one uploaded file (a werkzeug FileStorage)."""
    data = file_storage.read()
    return store_bytes(data, file_storage.filename, kinds=kinds, owner=owner, purpose=purpose,
                       fact_date=fact_date, description=description, user=user,
                       fact_date_default=fact_date_default)


def store_bytes(data: bytes, filename: str | None, *, kinds=EVIDENCE, owner=None,
                purpose: str = "evidence", fact_date=None, description=None, user=None,
                fact_date_default=None) -> Attachment:
    """Validate and save one file. Without ``fact_date``, a photo's fact date is the day it was
    taken (EXIF), else ``fact_date_default``."""
    original, kind, content_type = validate(data, filename, kinds)
    extension = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(
        content_type, ".xlsx"
    )
    stored_name = uuid.uuid4().hex + extension
    _write(stored_name, data)
    reduced_name = thumb_name = None
    facts = PhotoFacts()
    if kind is IMAGE:
        reduced_name = stored_name.rsplit(".", 1)[0] + "_r.jpg"
        _write(reduced_name, _reduced_copy(data))
        thumb_name = stored_name.rsplit(".", 1)[0] + "_t.jpg"
        _write(thumb_name, thumbnail(data))
        facts = read_facts(data)
    attachment = Attachment(
        stored_name=stored_name,
        reduced_name=reduced_name,
        thumb_name=thumb_name,
        taken_at=facts.taken_at,
        latitude=facts.latitude,
        longitude=facts.longitude,
        original_name=original,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        purpose=purpose,
        fact_date=fact_date,
        description=description,
        uploaded_by_id=getattr(user, "id", None),
    )
    if attachment.fact_date is None:
        attachment.fact_date = taken_on(attachment) or fact_date_default
    if owner is not None:
        attach(attachment, owner)
    db.session.add(attachment)
    db.session.flush()
    after = {"owner_type": attachment.owner_type, "owner_id": attachment.owner_id,
             "name": original, "size": len(data), "sha256": attachment.sha256}
    if attachment.taken_at is not None:
        after["taken_at"] = attachment.taken_at.isoformat()
    if attachment.latitude is not None:
        after |= {"latitude": str(attachment.latitude), "longitude": str(attachment.longitude)}
    record("attachment.upload", attachment, after=after, actor=user)
    return attachment


def attach(attachment: Attachment, owner) -> None:
    owner_type = getattr(owner.__class__, "attachment_owner_type", None)
    if owner_type is None:
        raise TypeError(f"{owner.__class__.__name__} is not a registered attachment owner")
    if getattr(owner, "id", None) is None:
        db.session.add(owner)
        db.session.flush()
    attachment.owner_type = owner_type
    attachment.owner_id = owner.id


def attachments_of(owner, purpose: str | None = None) -> list[Attachment]:

    statement = select(Attachment).where(
        Attachment.owner_type == owner.__class__.attachment_owner_type,
        Attachment.owner_id == owner.id,
    ).order_by(Attachment.id)
    if purpose:
        statement = statement.where(Attachment.purpose == purpose)
    return list(db.session.scalars(statement))


def file_for_pdf(attachment: Attachment) -> Path:
    """The copy to embed in a PDF: the reduced image where there is one."""
    return path_for(attachment.reduced_name or attachment.stored_name)


def earliest_taken_on(files) -> date | None:
    """The earliest day (local) on which the uploaded photos were taken, by their EXIF data.

    Reads each werkzeug FileStorage and rewinds it, so it can still be stored afterwards.
    """
    days = []
    for file in files:
        if file is None or not getattr(file, "filename", None):
            continue
        stream = getattr(file, "stream", None)
        if stream is None or not stream.seekable():
            continue
        start = stream.tell()
        data = stream.read(IMAGE.max_bytes + 1)
        stream.seek(start)
        facts = read_facts(data) if data.startswith(b"\xff\xd8\xff") else PhotoFacts()
        if facts.taken_at is not None:
            days.append(to_local(facts.taken_at).date())
    return min(days) if days else None
