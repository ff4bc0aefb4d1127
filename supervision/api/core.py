"""The JSON API's plumbing: token authentication, errors, pagination.

Every resource lives in a ``flask_smorest`` blueprint made by ``api_blueprint``,
which requires ``Authorization: Bearer <token>`` on every request and makes the
token's user the ``current_user``, so views use the same scoping helper and
services as the web pages.
"""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint, abort
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..core.converters import MAX_ID
from ..core.errors import ConcurrentEditError, DomainError
from ..core.pagination import MAX_PAGE, paginate, paginate_rows
from ..errors import _render
from ..extensions import csrf, db
from .services import user_for_token

# Stable codes for API clients; messages are in Chinese.
ERROR_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "validation_error",
    429: "too_many_requests", 500: "server_error",
}
ERROR_MESSAGES = {
    401: "请提供有效的访问令牌（Authorization: Bearer …）。",
    403: "您没有执行此操作的权限。",
    404: "资源不存在，或您无权查看。",
    409: "该记录已被他人修改，请刷新后重试。",
    422: "请求参数有误。",
}


def _chinese_validation_messages() -> None:
    """marshmallow's default messages, in Chinese (the API is its only user).

    Plain strings (marshmallow lists only ``str`` messages); ``error_payload`` translates them
    when the response is made, so the English catalogue applies too."""
    messages = {
        fields.Field: {"required": str(_l("此项必填。")), "null": str(_l("此项不能为空。")),
                       "validator_failed": str(_l("取值无效。"))},
        fields.String: {"invalid": str(_l("应为文字。"))},
        fields.Integer: {"invalid": str(_l("应为整数。")), "too_large": str(_l("数值过大。"))},
        fields.Number: {"invalid": str(_l("应为数字。")), "too_large": str(_l("数值过大。"))},
        fields.Boolean: {"invalid": str(_l("应为 true 或 false。"))},
        fields.Date: {"invalid": str(_l("日期格式应为 YYYY-MM-DD。"))},
        fields.List: {"invalid": str(_l("应为列表。"))},
        fields.Dict: {"invalid": str(_l("应为对象。"))},
        fields.Nested: {"type": str(_l("应为对象。"))},
    }
    for field_class, overrides in messages.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **overrides}
    Schema._default_error_messages = {**Schema._default_error_messages, "unknown": str(_l("不认识的字段。")),
                                      "type": str(_l("应为 JSON 对象。"))}
    validate.Range.message_min = str(_l("应{min_op} {{min}}。"))
    validate.Range.message_max = str(_l("应{max_op} {{max}}。"))
    validate.Range.message_all = str(_l("应{min_op} {{min}} 且{max_op} {{max}}。"))
    validate.Range.message_gte, validate.Range.message_gt = str(_l("不小于")), str(_l("大于"))
    validate.Range.message_lte, validate.Range.message_lt = str(_l("不大于")), str(_l("小于"))
    validate.Length.message_min = str(_l("长度不能少于 {min}。"))
    validate.Length.message_max = str(_l("长度不能超过 {max}。"))
    validate.Length.message_all = str(_l("长度应在 {min} 至 {max} 之间。"))
    validate.Regexp.default_message = str(_l("格式不正确。"))
    validate.OneOf.default_message = str(_l("应为以下之一：{choices}。"))


_chinese_validation_messages()


class ApiErrorSchema(Schema):
    code = fields.String(metadata={"description": "稳定的错误代码，如 not_found、validation_error、conflict"})
    message = fields.String(metadata={"description": "中文说明"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "出错的字段及原因（校验错误时）"})


class Api(SmorestApi):
    """flask-smorest's Api with errors in the project's JSON shape.

    flask-smorest registers this handler for every HTTPException of the app;
    outside /api/ it defers to the HTML error pages.
    """

    ERROR_SCHEMA = ApiErrorSchema

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith("/api/"):

            return _render(error.code or 500)
        return error_payload(error.code, getattr(error, "data", None) or {})


def error_payload(status: int, data: dict):
    body = {
        "code": data.get("code") or ERROR_CODES.get(status, "error"),
        "message": data.get("message") or _(ERROR_MESSAGES.get(status, "请求失败。")),
    }
    errors = data.get("errors") or data.get("messages")
    if errors:
        # webargs nests errors by location ({"json": {...}, "query": {...}}); flatten to fields.
        flat = {}
        for key, value in errors.items():
            if key in {"json", "query", "form", "files", "headers"} and isinstance(value, dict):
                flat.update(value)
            else:
                flat[key] = value
        body["errors"] = _translated(flat)
    return body, status, data.get("headers", {})


def _translated(value):
    if isinstance(value, str):
        return _(value) if value else value
    if isinstance(value, dict):
        return {key: _translated(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_translated(item) for item in value]
    return value


def fail(status: int, message: str, *, code: str | None = None, errors: dict | None = None):
    abort(status, message=message, code=code, errors=errors)


def domain_error(error: DomainError):
    """A service's refusal as a 422 (or 409 for a stale edit) naming the field."""

    status = 409 if isinstance(error, ConcurrentEditError) else 422
    errors = {error.field: [error.message]} if error.field else None
    abort(status, message=error.message, code="conflict" if status == 409 else "rule_violation", errors=errors)


def _authenticate():
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        abort(401, message=_(ERROR_MESSAGES[401]))
    # Make the token's user the current_user for this request only (no session cookie).
    g._login_user = user
    g.api_user = user


def _stale_write(_error):
    """Two writes of the same object at the same moment: the later one is refused, as a stale version."""
    db.session.rollback()
    return error_payload(409, {})


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix=f"/api/v1{url_prefix}", description=description)
    blueprint.before_request(_authenticate)
    blueprint.register_error_handler(StaleDataError, _stale_write)
    csrf.exempt(blueprint)
    return blueprint


class PageArgs(Schema):
    # At most MAX_PAGE: an absurd page number would overflow the database's OFFSET.
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


def page_schema(item_schema) -> type[Schema]:
    """A response schema ``{items, page, per_page, total}``."""
    name = f"{item_schema.__name__.removesuffix('Schema')}PageSchema"
    return type(name, (Schema,), {
        "items": fields.List(fields.Nested(item_schema)),
        "page": fields.Integer(),
        "per_page": fields.Integer(),
        "total": fields.Integer(),
    })


def paginated(statement, args) -> dict:
    page = paginate(statement, args["per_page"], page=args["page"])
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


def paginated_rows(statement, args, *, row=lambda r: r) -> dict:
    """Like ``paginated`` for a select of several columns (an entity plus computed values):
    ``row`` turns each result row into what the item schema reads."""
    page = paginate_rows(statement, per_page=args["per_page"], page=args["page"])
    return {"items": [row(r) for r in page.items], "page": page.page, "per_page": page.per_page, "total": page.total}


# --- fields ------------------------------------------------------------------

class EnumValue(fields.String):
    """A ``LabelledEnum`` as its stable value (``"submitted"``); the OpenAPI lists the values."""

    def __init__(self, enum_cls, **kwargs):
        self.enum_cls = enum_cls
        metadata = dict(kwargs.pop("metadata", {}))
        metadata.setdefault("enum", [member.value for member in enum_cls] + ([None] if kwargs.get("allow_none")
                                                                              else []))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.value if isinstance(value, self.enum_cls) else str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.enum_cls(text)
        except ValueError:
            raise ValidationError(_("应为以下之一：%(values)s", values="、".join(m.value for m in self.enum_cls))) \
                from None


class Label(fields.String):
    """The Chinese label of a ``LabelledEnum`` (``"已提交"``)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value.label)


class Id(fields.Integer):
    """An id in a query or body: a positive 32-bit integer (a larger one names nothing)."""

    def __init__(self, **kwargs):

        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_ID, error=_l("应为 1 至 %(n)s 之间的编号。",
                                                                                n=MAX_ID)))
        super().__init__(**kwargs)


def check_stale(obj, version) -> None:
    """409 when the client edited an older copy of ``obj`` (a version was sent and differs)."""
    if version is not None and version != obj.version:
        abort(409, message=_(ERROR_MESSAGES[409]), code="conflict", errors={"version": [
            _("当前版本为 %(v)s。", v=obj.version)]})


def refuse(error: DomainError):
    """Roll back what the request changed, then answer with the service's refusal."""
    db.session.rollback()
    domain_error(error)


def init_api(app) -> Api:
    app.config.setdefault("API_TITLE", "物业监管 API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app, spec_kwargs={
        "info": {"description": (
            "区住建局物业监管平台的数据接口。每个请求须带 `Authorization: Bearer <令牌>`；"
            "令牌在网页“访问令牌”中创建，只显示一次。返回的数据范围与网页相同：街道办只见本街道，"
            "物业企业只见本企业。错误以 JSON 返回：`{code, message, errors}`。")},
        "servers": [{"url": "/"}],
    })
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    current_app_api = api
    app.extensions["supervision_api"] = current_app_api
    return api


class AttachmentSchema(Schema):
    id = fields.Integer()
    name = fields.String(attribute="original_name")
    content_type = fields.String()
    size = fields.Integer(metadata={"description": "字节数"})
    purpose = fields.String()
    fact_date = fields.Date(allow_none=True, metadata={"description": "材料所反映事实发生的日期"})
    uploaded_at = fields.DateTime()
    taken_at = fields.DateTime(allow_none=True, metadata={"description": "照片的拍摄时间（EXIF）"})
    latitude = fields.Float(allow_none=True, metadata={"description": "拍摄位置纬度（EXIF GPS）"})
    longitude = fields.Float(allow_none=True, metadata={"description": "拍摄位置经度（EXIF GPS）"})


def uploaded_files(name: str) -> list:
    """The files of a multipart field (empty parts left out)."""
    return [f for f in request.files.getlist(name) if f is not None and f.filename]


def binary_field(description: str, *, many: bool = False):
    """A file part of a multipart body, for the OpenAPI description (read with ``uploaded_files``)."""
    item = fields.Raw(metadata={"type": "string", "format": "binary"})
    if many:
        return fields.List(item, load_default=list, metadata={"description": description})
    return fields.Raw(load_default=None, metadata={"type": "string", "format": "binary", "description": description})
