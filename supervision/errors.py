"""Error pages in the user's language; JSON for API clients."""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from . import outage
from .extensions import db

MESSAGES = {
    400: ("bad_request", _l("请求有误。")),
    403: ("forbidden", _l("您没有执行此操作的权限。")),
    404: ("not_found", _l("页面或记录不存在，或您无权查看。")),
    405: ("method_not_allowed", _l("不支持该请求方式。")),
    409: ("conflict", _l("该记录已被他人修改，请刷新后重试。")),
    413: ("too_large", _l("上传的文件过大。")),
    429: ("too_many_requests", _l("请求过于频繁，请稍后再试。")),
    500: ("server_error", _l("系统出现错误，请稍后再试或联系管理员。")),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status: int, message: str | None = None):
    code, default = MESSAGES.get(status, ("error", _l("出错了。")))
    text = message or _(default)
    if status == 413 and not message and current_app.config.get("MAX_CONTENT_LENGTH"):
        text = _("上传的内容过大：一次提交不能超过 %(n)s MB，请缩小或拆分文件后重试。",
                 n=f"{current_app.config['MAX_CONTENT_LENGTH'] / (1024 * 1024):g}")
    if _wants_json():
        response = jsonify(code=code, message=text)
        response.status_code = status
        return response
    try:
        return render_template("error.html", status=status, message=text), status
    except outage.OUTAGE_ERRORS as error:  # the page's header asks the database about the user
        return outage.unavailable(error)


def register(app) -> None:
    for status in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(status, lambda error, status=status: _render(status))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, _("表单已过期或缺少安全令牌，请刷新页面后重新提交。"))

    @app.errorhandler(StaleDataError)
    def stale(error):
        db.session.rollback()
        return _render(409)

    @app.errorhandler(500)
    def server_error(error):
        original = getattr(error, "original_exception", None)
        if outage.is_outage(original):  # raised while another error page was drawn
            return outage.unavailable(original)
        try:
            db.session.rollback()
        except outage.OUTAGE_ERRORS as failure:
            return outage.unavailable(failure)
        return _render(500)

    outage.register(app)
