"""The household register (房号 + 手机号) of one estate, from an Excel sheet, through the shared import
pipeline: all rows or none. The phone is kept only as a keyed hash and a masked form (138****1234);
an import replaces the estate's register (rooms not in the file are dropped unless a vote refers
to them)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ..audit.services import record
from ..documents.excel import Column
from ..documents.imports import SheetImport
from ..estates.models import Estate
from ..extensions import db
from ..jobs import imports as import_jobs
from . import codes
from .models import Household, SurveyVote
from .services import mask_phone, normalise_phone, normalise_room

COLUMNS = [
    Column("room", "房号", required=True, example="3-2-501", note="楼栋-单元-房号，按小区习惯填写，同一小区不重复"),
    Column("phone", "手机号", required=True, example="13812345678", note="11 位手机号；系统只保存加密摘要和掩码"),
]


class HouseholdImport(SheetImport):
    columns = COLUMNS

    def __init__(self, estate, actor=None):
        self.estate = estate
        self.actor = actor
        self.seen: dict[str, int] = {}

    def check_row(self, row):
        room = normalise_room(str(row.get("room") or ""))
        phone = normalise_phone(str(row.get("phone") or ""))
        if not room:
            row.error("room", _("房号不能为空"))
        elif room in self.seen:
            row.error("room", _("与第 %(row)s 行房号重复", row=self.seen[room]))
        else:
            self.seen[room] = row.number
        if phone is None:
            row.error("phone", _("手机号应为 11 位数字"))
        return room, phone

    def write(self, ready):
        voted = set(db.session.scalars(select(SurveyVote.household_id).join(Household, Household.id ==
                                                                            SurveyVote.household_id)
                                       .where(Household.estate_id == self.estate.id)))
        db.session.execute(delete(Household).where(Household.estate_id == self.estate.id,
                                                   Household.id.not_in(voted) if voted else Household.id.is_not(None)))
        kept = {h.room: h for h in db.session.scalars(select(Household).where(Household.estate_id == self.estate.id))}
        rows = []
        for room, phone in ready:
            household = kept.get(room)
            if household is None:
                household = Household(estate_id=self.estate.id, room=room)
                db.session.add(household)
            household.phone_hash, household.phone_masked = codes.keyed_hash(phone), mask_phone(phone)
            rows.append(household)
        db.session.flush()
        record("survey_households.import", self.estate, after={"households": len(rows)}, actor=self.actor)
        return rows


def register_size(estate_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Household).where(Household.estate_id == estate_id))


JOB_IMPORTER = import_jobs.register(import_jobs.Importer(
    name="households", title=_l("导入住户名册"), noun=_l("住户"),
    build=lambda filename, actor, options: HouseholdImport(
        import_jobs.option_record(Estate, options, "estate_id", _("小区已不存在。")), actor),
    summary=lambda result: _("已导入 %(n)s 户。", n=len(result.created))))
