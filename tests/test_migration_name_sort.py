"""The pinyin-sort migration fills ``name_sort`` for the rows already there."""
from __future__ import annotations

import flask_migrate
from sqlalchemy import text

from supervision import create_app
from supervision.core.sortkey import name_sort_key
from supervision.extensions import db

from .test_migrations import empty_database_url  # noqa: F401 - the fixture

BEFORE = "06196e78efb4"
NOW = "2026-12-07 00:00:00"


def _insert(connection, table: str, **values) -> None:
    columns = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + k for k in values)})"), values)


def test_existing_rows_get_their_pinyin_keys(empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x", "UPLOAD_DIR": str(tmp_path)})
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE)
        stamps = {"created_at": NOW, "updated_at": NOW, "version": 1}
        with db.engine.begin() as connection:
            _insert(connection, "districts", id=1, name="测试区", bureau_name="测试区住建局", **stamps)
            _insert(connection, "streets", id=1, district_id=1, name="长安街道", active=True, **stamps)
            _insert(connection, "communities", id=1, street_id=1, name="北湖社区", active=True, **stamps)
            _insert(connection, "companies", id=1, name="重庆物业有限公司", credit_code="91500000MA00000001",
                    **stamps)
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            keys = {table: connection.scalar(text(f"SELECT name_sort FROM {table}"))
                    for table in ("streets", "communities", "companies")}
        assert keys == {"streets": name_sort_key("长安街道"), "communities": name_sort_key("北湖社区"),
                        "companies": name_sort_key("重庆物业有限公司")}
        flask_migrate.downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()
