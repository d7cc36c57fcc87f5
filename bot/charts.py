"""The revenue chart of /stats: one bar per day, drawn with Pillow into PNG bytes."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from storage.models import DayRevenue

WIDTH: Final = 960
HEIGHT: Final = 540
_MARGIN_LEFT: Final = 110
_MARGIN_RIGHT: Final = 30
_MARGIN_TOP: Final = 80
_MARGIN_BOTTOM: Final = 90
_MAX_X_LABELS: Final = 12
_Y_TICKS: Final = 5

_BACKGROUND: Final = (255, 255, 255)
_INK: Final = (33, 37, 41)
_GRID: Final = (222, 226, 230)
BAR: Final = (25, 135, 84)
_MUTED: Final = (108, 117, 125)


@dataclass(frozen=True, slots=True)
class ChartWords:
    """The chart's words, already in the admin's language."""

    title: str
    total: str
    y_axis: str
    x_axis: str
    no_revenue: str


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow ships a scalable default font (used when FreeType is available).
    return ImageFont.load_default(size=size)


def _plain(text: str) -> str:
    # Babel's narrow and no-break spaces, and the en dash, are missing from Pillow's font.
    return text.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2013", "-")


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least `value` (1 for 0)."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def revenue_chart(
    days: Sequence[DayRevenue], words: ChartWords, amount: Callable[[int], str]
) -> bytes:
    """Draw revenue per day as bars, with axis labels and the period's total; return a PNG."""
    image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_font, label_font, small_font = _font(22), _font(14), _font(12)
    draw.text((_MARGIN_LEFT, 18), _plain(words.title), fill=_INK, font=title_font)
    draw.text((_MARGIN_LEFT, 48), _plain(words.total), fill=_MUTED, font=label_font)

    left, top = _MARGIN_LEFT, _MARGIN_TOP
    right, bottom = WIDTH - _MARGIN_RIGHT, HEIGHT - _MARGIN_BOTTOM
    top_value = nice_ceiling(max((day.revenue for day in days), default=0))

    for tick in range(_Y_TICKS + 1):
        value = top_value * tick // _Y_TICKS
        y = bottom - (bottom - top) * tick / _Y_TICKS
        draw.line([(left, y), (right, y)], fill=_GRID, width=1)
        label = _plain(amount(value))
        width = draw.textlength(label, font=small_font)
        draw.text((left - 8 - width, y - 7), label, fill=_MUTED, font=small_font)
    draw.line([(left, top), (left, bottom)], fill=_INK, width=1)
    draw.line([(left, bottom), (right, bottom)], fill=_INK, width=1)

    if days:
        slot = (right - left) / len(days)
        bar = max(1.0, slot * 0.7)
        every = max(1, math.ceil(len(days) / _MAX_X_LABELS))
        for index, day in enumerate(days):
            centre = left + slot * (index + 0.5)
            if day.revenue > 0:
                height = (bottom - top) * day.revenue / top_value
                draw.rectangle(
                    [(centre - bar / 2, bottom - height), (centre + bar / 2, bottom - 1)],
                    fill=BAR,
                )
            if index % every == 0 or index == len(days) - 1:
                label = day.day.strftime("%d/%m")
                width = draw.textlength(label, font=small_font)
                draw.text((centre - width / 2, bottom + 6), label, fill=_MUTED, font=small_font)
    if not any(day.revenue for day in days):
        message = _plain(words.no_revenue)
        width = draw.textlength(message, font=label_font)
        draw.text(
            ((left + right - width) / 2, (top + bottom) / 2 - 8),
            message,
            fill=_MUTED,
            font=label_font,
        )

    x_label = _plain(words.x_axis)
    width = draw.textlength(x_label, font=label_font)
    draw.text(((left + right - width) / 2, bottom + 32), x_label, fill=_INK, font=label_font)
    y_label = _plain(words.y_axis)
    draw.text((12, top - 28), y_label, fill=_INK, font=label_font)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
