"""Photos as a phone takes them: a JPEG carrying EXIF DateTimeOriginal and a GPS position."""
from __future__ import annotations

import io
import math
from datetime import datetime
from decimal import Decimal

from PIL import Image

# The demo estates' neighbourhood (central Shanghai).
HOME = (Decimal("31.230000"), Decimal("121.470000"))


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = math.floor(value)
    minutes = math.floor((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return float(degrees), float(minutes), seconds


def exif_jpeg(taken: datetime | None = None, at: tuple | None = None, *, offset: str | None = None,
              size=(1200, 900), color=(40, 120, 60)) -> bytes:
    """A JPEG photo; ``taken`` is the camera's local time, ``at`` (latitude, longitude)."""
    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"
    if taken is not None:
        details = exif.get_ifd(0x8769)
        details[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            details[36881] = offset
    if at is not None:
        lat, lon = (float(part) for part in at)
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif, quality=80)
    return out.getvalue()


def metres_north(point: tuple, metres: float) -> tuple[Decimal, Decimal]:
    """A point ``metres`` north of ``point`` (1° of latitude ≈ 111.2 km)."""
    return (Decimal(str(round(float(point[0]) + metres / 111_195, 6))), point[1])
