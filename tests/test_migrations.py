"""Migrations create the schema from nothing and match the models exactly."""
from __future__ import annotations

import os

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from supervision import create_app
from supervision.extensions import db
from supervision.ops.databases import fresh_postgres_database


@pytest.fixture
def empty_database_url(tmp_path, worker_id):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    database_url, drop = fresh_postgres_database(base, f"{make_url(base).database}_migr_{worker_id}")
    yield database_url
    drop()


def test_upgrade_from_empty_matches_the_models(empty_database_url, tmp_path):
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                           "UPLOAD_DIR": str(tmp_path)})
    with migrated.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert {"users", "estates", "companies", "audit_log", "alembic_version"} <= tables
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        db.session.remove()
        db.engine.dispose()
