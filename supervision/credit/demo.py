"""A year of credit records across the demo companies (``flask seed demo``).

Deterministic for a given database and day, and idempotent: the events carry
``source_key``s starting with ``demo:``, and when any exists nothing is added.
Works with whatever companies exist; when fewer than five exist it first adds
the companies of seeds/credit/demo.json (with estates and a project manager).

The story: one company on the red list, one black-listed for serious
dishonesty, one without basic information (C（缺失）), the demo company with a
notice still open for objection, an objection pending, one upheld and one that
succeeded; a few revoked records; clues from 东城街道; one published period, one of
whose records was revoked afterwards, with the correction notice (更正公告) that followed.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import func, select

from ..attachments.services import store_bytes
from ..auth.models import User
from ..auth.roles import Role
from ..companies.credit_code import make_credit_code
from ..companies.models import Certificate, CertificateType, Company, Position, Staff
from ..core.timeutil import local_today
from ..estates.models import Estate, ManagementMode
from ..extensions import db
from ..regions.models import Community, Street
from ..seeding import load_json
from . import assessment, clues, corrections, publication, services
from .models import CreditEvent, CreditPublicationRow, EventOrigin, EventStatus, RecordingLevel
from .reference import load_reference

MARKER = "demo:"


def _street(name: str) -> Street | None:
    return db.session.scalar(select(Street).where(Street.name == name))


def _add_estate(company: Company, spec: dict) -> Estate | None:
    street = _street(spec["street"])
    if street is None:
        return None
    existing = db.session.scalar(select(Estate).where(Estate.street_id == street.id, Estate.name == spec["name"]))
    if existing is not None:
        return existing
    community = db.session.scalar(select(Community).where(Community.street_id == street.id)
                                  .order_by(Community.name).limit(1))
    if community is None:
        return None
    estate = Estate(name=spec["name"], address=f"{street.name}{spec['name']}", street_id=street.id,
                    community_id=community.id, company_id=company.id, management_mode=ManagementMode.PROFESSIONAL,
                    floor_area=spec["floor_area"], households=spec["households"], year_built=2008)
    db.session.add(estate)
    db.session.flush()
    return estate


def _add_manager(company: Company, estate: Estate | None, name: str, certified: bool, today: date) -> None:
    position = db.session.scalar(select(Position).where(Position.code == "project_manager"))
    if position is None or estate is None:
        return
    if db.session.scalar(select(Staff.id).where(Staff.company_id == company.id, Staff.name == name)):
        return
    staff = Staff(company_id=company.id, estate_id=estate.id, position_id=position.id, name=name)
    db.session.add(staff)
    db.session.flush()
    if certified:
        for code in ("pm_manager", "pm_practice"):
            cert_type = db.session.scalar(select(CertificateType).where(CertificateType.code == code))
            if cert_type is not None:
                db.session.add(Certificate(staff_id=staff.id, certificate_type_id=cert_type.id,
                                           number=f"DEMO-{staff.id:04d}-{code}", issued_on=today - timedelta(days=900)))
    db.session.flush()


def _ensure_companies(settings: dict, today: date) -> list[Company]:
    companies = list(db.session.scalars(select(Company).where(Company.archived_at.is_(None)).order_by(Company.id)))
    missing = settings["min_companies"] - len(companies)
    if missing <= 0:
        return companies
    for index, spec in enumerate(settings["companies"][:missing]):
        company = db.session.scalar(select(Company).where(Company.name == spec["name"]))
        if company is None:
            company = Company(name=spec["name"], credit_code=make_credit_code(spec["credit_code_body"]),
                              legal_representative=spec["legal_representative"],
                              contact_person=spec["legal_representative"],
                              phone=spec["phone"], address=spec["address"])
            db.session.add(company)
            db.session.flush()
        estates = [_add_estate(company, e) for e in spec["estates"]]
        _add_manager(company, estates[0], spec["manager"], certified=index % 3 != 2, today=today)
    # The demo company (the `company` login) gets an estate in 东城街道 when it manages none.
    demo_user = db.session.scalar(select(User).where(User.username == "company"))
    if demo_user is not None and demo_user.company_id:
        demo_company = db.session.get(Company, demo_user.company_id)
        if not db.session.scalar(select(func.count(Estate.id)).where(Estate.company_id == demo_company.id)):
            estate = _add_estate(demo_company, settings["demo_company_estate"])
            _add_manager(demo_company, estate, settings["demo_company_manager"], certified=True, today=today)
    return list(db.session.scalars(select(Company).where(Company.archived_at.is_(None)).order_by(Company.id)))


def _photo(rng) -> bytes:

    image = Image.new("RGB", (640, 480), (rng.randint(150, 210), rng.randint(150, 210), rng.randint(150, 210)))
    draw = ImageDraw.Draw(image)
    for _n in range(6):
        x, y = rng.randint(0, 560), rng.randint(0, 400)
        draw.rectangle([x, y, x + rng.randint(30, 120), y + rng.randint(30, 90)],
                       fill=(rng.randint(40, 120), rng.randint(40, 120), rng.randint(40, 120)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return out.getvalue()


class _Story:
    def __init__(self, rng, today: date, officer: User | None):
        self.rng, self.today, self.officer = rng, today, officer
        self.rule_set = services.rule_set_for(today)
        self.items = {i.code: i for i in services.items_of(self.rule_set)}
        self.count = 0

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def event(self, company, code, days_ago, *, description, estate=None, staff=None, photo=False,
              level=RecordingLevel.DISTRICT) -> CreditEvent:

        self.count += 1
        occurred = self.day(days_ago)
        event = services.create_event(
            company=company, item=self.items[code], occurred_on=occurred, description=description,
            estate=estate, staff=staff, recording_level=level, source_key=f"{MARKER}{company.id}:{self.count}",
            actor=self.officer, on=occurred)
        if photo:
            store_bytes(_photo(self.rng), f"现场照片{self.count:03d}.jpg", owner=event, fact_date=occurred,
                        user=self.officer)
        return event

    def issue(self, event, after_days=2) -> CreditEvent:
        on = min(event.occurred_on + timedelta(days=after_days), self.today)
        if event.is_deduction:
            services.notify_event(event, actor=self.officer, on=on)
        else:
            services.confirm_event(event, actor=self.officer, on=on)
        return event

    def basic(self, company, days_ago, codes) -> None:
        on = self.day(days_ago)
        items = [self.items[c] for c in codes if c in self.items]
        if items:
            assessment.record_basic_assessment(company, items, effective_from=on, actor=self.officer, on=on)


DEDUCTIONS = [
    ("BL-02", "业主投诉电梯停运三天未修复，经核查属实。"),
    ("BL-01", "公共区域保洁不到位，垃圾清运不及时，与合同约定标准不符。"),
    ("BL-03", "物业服务中心未公示收费项目和标准。"),
    ("BL-05", "消防通道堵塞问题未按整改通知书要求限期整改。"),
    ("BL-07", "因安全隐患整改迟缓，被区住建局约谈。"),
    ("BL-02", "业主投诉夜间秩序维护人员脱岗，经查证属实。"),
]
GOOD = [
    ("LH-03", "项目被评为市级物业服务示范项目。"),
    ("LH-04", "在防汛工作中表现突出，获街道通报表扬。"),
    ("LH-05", "年度业主满意度测评达 93%。"),
    ("LH-06", "参与暴雪应急抢险，受到区住建局通报表扬。"),
]
ALL_BASIC = ["JC-01", "JC-02", "JC-03", "JC-04", "JC-05", "JC-06", "JC-07"]


def _first(model_ids):
    return model_ids[0] if model_ids else None


def seed_demo(rng) -> None:
    if db.session.scalar(select(CreditEvent.id).where(CreditEvent.source_key.like(f"{MARKER}%")).limit(1)):
        return

    load_reference()
    today = local_today()
    settings = _settings()
    companies = _ensure_companies(settings, today)
    if not companies:
        return
    officer = db.session.scalar(select(User).where(User.username == "officer")) or \
        db.session.scalar(select(User).where(User.role == Role.BUREAU_OFFICER).order_by(User.id))
    story = _Story(rng, today, officer)
    company_users = {u.company_id: u for u in db.session.scalars(
        select(User).where(User.role == Role.COMPANY_USER, User.active.is_(True)).order_by(User.id))}
    demo_user = db.session.scalar(select(User).where(User.username == "company"))
    demo_company_id = demo_user.company_id if demo_user else None
    others = [c for c in companies if c.id != demo_company_id]
    estates = {}
    for estate in db.session.scalars(select(Estate).where(Estate.archived_at.is_(None)).order_by(Estate.id)):
        estates.setdefault(estate.company_id, []).append(estate)
    managers = {}
    for staff in db.session.scalars(select(Staff).join(Position).where(Position.is_manager.is_(True),
                                                                        Staff.left_on.is_(None)).order_by(Staff.id)):
        managers.setdefault(staff.company_id, []).append(staff)

    # Last year's basic information: everyone assessed about a year ago … then again this year,
    # except the company that lets it lapse (C（缺失）).
    lapsing = others[2] if len(others) > 2 else None
    star = others[0] if others else None
    renewal_from = services.effective_until_for(story.day(380), 12) + timedelta(days=1)
    for company in companies:
        codes = ALL_BASIC if rng.random() < 0.6 or company is star else sorted(rng.sample(ALL_BASIC, 5))
        story.basic(company, 380, codes)
        if company is not lapsing:  # renewed before it ran out, effective the day after
            on = story.day(20 + rng.randint(0, 10))
            items = [story.items[c] for c in codes]
            assessment.record_basic_assessment(company, items, effective_from=renewal_from, actor=officer, on=on)

    def estate_of(company):
        return _first(estates.get(company.id, []))

    # The red list: the first other company, with awards.
    if star is not None:
        story.issue(story.event(star, "LH-02", 200, description="获评省级物业管理示范项目。", estate=estate_of(star)))
        story.issue(story.event(star, "LH-03", 120, description=GOOD[0][1], estate=estate_of(star)))
    # The black list: serious dishonesty, confirmed after its window.
    if len(others) > 1:
        bad = others[1]
        event = story.issue(story.event(bad, "YZ-02", 150,
                                        description="申报市级示范项目时提供虚假的满意度测评材料，经核查属实。",
                                        estate=estate_of(bad), photo=True))
        services.confirm_lapsed(on=min(event.objection_deadline + timedelta(days=1), today))
        for n in range(2):
            code, text = DEDUCTIONS[n]
            story.issue(story.event(bad, code, 100 - 30 * n, description=text, estate=estate_of(bad), photo=True))

    # Everyone else: a few good and bad records over the year.
    for company in others[2:]:
        for code, text in rng.sample(GOOD, rng.randint(0, 2)):
            story.issue(story.event(company, code, rng.randint(30, 330), description=text, estate=estate_of(company)))
        for n in range(rng.randint(0, 4)):
            code, text = rng.choice(DEDUCTIONS)
            staff = (_first(managers.get(company.id, []))
                     if code in ("BL-01", "BL-02", "BL-05") and rng.random() < 0.5 else None)
            event = story.issue(story.event(company, code, rng.randint(25, 340), description=text,
                                            estate=estate_of(company), staff=staff, photo=rng.random() < 0.5))
            user = company_users.get(company.id)
            if user is not None and n == 0:
                objection = services.submit_objection(
                    event, reasons="该问题发生在合同交接期间，责任不在我司，附交接记录。",
                    actor=user, on=event.notified_on + timedelta(days=3))
                services.decide_objection(objection, uphold=rng.random() < 0.5, reason="经复核，维持原记录。",
                                          actor=officer, on=event.notified_on + timedelta(days=12))
            elif rng.random() < 0.15:
                services.revoke_event(event, reason="复核发现记录对象有误，予以撤销。", actor=officer,
                                      on=event.notified_on + timedelta(days=5))

    # The demo company (the `company` login): every stage of the objection flow.
    demo_company = db.session.get(Company, demo_company_id) if demo_company_id else None
    if demo_company is not None and demo_user is not None:
        estate = estate_of(demo_company)
        staff = _first(managers.get(demo_company.id, []))
        story.issue(story.event(demo_company, "LH-04", 160, description=GOOD[1][1], estate=estate))
        story.issue(story.event(demo_company, "BL-03", 240, description=DEDUCTIONS[2][1], estate=estate, photo=True))
        upheld = story.issue(story.event(demo_company, "BL-02", 90, description=DEDUCTIONS[0][1], estate=estate,
                                         staff=staff, photo=True))
        objection = services.submit_objection(
            upheld, reasons="电梯停运系维保单位更换主板所致，我司已及时报修并张贴公告。",
            actor=demo_user, on=upheld.notified_on + timedelta(days=4))
        services.decide_objection(objection, uphold=True, reason="停运超过72小时且未采取临时措施，维持记分。",
                                  actor=officer, on=upheld.notified_on + timedelta(days=15))
        revoked = story.issue(story.event(demo_company, "BL-01", 60, description=DEDUCTIONS[1][1], estate=estate,
                                          photo=True))
        objection = services.submit_objection(
            revoked, reasons="检查当日为垃圾清运车辆故障，已于当日下午清运完毕，附清运记录。",
            actor=demo_user, on=revoked.notified_on + timedelta(days=2))
        services.decide_objection(objection, uphold=False, reason="企业提供的清运记录属实，异议成立。",
                                  actor=officer, on=revoked.notified_on + timedelta(days=9))
        pending = story.issue(story.event(demo_company, "BL-05", 16, description=DEDUCTIONS[3][1], estate=estate,
                                          photo=True))
        services.submit_objection(pending,
                                  reasons="消防通道占用车辆系业主私家车，我司已多次劝离并报告社区，附劝离记录。",
                                  actor=demo_user, on=min(pending.notified_on + timedelta(days=3), today))
        story.issue(story.event(demo_company, "BL-07", 3, description=DEDUCTIONS[4][1], estate=estate), after_days=1)
        services.revoke_event(story.issue(story.event(demo_company, "BL-02", 200, description=DEDUCTIONS[5][1],
                                                      estate=estate)),
                              reason="投诉人撤回投诉，经核实不属实。", actor=officer, on=story.day(190))

    # Clues from 东城街道.
    street_user = db.session.scalar(select(User).where(User.username == "street"))
    if street_user is not None:
        street_estates = list(db.session.scalars(select(Estate).where(
            Estate.street_id == street_user.street_id, Estate.company_id.is_not(None),
            Estate.archived_at.is_(None)).order_by(Estate.id)))
        texts = ["小区二次供水水箱未按规定清洗消毒，居民反映水质浑浊。",
                 "物业服务中心长期无人值守，居民报修无人受理。",
                 "小区内电动车违规充电问题突出，物业未采取劝阻措施。"]
        for n, estate in enumerate(street_estates[:3]):
            on = story.day(40 - 12 * n)
            clue = clues.submit_clue(estate=estate, occurred_on=on - timedelta(days=1), description=texts[n],
                                        item=story.items.get("BL-01"), actor=street_user, on=on)
            if n == 0:
                event = services.create_event(
                    company=estate.company, item=story.items["BL-01"], occurred_on=clue.occurred_on,
                    description=clue.description, estate=estate, recording_level=RecordingLevel.STREET,
                    recording_body=f"{estate.street.name}办事处", source_key=f"{MARKER}clue:{clue.id}",
                    origin=EventOrigin.CLUE, clue=clue, actor=officer, on=on + timedelta(days=2))
                story.issue(event, after_days=3)
            elif n == 1:
                clues.reject_clue(clue, reason="经现场核查，服务中心已安排专人值守，线索不属实。", actor=officer)

    services.confirm_lapsed(on=today)

    # One published period: the end of the last quarter.
    quarter_end = date(today.year, ((today.month - 1) // 3) * 3 + 1, 1) - timedelta(days=1)
    name = f"{quarter_end.year}年第{(quarter_end.month - 1) // 3 + 1}季度物业服务企业信用评价结果"
    published = publication.publish(name=name, as_of=quarter_end, notes="演示数据：按季度末有效记录评价。",
                                    actor=officer, on=today)
    _correct_afterwards(published, officer, today, spare={demo_company_id, star and star.id})
    assert all(e.status is not EventStatus.DRAFT for e in db.session.scalars(
        select(CreditEvent).where(CreditEvent.source_key.like(f"{MARKER}%"))))


def _correct_afterwards(published, officer, today: date, spare: set) -> None:
    """A deduction behind the publication revoked after it (not one of a listed company's), then the notice."""
    listed = set(db.session.scalars(select(CreditPublicationRow.company_id).where(
        CreditPublicationRow.publication_id == published.id,
        (CreditPublicationRow.red.is_(True)) | (CreditPublicationRow.black.is_(True)))))
    event = next((e for e in db.session.scalars(select(CreditEvent).where(
        CreditEvent.source_key.like(f"{MARKER}%"), CreditEvent.status == EventStatus.CONFIRMED,
        CreditEvent.points < 0, CreditEvent.occurred_on <= published.as_of).order_by(CreditEvent.id))
        if e.company_id not in listed | spare and e.objection is None), None)
    if event is None:
        return
    services.revoke_event(event, reason="发布后复核发现该扣分记录依据不足，予以撤销。", actor=officer, on=today)
    if corrections.stale_rows(published):
        reason = f"{event.company.name}的{event.item.code}扣分记录已于发布后撤销，其得分和等级予以更正。"
        corrections.issue_correction(published, reason=reason, actor=officer, on=today)


def _settings() -> dict:
    return load_json("credit/demo.json")
