"""The side navigation, per role. An entry shows once its endpoint exists."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from .auth.roles import ADMIN, ALL_ROLES, BUREAU, COMPANY, DISTRICT_READERS, STREET, Role


@dataclass(frozen=True)
class NavItem:
    label: object
    endpoint: str
    roles: frozenset
    section: object = None


NAV = (
    NavItem(_l("工作台"), "dashboard.index", ALL_ROLES),
    NavItem(_l("目标考核"), "targets.index", DISTRICT_READERS | STREET),
    NavItem(_l("小区台账"), "estates.index", ALL_ROLES, _l("台账")),
    NavItem(_l("业主委员会"), "estates.committees", DISTRICT_READERS | STREET, _l("台账")),
    NavItem(_l("物业企业"), "companies.index", DISTRICT_READERS | STREET, _l("台账")),
    NavItem(_l("本企业"), "companies.mine", COMPANY, _l("台账")),
    NavItem(_l("物业服务合同"), "contracts.index", ALL_ROLES, _l("台账")),
    NavItem(_l("前期物业"), "contracts.preliminary_index", DISTRICT_READERS | STREET, _l("台账")),
    NavItem(_l("收费标准与党建"), "contracts.party_index", DISTRICT_READERS | STREET, _l("台账")),
    NavItem(_l("人员持证"), "companies.staff_index", DISTRICT_READERS | COMPANY, _l("台账")),
    NavItem(_l("电梯"), "safety.lifts", ALL_ROLES, _l("安全台账")),
    NavItem(_l("消防设施"), "safety.facilities", ALL_ROLES, _l("安全台账")),
    NavItem(_l("逾期未检"), "safety.overdue", ALL_ROLES, _l("安全台账")),
    NavItem(_l("专项行动"), "campaigns.index", ALL_ROLES, _l("专项行动")),
    NavItem(_l("整改事项"), "campaigns.items", ALL_ROLES, _l("专项行动")),
    NavItem(_l("抽查记录"), "campaigns.spot_checks", DISTRICT_READERS, _l("专项行动")),
    NavItem(_l("企业报送材料"), "filings.index", ALL_ROLES, _l("专项行动")),
    NavItem(_l("每周报送"), "reports.index", DISTRICT_READERS | STREET, _l("专项行动")),
    NavItem(_l("报送总览"), "reports.overview", DISTRICT_READERS, _l("专项行动")),
    NavItem(_l("阶段方案"), "campaigns.schemes", DISTRICT_READERS, _l("专项行动")),
    NavItem(_l("投诉与报修"), "complaints.index", ALL_ROLES, _l("业主诉求")),
    NavItem(_l("三率统计"), "complaints.rates", DISTRICT_READERS | STREET, _l("业主诉求")),
    NavItem(_l("信用评价"), "credit.ranking", DISTRICT_READERS, _l("信用")),
    NavItem(_l("信用事件"), "credit.events", BUREAU, _l("信用")),
    NavItem(_l("不良行为线索"), "credit.clues", BUREAU | STREET, _l("信用")),
    NavItem(_l("本企业信用"), "credit.mine", COMPANY, _l("信用")),
    NavItem(_l("执法阶梯"), "enforcement.index", ALL_ROLES - {Role.COMPANY_USER}, _l("信用")),
    NavItem(_l("执法案件"), "enforcement.cases", COMPANY, _l("信用")),
    NavItem(_l("满意度测评"), "surveys.index", ALL_ROLES, _l("业主评价")),
    NavItem(_l("用户管理"), "auth.users", ADMIN, _l("系统管理")),
    NavItem(_l("区域管理"), "regions.index", ADMIN, _l("系统管理")),
    NavItem(_l("基础数据"), "admin_reference.index", ADMIN, _l("系统管理")),
    NavItem(_l("节假日安排"), "holidays.index", ADMIN, _l("系统管理")),
    NavItem(_l("诉求办理时限"), "complaint_clocks.index", ADMIN, _l("系统管理")),
    NavItem(_l("审计日志"), "audit.index", ADMIN, _l("系统管理")),
    NavItem(_l("消息发送记录"), "notifications.deliveries", ADMIN, _l("系统管理")),
    NavItem(_l("访问令牌"), "api_tokens.index", ALL_ROLES - {Role.LEADER}, _l("系统管理")),
)


def nav_for(user) -> list[tuple[object, list[NavItem]]]:
    """Sections of the navigation that this user may use, in order (worked out once per role)."""
    built = current_app.extensions.setdefault("navigation", {})
    if user.role not in built:
        built[user.role] = _sections(user.role)
    return built[user.role]


def _sections(role) -> list[tuple[object, list[NavItem]]]:
    functions = current_app.view_functions
    sections: list[tuple[object, list[NavItem]]] = []
    for item in NAV:
        if role not in item.roles or item.endpoint not in functions:
            continue
        if not sections or str(sections[-1][0]) != str(item.section):
            sections.append((item.section, []))
        sections[-1][1].append(item)
    return sections


def nav_url(item: NavItem) -> str:
    """The entry's URL, built once per application root (the same on every page)."""
    urls = current_app.extensions.setdefault("navigation_urls", {})
    key = (request.script_root, item.endpoint)
    if key not in urls:
        urls[key] = url_for(item.endpoint)
    return urls[key]


def nav_html(user) -> Markup:
    """The sidebar's sections and links (base.html), with the page's own entry marked as current.

    The same HTML on every page of a role, a language and an application root but for that mark: each
    entry's two forms are built once per process, and a page joins them (no url_for, no translation, no
    template loop per entry and request)."""
    cache = current_app.extensions.setdefault("navigation_html", {})
    # the catalogue itself (one object per language and process) names the language
    key = (user.role, get_translations(), request.script_root)
    parts = cache.get(key)
    if parts is None:
        parts = cache[key] = _nav_parts(user)
    endpoint = request.endpoint
    # nosec B704: every part is built by _nav_parts from escaped labels and URLs
    return Markup("".join(active if item_endpoint == endpoint  # nosec B704
                          else plain for item_endpoint, plain, active in parts))


def _nav_parts(user) -> tuple[tuple[str | None, str, str], ...]:
    parts: list[tuple[str | None, str, str]] = []
    for section, items in nav_for(user):
        head = f'<div class="nav-section">{escape(str(section))}</div>\n' if section else ""
        parts.append((None, f'{head}<ul class="nav flex-column">\n', ""))
        for item in items:
            url, label = escape(nav_url(item)), escape(str(item.label))
            parts.append((item.endpoint,
                          f'<li class="nav-item"><a class="nav-link" href="{url}">{label}</a></li>\n',
                          f'<li class="nav-item"><a class="nav-link active" href="{url}" aria-current="page">'
                          f'{label}</a></li>\n'))
        parts.append((None, "</ul>\n", ""))
    # a part without an endpoint is the same on every page: its "active" form is its plain one
    return tuple((endpoint, plain, active or plain) for endpoint, plain, active in parts)


def fixed_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` of a URL the same on every page (the header's links, the layout's static
    files with their content version), built once per application root and process (each time in debug mode,
    where static files change under a running server)."""
    if current_app.debug:
        return url_for(endpoint, **values)
    urls = current_app.extensions.setdefault("fixed_urls", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    url = urls.get(key)
    if url is None:
        url = urls[key] = url_for(endpoint, **values)
    return url
