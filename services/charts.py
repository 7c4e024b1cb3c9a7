"""A bar chart of points against the maximum per criterion (PNG bytes).

Drawn with Pillow in the configured CJK font (CJK_FONT: by default WenQuanYi Micro Hei,
Debian's fonts-wqy-microhei), a few milliseconds a picture; each distinct picture (title and
bars) is kept in an LRU cache, so a score that has not changed is not drawn again. Titles
carry user text (project names): they are drawn as plain text, cut to fit with "…", never
interpreted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from domain.i18n import local
from domain.rubric import Rubric
from domain.scoring import ScoreReport

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 704, 396  # the picture's size, pixels
MARGIN = 16
TITLE_SIZE, LABEL_SIZE, VALUE_SIZE = 17, 14, 13
BAR_COLOUR, MAX_COLOUR = (192, 57, 43), (230, 233, 239)
TEXT_COLOUR, AXIS_COLOUR = (33, 37, 41), (120, 120, 120)
CACHED_CHARTS = 512


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    points: int
    max: int


def require_font(path: Path) -> Path:
    """The configured CJK font file (the chart's and the dossier PDF's), or an error that says
    what to do."""
    if not path.is_file():
        raise RuntimeError(f"the CJK font {path} is missing: install Debian's fonts-wqy-microhei "
                           "(make does) or set CJK_FONT to a TrueType font (.ttf or .ttc)")
    return path


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(require_font(path)), size, index=0)


def bars(report: ScoreReport, rubric: Rubric, lang: str) -> tuple[Bar, ...]:
    return tuple(Bar(local(rubric.criterion(c.id).label, lang), c.points, c.max)
                 for c in report.criteria)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
         width: float) -> str:
    """`text` on one line, cut with "…" to at most `width` pixels."""
    text = " ".join(text.split())
    if draw.textlength(text, font=font) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        mid = (low + high + 1) // 2
        if draw.textlength(text[:mid] + "…", font=font) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low] + "…"


@lru_cache(maxsize=CACHED_CHARTS)
def render(title: str, chart: tuple[Bar, ...], *, font: Path) -> bytes:
    """The PNG for a title and its bars (top to bottom in the given order), in the CJK `font`.
    CPU work when the picture is new: call it in a worker thread."""
    image, draw = _titled(title, HEIGHT, font)
    label_font, value_font = _font(font, LABEL_SIZE), _font(font, VALUE_SIZE)
    inner = WIDTH - 2 * MARGIN
    top, bottom = MARGIN + TITLE_SIZE + 18, HEIGHT - MARGIN
    labels = [_fit(draw, b.label, label_font, inner * 0.4) for b in chart]
    left = MARGIN + max((draw.textlength(t, font=label_font) for t in labels), default=0) + 10
    value_room = draw.textlength("100/100", font=value_font) + 8
    scale_max = max((b.max for b in chart), default=1) or 1
    span = WIDTH - MARGIN - value_room - left
    row = (bottom - top) / max(len(chart), 1)
    thickness = row * 0.6
    for i, (bar, label) in enumerate(zip(chart, labels, strict=True)):
        middle = top + row * (i + 0.5)
        y0, y1 = middle - thickness / 2, middle + thickness / 2
        draw.text((left - 10, middle), label, font=label_font, fill=TEXT_COLOUR, anchor="rm")
        full = left + span * bar.max / scale_max
        draw.rectangle((left, y0, full, y1), fill=MAX_COLOUR)
        points = max(0, min(bar.points, bar.max))
        if points:
            draw.rectangle((left, y0, left + span * points / scale_max, y1), fill=BAR_COLOUR)
        draw.text((full + 6, middle), f"{bar.points}/{bar.max}", font=value_font,
                  fill=TEXT_COLOUR, anchor="lm")
    draw.line((left, top, left, bottom), fill=AXIS_COLOUR, width=1)
    return _png(image)


def _titled(title: str, height: int, font: Path) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A white picture WIDTH × `height` with `title` centred at its top."""
    from PIL import Image, ImageDraw  # imported on the first chart, not at start-up

    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    title_font = _font(font, TITLE_SIZE)
    draw.text((WIDTH / 2, MARGIN), _fit(draw, title, title_font, WIDTH - 2 * MARGIN),
              font=title_font, fill=TEXT_COLOUR, anchor="ma")
    return image, draw


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)  # speed over bytes
    return out.getvalue()


# -- the review's progress: a stacked bar per district or reviewer ---------------------------
STACK_COLOURS = ((149, 165, 166), (241, 196, 15), (192, 57, 43), (39, 174, 96))
LATE_COLOUR = (192, 57, 43)


@dataclass(frozen=True, slots=True)
class Stack:
    label: str
    parts: tuple[int, ...]  # one count per legend entry (STACK_COLOURS, in order)
    late: str = ""  # drawn after the bar (e.g. "⚠ 2 overdue"), empty when none


@lru_cache(maxsize=64)
def render_stacked(title: str, legend: tuple[str, ...], stacks: tuple[Stack, ...], *,
                   font: Path) -> bytes:
    """The PNG of counts stacked per row (e.g. awaiting, in review, returned, verified per
    district), a legend under the title. CPU work: call it in a worker thread."""
    rows = max(len(stacks), 1)
    height = max(HEIGHT, MARGIN * 2 + TITLE_SIZE + 48 + rows * 28)
    image, draw = _titled(title, height, font)
    label_font, value_font = _font(font, LABEL_SIZE), _font(font, VALUE_SIZE)
    inner = WIDTH - 2 * MARGIN
    x, y = MARGIN, MARGIN + TITLE_SIZE + 10
    for name, colour in zip(legend, STACK_COLOURS, strict=False):
        draw.rectangle((x, y + 2, x + 12, y + 14), fill=colour)
        draw.text((x + 16, y), name, font=value_font, fill=TEXT_COLOUR)
        x += 16 + draw.textlength(name, font=value_font) + 14
    top, bottom = y + 28, height - MARGIN
    labels = [_fit(draw, s.label, label_font, inner * 0.3) for s in stacks]
    left = MARGIN + max((draw.textlength(t, font=label_font) for t in labels), default=0) + 10
    late_room = max((draw.textlength(s.late, font=value_font) for s in stacks), default=0)
    span = WIDTH - MARGIN - left - late_room - 40
    scale = max((sum(s.parts) for s in stacks), default=1) or 1
    row = (bottom - top) / rows
    thickness = min(row * 0.6, 22)
    for i, (stack, label) in enumerate(zip(stacks, labels, strict=True)):
        middle = top + row * (i + 0.5)
        y0, y1 = middle - thickness / 2, middle + thickness / 2
        draw.text((left - 10, middle), label, font=label_font, fill=TEXT_COLOUR, anchor="rm")
        x0 = left
        for count, colour in zip(stack.parts, STACK_COLOURS, strict=False):
            if count:
                x1 = x0 + span * count / scale
                draw.rectangle((x0, y0, x1, y1), fill=colour)
                x0 = x1
        draw.text((x0 + 6, middle), f"{sum(stack.parts)} {stack.late}".strip(),
                  font=value_font, fill=LATE_COLOUR if stack.late else TEXT_COLOUR,
                  anchor="lm")
    draw.line((left, top, left, bottom), fill=AXIS_COLOUR, width=1)
    return _png(image)
