"""The contract and filing lists at scale: a page of ids first (off an index), then those rows; the number of
queries stays the same as other streets' and companies' rows grow, and each user still sees exactly their
scope (a street its street's, a company its own). The filing type's workbook is a job above the inline size
and keeps its owner's scope there too."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from supervision.campaigns.models import EnrolmentStatus
from supervision.contracts.models import FilingStatus, ServiceContract
from supervision.core.timeutil import local_today, to_local
from supervision.estates.models import Estate
from supervision.extensions import db
from supervision.filings.models import CompanyFilingStatus
from supervision.jobs.models import Job

from ..factories import gen_company, gen_estate
from ..jobs.conftest import inprocess  # noqa: F401  (the jobs tests' fixture)
from ..reports.factories import gen_campaign, gen_enrolment
from .factories import gen_contract, gen_filing, gen_requirement

CONTRACT_URLS = ("/contracts/", "/contracts/?in_force=yes", "/contracts/?in_force=no", "/contracts/?q=碧水",
                 "/contracts/?status=submitted")
ON_TIME, LATE = datetime(2026, 9, 20, 2, tzinfo=UTC), datetime(2026, 10, 9, 2, tzinfo=UTC)


def _grow_contracts(world, n: int, start: int = 0) -> None:
    """Contracts in both streets, of the two world companies and of new ones: in and out of force, each status,
    some estates and companies named 碧水."""
    today = local_today()
    for index in range(start, start + n):
        east = index % 2 == 0
        company = (world.company1 if east else world.company2) if index % 3 else gen_company(
            **({"name": f"碧水物业{index}"} if index % 5 == 0 else {}))
        estate = gen_estate(community=world.community1 if east else world.community2, company=company,
                            name=f"碧水{index}号小区" if index % 4 == 0 else f"小区{index:03d}")
        ends_on = date(today.year - 1, 12, 31) if index % 3 == 1 else date(today.year + 2, 12, 31)
        gen_contract(estate, company=company, status=list(FilingStatus)[index % 4],
                     starts_on=date(today.year - 3, 1, 1), ends_on=ends_on)


def _contract_ids(html: str) -> list[int]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [int(n) for n in re.findall(r'href="/contracts/(\d+)"', body)]


def _expected_contracts(user, url: str) -> list[int]:
    """The contracts ``user`` sees under ``url``'s filter, in the list's order, worked out in Python."""
    today = local_today()
    rows = db.session.execute(db.select(ServiceContract, Estate).join(Estate, Estate.id == ServiceContract.estate_id))
    shown = []
    for contract, estate in rows:
        if user.street_id is not None and contract.street_id != user.street_id:
            continue
        if user.company_id is not None and contract.company_id != user.company_id:
            continue
        in_force = contract.starts_on <= today <= contract.ends_on
        if ("in_force=yes" in url and not in_force) or ("in_force=no" in url and in_force):
            continue
        if "status=submitted" in url and contract.status is not FilingStatus.SUBMITTED:
            continue
        if "q=" in url and "碧水" not in estate.name and "碧水" not in contract.company.name:
            continue
        shown.append(((contract.street_id, estate.name_sort, -contract.starts_on.toordinal(), contract.id),
                      contract.id))
    return [contract_id for _key, contract_id in sorted(shown)]


@pytest.mark.parametrize("who", ["officer", "street_user", "company_user"])
def test_the_contract_list_is_flat_and_keeps_the_scope(world, login_as, count_queries, who):
    _grow_contracts(world, 12)
    db.session.commit()
    user = getattr(world, who)
    client = login_as(user)
    counts = []
    for round_ in range(2):
        with count_queries() as queries:
            pages = {url: client.get(url) for url in CONTRACT_URLS}
        counts.append(len(queries))
        for url, response in pages.items():
            assert response.status_code == 200, url
            assert _contract_ids(response.get_data(as_text=True)) == _expected_contracts(user, url), url
        if round_ == 0:
            _grow_contracts(world, 24, start=12)  # other streets' and companies' contracts too
            db.session.commit()
    assert counts[0] == counts[1] <= 15 * len(CONTRACT_URLS)


def test_the_contract_search_finds_estates_and_companies_and_pages(world, login_as, app, monkeypatch):
    _grow_contracts(world, 30)
    db.session.commit()
    monkeypatch.setitem(app.config, "PER_PAGE", 4)
    client = login_as(world.officer)
    expected = _expected_contracts(world.officer, "?q=碧水")
    assert len(expected) > 8
    seen = []
    for page in range(1, len(expected) // 4 + 2):
        html = client.get(f"/contracts/?q=碧水&page={page}").get_data(as_text=True)
        seen += _contract_ids(html)
    assert seen == expected


# --- filings ------------------------------------------------------------------------------------------------

def _filing_rows(html: str) -> set[tuple[str, str]]:
    """(filing type, company) of each row of the filings list."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return set(re.findall(r"<tr>\s*<td>[^<]*</td>\s*<td><a [^>]*>([^<]*)</a></td>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>",
                          body))


def _grow_filings(world, requirements, n: int, start: int = 0) -> dict:
    """Companies enrolled with an estate in one street or the other (some withdrawn), most of them filing each
    type: on time or late, each status. Returns company name → the street ids where it is enrolled (not withdrawn)."""
    enrolled: dict[str, set[int]] = {}
    for index in range(start, start + n):
        company = gen_company(name=f"报送物业{index:03d}")
        east = index % 2 == 0
        for requirement in requirements:
            estate = gen_estate(community=world.community1 if east else world.community2, company=company)
            withdrawn = index % 7 == 3
            gen_enrolment(requirement.campaign, estate,
                          status=EnrolmentStatus.WITHDRAWN if withdrawn else EnrolmentStatus.ACTIVE)
            if not withdrawn:
                enrolled.setdefault(company.name, set()).add(estate.street_id)
            if index % 5 != 4:
                gen_filing(requirement, company, status=list(CompanyFilingStatus)[index % 3],
                           submitted_at=LATE if index % 2 else ON_TIME)
    return enrolled


@pytest.fixture
def filings_world(world):
    first = gen_requirement(gen_campaign(), title="整改提升方案")
    second = gen_requirement(gen_campaign(), title="自查报告", due_on=date(2026, 10, 31))
    world.requirements = (first, second)
    world.enrolled = _grow_filings(world, world.requirements, 10)
    db.session.commit()
    return world


def _expected_filings(world, user, url: str) -> set[tuple[str, str]]:
    from supervision.filings.models import CompanyFiling

    shown = set()
    for filing in db.session.scalars(db.select(CompanyFiling)):
        company, requirement = filing.company, filing.requirement
        if user.street_id is not None and user.street_id not in world.enrolled.get(company.name, set()):
            continue
        if user.company_id is not None and filing.company_id != user.company_id:
            continue
        if "late=1" in url and to_local(filing.submitted_at).date() <= requirement.due_on:
            continue
        if "status=submitted" in url and filing.status is not CompanyFilingStatus.SUBMITTED:
            continue
        if "campaign=" in url and requirement.campaign_id != int(url.rsplit("=", 1)[1]):
            continue
        shown.add((requirement.title, company.name))
    return shown


@pytest.mark.parametrize("who", ["officer", "street_user", "street2_user", "company_user"])
def test_the_filings_list_is_flat_and_keeps_the_scope(filings_world, login_as, count_queries, who):
    w = filings_world
    user = getattr(w, who)
    if who == "company_user":  # the world's company takes part in both campaigns and files one type
        gen_enrolment(w.requirements[0].campaign, w.estate1)
        gen_enrolment(w.requirements[1].campaign, gen_estate(community=w.community1, company=w.company1))
        gen_filing(w.requirements[0], w.company1)
        db.session.commit()
    urls = ("/filings/", "/filings/?late=1", "/filings/?status=submitted",
            f"/filings/?campaign={w.requirements[1].campaign_id}")
    client = login_as(user)
    counts = []
    for round_ in range(2):
        with count_queries() as queries:
            pages = {url: client.get(url) for url in urls}
        counts.append(len(queries))
        for url, response in pages.items():
            assert response.status_code == 200, url
            assert _filing_rows(response.get_data(as_text=True)) == _expected_filings(w, user, url), url
        if round_ == 0:
            w.enrolled |= _grow_filings(w, w.requirements, 16, start=10)
            db.session.commit()
    assert counts[0] == counts[1] <= 15 * len(urls)


def _companies(data: bytes) -> list[str]:
    return [row[0] for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)]


def test_the_filing_type_page_and_workbook_are_flat_and_the_large_workbook_is_a_job(
        filings_world, login_as, count_queries, inprocess, app, monkeypatch):  # noqa: F811
    w = filings_world
    requirement = w.requirements[0]
    page, workbook = f"/filings/requirement/{requirement.id}", f"/filings/requirement/{requirement.id}/export.xlsx"
    client = login_as(w.street_user)
    own = sorted(name for name, streets in w.enrolled.items() if w.street1.id in streets)
    counts = []
    for round_ in range(2):
        with count_queries() as queries:
            assert client.get(page).status_code == 200
            small = client.get(workbook)
            assert small.status_code == 200 and sorted(_companies(small.data)) == own
        counts.append(len(queries))
        if round_ == 0:
            w.enrolled |= _grow_filings(w, w.requirements, 12, start=10)
            db.session.commit()
            own = sorted(name for name, streets in w.enrolled.items() if w.street1.id in streets)
    assert counts[0] == counts[1] <= 15 * 2

    monkeypatch.setitem(app.config, "EXPORT_INLINE_CELLS", 7)  # one row of seven columns: the street's is a job
    response = client.get(workbook)
    assert response.status_code == 302 and "/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    inprocess.wait()
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "finished"
    download = client.get(f"/jobs/{job_id}/download")
    assert sorted(_companies(download.data)) == own  # the street's companies only, as in the request


# --- party building: the gaps' counts stored per street -------------------------------------------------------

def _total(html: str) -> int:
    return int(re.search(r"共 ([\d,]+) 条", html).group(1).replace(",", ""))


def _live_party_count(user, gap: str) -> int:
    from supervision.contracts.models import PartyBuilding

    count = 0
    for estate, record in db.session.execute(db.select(Estate, PartyBuilding).outerjoin(
            PartyBuilding, PartyBuilding.estate_id == Estate.id).where(Estate.archived_at.is_(None))):
        if user.street_id is not None and estate.street_id != user.street_id:
            continue
        if user.company_id is not None and estate.company_id != user.company_id:
            continue
        org, red = bool(record and record.has_party_org), bool(record and record.red_property)
        count += {"no_org": not org, "org": org, "red": red, "no_red": not red}[gap]
    return count


@pytest.mark.parametrize("who", ["officer", "street_user", "company_user"])
def test_the_party_lists_gap_counts_follow_every_change(world, login_as, app, monkeypatch, who):
    from supervision.contracts.models import PartyBuilding
    from supervision.core.timeutil import utcnow

    from .factories import gen_party

    monkeypatch.setitem(app.config, "PER_PAGE", 2)  # several pages: the total is shown
    for index in range(9):
        estate = gen_estate(community=world.community1 if index % 2 else world.community2,
                            company=world.company1 if index % 3 else world.company2)
        if index % 4:
            gen_party(estate, has_org=bool(index % 3), red=index % 2 == 1)
    db.session.commit()
    user = getattr(world, who)
    client = login_as(user)

    def check():
        for gap in ("no_org", "org", "red", "no_red"):
            expected = _live_party_count(user, gap)
            html = client.get(f"/contracts/party?gap={gap}").get_data(as_text=True)
            assert (_total(html) if expected > 2 else expected) == expected, gap

    check()
    record = db.session.scalar(db.select(PartyBuilding).limit(1))
    record.has_party_org, record.red_property = not record.has_party_org, not record.red_property
    db.session.commit()
    check()
    archived = db.session.scalar(db.select(Estate).where(Estate.street_id == world.street1.id).limit(1))
    archived.archived_at = utcnow()
    gen_party(gen_estate(community=world.community1, company=world.company1), has_org=False)
    db.session.commit()
    check()


# --- 前期物业: the list's counts stored per street ---------------------------------------------------------------

def _live_preliminary_count(user, gap: str | None, street_id: int | None = None) -> int:
    from supervision.contracts.models import TENDER_METHODS, PreliminaryService

    count = 0
    for estate, record in db.session.execute(db.select(Estate, PreliminaryService).outerjoin(
            PreliminaryService, PreliminaryService.estate_id == Estate.id).where(Estate.archived_at.is_(None))):
        if user.street_id is not None and estate.street_id != user.street_id:
            continue
        if user.company_id is not None and estate.company_id != user.company_id:
            continue
        if street_id is not None and estate.street_id != street_id:
            continue
        count += {None: True, "no_record": record is None,
                  "not_tender": record is not None and record.selection_method not in TENDER_METHODS,
                  "not_signed": record is not None and record.contract_signed_on is None,
                  "no_covenant": record is not None and record.covenant_signed_on is None}[gap]
    return count


@pytest.mark.parametrize("who", ["officer", "street_user", "company_user"])
def test_the_preliminary_and_party_counts_follow_every_change(world, login_as, app, monkeypatch, count_queries, who):
    """Both lists' totals (each gap of 前期物业, and the lists without a gap) are the live counts of the user's scope
    (other streets' and companies' estates present), a street filter included, before and after changes."""
    from supervision.contracts.models import PreliminaryService, SelectionMethod
    from supervision.core.timeutil import utcnow

    from .factories import gen_party, gen_preliminary

    monkeypatch.setitem(app.config, "PER_PAGE", 2)  # several pages: the total is shown
    methods = [SelectionMethod.OPEN_TENDER, SelectionMethod.AGREEMENT, None, SelectionMethod.INVITED_TENDER]
    for index in range(11):
        estate = gen_estate(community=world.community1 if index % 2 else world.community2,
                            company=world.company1 if index % 3 else world.company2)
        if index % 4:
            gen_preliminary(estate, methods[index % 4], contract_signed_on=date(2020, 6, 1) if index % 3 else None,
                            covenant_signed_on=date(2020, 7, 1) if index % 5 else None)
        if index % 3:
            gen_party(estate, has_org=bool(index % 2))
    db.session.commit()
    user = getattr(world, who)
    client = login_as(user)

    def shown(url: str, expected: int) -> None:
        assert _total(client.get(url).get_data(as_text=True)) == expected, url

    def check():
        for gap in (None, "no_record", "not_tender", "not_signed", "no_covenant"):
            shown(f"/contracts/preliminary?gap={gap or ''}", _live_preliminary_count(user, gap))
        for street in (world.street1, world.street2):
            if user.street_id not in (None, street.id):
                continue  # not a choice of a street office's form (its filters are dropped)
            shown(f"/contracts/preliminary?street_id={street.id}", _live_preliminary_count(user, None, street.id))
            shown(f"/contracts/preliminary?street_id={street.id}&gap=no_record",
                  _live_preliminary_count(user, "no_record", street.id))
        shown("/contracts/party", _live_preliminary_count(user, None))

    check()
    if who != "company_user":  # the stored counts: no count over the estates in the request
        with count_queries() as statements:
            client.get("/contracts/preliminary?gap=not_signed")
        assert not [s for s in statements if "count(" in s.lower() and "preliminary_services" in s]
    record = db.session.scalar(db.select(PreliminaryService).where(PreliminaryService.selection_method.is_not(None))
                               .limit(1))
    record.selection_method, record.contract_signed_on = None, None
    db.session.commit()
    check()
    archived = db.session.scalar(db.select(Estate).where(Estate.street_id == world.street1.id).limit(1))
    archived.archived_at = utcnow()
    gen_preliminary(gen_estate(community=world.community1, company=world.company1), None)
    gen_estate(community=world.community2, company=world.company2)
    db.session.commit()
    check()


@pytest.mark.parametrize("who", ["officer", "street_user", "street2_user", "company_user"])
def test_the_contract_lists_counts_are_its_rows(world, login_as, app, monkeypatch, count_queries, who):
    """The totals (stored per street, status and 在期 for a street office and the district) are the rows' number, a
    street filter included, with other streets' and companies' contracts present, before and after changes."""
    monkeypatch.setitem(app.config, "PER_PAGE", 3)
    _grow_contracts(world, 14)
    db.session.commit()
    user = getattr(world, who)
    client = login_as(user)

    def check():
        for url in CONTRACT_URLS[:3] + CONTRACT_URLS[4:] + ("/contracts/?status=submitted&in_force=yes",):
            for street in (None, world.street1, world.street2):
                if street is not None and user.street_id not in (None, street.id):
                    continue  # not a choice of a street office's form (its filters are dropped)
                full = url + (("&" if "?" in url else "?") + f"street_id={street.id}" if street else "")
                expected = [contract_id for contract_id in _expected_contracts(user, url) if street is None
                            or db.session.get(ServiceContract, contract_id).street_id == street.id]
                assert _total(client.get(full).get_data(as_text=True)) == len(expected), full

    check()
    if who != "company_user":
        with count_queries() as statements:
            client.get("/contracts/?in_force=no")
        assert not [s for s in statements if "count(" in s.lower() and "service_contracts" in s]
    moved = db.session.scalar(db.select(ServiceContract).where(ServiceContract.status == FilingStatus.SUBMITTED)
                              .limit(1))
    moved.status, moved.ends_on = FilingStatus.RETURNED, date(local_today().year - 1, 6, 30)
    moved.return_reason = "缺少附件"
    gen_contract(gen_estate(community=world.community2, company=world.company1), company=world.company1)
    db.session.commit()
    check()
