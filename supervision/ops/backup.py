"""Backups: an online copy of the SQLite database or a pg_dump, plus the uploads.

A backup is one ``.tar.gz`` holding ``database.sqlite3`` or ``database.pgdump``
and the ``uploads/`` folder, so a restore brings back files and the rows that
point at them together.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump/pg_restore are called without a shell
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

from ..extensions import db


def _database_url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _pg_args(url) -> tuple[list[str], dict]:
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin"}
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def create_backup(output_dir: Path) -> Path:
    url = _database_url()
    output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = output_dir / f"supervision-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        if url.get_backend_name() == "sqlite":
            dump = scratch / "database.sqlite3"
            source = sqlite3.connect(url.database)
            copy = sqlite3.connect(dump)
            with copy:
                source.backup(copy)  # consistent even while the app is writing
            source.close()
            copy.close()
        elif url.get_backend_name() == "postgresql":
            dump = scratch / "database.pgdump"
            args, env = _pg_args(url)
            subprocess.run(["pg_dump", *args, "--format=custom", "--no-owner", "-f", str(dump), url.database],
                           check=True, env=env)  # nosec B603 B607
        else:
            raise RuntimeError(f"backups are not supported for {url.get_backend_name()}")
        # The archive holds every user's data and password hash: readable by its owner only,
        # from the moment it exists (not chmod-ed afterwards).
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            uploads = Path(current_app.config["UPLOAD_DIR"])
            if uploads.exists():
                archive.add(uploads, arcname="uploads")
    return target


def restore_backup(archive_path: Path) -> None:
    """Replace the database and the uploads with the backup's. Stop the app first."""
    url = _database_url()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(scratch, filter="data")
        db.session.remove()
        db.engine.dispose()
        if url.get_backend_name() == "sqlite":
            dump = scratch / "database.sqlite3"
            if not dump.exists():
                raise RuntimeError("this backup holds no SQLite database")
            source = sqlite3.connect(dump)
            target = sqlite3.connect(url.database)
            with target:
                source.backup(target)
            source.close()
            target.close()
        else:
            dump = scratch / "database.pgdump"
            if not dump.exists():
                raise RuntimeError("this backup holds no PostgreSQL dump")
            args, env = _pg_args(url)
            subprocess.run(["pg_restore", *args, "--clean", "--if-exists", "--no-owner", "-d", url.database,
                            str(dump)], check=True, env=env)  # nosec B603 B607
        uploads = Path(current_app.config["UPLOAD_DIR"])
        if (scratch / "uploads").exists():
            if uploads.exists():
                shutil.rmtree(uploads)
            shutil.copytree(scratch / "uploads", uploads)
