"""A unit of long work a user started (an import, an export) and can follow on /jobs/<id>."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core import scoping
from ..core.enums import LabelledEnum
from ..core.timeutil import utcnow
from ..core.types import UTCDateTime
from ..extensions import db


class JobStatus(LabelledEnum):
    QUEUED = "queued", _l("排队中"), "secondary"
    RUNNING = "running", _l("进行中"), "primary"
    FINISHED = "finished", _l("已完成"), "success"
    FAILED = "failed", _l("失败"), "danger"


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    title: Mapped[str] = mapped_column(String(200), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)  # Chinese: the outcome or why it failed
    result_path: Mapped[str | None] = mapped_column(String(255))  # a generated name under UPLOAD_DIR/jobs
    result_name: Mapped[str | None] = mapped_column(String(255))  # the name the download is offered under
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(128))  # "host:pid" of the process running it
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    scope_clause = scoping.OwnRows("user_id")

    @property
    def state(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))

    def __str__(self) -> str:
        return self.title or self.kind
