"""Uploads are checked by content, size and name, and downloads follow the owner's scope."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from supervision.attachments import services
from supervision.attachments.services import IMAGE, PDF, UploadError
from supervision.extensions import db


def jpeg_bytes(size=(2400, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_image_is_stored_under_a_generated_name_with_a_reduced_copy(world):
    attachment = services.store_bytes(jpeg_bytes(), "现场照片.jpg", owner=world.estate1, user=world.officer)
    assert attachment.original_name == "现场照片.jpg"
    assert attachment.stored_name != "现场照片.jpg" and len(attachment.stored_name) == 36
    assert services.path_for(attachment.stored_name).exists()
    with Image.open(services.path_for(attachment.reduced_name)) as reduced:
        assert max(reduced.size) == 1600
    assert len(attachment.sha256) == 64 and attachment.content_type == "image/jpeg"


def test_type_is_judged_by_content_not_name(world):
    with pytest.raises(UploadError, match="文件类型不符"):
        services.store_bytes(b"MZ\x90\x00 not a picture", "photo.jpg", kinds=(IMAGE,))
    attachment = services.store_bytes(PDF_BYTES, "scan.jpg", kinds=(IMAGE, PDF))
    assert attachment.content_type == "application/pdf"


def test_too_large_is_refused(world, monkeypatch):
    small = services.Kind("pdf", 100, "PDF")
    with pytest.raises(UploadError, match="文件过大"):
        services.store_bytes(PDF_BYTES + b" " * 200, "big.pdf", kinds=(small,))


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b.jpg", "..\\evil.pdf", "..", ""])
def test_names_with_a_path_are_refused(world, name):
    with pytest.raises(UploadError):
        services.store_bytes(PDF_BYTES, name, kinds=(PDF,))


def test_xlsx_is_recognised(world):
    from supervision.documents.excel import Column, write_workbook

    data = write_workbook([Column("name", "名称")], [])
    assert services.sniff(data)[0] == "xlsx"
    assert services.sniff(b"PK\x03\x04garbage") is None


def test_download_follows_the_owner_scope(login_as, world):
    attachment = services.store_bytes(PDF_BYTES, "证明.pdf", owner=world.estate2, user=world.officer)
    db.session.commit()
    url = f"/files/{attachment.id}"
    assert login_as(world.officer).get(url).status_code == 200
    assert login_as(world.street2_user).get(url).status_code == 200
    assert login_as(world.street_user).get(url).status_code == 404  # estate2 is in another street
    assert login_as(world.company_user).get(url).status_code == 404
    response = login_as(world.company2_user).get(url)
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert "inline" in response.headers["Content-Disposition"]


def test_upload_is_audited(world):
    from sqlalchemy import select

    from supervision.audit.models import AuditLog

    attachment = services.store_bytes(PDF_BYTES, "a.pdf", owner=world.estate1, user=world.officer)
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "attachment.upload"))
    assert row.object_id == attachment.id and row.after["sha256"] == attachment.sha256


def test_load_visible_answers_as_the_attachment_scope(world):
    from sqlalchemy import select

    from supervision.attachments.models import Attachment, load_visible

    theirs = services.store_bytes(PDF_BYTES, "证明.pdf", owner=world.estate2, user=world.officer)
    ours = services.store_bytes(PDF_BYTES, "证明.pdf", owner=world.estate1, user=world.officer)
    loose = services.store_bytes(PDF_BYTES, "草稿.pdf", user=world.street_user)
    db.session.commit()
    for user in (world.officer, world.street_user, world.street2_user, world.company_user, world.company2_user):
        scoped = set(db.session.scalars(select(Attachment.id).where(Attachment.scope_clause(user))))
        for attachment in (theirs, ours, loose):
            assert (load_visible(attachment.id, user) is not None) == (attachment.id in scoped), (user, attachment)
    assert load_visible(theirs.id, world.street_user) is None and load_visible(loose.id, world.street_user) is loose
    assert load_visible(10**9, world.officer) is None
