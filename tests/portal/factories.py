"""A published district for the portal's tests, full of things the portal must never show."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from supervision.auth.roles import Role
from supervision.campaigns.models import CampaignStatus, ItemState
from supervision.campaigns.services import campaigns as campaign_services
from supervision.core import generations
from supervision.core.timeutil import local_today, utcnow
from supervision.credit import company_file
from supervision.credit.corrections import issue_correction
from supervision.credit.models import CreditEvent, CreditRuleSet
from supervision.credit.publication import publish
from supervision.credit.services import revoke_event, rule_set_for, submit_objection
from supervision.estates.management import EstateManagement, StartMethod
from supervision.estates.models import CommitteeStatus, ManagementMode, OwnersCommittee
from supervision.extensions import db
from supervision.portal.sources import DISCLOSURE_SOURCES, ESTATE_SHEET_SECTIONS, Disclosure

from ..campaigns.factories import PATH_TO, enrol, gen_campaign, gen_item, move
from ..credit.factories import gen_basic, gen_event, rules
from ..factories import build_world, gen_company, gen_estate, gen_position, gen_staff, gen_user

DAY = date(2026, 3, 2)
AS_OF = date(2026, 3, 31)
PUBLISHED_ON = date(2026, 4, 2)
TEST_TOPIC = "portal_test_sources"

# Things that exist in the database and must never appear on a public page.
SECRETS = {
    "staff phone": "13912345678", "staff name": "钱秘密",
    "company phone": "13800001111", "company contact": "孙联系", "legal representative": "李法人",
    "user phone": "13700002222", "user name": "周官员", "street user name": "吴街道",
    "estate note": "门禁密码4321", "committee note": "业委会主任赵某电话", "committee member": "郑委员",
    "draft event": "草稿事件不得公开", "notified event": "告知中事件不得公开",
    "objection": "异议理由不得公开：该记录与事实不符",
    "active campaign": "进行中专项行动", "draft campaign": "筹备中专项行动", "archived estate": "已归档小区",
    "draft disclosure": "草稿通报不得公开", "future disclosure": "未来曝光不得公开", "item": "楼道堆物整改说明",
}


def sample_disclosures(company_id=None):
    """A test-only disclosure source: one approved 曝光, a draft (no date) and one dated in the future."""
    items = [
        Disclosure(kind="曝光", number="曝光〔2026〕1号", title="关于某物业拒不整改的曝光",
                   company_id=_ids["company1"], company_name="甲物业服务有限公司",
                   published_on=date(2026, 4, 20), approving_office="区住建局",
                   summary="经复查仍未整改。", pdf_url="/public/doc.pdf"),
        Disclosure(kind="通报", number="通报〔2026〕9号", title=SECRETS["draft disclosure"],
                   company_id=_ids["company1"], company_name="甲物业服务有限公司",
                   published_on=None, approving_office="区住建局", summary=""),
        Disclosure(kind="曝光", number="曝光〔2099〕1号", title=SECRETS["future disclosure"],
                   company_id=_ids["company2"], company_name="乙物业服务有限公司",
                   published_on=date(2099, 1, 1), approving_office="区住建局",
                   summary="", pdf_url="javascript:alert(1)"),
    ]
    return [d for d in items if company_id is None or d.company_id == company_id]


def sample_section(estate_id):
    """A test-only estate sheet section: published complaint rates of estate1."""
    if estate_id != _ids["estate1"]:
        return None
    return {"title": "投诉处理", "rows": [("响应率", "97.5%"), ("解决率", "88.0%")]}


_ids: dict[str, int] = {}


def register_test_sources() -> None:
    DISCLOSURE_SOURCES.register("test", sample_disclosures, topics=(TEST_TOPIC,))
    ESTATE_SHEET_SECTIONS.register("test", sample_section, topics=(TEST_TOPIC,))
    generations.bump(db.session.connection(), TEST_TOPIC)  # the topic's first generation
    db.session.commit()


def unregister_test_sources() -> None:
    DISCLOSURE_SOURCES.unregister("test")
    ESTATE_SHEET_SECTIONS.unregister("test")


def build_public_world() -> SimpleNamespace:
    """Two companies graded and published (company2 black-listed, then corrected), a closed campaign,
    and unpublished things around them: later and draft credit records, an objection, an active and a
    draft campaign, an archived estate, staff, contacts and notes with names and phone numbers."""
    w = build_world()
    w.company1.phone, w.company1.contact_person = SECRETS["company phone"], SECRETS["company contact"]
    w.company1.legal_representative = SECRETS["legal representative"]
    w.officer.phone, w.officer.display_name = SECRETS["user phone"], SECRETS["user name"]
    w.street_user.display_name = SECRETS["street user name"]
    w.estate1.notes = SECRETS["estate note"]
    manager = gen_position(code="pm", name="项目经理", is_manager=True)
    gen_staff(w.company1, manager, w.estate1, name=SECRETS["staff name"], phone=SECRETS["staff phone"])
    w.committee = OwnersCommittee(estate_id=w.estate1.id, status=CommitteeStatus.FORMED, elected_on=date(2024, 5, 1),
                                  term_end=date(2029, 4, 30), members_count=7, filing_number="备2024-07",
                                  notes=SECRETS["committee note"] + SECRETS["committee member"])
    db.session.add(w.committee)
    db.session.add(EstateManagement(estate_id=w.estate1.id, company_id=w.company1.id,
                                    management_mode=ManagementMode.PROFESSIONAL, started_on=date(2023, 1, 1),
                                    contract_start=date(2023, 1, 1), contract_end=date(2027, 12, 31),
                                    start_method=StartMethod.TENDER))
    w.archived = gen_estate(community=w.community1, company=w.company1, name=SECRETS["archived estate"])
    w.archived.archived_at = utcnow()
    w.unmanaged = gen_estate(community=w.community2, name="无物业小区")

    rules()
    w.company3 = gen_company(name="丙物业服务有限公司")
    for company in (w.company1, w.company2):
        gen_basic(company, on=DAY)
    gen_event(w.company1, "LH-03", on=DAY)
    gen_event(w.company2, "YZ-03", on=DAY, description="被依法列入严重违法失信名单。")
    gen_basic(w.company3, on=DAY, codes=["JC-01", "JC-02", "JC-03", "JC-04", "JC-06"])
    db.session.commit()
    w.publication = publish(name="2026年第一季度信用评价结果", as_of=AS_OF, actor=w.officer, on=PUBLISHED_ON)
    db.session.commit()
    # The serious record is revoked: a correction takes company2 off the black list.
    serious = db.session.scalar(select(CreditEvent).where(CreditEvent.company_id == w.company2.id,
                                                          CreditEvent.points < 0))
    revoke_event(serious, reason="复核后撤销", on=date(2026, 4, 10))
    w.correction = issue_correction(w.publication, reason="YZ-03 已撤销", actor=w.officer, on=date(2026, 4, 15))
    db.session.commit()
    # Later records: the live score moves on (never shown), a draft and a notified record, an objection.
    gen_event(w.company1, "BL-02", on=date(2026, 3, 20), description="后续记录")
    gen_event(w.company1, "BL-06", on=date(2026, 3, 25), status="draft", description=SECRETS["draft event"])
    notified = gen_event(w.company3, "BL-02", on=date(2026, 3, 26), status="notified",
                         description=SECRETS["notified event"])
    submit_objection(notified, reasons=SECRETS["objection"], actor=gen_user(Role.COMPANY_USER, company=w.company3),
                     on=date(2026, 3, 27))
    db.session.commit()
    live = {s.company_id: s for s in company_file.current_scores(local_today())}
    w.live_total = f"{live[w.company1.id].total:.2f}"
    w.unused_rule_set = db.session.scalar(select(CreditRuleSet).where(
        CreditRuleSet.id != w.publication.rule_set_id))
    assert rule_set_for(AS_OF).id == w.publication.rule_set_id

    # Campaigns: one closed (its results are public), one active and one draft (not).
    w.closed = gen_campaign(w, name="2025年物业服务提升专项行动", starts_on=date(2025, 3, 1))
    (e1,) = enrol(w.closed, w.estate1, actor=w.officer)
    accepted = gen_item(e1, actor=w.officer, description=SECRETS["item"])
    move(accepted, PATH_TO[ItemState.ACCEPTED], answerer=w.company_user, officer=w.officer)
    gen_item(e1, actor=w.officer, description=SECRETS["item"])
    campaign_services.close(w.closed, actor=w.officer)
    w.active = gen_campaign(w, name=SECRETS["active campaign"], starts_on=date(2026, 3, 1))
    enrol(w.active, w.estate2, actor=w.officer)
    w.draft = gen_campaign(w, name=SECRETS["draft campaign"], status=CampaignStatus.DRAFT,
                           starts_on=date(2026, 3, 1) + timedelta(days=30))
    assert w.closed.status is CampaignStatus.CLOSED
    db.session.commit()
    _ids.update(company1=w.company1.id, company2=w.company2.id, estate1=w.estate1.id)
    return w
