"""Files by content (domain/filetypes.py): what each allowed suffix accepts."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.settings import DEFAULT_FILE_TYPES
from domain.filetypes import CONTENT, OLE_MAGIC, content_fits


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def test_every_allowed_suffix_has_a_row():
    assert set(DEFAULT_FILE_TYPES) <= set(CONTENT)


@pytest.mark.parametrize(("suffix", "data", "fits"), [
    (".pdf", b"%PDF-1.7 real", True),
    (".pdf", b"MZ\x90\x00\x03" + b"\x00" * 64, False),  # a program renamed
    (".docx", _docx(), True), (".zip", _docx(), True), (".xlsx", b"%PDF-1.7", False),
    (".doc", OLE_MAGIC + b"\x00" * 600, True), (".xls", OLE_MAGIC + b"\x00" * 600, True),
    (".jpg", b"\x89PNG\r\n\x1a\n phone", True), (".png", b"\xff\xd8\xff\xe0 jpeg", True),
    (".txt", "会议记录".encode("gb18030"), True), (".txt", b"\x00\x01\x02", False),
    (".txt", b"MZ\x90\x00\x03" + b"\x00" * 64, False),
])
def test_content_fits_the_suffix(suffix, data, fits):
    assert content_fits(suffix, data)[0] is fits
