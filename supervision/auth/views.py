"""Login, logout, own account, and the administrator's user pages."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import or_
from sqlalchemy.orm import joinedload

from ..core.errors import DomainError, check_version
from ..core.forms import ConfirmForm, apply_domain_error
from ..core.pagination import paginate
from ..core.urls import is_safe_next
from ..extensions import db, limiter
from ..i18n import LOCALES
from ..regions.choices import street_choices
from . import scope, services, sessions
from .account_views import bp as account_bp
from .forms import ChangePasswordForm, LoginForm, ResetPasswordForm, UserFilterForm, UserForm
from .models import User
from .roles import ADMIN, Role
from .session import begin, current_session, finish

bp = Blueprint("auth", __name__)
extra_blueprints = (account_bp,)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data, address=request.remote_addr)
        if result.ok:
            begin(result.user)
        db.session.commit()
        if result.ok:
            if result.user.must_change_password:
                flash(_("请先修改初始密码。"), "warning")
                return redirect(url_for("auth.change_password"))
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("dashboard.index"))
        flash(result.message, "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    finish()
    flash(_("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(current_user, form.current_password.data, form.new_password.data,
                                         keep=current_session())
        except DomainError as error:
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/change_password.html", form=form)


@bp.post("/language")
def set_language():
    form = ConfirmForm()
    locale = request.form.get("locale")
    if form.validate_on_submit() and locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(current_user, locale)
            db.session.commit()
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("dashboard.index"))


# --- administration ----------------------------------------------------------

def _bind_choices(form: UserForm) -> None:
    form.street_id.choices = street_choices(blank=_("（不适用）"))


@bp.get("/admin/users")
@scope.role_required(ADMIN)
def users():
    filters = UserFilterForm(request.args)
    filters.validate()  # an unknown role or status is refused, not looked up
    statement = scope.visible(User).order_by(User.role, User.username)
    if filters.q.data:
        like = f"%{filters.q.data.strip()}%"
        statement = statement.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    if filters.role.data and not filters.role.errors:
        statement = statement.where(User.role == Role(filters.role.data))
    if filters.status.data == "active":
        statement = statement.where(User.active.is_(True))
    elif filters.status.data == "disabled":
        statement = statement.where(User.active.is_(False))
    statement = statement.options(joinedload(User.street), joinedload(User.company))
    return render_template("auth/users.html", page=paginate(statement), filters=filters,
                           confirm_form=ConfirmForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def user_new():
    form = UserForm()
    _bind_choices(form)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("请设置初始密码。"))
        else:
            try:
                user = services.create_user(
                    username=form.username.data, display_name=form.display_name.data,
                    role=Role(form.role.data), password=form.password.data,
                    street_id=form.street_id.data, company_id=form.company_id.data,
                    phone=form.phone.data or None, actor=current_user,
                )
            except DomainError as error:
                if not apply_domain_error(form, error):
                    flash(error.message, "danger")
            else:
                db.session.commit()
                flash(_("已创建用户 %(name)s，首次登录时须修改密码。", name=user.username), "success")
                return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def user_edit(user_id: int):
    user = scope.load(User, user_id)
    form = UserForm(obj=user)
    _bind_choices(form)
    form.username.render_kw = {"readonly": True}
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            check_version(user, form.version.data)
            services.update_user(
                user, display_name=form.display_name.data, role=Role(form.role.data),
                street_id=form.street_id.data, company_id=form.company_id.data,
                phone=form.phone.data or None, actor=current_user,
            )
        except DomainError as error:
            if not apply_domain_error(form, error):
                flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)


@bp.route("/admin/users/<int:user_id>/disable", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def user_disable(user_id: int):
    user = scope.load(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.set_active(user, False, actor=current_user)
        except DomainError as error:
            flash(error.message, "danger")
        else:
            db.session.commit()
            flash(_("已停用用户 %(name)s。", name=user.username), "success")
        return redirect(url_for("auth.users"))
    return render_template("confirm.html", form=form,
                           title=_("停用用户"),
                           message=_("确定停用用户“%(name)s”吗？停用后该用户无法登录，可随时重新启用。",
                                     name=str(user)),
                           cancel_url=url_for("auth.users"), danger=True)


@bp.post("/admin/users/<int:user_id>/enable")
@scope.role_required(ADMIN)
def user_enable(user_id: int):
    user = scope.load(User, user_id)
    if ConfirmForm().validate_on_submit():
        services.set_active(user, True, actor=current_user)
        db.session.commit()
        flash(_("已启用用户 %(name)s。", name=user.username), "success")
    return redirect(url_for("auth.users"))


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def user_reset_password(user_id: int):
    user = scope.load(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data, actor=current_user)
        except DomainError as error:
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("已重置 %(name)s 的密码，该用户下次登录时须修改密码。", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/reset_password.html", form=form, user=user)



@bp.route("/admin/users/<int:user_id>/sign-out", methods=["GET", "POST"])
@scope.role_required(ADMIN)
def user_sign_out(user_id: int):
    user = scope.load(User, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        count = sessions.sign_out_everywhere(user, actor=current_user)
        db.session.commit()
        flash(_("已让 %(name)s 在所有设备上退出登录（%(n)s 个会话）。", name=user.username, n=count), "success")
        return redirect(url_for("auth.users"))
    return render_template("confirm.html", form=form, title=_("在所有设备上退出登录"),
                           message=_("确定让用户“%(name)s”在所有设备上退出登录吗？其正在进行的操作须重新登录后继续。",
                                     name=str(user)),
                           cancel_url=url_for("auth.users"), danger=True)
