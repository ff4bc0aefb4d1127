"""The administrator's view of the audit log."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import text
from sqlalchemy.orm import joinedload
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from ..auth import scope
from ..auth.models import User
from ..auth.roles import ADMIN
from ..core.forms import MAX_INT
from ..core.pagination import paginate
from ..core.timeutil import local_day_bounds_utc
from ..extensions import db
from .models import AuditLog
from .wording import object_label

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    actor = StringField(_l("操作人（用户名）"), validators=[Optional(), Length(max=64)])
    object_type = SelectField(_l("对象类型"), validators=[Optional()])
    object_id = IntegerField(_l("对象编号"), validators=[Optional(), NumberRange(min=1, max=MAX_INT)])
    action = StringField(_l("操作"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("开始日期"), validators=[Optional()])
    date_to = DateField(_l("结束日期"), validators=[Optional()])


def filtered_log(form: AuditFilterForm):
    statement = scope.visible(AuditLog).options(joinedload(AuditLog.actor)).order_by(
        AuditLog.at.desc(), AuditLog.id.desc()
    )
    if form.actor.data:
        statement = statement.join(User, AuditLog.actor_id == User.id).where(
            User.username == form.actor.data.strip()
        )
    if form.object_type.data:
        statement = statement.where(AuditLog.object_type == form.object_type.data)
    if form.object_id.data and not form.object_id.errors:
        statement = statement.where(AuditLog.object_id == form.object_id.data)
    if form.action.data:
        statement = statement.where(AuditLog.action.like(f"{form.action.data.strip()}%"))
    if form.date_from.data:
        statement = statement.where(AuditLog.at >= local_day_bounds_utc(form.date_from.data)[0])
    if form.date_to.data:
        statement = statement.where(AuditLog.at <= local_day_bounds_utc(form.date_to.data)[1])
    return statement


# The log's distinct object types, one index seek each (``ix_audit_log_object``) instead of a DISTINCT over every
# row of the log (14 ms at 100× the district, 300,000 rows; SQLite and PostgreSQL both walk the whole index).
_OBJECT_TYPES = text(
    "WITH RECURSIVE types(object_type) AS ("
    " SELECT min(object_type) FROM audit_log"
    " UNION ALL SELECT (SELECT min(object_type) FROM audit_log WHERE object_type > types.object_type)"
    " FROM types WHERE types.object_type IS NOT NULL)"
    " SELECT object_type FROM types WHERE object_type IS NOT NULL")


def object_types() -> list[str]:
    return list(db.session.scalars(_OBJECT_TYPES))


@bp.get("/")
@scope.role_required(ADMIN)
def index():
    form = AuditFilterForm(request.args)
    types = object_types()
    form.object_type.choices = [("", str(_l("全部")))] + [(t, object_label(t)) for t in types]
    form.validate()
    channels = {"web": _l("网页"), "api": _l("接口"), "cli": _l("命令行")}
    return render_template("audit/index.html", form=form, page=paginate(filtered_log(form), count_limit=True),
                           channels={key: str(label) for key, label in channels.items()})
