"""The one place where views load objects and build list queries.

Every scoped model declares ``scope_clause(user)``: a SQL condition that is true
for the rows the user may see, one of the shapes in ``core/scoping.py``. Views never query a scoped model directly; they
call ``visible`` for lists and ``load`` for single objects, so one rule decides
what a street office or a company sees.

- an object outside the user's scope answers 404, so its existence does not leak;
- an action the user's role may not take answers 403.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db


def _roles_set(roles) -> set:
    allowed = set()
    for role in roles:
        if isinstance(role, (set, frozenset, list, tuple)):
            allowed.update(role)
        else:
            allowed.add(role)
    return allowed


def visible(model, user=None, statement=None):
    """A ``select`` of ``model`` restricted to what ``user`` may see."""
    user = user or current_user
    statement = statement if statement is not None else select(model)
    return statement.where(model.scope_clause(user))


def load(model, object_id, *, roles=None, user=None, options=()):
    """Load one object the user may see (404 otherwise).

    With ``roles``, the user's role must also be one of them (403 otherwise):
    the action is checked after visibility so that a forbidden action on an
    invisible object still answers 404.
    """
    user = user or current_user
    statement = select(model).where(model.id == object_id, model.scope_clause(user))
    if options:
        statement = statement.options(*options)
    obj = db.session.scalar(statement)
    if obj is None:
        abort(404)
    if roles is not None and user.role not in _roles_set(roles):
        abort(403)
    return obj


def require_role(*roles, user=None) -> None:
    user = user or current_user
    if user.role not in _roles_set(roles):
        abort(403)


def role_required(*roles):
    """View decorator: logged in, and the role is one of ``roles``."""
    allowed = _roles_set(roles)

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(allowed)
        return wrapped

    return decorator

