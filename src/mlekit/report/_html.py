"""The HTML page: one self-contained file, written atomically, never over an input file.

No external requests: no scripts, no CDN, no web fonts, no images by URL —
figures are inline SVG and math is MathML, both rendered by the browser itself.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..errors import DataError

__all__ = ["Page", "Section", "check_output_path", "write_html"]

_CSS = """
:root { color-scheme: light; --ink:#1d2433; --muted:#5b6478; --line:#dde2ea; --accent:#2a5db0;
        --ok:#1b7f3b; --bad:#b3261e; --bg:#fbfcfe; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 28px 64px; }
header h1 { font-size: 30px; margin: 0 0 4px; }
header p.lead { color: var(--muted); margin: 0 0 18px; font-size: 17px; }
nav.toc { background:#fff; border:1px solid var(--line); border-radius:10px; padding:10px 18px;
          margin: 0 0 24px; }
nav.toc ol { margin: 6px 0; padding-left: 22px; columns: 2; }
section { background:#fff; border:1px solid var(--line); border-radius:12px;
          padding: 18px 24px 22px; margin: 0 0 22px; box-shadow: 0 1px 2px rgba(0,0,0,.03); }
section h2 { margin: 4px 0 6px; font-size: 22px; }
section h2 .num { display:inline-block; min-width: 1.6em; color: var(--accent); }
section p.idea { color: var(--muted); margin-top: 0; }
.figs { display:flex; flex-wrap:wrap; gap: 14px; margin: 10px 0; }
figure { margin:0; flex: 1 1 460px; min-width: 320px; max-width: 620px; }
figure svg { width:100%; height:auto; display:block; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 2px; }
table { border-collapse: collapse; margin: 10px 0; font-variant-numeric: tabular-nums;
        font-size: 15px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 12px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
.check { font-weight: 600; }
.check.ok { color: var(--ok); }
.check.bad { color: var(--bad); }
.mlekit-derivation { border-left: 3px solid var(--accent); padding: 2px 0 2px 16px;
                     margin: 12px 0; overflow-x: auto; }
.mlekit-derivation h3 { font-size: 17px; margin: 6px 0; }
.mlekit-derivation li p { margin: 6px 0 2px; }
.mlekit-derivation dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; }
.mlekit-derivation dt { font-weight: 600; align-self: center; }
.mlekit-derivation dd { margin: 0; }
.mlekit-derivation dd math { display: math; }
table.mlekit-summary { font-size: 14px; }
table.mlekit-summary th, table.mlekit-summary td { padding: 2px 10px; }
math[display="block"] { margin: 4px 0; font-size: 1.08em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
            font-size: 14px; }
pre { background:#f4f6fa; border-radius:8px; padding:10px 12px; overflow-x:auto; }
footer { color: var(--muted); font-size: 13px; margin-top: 30px; }
.mlekit-note { color: var(--muted); font-size: 14px; margin: 2px 0; }
"""


@dataclass
class Section:
    """One numbered section: a title, a one-line idea, and HTML body parts."""

    title: str
    idea: str = ""
    parts: list[str] = field(default_factory=list)
    anchor: str = ""

    def add(self, fragment: str) -> Section:
        self.parts.append(fragment)
        return self

    def para(self, text: str) -> Section:
        return self.add(f"<p>{html.escape(text)}</p>")

    def figures(self, figs: Sequence[tuple[str, str]]) -> Section:
        """Add SVG figures side by side: ``[(svg, caption), …]``."""
        items = "".join(f"<figure>{svg}<figcaption>{html.escape(cap)}</figcaption></figure>"
                        for svg, cap in figs)
        return self.add(f'<div class="figs">{items}</div>')

    def table(self, caption: str, header: Sequence[str],
              rows: Iterable[Sequence[object]]) -> Section:
        e = html.escape
        out = [f"<table><caption>{e(caption)}</caption><tr>"
               + "".join(f"<th>{e(str(h))}</th>" for h in header) + "</tr>"]
        for r in rows:
            out.append("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in r) + "</tr>")
        out.append("</table>")
        return self.add("".join(out))

    def check(self, ok: bool, text: str) -> Section:
        cls, mark = ("ok", "✔") if ok else ("bad", "✘")
        return self.add(f'<p class="check {cls}">{mark} {html.escape(text)}</p>')


def _cell(v: object) -> str:
    from .._utils.tables import _fmt

    if isinstance(v, float):
        return html.escape(_fmt(v))
    if hasattr(v, "item") and not isinstance(v, str):
        try:
            return html.escape(_fmt(v.item()))  # numpy scalar
        except (TypeError, ValueError):
            pass
    return html.escape(str(v))


@dataclass
class Page:
    """A whole report: title, lead paragraph, sections; :meth:`render` gives the HTML text."""

    title: str
    lead: str = ""
    sections: list[Section] = field(default_factory=list)
    source: str = ""

    def section(self, title: str, idea: str = "") -> Section:
        s = Section(title, idea, anchor=f"s{len(self.sections) + 1}")
        self.sections.append(s)
        return s

    def render(self) -> str:
        e = html.escape
        toc = ""
        if len(self.sections) > 1:
            toc = ('<nav class="toc"><strong>Contents</strong><ol>'
                   + "".join(f'<li><a href="#{s.anchor}">{e(s.title)}</a></li>'
                             for s in self.sections) + "</ol></nav>")
        body = []
        for i, s in enumerate(self.sections, 1):
            num = f'<span class="num">{i}</span>' if len(self.sections) > 1 else ""
            body.append(f'<section id="{s.anchor}"><h2>{num}{e(s.title)}</h2>'
                        + (f'<p class="idea">{e(s.idea)}</p>' if s.idea else "")
                        + "\n".join(s.parts) + "</section>")
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        src = f" · data: {e(self.source)}" if self.source else ""
        joined = "\n".join(body)
        has = [w for w, tag in (("figures are inline SVG", "<svg"),
                                ("formulas are MathML", "<math")) if tag in joined]
        made = f"Self-contained{': ' + ', '.join(has) if has else ''}; "
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(self.title)}</title><style>{_CSS}</style></head><body><main>"
            f"<header><h1>{e(self.title)}</h1>"
            + (f'<p class="lead">{e(self.lead)}</p>' if self.lead else "")
            + "</header>" + toc + joined
            + f"<footer>Generated by mlekit {_version()} on {stamp}{src}. {made}"
            "the page makes no network requests.</footer>"
            "</main></body></html>\n"
        )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("mlekit")
    except Exception:  # pragma: no cover - not installed
        return "dev"


def check_output_path(out: str | os.PathLike[str],
                      inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Refuse a report path that is an input file, a directory, or in a missing directory."""
    p = Path(out)
    if p.is_dir():
        raise DataError(f"report path {p} is a directory; give a file name such as report.html")
    if not p.parent.exists():
        raise DataError(f"cannot write report {p}: directory {p.parent} does not exist")
    target = p.resolve()
    for i in inputs:
        ip = Path(i)
        if ip.exists() and (ip.resolve() == target or (p.exists() and _same_file(ip, p))):
            raise DataError(f"refusing to write the report over the input file {ip}; "
                            "choose another --report/--out path")
    return p


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_html(out: str | os.PathLike[str], text: str,
               inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Write ``text`` to ``out`` atomically: a temporary file in the same directory, then
    :func:`os.replace`. A reader never sees a half-written report; an input file is never
    overwritten."""
    p = check_output_path(out, inputs)
    directory = p.parent if str(p.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise DataError(f"cannot write report {p}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return p
