"""``import mlekit``, ``mlekit --help`` and the commonest one-line errors stay light (issue #24).

Not timed (times live in ``benchmarks/bench_startup.py``): each check runs a fresh Python
and reads ``sys.modules``, so a heavy import that creeps back in fails here on any machine.
The laziness must not change what users see: every public name still resolves, ``mk.derive``
is the function, the CLI's early checks say what the full code paths say.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("numpy", "scipy", "pandas", "sympy", "matplotlib", "dask", "torch", "sklearn",
         "formulaic", "pyarrow", "pydantic")


def _run(code: str, cwd: Path | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line, returned parsed."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120, cwd=cwd, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_mlekit_imports_nothing_heavy():
    got = _run(f"""
        import json, sys
        import mlekit
        print(json.dumps(sorted(m for m in {HEAVY + ("typer", "rich")!r} if m in sys.modules)))
    """)
    assert got == []


def test_cli_help_and_early_errors_import_nothing_heavy(tmp_path):
    """``mlekit --help``, ``mlekit fit --help`` and the early errors, in one process: after
    each, no heavy module (for the help, not even pydantic, which typer loads to parse)."""
    got = _run(f"""
        import contextlib, io, json, sys
        from mlekit.cli import main
        heavy = {HEAVY!r}
        runs = []
        for argv in (["--help"], ["fit", "--help"], ["regress", "-h"],
                     ["fit", "missing.csv", "-c", "x", "-F", "normal"],
                     ["regress", "data.csv", "--family", "nosuch"],
                     ["fit", "missing.csv", "-c", "x", "-F", "gamma,weibul"]):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
            runs.append([argv, code, err.getvalue(), len(out.getvalue()),
                         sorted(m for m in heavy if m in sys.modules)])
        print(json.dumps(runs))
    """, cwd=tmp_path)
    for argv, code, err, n_out, loaded in got:
        if "--help" in argv or "-h" in argv:
            assert loaded == [], (argv, loaded)
            assert code == 0 and n_out > 500 and err == "", (argv, err)
        else:  # typer parses the values with pydantic: unavoidable once a command runs
            assert [m for m in loaded if m != "pydantic"] == [], (argv, loaded)
            assert code == 2, (argv, err)
            assert err.count("\n") == 1 and err.startswith("mlekit: error: "), err
    errors = [run[2] for run in got[3:]]
    assert errors[0] == "mlekit: error: missing.csv: no such file\n"
    assert errors[1].startswith("mlekit: error: unknown family 'nosuch'; did you mean")
    assert errors[2].startswith("mlekit: error: unknown family 'weibul'; did you mean 'weibull'")


def test_public_names_resolve():
    """Every name of ``__all__`` loads on first use and ``dir`` lists it (in this process:
    in the whole suite the modules are loaded already)."""
    import mlekit as mk

    assert [n for n in mk.__all__ if getattr(mk, n, None) is None] == []
    assert sorted(set(mk.__all__) - set(dir(mk))) == []
    assert callable(mk.derive) and type(mk.derive).__name__ == "function"
    assert type(mk.losses).__name__ == type(mk.datasets).__name__ == "module"
    assert mk.Normal.fit([1.0, 2.0, 3.0]).params["mu"] == 2.0
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        mk.nosuch  # noqa: B018


def test_derive_is_the_function_when_the_subpackage_came_first():
    """Importing ``mlekit.derive`` binds the sub-package as the attribute ``derive`` of the
    package; ``mk.derive`` must still be the function (it was before the names were lazy)."""
    got = _run("""
        import json
        import mlekit.derive
        import mlekit as mk
        from mlekit import derive
        print(json.dumps([type(mk.derive).__name__, derive is mk.derive]))
    """)
    assert got == ["function", True]


@pytest.mark.parametrize("first", ["from mlekit.families import Normal",
                                   "from mlekit.families.custom import custom_family",
                                   "from mlekit.estimate import fit"])
def test_family_fit_works_whatever_is_imported_first(first):
    """``Family.fit`` needs the backend of :mod:`mlekit.estimate`, a floor above the
    families; the package root wires it however the program starts."""
    got = _run(f"""
        import json
        {first}
        from mlekit.families import Normal
        res = Normal.fit([1.0, 2.0, 4.0])
        print(json.dumps([res.params["mu"], res.params["sigma"]]))
    """)
    x = [1.0, 2.0, 4.0]
    mu = sum(x) / 3
    sigma = (sum((v - mu) ** 2 for v in x) / 3) ** 0.5  # the MLE divides by n
    assert got == pytest.approx([mu, sigma], rel=1e-9)


def test_name_table_is_the_registry():
    """The light table of names (read by the CLI before any family is imported) holds
    exactly the registered built-in families and aliases, in registration order."""
    from mlekit._utils.family_names import FAMILY_ALIASES, FAMILY_NAMES
    from mlekit.families import FAMILIES
    from mlekit.families._registry import _ALIASES

    assert list(FAMILY_NAMES) == [n for n in FAMILIES if n in FAMILY_NAMES]
    assert set(FAMILY_NAMES) == {n for n, f in FAMILIES.items() if type(f).__module__
                                 .startswith("mlekit.families.")
                                 and not type(f).__module__.startswith(
                                     ("mlekit.families.custom", "mlekit.families.combinators"))}
    assert {a: n for a, n in _ALIASES.items() if n in FAMILY_NAMES} == FAMILY_ALIASES


@pytest.mark.parametrize("typed", ["nosuch", "normall", "negbinomial2", "gausian", "wei",
                                   "Student-T", "GAUSSIAN", "nb2", "x"])
def test_cli_name_check_says_what_get_family_says(typed):
    from mlekit._utils.family_names import check_family_names
    from mlekit.errors import UnknownNameError
    from mlekit.families import get_family

    try:
        expected = get_family(typed).name
    except UnknownNameError as exc:
        with pytest.raises(UnknownNameError) as got:
            check_family_names(typed)
        assert str(got.value) == str(exc)
    else:
        check_family_names(typed)  # accepted by both
        assert expected in ("studentt", "normal", "negativebinomial")


def test_cli_file_check_says_what_read_table_says(tmp_path):
    from mlekit.cli import _check_input_file
    from mlekit.errors import DataError
    from mlekit.io import read_table

    for path in (tmp_path / "missing.csv", tmp_path):
        with pytest.raises(DataError) as want:
            read_table(path)
        with pytest.raises(DataError) as got:
            _check_input_file(path)
        assert str(got.value) == str(want.value)


def test_help_without_parsing_prints_clicks_help(capsys, monkeypatch):
    """``mlekit fit --help`` skips argument parsing; its text equals click's own path."""
    from typer.main import get_command

    from mlekit import cli

    monkeypatch.setenv("COLUMNS", "100")
    assert cli.main(["fit", "--help"]) == 0
    fast = capsys.readouterr().out
    command = get_command(cli.app)
    with pytest.raises(SystemExit) as done:
        command.main(args=["fit", "--help"], prog_name="mlekit")
    assert done.value.code == 0
    assert capsys.readouterr().out == fast
    assert "Usage: mlekit fit" in fast and "--column" in fast
