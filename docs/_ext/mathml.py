"""Render ``:math:`` and ``.. math::`` as MathML at build time (no JavaScript, no network).

Sphinx's default, ``sphinx.ext.mathjax``, leaves the LaTeX source in the page and
loads MathJax from a CDN to typeset it in the browser: offline, the reader sees
raw LaTeX. This extension converts every math node to MathML with
`latex2mathml <https://pypi.org/project/latex2mathml/>`_ while the site is built;
all current browsers (Firefox, Chromium 109+, Safari) render MathML natively, so
the built pages show typeset math with no script and no connection.

LaTeX that latex2mathml cannot convert, or converts into an unknown ``\\command``,
is reported as a Sphinx warning (an error under ``-W``), with the page and line,
so a formula never silently turns into raw source.

Enabled in ``conf.py`` with ``extensions += ["mathml"]`` and
``html_math_renderer = "mathml"``.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)

# an unknown command comes out as <mi>\foo</mi> (latex2mathml keeps the text)
_LEFTOVER = re.compile(r">\s*(\\[A-Za-z]+)\s*<")
# operator names that latex2mathml 3.81 does not know, spelled out
_OPERATORS = re.compile(r"\\(arg|deg|hom|ker)(?![A-Za-z])")


def latex_to_mathml(latex: str, display: str = "inline") -> str:
    """MathML for ``latex``; raises ``ValueError`` when it cannot be converted."""
    from latex2mathml.converter import convert

    latex = _OPERATORS.sub(r"\\operatorname{\1}", latex)
    try:
        mathml = convert(latex, display=display)
    except Exception as exc:  # latex2mathml raises its own exception classes
        raise ValueError(f"{type(exc).__name__}: {exc}") from exc
    leftover = _LEFTOVER.search(mathml)
    if leftover:
        raise ValueError(f"unknown LaTeX command {leftover.group(1)}")
    return mathml


def _convert(translator: Any, node: nodes.Element, latex: str, display: str) -> str:
    try:
        return latex_to_mathml(latex, display)
    except ValueError as exc:
        logger.warning("cannot convert math to MathML (%s): %s", exc, latex,
                       location=node, type="mathml")
        return f'<code class="math-source">{translator.encode(latex)}</code>'


def html_visit_math(self: Any, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_convert(self, node, node.astext(), "inline"))
    self.body.append("</span>")
    raise nodes.SkipNode


def html_visit_displaymath(self: Any, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    latex = node.astext()
    if not node.get("no-wrap", node.get("nowrap", False)):
        # as sphinx.ext.mathjax: blank-line separated equations are aligned, and an
        # equation with line breaks is an aligned (split) block
        parts = [p.strip() for p in latex.split("\n\n") if p.strip()]
        if len(parts) > 1 or any(r"\\" in p for p in parts):
            latex = r"\begin{aligned}" + r" \\ ".join(parts) + r"\end{aligned}"
    self.body.append(_convert(self, node, latex, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Any) -> dict[str, Any]:
    app.add_html_math_renderer(
        "mathml",
        inline_renderers=(html_visit_math, None),
        block_renderers=(html_visit_displaymath, None),
    )
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
