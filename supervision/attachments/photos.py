"""What a photo says about itself: when and where it was taken (EXIF), and a small copy for lists.

A phone camera writes the moment the picture was taken (DateTimeOriginal, in the camera's local
time, with OffsetTimeOriginal on newer phones) and, when location is on, its GPS position. Both
are read at upload and kept on the attachment; the place is then compared with the estate's
position, and a photo taken far away or long before its upload is flagged for the reader.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from PIL import Image, ImageOps

from ..core.timeutil import LOCAL_TZ, to_local

THUMB_MAX_SIDE = 320
EARTH_RADIUS_M = 6_371_008.8
DEFAULT_MAX_DISTANCE_M = 500
DEFAULT_MAX_AGE_DAYS = 30

# EXIF tags (Pillow's ExifTags numbers).
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME = 306
_DATETIME_ORIGINAL = 36867
_DATETIME_DIGITIZED = 36868
_OFFSET_TIME_ORIGINAL = 36881
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4

_EXIF_TIME = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class PhotoFacts:
    taken_at: datetime | None = None  # aware, UTC
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    return str(value or "").strip().strip("\x00")


def _exif_time(value, offset) -> datetime | None:
    match = _EXIF_TIME.match(_text(value))
    if not match:
        return None
    try:
        moment = datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return None
    zone = LOCAL_TZ  # a camera without an offset is taken to be on local (Beijing) time
    offset_match = _OFFSET.match(_text(offset))
    if offset_match:
        sign, hours, minutes = offset_match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        zone = timezone(-delta if sign == "-" else delta)
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _degrees(value, ref) -> Decimal | None:
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if any(math.isnan(part) for part in (d, m, s)):
        return None
    result = d + m / 60 + s / 3600
    if _text(ref).upper() in ("S", "W"):
        result = -result
    return Decimal(repr(result)).quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)


def read_facts(data: bytes) -> PhotoFacts:
    """The time and place recorded in a JPEG's EXIF data; empty for anything unreadable."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            details = exif.get_ifd(_EXIF_IFD)
            gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        return PhotoFacts()
    taken_at = (_exif_time(details.get(_DATETIME_ORIGINAL), details.get(_OFFSET_TIME_ORIGINAL))
                or _exif_time(details.get(_DATETIME_DIGITIZED), details.get(_OFFSET_TIME_ORIGINAL))
                or _exif_time(exif.get(_DATETIME), None))
    latitude = _degrees(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF)) if gps else None
    longitude = _degrees(gps.get(_GPS_LON), gps.get(_GPS_LON_REF)) if gps else None
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180) \
            or (latitude == 0 and longitude == 0):
        latitude = longitude = None
    return PhotoFacts(taken_at=taken_at, latitude=latitude, longitude=longitude)


def thumbnail(data: bytes) -> bytes:
    """A JPEG no larger than 320 px on its longest side, upright, without metadata."""
    with Image.open(io.BytesIO(data)) as img:
        img = ImageOps.exif_transpose(img)
        img.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE))
        if img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=75, optimize=True)
        return out.getvalue()


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """The great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def taken_on(attachment) -> date | None:
    """The local day a photo was taken."""
    return to_local(attachment.taken_at).date() if attachment.taken_at else None


@dataclass(frozen=True)
class PhotoPlace:
    """Where and when a photo was taken, as the reader needs it."""
    taken_at: datetime | None
    distance_m: int | None  # from the estate's position, when both are known
    far: bool  # taken further from the estate than allowed
    stale: bool  # taken longer before the upload than allowed
    days_before_upload: int | None

    @property
    def flagged(self) -> bool:
        return self.far or self.stale


def place_of(attachment, estate=None, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
             max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> PhotoPlace | None:
    """The photo's place relative to ``estate`` and its age at upload; None when EXIF said nothing."""
    if attachment.taken_at is None and attachment.latitude is None:
        return None
    distance = None
    if attachment.latitude is not None and estate is not None and getattr(estate, "latitude", None) is not None \
            and getattr(estate, "longitude", None) is not None:
        distance = round(distance_m(attachment.latitude, attachment.longitude, estate.latitude, estate.longitude))
    days = None
    if attachment.taken_at is not None and attachment.uploaded_at is not None:
        uploaded = attachment.uploaded_at
        if uploaded.tzinfo is None:
            uploaded = uploaded.replace(tzinfo=UTC)
        days = (uploaded - attachment.taken_at).days
    return PhotoPlace(
        taken_at=attachment.taken_at, distance_m=distance,
        far=distance is not None and distance > max_distance_m,
        stale=days is not None and days > max_age_days,
        days_before_upload=days,
    )
