"""The five roles and the groups of them that views check against."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.enums import LabelledEnum


class Role(LabelledEnum):
    BUREAU_ADMIN = ("bureau_admin", _l("住建局管理员"), "danger")
    BUREAU_OFFICER = ("bureau_officer", _l("住建局科员"), "primary")
    LEADER = ("leader", _l("领导"), "dark")
    STREET_OFFICER = ("street_officer", _l("街道办"), "info")
    COMPANY_USER = ("company_user", _l("物业企业"), "success")


ADMIN = frozenset({Role.BUREAU_ADMIN})
# Those who act for the bureau: register, run campaigns, inspect, grade.
BUREAU = frozenset({Role.BUREAU_ADMIN, Role.BUREAU_OFFICER})
# Those who see the whole district.
DISTRICT_READERS = BUREAU | {Role.LEADER}
STREET = frozenset({Role.STREET_OFFICER})
COMPANY = frozenset({Role.COMPANY_USER})
ALL_ROLES = frozenset(Role)
