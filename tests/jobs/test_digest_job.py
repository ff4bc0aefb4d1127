"""``flask notifications digest`` puts the run on the job queue; the job sends each digest once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supervision.core.timeutil import utcnow
from supervision.extensions import db
from supervision.jobs.models import Job
from supervision.notifications import delivery
from supervision.notifications.models import DigestFrequency, Notification

from ..notifications.servers import SmtpSink


def test_the_command_enqueues_a_job_that_sends_the_digest_once(world, inprocess, runner, app, monkeypatch):
    period = delivery.due_period(DigestFrequency.DAILY, utcnow(), app.config["DIGEST_HOUR"])
    world.company_user.email = "wuye@example.cn"
    db.session.add(Notification(user_id=world.company_user.id, kind="item_overdue", title="事项逾期",
                                dedup_key="job-test", created_at=period.start + timedelta(hours=1)))
    db.session.commit()
    with SmtpSink() as smtp:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", smtp.port)
        result = runner.invoke(args=["notifications", "digest"])
        assert result.exit_code == 0 and "已放入任务队列" in result.output
        inprocess.wait()
        job = db.session.scalars(select(Job).where(Job.kind == "notifications.digests")).one()
        db.session.refresh(job)
        assert job.status == "finished" and job.user_id == world.admin.id
        assert job.message.startswith("已发送 1 份摘要")
        # Run again (the next hour's cron): nothing is sent twice.
        assert runner.invoke(args=["notifications", "digest", "--inline"]).output.startswith("已发送 0 份")
        assert [m["Subject"] for _to, m in smtp.messages] == [f"【物业监管】每日提醒（{period.key[6:]}）：1 条消息"]
