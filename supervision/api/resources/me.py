"""Who the token belongs to."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import Schema, fields

from ..core import api_blueprint

blp = api_blueprint("api_me", __name__, "/me", "当前令牌所属用户")


class MeSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.Function(lambda user: user.role.value, metadata={
        "enum": ["bureau_admin", "bureau_officer", "leader", "street_officer", "company_user"]})
    street_id = fields.Integer(allow_none=True)
    company_id = fields.Integer(allow_none=True)


@blp.route("")
@blp.response(200, MeSchema)
def me():
    """当前令牌所属用户

    含角色及所属街道或企业。"""
    return current_user._get_current_object()
