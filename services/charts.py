"""A bar chart of points against the maximum per criterion (PNG bytes)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from domain.i18n import local
from domain.rubric import Rubric
from domain.scoring import ScoreReport


@cache
def _font() -> str:
    import matplotlib
    from matplotlib import font_manager

    matplotlib.use("Agg")
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def score_chart(report: ScoreReport, rubric: Rubric, lang: str, title: str) -> bytes:
    family = _font()
    from matplotlib.figure import Figure

    labels = [local(rubric.criterion(c.id).label, lang) for c in report.criteria]
    points = [c.points for c in report.criteria]
    maxima = [c.max for c in report.criteria]
    fig = Figure(figsize=(6.4, 3.6), dpi=110)
    ax = fig.subplots()
    ys = range(len(labels))[::-1]
    ax.barh(ys, maxima, color="#e6e9ef", height=0.6)
    ax.barh(ys, points, color="#c0392b", height=0.6)
    for y, p, m in zip(ys, points, maxima, strict=True):
        ax.text(m + 0.3, y, f"{p}/{m}", va="center", fontsize=9, family=family)
    ax.set_yticks(list(ys), labels, family=family)
    ax.set_xlim(0, max(maxima) + 4)
    ax.set_title(title, family=family)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
