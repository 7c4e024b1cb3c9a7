"""What a file is, by its content (the `filetype` library reads the magic numbers), against
what its name says: an .exe renamed .pdf is no PDF.

CONTENT maps each suffix staff may upload (settings ALLOWED_FILE_TYPES) to the kinds its
content may be detected as. Office files of 2007 on are zip archives, those before are OLE
compound files (filetype knows some of them by name; any OLE file is accepted for the three);
photos are accepted as any image kind (a phone's .jpg may well be a PNG); text has no magic
number: it is text when it decodes.
"""

from __future__ import annotations

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE = frozenset({"doc", "xls", "ppt", "ole"})
OOXML = frozenset({"docx", "xlsx", "pptx", "zip"})
IMAGES = frozenset({"jpg", "png", "webp", "heic", "avif"})
TEXT = "text"
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")

CONTENT: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "doc": OLE, "xls": OLE, "ppt": OLE,
    "docx": OOXML, "xlsx": OOXML, "pptx": OOXML,
    "zip": OOXML,
    "jpg": IMAGES, "jpeg": IMAGES, "png": IMAGES, "webp": IMAGES, "heic": IMAGES,
    "txt": frozenset({TEXT}),
}


def detect(data: bytes) -> str | None:
    """The kind of content (a file extension such as pdf, or `text`), None if unknown."""
    import filetype  # pure Python, imported on the first upload

    kind = filetype.guess(data)
    if kind is not None:
        return kind.extension
    if data.startswith(OLE_MAGIC):
        return "ole"
    if b"\x00" not in data:
        for encoding in TEXT_ENCODINGS:
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return TEXT
    return None


def content_fits(suffix: str, data: bytes) -> tuple[bool, str | None]:
    """(whether the content is what `suffix` says, the kind found)."""
    found = detect(data)
    accepted = CONTENT.get(suffix.lstrip(".").lower(), frozenset({suffix.lstrip(".").lower()}))
    return found in accepted, found
