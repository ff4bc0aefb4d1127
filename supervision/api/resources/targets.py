"""Targets (目标考核): each indicator's measured value against its target for the district or
a street, with the same scorecard as the web page."""
from __future__ import annotations

from flask import abort
from marshmallow import Schema, fields, validate

from ...auth import scope
from ...auth.roles import DISTRICT_READERS, STREET
from ...targets import services
from ...targets.views import street_in_scope, year_and_day
from ..core import EnumValue, Id, api_blueprint

blp = api_blueprint("api_targets", __name__, "/targets", "目标考核")


def _fraction(value):
    return None if value is None else float(value)


class TargetValueSchema(Schema):
    code = fields.Function(lambda c: c.indicator.code, metadata={"type": "string"})
    name = fields.Function(lambda c: str(c.indicator.name), metadata={"type": "string"})
    value = fields.Function(lambda c: _fraction(c.value), allow_none=True, metadata={
        "type": "number", "nullable": True, "description": "实际值（0–1）；无数据时为 null"})
    numerator = fields.Function(lambda c: c.counts.numerator if c.counts else None, allow_none=True,
                                metadata={"type": "integer", "nullable": True})
    denominator = fields.Function(lambda c: c.counts.denominator if c.counts else None, allow_none=True,
                                  metadata={"type": "integer", "nullable": True})
    target = fields.Function(lambda c: float(c.threshold.value), metadata={"type": "number",
                                                                             "description": "目标值（0–1）"})
    target_inherited = fields.Function(lambda c: c.threshold.inherited, metadata={
        "type": "boolean", "description": "街道未单独设定，沿用全区目标"})
    expected = fields.Function(lambda c: float(c.expected), metadata={
        "type": "number", "description": "按时间进度此时应达到的值"})
    status = EnumValue(services.Status)
    gap = fields.Integer(metadata={"description": "距全部达标还差的数量"})


class TargetsSchema(Schema):
    year = fields.Integer()
    as_of = fields.Date(metadata={"description": "计算日"})
    elapsed = fields.Float(metadata={"description": "年度时间进度（0–1）"})
    street_id = fields.Integer(allow_none=True, metadata={"description": "null：全区"})
    scope = fields.String(metadata={"description": "全区或街道名称"})
    indicators = fields.List(fields.Nested(TargetValueSchema))


class TargetArgs(Schema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    street_id = Id(metadata={"description": "街道；街道办只能查看本街道"})


@blp.route("")
@blp.arguments(TargetArgs, location="query")
@blp.response(200, TargetsSchema)
def target_values(args):
    """目标考核

    各指标的实际值、目标值、按时间进度的应达值和状态，默认全区，可指定街道；街道办只能查看本街道，物业企业返回 403。"""
    scope.require_role(DISTRICT_READERS | STREET)
    street = street_in_scope(args.get("street_id"))
    year, day = year_and_day(args.get("year"))
    if street is None:
        card = services.scorecard(day, year=year, include_district=True, street_ids=[])
        row = card.district
    else:
        card = services.scorecard(day, year=year, include_district=False, street_ids=[street.id])
        row = card.streets[0] if card.streets else abort(404)
    return {"year": year, "as_of": day, "elapsed": float(card.elapsed), "street_id": street.id if street else None,
            "scope": row.name, "indicators": list(row.cells.values())}
