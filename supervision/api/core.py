"""The JSON API's plumbing: token authentication, errors, pagination.

Every resource lives in a ``flask_smorest`` blueprint made by ``api_blueprint``,
which requires ``Authorization: Bearer <token>`` on every request and makes the
token's user the ``current_user``, so views use the same scoping helper and
services as the web pages.
"""
from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import HTTPException

from ..core.errors import DomainError
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


class Api(SmorestApi):
    """flask-smorest's Api with errors in the project's JSON shape.

    flask-smorest registers this handler for every HTTPException of the app;
    outside /api/ it defers to the HTML error pages.
    """

    def handle_http_exception(self, error: HTTPException):
        if not request.path.startswith("/api/"):
            from ..errors import _render

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
        body["errors"] = flat
    return body, status, data.get("headers", {})


def fail(status: int, message: str, *, code: str | None = None, errors: dict | None = None):
    abort(status, message=message, code=code, errors=errors)


def domain_error(error: DomainError):
    """A service's refusal as a 422 (or 409 for a stale edit) naming the field."""
    from ..core.errors import ConcurrentEditError

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


def api_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix=f"/api/v1{url_prefix}", description=description)
    blueprint.before_request(_authenticate)
    csrf.exempt(blueprint)
    return blueprint


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
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
    page = db.paginate(statement, page=args["page"], per_page=args["per_page"], error_out=False, count=True)
    return {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total}


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
