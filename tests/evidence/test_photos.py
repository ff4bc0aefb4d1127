"""Evidence photos: EXIF time and place read at upload, thumbnails served under the attachment's
own authorisation, the place relative to the estate with far/stale flags, several files and the
camera at once, and dates left empty taken from the photos."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from supervision.attachments import services
from supervision.attachments.models import Attachment
from supervision.attachments.photos import distance_m, place_of, read_facts
from supervision.campaigns.models import AcceptanceVerdict, ItemState, SpotCheck
from supervision.campaigns.services import acceptance
from supervision.core.timeutil import local_today
from supervision.extensions import db

from ..campaigns import factories as cf
from .factories import HOME, exif_jpeg, metres_north

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_exif_time_and_gps_position_are_read():
    facts = read_facts(exif_jpeg(datetime(2026, 11, 20, 9, 15), (Decimal("31.234333"), Decimal("121.47"))))
    # a camera without an offset is on Beijing time: 09:15 there is 01:15 UTC
    assert facts.taken_at == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    assert facts.latitude == Decimal("31.234333") and facts.longitude == Decimal("121.470000")
    west = read_facts(exif_jpeg(datetime(2026, 11, 20, 9, 15), (Decimal("-33.8688"), Decimal("-70.6693")),
                                offset="-03:00"))
    assert west.taken_at == datetime(2026, 11, 20, 12, 15, tzinfo=UTC)
    assert west.latitude == Decimal("-33.868800") and west.longitude == Decimal("-70.669300")


def test_a_photo_without_exif_or_with_a_broken_one_says_nothing():
    plain = io.BytesIO()
    Image.new("RGB", (50, 40)).save(plain, format="PNG")
    assert read_facts(plain.getvalue()).taken_at is None
    broken = exif_jpeg(None, None)
    facts = read_facts(broken.replace(b"TestPhone", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff"))
    assert facts.latitude is None and facts.taken_at is None


def test_haversine_distance():
    assert distance_m(31.23, 121.47, 31.23, 121.47) == 0
    assert abs(distance_m(*metres_north(HOME, 1000), *HOME) - 1000) < 2
    assert abs(distance_m(39.9042, 116.4074, 31.2304, 121.4737) - 1_067_000) < 5_000  # Beijing–Shanghai


def test_upload_keeps_time_place_and_a_thumbnail(world):
    taken = datetime(2026, 11, 20, 9, 15)
    attachment = services.store_bytes(exif_jpeg(taken, HOME, size=(2400, 1800)), "现场.jpg", owner=world.estate1,
                                      user=world.officer)
    assert attachment.taken_at == datetime(2026, 11, 20, 1, 15, tzinfo=UTC)
    assert (attachment.latitude, attachment.longitude) == HOME
    assert attachment.fact_date == date(2026, 11, 20)  # none given: the day it was taken
    with Image.open(services.path_for(attachment.thumb_name)) as thumb:
        assert max(thumb.size) == 320 and thumb.format == "JPEG"
        assert not thumb.getexif()  # no position leaks through the thumbnail
    assert services.path_for(attachment.thumb_name).stat().st_size < 20_000
    given = services.store_bytes(exif_jpeg(taken, HOME), "b.jpg", owner=world.estate1, fact_date=date(2026, 11, 25))
    assert given.fact_date == date(2026, 11, 25)  # what the user typed wins
    pdf = services.store_bytes(PDF_BYTES, "a.pdf", owner=world.estate1, fact_date_default=date(2026, 11, 3))
    assert pdf.thumb_name is None and pdf.taken_at is None and pdf.fact_date == date(2026, 11, 3)


def test_the_thumbnail_follows_the_attachment_scope(login_as, world):
    attachment = services.store_bytes(exif_jpeg(datetime(2026, 11, 20, 9, 15), HOME), "现场.jpg",
                                      owner=world.estate1, user=world.officer)
    db.session.commit()
    url = f"/files/{attachment.id}/thumb"
    response = login_as(world.company_user).get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert "private" in response.headers["Cache-Control"]
    with Image.open(io.BytesIO(response.data)) as thumb:
        assert max(thumb.size) == 320
    assert login_as(world.street_user).get(url).status_code == 200
    assert login_as(world.company2_user).get(url).status_code == 404  # another company's estate
    assert login_as(world.street2_user).get(url).status_code == 404  # another street
    assert login_as(world.company2_user).get(f"/files/{attachment.id}").status_code == 404
    anonymous = login_as(world.officer).application.test_client().get(url)
    assert anonymous.status_code in (302, 401)


def _photo(world, taken_local: datetime, at, uploaded_at: datetime | None = None) -> Attachment:
    attachment = services.store_bytes(exif_jpeg(taken_local, at), "p.jpg", owner=world.estate1)
    if uploaded_at is not None:
        attachment.uploaded_at = uploaded_at
    return attachment


def test_place_relative_to_the_estate_and_flags(world):
    world.estate1.latitude, world.estate1.longitude = HOME
    now = datetime.now(UTC)
    recent = (now - timedelta(days=2)).astimezone().replace(tzinfo=None)
    near = place_of(_photo(world, datetime(2026, 1, 1), metres_north(HOME, 120), now), world.estate1)
    assert 115 <= near.distance_m <= 125 and not near.far
    far = place_of(_photo(world, datetime(2026, 1, 1), metres_north(HOME, 800), now), world.estate1)
    assert 795 <= far.distance_m <= 805 and far.far
    # configurable: 1 km allowed
    assert not place_of(_photo(world, datetime(2026, 1, 1), metres_north(HOME, 800), now), world.estate1,
                        max_distance_m=1000).far
    taken = datetime(2026, 11, 1, 10, 0)
    stale = place_of(_photo(world, taken, HOME, datetime(2026, 12, 6, 2, 0, tzinfo=UTC)), world.estate1)
    assert stale.stale and stale.days_before_upload == 35 and not stale.far
    fresh = place_of(_photo(world, taken, HOME, datetime(2026, 11, 20, 2, 0, tzinfo=UTC)), world.estate1)
    assert not fresh.stale and not fresh.flagged
    assert place_of(_photo(world, recent, None, now), world.estate1).distance_m is None
    # no EXIF at all: nothing to say
    assert place_of(services.store_bytes(PDF_BYTES, "x.pdf", owner=world.estate1), world.estate1) is None
    # an estate without a position: the distance is unknown, never flagged far
    world.estate1.latitude = world.estate1.longitude = None
    assert place_of(_photo(world, datetime(2026, 1, 1), metres_north(HOME, 5000), now), world.estate1).far is False


def test_the_item_page_lists_thumbnails_with_place_and_flags(item, running, login_as, app, monkeypatch):
    w = item.estate
    w.latitude, w.longitude = HOME
    near = services.store_bytes(exif_jpeg(local_today_at(9), metres_north(HOME, 60)), "近处.jpg", owner=item,
                                purpose="evidence")
    far = services.store_bytes(exif_jpeg(local_today_at(9), metres_north(HOME, 2500)), "远处.jpg", owner=item,
                               purpose="evidence")
    db.session.commit()
    client = login_as(running.company_user)
    page = client.get(f"/campaigns/items/{item.id}").get_data(as_text=True)
    assert f"/files/{near.id}/thumb" in page and f"/files/{far.id}/thumb" in page
    assert f"/files/{near.id}/preview" not in page  # lists never load the 1600 px copies
    assert "距小区 60 米" in page and "距小区 2500 米" in page
    assert page.count("距小区较远") == 1
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_DISTANCE_M", 5000)
    assert "距小区较远" not in client.get(f"/campaigns/items/{item.id}").get_data(as_text=True)


def local_today_at(hour: int) -> datetime:
    return datetime.combine(local_today(), datetime.min.time()).replace(hour=hour)


def test_answer_with_several_files_and_the_camera_takes_dates_from_the_photos(item, running, login_as):
    client = login_as(running.company_user)
    page = client.get(f"/campaigns/items/{item.id}").get_data(as_text=True)
    assert 'capture="environment"' in page and 'accept="image/*"' in page and "multiple" in page
    yesterday = local_today() - timedelta(days=1)
    taken = datetime.combine(yesterday, datetime.min.time()).replace(hour=15)
    response = client.post(f"/campaigns/items/{item.id}/answer", data={
        "version": item.version, "response": "已清理完毕", "fact_date": "",
        "evidence": [(io.BytesIO(exif_jpeg(taken, HOME)), "清理后1.jpg"),
                     (io.BytesIO(exif_jpeg(taken - timedelta(days=1), HOME)), "清理后2.jpg"),
                     (io.BytesIO(PDF_BYTES), "说明.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.state is ItemState.SUBMITTED
    stored = {a.original_name: a for a in db.session.scalars(select(Attachment).where(Attachment.owner_id == item.id))}
    assert set(stored) == {"清理后1.jpg", "清理后2.jpg", "说明.pdf"}
    assert stored["清理后1.jpg"].fact_date == yesterday
    assert stored["清理后2.jpg"].fact_date == yesterday - timedelta(days=1)
    assert stored["说明.pdf"].fact_date == local_today()


def test_a_spot_check_left_undated_takes_the_day_of_its_photos(running, login_as):
    client = login_as(running.officer)
    form = client.get(f"/campaigns/spot-checks/new?estate={running.estate2.id}").get_data(as_text=True)
    assert 'capture="environment"' in form and 'name="idempotency_key"' in form
    three_days_ago = local_today() - timedelta(days=3)
    taken = datetime.combine(three_days_ago, datetime.min.time()).replace(hour=10)
    response = client.post("/campaigns/spot-checks/new", data={
        "estate_id": running.estate2.id, "checked_on": "", "summary": "巡查",
        "photos": [(io.BytesIO(exif_jpeg(taken, HOME)), "门岗.jpg"),
                   (io.BytesIO(exif_jpeg(taken + timedelta(days=1), HOME)), "通道.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    check = db.session.scalar(select(SpotCheck))
    assert check.checked_on == three_days_ago
    photos = db.session.scalars(select(Attachment).where(Attachment.owner_type == "spot_check")).all()
    assert sorted(p.fact_date for p in photos) == [three_days_ago, three_days_ago + timedelta(days=1)]
    # without photos and without a date: today
    client.post("/campaigns/spot-checks/new", data={"estate_id": running.estate1.id, "summary": "日常巡查"})
    assert db.session.scalar(select(SpotCheck).order_by(SpotCheck.id.desc())).checked_on == local_today()


@pytest.mark.parametrize("field", ["checked_on"])
def test_a_typed_date_still_wins(running, login_as, field):
    client = login_as(running.officer)
    taken = datetime.combine(local_today() - timedelta(days=3), datetime.min.time()).replace(hour=10)
    typed = local_today() - timedelta(days=1)
    client.post("/campaigns/spot-checks/new", data={
        "estate_id": running.estate2.id, field: typed.isoformat(), "summary": "巡查",
        "photos": [(io.BytesIO(exif_jpeg(taken, HOME)), "门岗.jpg")]}, content_type="multipart/form-data")
    check = db.session.scalar(select(SpotCheck))
    assert check.checked_on == typed
    photo = db.session.scalar(select(Attachment).where(Attachment.owner_type == "spot_check"))
    assert photo.fact_date == taken.date()  # the photo keeps the day it was taken


def test_an_acceptance_left_undated_takes_the_day_of_its_photos(item, running):
    cf.move(item, cf.PATH_TO[ItemState.SUBMITTED], answerer=running.company_user, officer=running.officer)
    two_days_ago = local_today() - timedelta(days=2)
    taken = datetime.combine(two_days_ago, datetime.min.time()).replace(hour=16)
    record = acceptance.record_acceptance(
        running.enrolment1, actor=running.officer, inspected_on=None, verdict=AcceptanceVerdict.FAILED,
        remarks="复查", item_verdicts={item.id: acceptance.ItemVerdictInput(False, "仍有堆物")},
        photos=[FileStorage(io.BytesIO(exif_jpeg(taken, HOME)), "复查.jpg"), FileStorage(io.BytesIO(b""), "")])
    assert record.inspected_on == two_days_ago
    photo = db.session.scalar(select(Attachment).where(Attachment.owner_type == "acceptance"))
    assert photo.fact_date == two_days_ago and photo.latitude == HOME[0]
