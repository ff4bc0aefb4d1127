"""Uploads fuzzed with hypothesis: any name, size or content is either refused
with a clear UploadError or stored as a type its bytes really are."""
from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from supervision.attachments.services import EVIDENCE, IMAGE, PDF, XLSX, Kind, UploadError, sniff, validate

SMALL = (Kind("image", 4096, "JPG/PNG"), Kind("pdf", 4096, "PDF"))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG")
    return out.getvalue()


PREFIXES = [b"", b"%PDF-1.7\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"MZ", b"<script>"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(name=st.text(max_size=80), prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=6000),
       suffix=st.sampled_from([b"", b"\n%%EOF\n"]))
def test_any_upload_is_refused_or_truly_of_an_allowed_type(name, prefix, body, suffix):
    data = prefix + body + suffix
    try:
        original, kind, content_type = validate(data, name, SMALL)
    except UploadError as error:
        assert error.message  # a message for the user, never a crash
        return
    assert "/" not in original and "\\" not in original
    assert len(data) <= kind.max_bytes
    assert sniff(data)[1] == content_type and kind.name in {"image", "pdf"}


@settings(max_examples=100, deadline=None)
@given(name=st.text(min_size=1, max_size=40).filter(lambda n: "/" not in n and "\\" not in n
                                                     and n.strip() not in {"", ".", ".."} and "\x00" not in n))
def test_a_real_png_is_accepted_under_any_plain_name(name):
    _original, kind, content_type = validate(_png(), name, EVIDENCE)
    assert kind is IMAGE and content_type == "image/png"


@settings(max_examples=100, deadline=None)
@given(directory=st.text(min_size=1, max_size=10), separator=st.sampled_from(["/", "\\"]),
       base=st.text(min_size=1, max_size=10))
def test_names_with_a_path_are_always_refused(directory, separator, base):
    try:
        validate(b"%PDF-1.4\n%%EOF\n", directory + separator + base, (PDF,))
    except UploadError as error:
        assert "路径" in error.message or "请选择" in error.message
    else:
        raise AssertionError("a name with a path separator was accepted")


def test_a_workbook_is_not_evidence():
    from supervision.documents.excel import Column, write_workbook

    data = write_workbook([Column("a", "甲")])
    try:
        validate(data, "表格.xlsx", EVIDENCE)
    except UploadError as error:
        assert "文件类型不符" in error.message
    else:
        raise AssertionError("an xlsx was accepted as evidence")
    assert validate(data, "表格.xlsx", (XLSX,))[1] is XLSX
