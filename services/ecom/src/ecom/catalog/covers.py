"""Book covers drawn as SVG from the book's own data (nothing can be downloaded here)."""

import hashlib
import textwrap
from xml.sax.saxutils import escape

from ecom.models import Book

WIDTH, HEIGHT = 300, 450


def _palette(seed: str) -> tuple[str, str]:
    digest = hashlib.sha256(seed.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    return f"hsl({hue},45%,32%)", f"hsl({(hue + 40) % 360},55%,82%)"


def _lines(text: str, width: int, max_lines: int) -> list[str]:
    lines = textwrap.wrap(text, width=width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(width - 1, 1)].rstrip() + "…"
    return lines


def render_cover(book: Book) -> str:
    """A deterministic cover: colours from the ISBN, title and author as escaped text (never markup)."""
    background, accent = _palette(book.isbn13)
    title = _lines(book.title, 16, 5)
    author = _lines(book.author, 24, 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(book.title, {chr(34): "&quot;"})}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{background}"/>',
        f'<rect x="18" y="18" width="{WIDTH - 36}" height="{HEIGHT - 36}" fill="none" stroke="{accent}" '
        'stroke-width="3"/>',
        f'<text x="{WIDTH // 2}" y="40" fill="{accent}" font-family="sans-serif" font-size="14" '
        f'text-anchor="middle">{escape(book.genre.upper())}</text>',
    ]
    for i, line in enumerate(title):
        parts.append(
            f'<text x="{WIDTH // 2}" y="{140 + i * 36}" fill="#ffffff" font-family="serif" font-size="28" '
            f'font-weight="bold" text-anchor="middle">{escape(line)}</text>'
        )
    for i, line in enumerate(author):
        parts.append(
            f'<text x="{WIDTH // 2}" y="{380 + i * 24}" fill="{accent}" font-family="sans-serif" font-size="18" '
            f'text-anchor="middle">{escape(line)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
