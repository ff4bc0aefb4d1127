"""Certificate expiry reminders for company users (``flask companies remind-certificates``)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..auth.roles import Role
from ..core.timeutil import local_today
from ..extensions import db
from ..notifications.services import notify
from .models import Certificate, Company, Staff
from .services import expiring_certificates


def notify_expiring_certificates(today: date | None = None) -> int:
    today = today or local_today()
    users = defaultdict(list)
    for user in db.session.scalars(select(User).where(User.role == Role.COMPANY_USER, User.active.is_(True))):
        users[user.company_id].append(user)
    statement = (expiring_certificates(today=today).join(Company, Company.id == Staff.company_id)
                 .where(Company.archived_at.is_(None))
                 .options(joinedload(Certificate.staff), joinedload(Certificate.certificate_type)))
    sent = 0
    for certificate in db.session.scalars(statement):
        staff = certificate.staff
        sent += notify(users.get(staff.company_id, []), kind="certificate_expiring",
                       title=_("%(name)s的%(cert)s将于 %(date)s 到期", name=staff.name,
                               cert=certificate.certificate_type.name, date=certificate.expires_on.isoformat()),
                       dedup_key=f"certificate-expiring:{certificate.id}:{certificate.expires_on}",
                       link=f"/companies/staff/{staff.id}")
    return sent
