"""Credit (信用评价): the district ranking and one company's score, computed by the same SQL as
the web pages (``credit.scoring``)."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from ...auth import scope
from ...auth.roles import COMPANY, DISTRICT_READERS
from ...companies.models import Company
from ...core.errors import DomainError
from ...core.timeutil import local_today
from ...credit import services, standings
from ...extensions import db
from ..core import Id, PageArgs, api_blueprint, fail, page_schema

blp = api_blueprint("api_credit", __name__, "/credit", "信用评价")


class RuleSetSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    version = fields.Integer()
    name = fields.String()


class ScoreSchema(Schema):
    position = fields.Integer(allow_none=True, metadata={"description": "在全区的名次（并列同名次）"})
    company_id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    base = fields.Float(metadata={"description": "基础分"})
    parts = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "各部分得分"})
    total = fields.Float(metadata={"description": "总分"})
    grade = fields.Function(lambda r: r.grade.code, metadata={"type": "string", "description": "等级代码"})
    grade_label = fields.Function(lambda r: r.grade.label, metadata={"type": "string"})
    override = fields.String(allow_none=True, metadata={"description": "触发的特别规定（如黑名单、一票否决）"})
    red = fields.Boolean(metadata={"description": "红名单"})
    black = fields.Boolean(metadata={"description": "黑名单"})
    event_count = fields.Integer(metadata={"description": "计分的信用记录数"})


class RankingPageSchema(page_schema(ScoreSchema)):
    as_of = fields.Date(metadata={"description": "评价日"})
    rule_set = fields.Nested(RuleSetSchema)


class CompanyScoreSchema(ScoreSchema):
    as_of = fields.Date()
    rule_set = fields.Nested(RuleSetSchema)


class AsOfArgs(Schema):
    as_of = fields.Date(metadata={"description": "评价日（不晚于今天，默认今天）"})


class RankingArgs(PageArgs, AsOfArgs):
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "企业名称或信用代码中的文字"})
    grade = fields.String(validate=validate.Length(max=16), metadata={"description": "等级代码"})
    street_id = Id(metadata={"description": "在该街道有在管小区的企业"})
    sort = fields.String(validate=validate.OneOf(list(standings.RANKING_SORTS)),
                         metadata={"description": "默认按总分从高到低"})


def _as_of(args) -> date:
    today = local_today()
    as_of = args.get("as_of") or today
    if as_of > today:
        fail(422, _("评价日不能晚于今天。"), code="validation_error", errors={"as_of": [_("评价日不能晚于今天。")]})
    if as_of.year < 2000:
        fail(422, _("评价日不能早于 2000 年。"), code="validation_error",
             errors={"as_of": [_("评价日不能早于 2000 年。")]})
    return as_of


def _rule_set(as_of: date):
    try:
        return services.rule_set_for(as_of)
    except DomainError as error:  # no rule set loaded yet
        db.session.rollback()
        fail(409, error.message, code="not_configured")


@blp.route("/ranking")
@blp.arguments(RankingArgs, location="query")
@blp.response(200, RankingPageSchema)
def ranking(args):
    """信用评价排名

    某评价日按当时适用规则集计算的各企业得分和等级，默认从高到低
    （住建局和领导；街道办和物业企业返回 403，与网页相同）。"""
    scope.require_role(DISTRICT_READERS)
    as_of = _as_of(args)
    rule_set = _rule_set(as_of)
    rows = standings.ranking(rule_set, as_of, q=args.get("q"), grade=args.get("grade"),
                           street_id=args.get("street_id"), sort=args.get("sort"))
    page = standings.ListPagination(rows=rows, page=args["page"], per_page=args["per_page"],
                                  max_per_page=200, error_out=False)
    return {"items": [row.score(rule_set) for row in page.items], "page": page.page,
            "per_page": page.per_page, "total": page.total, "as_of": as_of, "rule_set": rule_set}


@blp.route("/companies/<int:company_id>")
@blp.arguments(AsOfArgs, location="query")
@blp.response(200, CompanyScoreSchema)
def company_score(args, company_id: int):
    """企业信用得分

    住建局、领导和企业本身可查看。"""
    scope.require_role(DISTRICT_READERS | COMPANY)
    company = scope.load(Company, company_id)
    as_of = _as_of(args)
    rule_set = _rule_set(as_of)
    row = standings.company_score(company, rule_set, as_of)
    if row is None:
        fail(404, _("该企业没有信用评分。"))
    row.as_of, row.rule_set = as_of, rule_set
    return row
