"""Web pages where a user creates and revokes personal API tokens."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import scope
from ..auth.roles import ALL_ROLES, Role
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, apply_domain_error
from ..extensions import db
from . import services
from .forms import TokenForm
from .models import ApiToken

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")
TOKEN_ROLES = ALL_ROLES - {Role.LEADER}


@bp.route("/", methods=["GET", "POST"])
@scope.role_required(TOKEN_ROLES)
def index():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            _token, created = services.create_token(current_user, name=form.name.data, days=form.days.data)
        except DomainError as error:
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    tokens = db.session.scalars(scope.visible(ApiToken).order_by(ApiToken.created_at.desc())).all()
    return render_template("api/tokens.html", form=form, tokens=tokens, created=created)


@bp.route("/<int:token_id>/revoke", methods=["GET", "POST"])
@scope.role_required(TOKEN_ROLES)
def revoke(token_id: int):
    token = scope.load(ApiToken, token_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.revoke_token(token, actor=current_user)
        db.session.commit()
        flash(_("令牌“%(name)s”已撤销，使用它的系统将无法再访问。", name=token.name), "success")
        return redirect(url_for(".index"))
    return render_template("confirm.html", form=form, title=_("撤销访问令牌"),
                           message=_("确定撤销令牌“%(name)s”吗？撤销后不可恢复。", name=str(token)),
                           cancel_url=url_for(".index"), danger=True)
