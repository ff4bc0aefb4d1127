"""PDF rendering: Chinese text survives, attachment and data: images embed,
and the fetcher refuses files and outside URLs."""
from __future__ import annotations

import base64
import io

from PIL import Image
from pypdf import PdfReader

from supervision.attachments.services import store_bytes
from supervision.documents.pdf import html_to_pdf


def _jpeg(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, format="JPEG")
    return out.getvalue()


def _images(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def test_chinese_text_and_attachment_images(world):
    attachment = store_bytes(_jpeg(), "现场.jpg", owner=world.estate1, user=world.officer)
    data = html_to_pdf(f'<h1>整改通知书</h1><p>阳光小区</p><img src="attachment:{attachment.id}">')
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "整改通知书" in text and "阳光小区" in text
    assert _images(data) == 1


def test_data_uris_embed():
    uri = "data:image/jpeg;base64," + base64.b64encode(_jpeg()).decode()
    assert _images(html_to_pdf(f'<p>图</p><img src="{uri}">')) == 1


def test_files_and_outside_urls_are_refused(tmp_path, world):
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(_jpeg())
    data = html_to_pdf(f'<p>x</p><img src="file://{secret}"><img src="http://127.0.0.1:9/x.jpg">'
                       f'<img src="attachment:999999">')
    assert _images(data) == 0
