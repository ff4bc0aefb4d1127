"""Documents the app produces: PDFs (``pdf``) and Excel workbooks (``excel``)."""
from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"\\]+')


def content_disposition(filename: str, disposition: str = "attachment", fallback: str = "download") -> str:
    """The Content-Disposition of a download named ``filename`` (which may hold names users
    typed or imported): control characters, quotes and backslashes become spaces, so the
    header can neither break (a newline is refused by the server: a 500) nor be extended."""
    clean = _UNSAFE_IN_NAME.sub(" ", filename).strip() or fallback
    ascii_name = clean.encode("ascii", "ignore").decode().strip() or fallback
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean)}"
