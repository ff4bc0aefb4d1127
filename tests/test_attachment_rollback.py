"""Files written for a transaction that rolls back are removed; committed ones stay."""
from __future__ import annotations

import io
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from supervision.attachments import services
from supervision.attachments.models import Attachment
from supervision.campaigns.models import ItemState, RectificationItem
from supervision.campaigns.services import items as item_service
from supervision.core.timeutil import local_today
from supervision.extensions import db

from .campaigns import factories as f
from .test_attachments import PDF_BYTES, jpeg_bytes


def _files() -> set[Path]:
    return {p for p in Path(current_app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()}


def test_files_of_a_rolled_back_transaction_are_removed(world):
    db.session.commit()
    before = _files()
    attachment = services.store_bytes(jpeg_bytes(), "照片.jpg", owner=world.estate1)
    written = [services.path_for(attachment.stored_name), services.path_for(attachment.reduced_name)]
    assert all(path.exists() for path in written)
    db.session.rollback()
    assert not any(path.exists() for path in written)
    assert _files() == before


def test_committed_files_stay_after_a_later_rollback(world):
    kept = services.store_bytes(PDF_BYTES, "保留.pdf", owner=world.estate1)
    db.session.commit()
    dropped = services.store_bytes(PDF_BYTES, "放弃.pdf", owner=world.estate1)
    db.session.rollback()
    assert services.path_for(kept.stored_name).exists()
    assert not services.path_for(dropped.stored_name).exists()


def test_a_rolled_back_savepoint_removes_only_its_own_files(world):
    outer = services.store_bytes(PDF_BYTES, "外层.pdf", owner=world.estate1)
    outer_path = services.path_for(outer.stored_name)
    savepoint = db.session.begin_nested()
    inner = services.store_bytes(PDF_BYTES, "内层.pdf", owner=world.estate1)
    inner_path = services.path_for(inner.stored_name)
    savepoint.rollback()
    assert not inner_path.exists() and outer_path.exists()
    released = db.session.begin_nested()
    kept = services.store_bytes(PDF_BYTES, "释放.pdf", owner=world.estate1)
    kept_path = services.path_for(kept.stored_name)
    released.commit()
    db.session.commit()
    assert outer_path.exists() and kept_path.exists()


def test_a_session_closed_without_commit_removes_its_files(world):
    db.session.commit()
    attachment = services.store_bytes(PDF_BYTES, "未提交.pdf", owner=world.estate1)
    path = services.path_for(attachment.stored_name)
    db.session.remove()  # what the end of a failed request does
    assert not path.exists()


def test_the_loser_of_two_concurrent_answers_leaves_no_file(world, login_as, monkeypatch):
    """Both answers pass the version check; the other one commits while this one stores its
    photo, so this one's commit is stale (409) and the photo it wrote is removed."""
    campaign = f.gen_campaign(world)
    enrolment, _ = f.enrol(campaign, world.estate1, world.estate2, actor=world.officer)
    item = f.gen_item(enrolment, actor=world.officer)
    db.session.commit()
    client = login_as(world.company_user)
    before = _files()
    real_add_evidence = item_service.add_evidence

    def winner_commits_first(target, files, **kwargs):
        with db.engine.begin() as connection:  # the other worker's answer, committed meanwhile
            connection.execute(update(RectificationItem).where(RectificationItem.id == target.id)
                               .values(version=RectificationItem.version + 1))
        return real_add_evidence(target, files, **kwargs)

    monkeypatch.setattr(item_service, "add_evidence", winner_commits_first)
    response = client.post(f"/campaigns/items/{item.id}/answer", data={
        "version": item.version, "response": "已清理完毕", "fact_date": local_today().isoformat(),
        "evidence": [(io.BytesIO(f.jpeg_bytes()), "清理后.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 409
    db.session.refresh(item)
    assert item.state is ItemState.OPEN
    assert db.session.scalar(select(func.count(Attachment.id))) == 0
    assert _files() == before
