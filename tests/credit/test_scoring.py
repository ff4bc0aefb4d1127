"""Score arithmetic, grade bands, overrides, validity, "as of", and the second rule set."""
from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from supervision.credit import assessment, company_file, scoring, services, standings
from supervision.credit.explanation import explain
from supervision.credit.reference import RULE_SETS_DIR, load_rule_set
from supervision.estates import handover
from supervision.extensions import db

from ..factories import gen_company, gen_estate, gen_position, gen_staff
from .factories import BASIC_CODES, gen_basic, gen_event, rules

DAY = date(2026, 3, 2)  # a Monday
LATER = date(2026, 6, 1)


def score(company, rule_set, as_of):
    return standings.company_score(company, rule_set, as_of)


@pytest.fixture
def default_rules(app):
    default, _second = rules()
    return default


def test_parts_add_up_under_their_caps(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    for code in ("LH-01", "LH-02", "LH-03"):  # 20 + 15 + 10 = 45, capped at 40
        gen_event(company, code, on=DAY)
    gen_event(company, "BL-03", on=DAY)  # -3, uncapped
    row = score(company, default_rules, LATER)
    assert row.parts == {"basic": Decimal("80.00"), "good": Decimal("40.00"), "bad": Decimal("-3.00")}
    assert row.total == Decimal("117.00")
    assert row.grade.code == "AAA" and row.red and not row.black
    explanation = explain(company, default_rules, LATER)
    good = next(p for p in explanation.parts if p.code == "good")
    assert good.raw == Decimal("45.00") and good.value == Decimal("40.00") and good.capped


def test_basic_part_is_capped_and_bad_records_are_not(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    # A second assessment of the same items while the first is in force is refused …
    with pytest.raises(services.DomainError, match="已有有效记录"):
        gen_basic(company, on=DAY + timedelta(days=1))
    # … but deductions simply add up.
    for _ in range(5):
        gen_event(company, "BL-06", on=DAY)  # 5 × -10
    row = score(company, default_rules, LATER)
    assert row.parts["bad"] == Decimal("-50.00") and row.total == Decimal("30.00") and row.grade.code == "C"


@pytest.fixture
def fine_rules(app):
    """The default rules plus two 0.01-point items, to land exactly next to each boundary."""
    rules()
    data = json.loads((RULE_SETS_DIR / "shandong-yantai-v1.json").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    data["code"], data["default"] = "test-fine", False
    data["items"].append({"code": "T-MINUS", "part": "bad", "description": "测试扣0.01分", "points": -0.01})
    data["items"].append({"code": "T-PLUS", "part": "good", "description": "测试加0.01分", "points": 0.01})
    return scoring.load_rule_set(load_rule_set(data).id)


@pytest.mark.parametrize("extra, expected_total, expected_grade", [
    (["LH-04"], "85.00", "AAA"),
    (["LH-04", "T-MINUS"], "84.99", "AA"),
    ([], "80.00", "AA"),
    (["T-MINUS"], "79.99", "A"),
    (["BL-06"], "70.00", "A"),
    (["BL-06", "T-MINUS"], "69.99", "B"),
    (["BL-06", "BL-06"], "60.00", "B"),
    (["BL-06", "BL-06", "T-MINUS"], "59.99", "C"),
])
def test_each_band_boundary(world, fine_rules, extra, expected_total, expected_grade):
    company = world.company1
    items = [services.item_by_code(fine_rules, code) for code in BASIC_CODES]
    assessment.record_basic_assessment(company, items, effective_from=DAY, on=DAY)
    for code in extra:
        gen_event(company, code, on=DAY, rule_set=fine_rules)
    row = score(company, fine_rules, LATER)
    assert row.total == Decimal(expected_total)
    assert row.grade.code == expected_grade
    explanation = explain(company, fine_rules, LATER)
    assert (explanation.total, explanation.grade.code) == (row.total, row.grade.code)


def test_below_60_without_bad_record_is_still_b(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY, codes=["JC-01", "JC-02", "JC-03", "JC-06"])  # 15 + 15 + 10 + 10 = 50
    row = score(company, default_rules, LATER)
    assert row.total == Decimal("50.00") and row.grade.code == "B" and row.override == "no_bad_record_floor"
    gen_event(company, "BL-07", on=DAY)  # one bad record: -2
    row = score(company, default_rules, LATER)
    assert row.total == Decimal("48.00") and row.grade.code == "C" and row.override is None


def test_missing_credit_record_is_c_missing(world, default_rules):
    company, bare = world.company1, world.company2
    gen_event(company, "LH-03", on=DAY)  # a good record, but no basic information
    rows = {r.company_id: r for r in scoring.scores(default_rules, LATER)}
    assert rows[company.id].grade.code == "C-MISSING" and rows[company.id].total == Decimal("10.00")
    assert rows[bare.id].grade.code == "C-MISSING" and rows[bare.id].total == Decimal("0.00")
    assert rows[bare.id].override == "missing_record"


def test_serious_dishonesty_black_lists_whatever_the_score(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    gen_event(company, "LH-01", on=DAY)
    gen_event(company, "YZ-02", on=DAY)  # 80 + 20 - 30 = 70
    row = score(company, default_rules, LATER)
    assert row.total == Decimal("70.00")
    assert row.grade.code == "BLACK" and row.black and not row.red and row.override == "blacklist"


def test_one_strike_veto_caps_the_grade(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    gen_event(company, "LH-01", on=DAY)
    gen_event(company, "LH-02", on=DAY)
    gen_event(company, "YZ-01", on=DAY)  # 80 + 35 - 20 = 95, but vetoed
    row = score(company, default_rules, LATER)
    assert row.total == Decimal("95.00") and row.grade.code == "C" and row.override == "veto"


def test_revoked_and_draft_events_never_count(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    draft = gen_event(company, "BL-06", on=DAY, status="draft")
    revoked = gen_event(company, "BL-06", on=DAY)
    services.revoke_event(revoked, reason="复核发现记录有误", on=DAY + timedelta(days=40))
    assert score(company, default_rules, LATER).total == Decimal("80.00")
    # Revocation is retroactive: also for a day on which the record had counted.
    assert score(company, default_rules, DAY + timedelta(days=35)).total == Decimal("80.00")
    assert draft.status.value == "draft"


def test_a_record_expires_after_its_validity(world, default_rules):
    company = world.company1
    event = gen_event(company, "LH-03", on=DAY)  # 12 months by default
    assert event.effective_until == date(2027, 3, 1)
    assert score(company, default_rules, date(2027, 3, 1)).parts["good"] == Decimal("10.00")
    assert score(company, default_rules, date(2027, 3, 2)).parts["good"] == Decimal("0.00")
    long = gen_event(company, "LH-01", on=DAY)  # this item is effective for 24 months
    assert long.effective_until == date(2028, 3, 1)


def test_a_notified_deduction_counts_once_its_window_has_closed(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    event = gen_event(company, "BL-06", on=DAY, status="notified")
    assert event.objection_deadline == date(2026, 3, 23)  # 15 working days after Monday 2 March
    assert score(company, default_rules, event.objection_deadline).total == Decimal("80.00")
    assert score(company, default_rules, event.objection_deadline + timedelta(days=1)).total == Decimal("70.00")
    # Confirming the lapsed window later does not move the day it counts from.
    services.confirm_lapsed(on=date(2026, 5, 5))
    assert event.confirmed_on == date(2026, 3, 24)
    assert score(company, default_rules, date(2026, 3, 24)).total == Decimal("70.00")


def test_as_of_reproduces_a_past_score(world, default_rules):
    company = world.company1
    gen_basic(company, on=DAY)
    gen_event(company, "LH-03", on=DAY)
    gen_event(company, "BL-02", on=DAY)
    past = date(2026, 4, 15)
    before = score(company, default_rules, past)
    # Later facts: new records, an objection upheld, expiry — none may alter the past.
    gen_event(company, "BL-06", on=date(2026, 5, 4))
    late = gen_event(company, "LH-04", on=date(2026, 4, 20))
    objected = gen_event(company, "BL-08", on=date(2026, 4, 1), status="notified")
    objection = services.submit_objection(objected, reasons="该通报所涉项目已于三月移交他方，非本企业管理。",
                                          actor=world.company_user, on=date(2026, 4, 10))
    services.decide_objection(objection, uphold=True, reason="经核实仍由该企业管理。", on=date(2026, 5, 6))
    assert late.effective_from == date(2026, 4, 20)
    after = score(company, default_rules, past)
    assert (after.total, after.grade.code, after.parts) == (before.total, before.grade.code, before.parts)
    # On 6 May the upheld objection counts (-5), the good record too (+5); BL-06 is still in its window.
    assert score(company, default_rules, date(2026, 5, 6)).total == before.total + 5 - 5
    assert score(company, default_rules, date(2026, 6, 30)).total == before.total + 5 - 5 - 10


def test_the_second_rule_set_scores_the_same_events_differently(world, app):
    default, second = rules()
    company = world.company1
    gen_basic(company, on=DAY)        # default: 80; Lianyungang has no basic part
    gen_event(company, "LH-03", on=DAY)  # default +10, Lianyungang +15
    gen_event(company, "BL-02", on=DAY)  # default -2,  Lianyungang -3
    first = score(company, default, LATER)
    other = score(company, second, LATER)
    assert (first.total, first.grade.code) == (Decimal("88.00"), "AAA")
    assert other.total == Decimal("102.00")  # 90 + 15 - 3
    assert other.grade.code == "2A" and other.parts == {"plus": Decimal("15.00"), "minus": Decimal("-3.00")}
    gen_event(company, "LH-01", on=DAY)  # +30 → 132: 3A
    assert score(company, second, LATER).grade.code == "3A"
    gen_event(company, "LH-02", on=DAY)  # +20 → 152: 4A, the red list
    top = score(company, second, LATER)
    assert (top.total, top.grade.code, top.red) == (Decimal("152.00"), "4A", True)
    gen_event(company, "BL-09", on=DAY)  # a veto item there: 122 but straight to B
    vetoed = score(company, second, LATER)
    assert (vetoed.total, vetoed.grade.code, vetoed.override) == (Decimal("122.00"), "B", "veto")
    # Under the default rules BL-09 is a plain -15, and the good part stops at 40.
    assert score(company, default, LATER).total == Decimal("103.00")  # 80 + min(10 + 20 + 15, 40) - 2 - 15


def test_the_bureau_picks_the_rule_set_for_a_year(world, app):
    default, second = rules()
    assert services.rule_set_for(date(2026, 5, 1)).id == default.id
    services.set_rule_set_for_year(2026, second, actor=world.admin)
    assert services.rule_set_for(date(2026, 5, 1)).id == second.id
    assert services.rule_set_for(date(2027, 5, 1)).id == default.id
    world.company1.name  # noqa: B018 (loaded)
    rows = company_file.current_scores(date(2026, 5, 1))
    assert {r.total for r in rows} == {Decimal("90.00")}


def test_a_project_managers_deduction_is_weighted_by_floor_area(world, app):
    default, second = rules()
    company = world.company1  # manages 阳光小区, 50 000 m²
    other_estate = gen_estate(street=world.street1, community=world.community1, company=company,
                              floor_area=Decimal("100000"))
    manager = gen_staff(company, gen_position(is_manager=True), world.estate1, name="张经理")
    gen_basic(company, on=DAY)
    event = gen_event(company, "BL-04", on=DAY, staff=manager)  # -6 on a third of the company's area
    assert event.estate_id == world.estate1.id
    row = score(company, default, LATER)
    assert row.parts["bad"] == Decimal("-2.00") and row.total == Decimal("78.00")
    line = explain(company, default, LATER).parts[2].lines[0]
    assert line.weight == Decimal("50000") / Decimal("150000")
    # The same deduction on the company itself (no manager) counts in full.
    gen_event(company, "BL-04", on=DAY, estate=other_estate)
    assert score(company, default, LATER).parts["bad"] == Decimal("-8.00")
    # Lianyungang-style rules count managers' deductions in full: -10 twice.
    assert score(company, second, LATER).parts["minus"] == Decimal("-20.00")


def test_scores_for_every_company_take_one_query(world, default_rules, count_queries):
    for company in (world.company1, world.company2):
        gen_basic(company, on=DAY)
        gen_event(company, "BL-02", on=DAY)
    for _n in range(6):
        gen_basic(gen_company(), on=DAY)
    db.session.flush()
    with count_queries() as statements:
        rows = scoring.scores(default_rules, LATER)
    assert len(rows) == 8 and len(statements) == 1
    assert [r.total for r in rows][:6] == [Decimal("80.00")] * 6
    counts = standings.grade_counts(default_rules, LATER)
    assert counts["AA"]["count"] == 6 and counts["A"]["count"] == 2 and counts["A"]["min"] == Decimal("78.00")


def test_the_weight_uses_the_area_the_company_managed_on_the_day_scored(world, app):
    default, _second = rules()
    company = world.company1  # manages 阳光小区 (50 000 m²) and, until April, a 100 000 m² estate
    other_estate = gen_estate(street=world.street1, community=world.community1, company=company,
                              floor_area=Decimal("100000"))
    for estate in (world.estate1, other_estate):
        handover.open_first_period(estate, date(2025, 1, 1))
    manager = gen_staff(company, gen_position(is_manager=True), world.estate1, name="张经理")
    gen_basic(company, on=DAY)
    gen_event(company, "BL-04", on=DAY, staff=manager)  # -6 on the manager's estate
    before = score(company, default, LATER)
    assert before.parts["bad"] == Decimal("-2.00")  # a third of the area it manages
    handover.handover(other_estate, {
        "handover_on": date(2026, 4, 1), "end_method": "handover", "management_mode": "professional",
        "company_id": world.company2.id, "start_method": "tender", "contract_start": date(2026, 4, 1),
        "contract_end": date(2029, 3, 31), "project_manager_id": None, "items_outcome": "keep", "notes": ""})
    db.session.commit()
    # On 1 June the company manages only the manager's estate: the deduction counts in full (and the
    # cached score table noticed the handover) …
    after = score(company, default, LATER)
    assert after.parts["bad"] == Decimal("-6.00")
    assert explain(company, default, LATER).parts[2].lines[0].weight is None
    # … while a score as of March still weighs it against the March portfolio.
    march = date(2026, 3, 31)
    assert score(company, default, march).parts["bad"] == Decimal("-2.00")
    assert explain(company, default, march).parts[2].lines[0].weight == Decimal("50000") / Decimal("150000")
