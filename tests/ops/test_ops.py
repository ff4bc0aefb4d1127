"""/healthz, and a backup that restores the data it was taken from."""
from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from supervision import create_app
from supervision.extensions import db
from supervision.ops.backup import create_backup, restore_backup
from supervision.ops.databases import fresh_postgres_database
from supervision.regions.models import District, Street


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


@pytest.fixture
def separate_database(tmp_path, worker_id):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'backup-source.db'}"
        return
    database_url, drop = fresh_postgres_database(base, f"{make_url(base).database}_bk_{worker_id}")
    yield database_url
    drop()


def test_backup_then_restore_brings_back_rows_and_files(separate_database, tmp_path):
    uploads = tmp_path / "uploads"
    app = create_app({"SQLALCHEMY_DATABASE_URI": separate_database, "SECRET_KEY": "x", "UPLOAD_DIR": str(uploads)})
    with app.app_context():
        db.create_all()
        district = District(name="备份区", bureau_name="备份区住建局")
        db.session.add(district)
        db.session.flush()
        db.session.add(Street(district_id=district.id, name="备份街道"))
        db.session.commit()
        (uploads / "ab").mkdir(parents=True)
        (uploads / "ab" / "abc.pdf").write_bytes(b"%PDF-1.4 evidence")

        archive = create_backup(tmp_path / "backups")
        assert archive.exists() and archive.stat().st_size > 0

        db.session.execute(Street.__table__.delete())
        db.session.commit()
        (uploads / "ab" / "abc.pdf").unlink()
        assert db.session.scalar(select(Street)) is None

        restore_backup(archive)
        assert db.session.scalar(select(Street.name)) == "备份街道"
        assert (uploads / "ab" / "abc.pdf").read_bytes() == b"%PDF-1.4 evidence"
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_a_backup_is_readable_by_its_owner_only(separate_database, tmp_path):
    """Even under a permissive umask: the archive holds every row, password hashes included."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": separate_database, "SECRET_KEY": "x",
                      "UPLOAD_DIR": str(tmp_path / "uploads")})
    previous = os.umask(0o000)
    try:
        with app.app_context():
            db.create_all()
            archive = create_backup(tmp_path / "backups")
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700


def test_backup_commands(runner, tmp_path, app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        result = runner.invoke(args=["backup", "create", "--output", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "备份已写入" in result.output and list(tmp_path.glob("supervision-*.tar.gz"))
    result = runner.invoke(args=["backup", "restore", str(tmp_path / "missing.tar.gz"), "--yes"])
    assert result.exit_code != 0
