"""The partner guide to webhooks (``docs/webhooks.md``) as a portal page.

A deliberately small rendering of the Markdown the guide uses, with no dependency: headings,
fenced code blocks, tables, bullet lists and paragraphs, with inline ``code`` and **bold**.
Every piece of text is escaped first; the only markup in the result is what this module writes.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

GUIDE = Path(settings.BASE_DIR) / "docs" / "webhooks.md"
# Where the portal serves it (``webhook-guide``; a test keeps the two equal): the API schema's
# descriptions are written when the URLconf may not be loaded yet.
GUIDE_PATH = "/webhooks/guide/"

_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")
_HEADING = re.compile(r"^(#{1,4}) +(.*)$")


def _inline(text: str) -> str:
    """``text`` escaped, with `code` and **bold** marked up."""
    out, end = [], 0
    for match in _INLINE.finditer(text):
        out.append(escape(text[end : match.start()]))
        code, bold = match.groups()
        out.append(
            f"<code>{escape(code)}</code>"
            if code is not None
            else f"<strong>{escape(bold)}</strong>"
        )
        end = match.end()
    out.append(escape(text[end:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def render(markdown: str) -> tuple[str, SafeString]:
    """The guide's title (its first heading) and its body as HTML (the title left out)."""
    lines = markdown.splitlines()
    html: list[str] = []
    title = ""
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            language = stripped[3:].strip()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            label = f' data-language="{escape(language)}"' if language else ""
            html.append(f"<pre{label}><code>{escape(chr(10).join(code))}</code></pre>")
        elif heading := _HEADING.match(stripped):
            flush()
            level, text = len(heading.group(1)), heading.group(2)
            if level == 1 and not title:
                title = text
            else:
                level = max(level, 2)
                html.append(f'<h{level} id="{slugify(text)}">{_inline(text)}</h{level}>')
        elif stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            i -= 1
            head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= set("-: ") for c in r)]
            table = ['<div class="table-wrap"><table><thead><tr>']
            table += [f'<th scope="col">{_inline(cell)}</th>' for cell in head]
            table.append("</tr></thead><tbody>")
            for row in body:
                table.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>")
            table.append("</tbody></table></div>")
            html.append("".join(table))
        elif stripped.startswith("- "):
            if paragraph:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        elif items and line.startswith("  "):
            items[-1] += " " + stripped  # a list item's continuation line
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    return title, mark_safe("\n".join(html))  # noqa: S308 (every text above is escaped)


@cache
def _rendered(mtime_ns: int) -> tuple[str, SafeString]:
    return render(GUIDE.read_text(encoding="utf-8"))


def guide() -> tuple[str, SafeString]:
    """The guide rendered, read again when the file changes."""
    return _rendered(GUIDE.stat().st_mtime_ns)
