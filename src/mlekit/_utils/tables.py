"""One results table, rendered to text, HTML, LaTeX and Markdown.

Fit results and regression results both build a :class:`ResultsTable` and
render it here, so no results class carries its own ``summary()`` copy
(STYLE.md §10).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ResultsTable"]


def _fmt(v: Any, digits: int = 6) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v != 0 and (abs(v) < 1e-4 or abs(v) >= 1e6):
            return f"{v:.{digits - 2}e}"
        return f"{v:.{digits}g}"
    return str(v)


@dataclass
class ResultsTable:
    """A title, key/value facts, and a coefficient table.

    ``info`` is a list of ``(label, value)`` pairs; ``columns`` names the
    coefficient columns; ``rows`` is a list of ``(name, [values…])``. A row
    ``(heading, None)`` opens a block (one block per modelled parameter of a
    distributional regression: ``"sigma  (log link)"``).
    """

    title: str
    info: list[tuple[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str, list[Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ text
    def to_text(self) -> str:
        info = [(k, _fmt(v)) for k, v in self.info]
        half = (len(info) + 1) // 2
        left, right = info[:half], info[half:]
        lw = max((len(k) + len(v) for k, v in left), default=0) + 4
        rw = max((len(k) + len(v) for k, v in right), default=0) + 4
        body_rows = [[name, *(_fmt(v) for v in vals)] for name, vals in self.rows
                     if vals is not None]
        header = ["", *self.columns]
        widths = [max(len(r[i]) for r in [header, *body_rows]) for i in range(len(header))]
        table_width = sum(widths) + 2 * (len(widths) - 1) if self.columns else 0
        width = max(lw + rw + 2, table_width, len(self.title))
        lines = [self.title.center(width), "=" * width]
        for i in range(half):
            k, v = left[i]
            line = f"{k}:".ljust(lw - len(v)) + v
            if i < len(right):
                k2, v2 = right[i]
                line = line.ljust(width - rw) + f"{k2}:".ljust(rw - len(v2)) + v2
            lines.append(line)
        if self.columns:
            lines.append("-" * width)
            lines.append("  ".join(h.rjust(w) if j else h.ljust(w)
                                   for j, (h, w) in enumerate(zip(header, widths, strict=True))))
            lines.append("-" * width)
            for name, vals in self.rows:
                if vals is None:  # a block heading
                    lines.append(f"[{name}]")
                    continue
                r = [name, *(_fmt(v) for v in vals)]
                lines.append("  ".join(c.rjust(w) if j else c.ljust(w)
                                       for j, (c, w) in enumerate(zip(r, widths, strict=True))))
        lines.append("=" * width)
        lines.extend(self.notes)
        return "\n".join(lines)

    __str__ = to_text

    # ------------------------------------------------------------------ html
    def to_html(self) -> str:
        e = html.escape
        out = [f'<table class="mlekit-summary"><caption>{e(self.title)}</caption>']
        for k, v in self.info:
            out.append(f"<tr><th>{e(k)}</th><td colspan='{max(len(self.columns), 1)}'>"
                       f"{e(_fmt(v))}</td></tr>")
        if self.columns:
            heads = "".join(f"<th>{e(c)}</th>" for c in self.columns)
            out.append(f"<tr><th></th>{heads}</tr>")
            for name, vals in self.rows:
                if vals is None:
                    out.append(f"<tr class='mlekit-block'><th colspan='{len(self.columns) + 1}'>"
                               f"{e(name)}</th></tr>")
                    continue
                out.append(f"<tr><th>{e(name)}</th>"
                           + "".join(f"<td>{e(_fmt(v))}</td>" for v in vals) + "</tr>")
        out.append("</table>")
        for n in self.notes:
            out.append(f"<p class='mlekit-note'>{e(n)}</p>")
        return "\n".join(out)

    # ------------------------------------------------------------------ latex
    def to_latex(self) -> str:
        def esc(s: str) -> str:
            for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"),
                         ("#", r"\#"), ("$", r"\$")):
                s = s.replace(a, b)
            return s

        ncol = len(self.columns)
        out = [r"\begin{tabular}{l" + "r" * ncol + "}", r"\hline",
               rf"\multicolumn{{{ncol + 1}}}{{c}}{{{esc(self.title)}}} \\", r"\hline"]
        for k, v in self.info:
            out.append(rf"{esc(k)} & \multicolumn{{{max(ncol, 1)}}}{{r}}{{{esc(_fmt(v))}}} \\")
        if ncol:
            out.append(r"\hline")
            out.append(" & ".join(["", *map(esc, self.columns)]) + r" \\")
            out.append(r"\hline")
            for name, vals in self.rows:
                if vals is None:
                    out.append(rf"\multicolumn{{{ncol + 1}}}{{l}}{{\textit{{{esc(name)}}}}} \\")
                    continue
                out.append(" & ".join([esc(name), *(esc(_fmt(v)) for v in vals)]) + r" \\")
        out += [r"\hline", r"\end{tabular}"]
        return "\n".join(out)

    # ------------------------------------------------------------------ markdown
    def to_markdown(self) -> str:
        out = [f"**{self.title}**", ""]
        out += [f"- {k}: {_fmt(v)}" for k, v in self.info]
        if self.columns:
            out += ["", "| | " + " | ".join(self.columns) + " |",
                    "|---|" + "---:|" * len(self.columns)]
            out += [("| **" + name + "** |" + " |" * len(self.columns)) if vals is None else
                    "| " + name + " | " + " | ".join(_fmt(v) for v in vals) + " |"
                    for name, vals in self.rows]
        out += ["", *self.notes]
        return "\n".join(out).rstrip() + "\n"

    def _repr_html_(self) -> str:
        return self.to_html()
