"""Telegram's HTML parse mode: the text a user sees and its entities, or Telegram's refusal."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fakegram.api import JSON, ApiError, bad_request, u16

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+))(;?)")


def _entities_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int  # UTF-16 offset in the output text


class _HtmlParser:
    """Telegram's HTML parse mode (after tdlib's parse_html), producing text + entities.

    Stricter than Telegram in one way: a named entity other than &lt; &gt; &amp; &quot; (say
    &nbsp;) is an error here — Telegram would show it literally to the user.
    """

    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.u16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JSON] = []

    def byte_offset(self, index: int) -> int:
        return len(self.src[:index].encode())

    def parse(self) -> tuple[str, list[JSON]]:
        i, n = 0, len(self.src)
        while i < n:
            char = self.src[i]
            if char == "&":
                decoded = self.entity(i, strict=True)
                if decoded is not None:
                    self.emit(decoded[0])
                    i = decoded[1]
                    continue
            if char != "<":
                self.emit(char)
                i += 1
            elif i + 1 < n and self.src[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise _entities_error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.u16 += u16(text)

    def entity(self, i: int, *, strict: bool) -> tuple[str, int] | None:
        match = _ENTITY.match(self.src, i)
        if match is None:
            return None
        hex_code, dec_code, name, semicolon = match.groups()
        if name is not None:
            if name in _NAMED_ENTITIES:
                return _NAMED_ENTITIES[name], match.end()
            if strict and semicolon:
                raise _entities_error(
                    f'Unsupported HTML entity "{match.group(0)}" at byte offset '
                    f"{self.byte_offset(i)}; use &lt; &gt; &amp; &quot; or a numeric one"
                )
            return None
        code = int(hex_code, 16) if hex_code else int(dec_code)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()

    def unescape(self, value: str) -> str:
        return _HtmlParser(value).decode_all()

    def decode_all(self) -> str:
        parts, i = [], 0
        while i < len(self.src):
            decoded = self.entity(i, strict=False) if self.src[i] == "&" else None
            if decoded is None:
                parts.append(self.src[i])
                i += 1
            else:
                parts.append(decoded[0])
                i = decoded[1]
        return "".join(parts)

    def start_tag(self, begin: int) -> int:
        src, n = self.src, len(self.src)
        i = begin + 1
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        name = src[begin + 1 : i].lower()
        at = self.byte_offset(begin)
        if name not in _HTML_TAGS:
            raise _entities_error(f'Unsupported start tag "{name}" at byte offset {at}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                raise _entities_error(f"Unclosed start tag at byte offset {at}")
            if src[i] == ">":
                break
            start = i
            while i < n and not src[i].isspace() and src[i] not in "=>":
                i += 1
            attr = src[start:i].lower()
            if not attr:
                raise _entities_error(
                    f'Empty attribute name in the tag "{name}" at byte offset {at}'
                )
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != "=":
                if name == "blockquote" and attr == "expandable":
                    attrs[attr] = ""
                    continue
                raise _entities_error(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {at}"
                )
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i < n and src[i] in "\"'":
                end = src.find(src[i], i + 1)
                if end < 0:
                    raise _entities_error(f"Unclosed start tag at byte offset {at}")
                attrs[attr] = self.unescape(src[i + 1 : end])
                i = end + 1
            else:
                start = i
                while i < n and (src[i].isalnum() or src[i] in ".-"):
                    i += 1
                attrs[attr] = src[start:i]
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _entities_error(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _entities_error(f"Custom emoji identifier must be non-empty at byte offset {at}")
        self.stack.append(_OpenTag(name, attrs, self.u16))
        return i + 1

    def end_tag(self, begin: int) -> int:
        src, n = self.src, len(self.src)
        at = self.byte_offset(begin)
        if not self.stack:
            raise _entities_error(f"Unexpected end tag at byte offset {at}")
        i = begin + 2
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        name = src[begin + 2 : i].lower()
        while i < n and src[i].isspace():
            i += 1
        if i >= n or src[i] != ">":
            raise _entities_error(f"Unclosed end tag at byte offset {at}")
        tag = self.stack.pop()
        if name and name != tag.name:
            raise _entities_error(
                f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.close(tag)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        parent = self.stack[-1] if self.stack else None
        language = tag.attrs.get("class", "")
        if tag.name == "code" and parent and parent.name == "pre" and parent.offset == tag.offset:
            if language.startswith("language-"):
                parent.attrs["language"] = language.removeprefix("language-")
                return
        length = self.u16 - tag.offset
        if length == 0:
            return
        entity: JSON = {"type": _HTML_TAGS[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            url = tag.attrs.get("href", "").strip()
            if not url:
                return
            entity["url"] = url
        elif tag.name == "pre" and tag.attrs.get("language"):
            entity["language"] = tag.attrs["language"]
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)


def parse_html(source: str) -> tuple[str, list[JSON]]:
    """Text and entities (UTF-16 offsets) for parse_mode HTML; ApiError 400 if Telegram refuses."""
    return _HtmlParser(source).parse()
