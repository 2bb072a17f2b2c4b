"""#24 item 6: a derivation without a named loss says "no named loss" everywhere — the
attribute, the text, the derive report and the CLI — and a named loss's note speaks the
matched family's own parameter names, never another family's."""

from __future__ import annotations

import json
import re

import pytest

import mlekit as mk
from mlekit.cli import main
from mlekit.families import FAMILIES, get_family

NO = "no named loss"


def test_no_named_loss_is_one_string_everywhere(capsys, tmp_path):
    d = mk.derive(mk.Gamma)
    assert d.loss_name == NO and not d.named
    assert d.loss_name in str(d) and d.loss_name in d.to_markdown()
    assert NO in d.to_mathml() and NO in d.to_latex()
    named = mk.derive("normal", wrt="mu")
    assert named.loss_name == "squared error" and named.named

    from mlekit.report import derive_report

    page = derive_report(d, mk.Gamma, tmp_path / "d.html").read_text("utf-8")
    assert NO in page and ">None<" not in page

    assert main(["derive", "gamma", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loss_name"] == NO  # was "None"
    assert main(["derive", "gamma"]) == 0
    text = capsys.readouterr().out
    assert f"named loss: {NO}" in text and "None" not in text


def _param_names(fam) -> set[str]:
    return set(get_family(fam).param_names) if isinstance(fam, str) else set(fam.param_names)


ALL_NAMES = set().union(*(_param_names(f) for f in FAMILIES))

# every family/parameter combination the named-loss templates match (see _templates.py)
CASES = [
    ("normal", {"wrt": "mu"}), ("normal", {"wrt": ("mu", "sigma")}),
    ("laplace", {"wrt": "mu"}), ("bernoulli", {}), ("binomial", {}), ("poisson", {}),
    ("exponential", {}), ("gamma", {"wrt": "rate"}), ("gamma", {"link": {"mean": "log"}}),
    ("logistic", {}), ("cauchy", {"wrt": "mu"}), ("studentt", {}),
]


@pytest.mark.parametrize(("family", "kw"), CASES, ids=[f"{f}-{'-'.join(map(str, k.values()))}"
                                                        for f, k in CASES])
def test_note_uses_the_family_s_own_parameter_names(family, kw):
    d = mk.derive(family, **kw)
    assert d.named and d.note
    own = _param_names(family) | set(d.wrt) | {str(s) for s in d.param_symbols.values()}
    words = set(re.findall(r"[A-Za-z_]\w*", d.note))
    borrowed = (words & ALL_NAMES) - own - {"mean"}  # "mean" as English (the mean)
    assert not borrowed, f"{family}: the note {d.note!r} speaks of {sorted(borrowed)}"


def test_exponential_note_names_its_own_mean():
    """The Exponential matches the Gamma deviance with shape 1: its mean is 1/rate."""
    note = mk.derive("exponential").note
    assert "1/rate" in note and "shape" not in note and "mu" not in note.split()
