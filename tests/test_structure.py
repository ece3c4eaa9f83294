"""The dependency picture holds: the import contracts (.importlinter) are kept, and no product
module hides a dependency on another app inside a function (an import there escapes the eye and
used to hide cycles). Test modules may import across apps; the demo is above everything."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pathways"

#: Function-local imports of another app that are allowed, each named in a decision record:
#: (module path, imported module) -> the record.
ALLOWED: dict[tuple[str, str], str] = {}


def _product_modules() -> list[Path]:
    return [
        path
        for path in sorted(PACKAGE.rglob("*.py"))
        if not {"tests", "migrations", "static"} & set(path.relative_to(PACKAGE).parts)
        and path.name != "conftest.py"
    ]


def function_local_cross_app_imports(path: Path, app: str) -> list[tuple[int, str]]:
    """(line, module) of each import of another Pathways app than `app` inside a function of
    the module at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            names: list[str]
            if isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] == "pathways" and len(parts) > 1 and parts[1] != app:
                    found.append((inner.lineno, name))
    return sorted(set(found))


def test_no_function_hides_an_import_of_another_app() -> None:
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _product_modules()
        for line, module in function_local_cross_app_imports(
            path, path.relative_to(PACKAGE).parts[0]
        )
        if (str(path.relative_to(ROOT)), module) not in ALLOWED
    ]
    assert hidden == [], "move these to the top of the module (or invert them):\n" + "\n".join(
        hidden
    )


def test_the_finder_sees_a_hidden_import(tmp_path: Path) -> None:
    """The check above can fail: a planted function-local import is found."""
    module = tmp_path / "planted.py"
    module.write_text(
        "from pathways.referrals.models import Referral\n\n"
        "def f():\n    from pathways.referrals import selectors\n"
        "    from pathways.workflow.services import x\n    return x\n"
    )
    found = function_local_cross_app_imports(module, "referrals")
    assert found == [(5, "pathways.workflow.services")]


def test_the_import_contracts_are_kept() -> None:
    """`lint-imports` (run by dev.py before the suite, too) passes on the tree as it is."""
    linter = Path(sys.executable).with_name("lint-imports")
    if not linter.exists():
        pytest.fail(f"import-linter is not installed next to {sys.executable}")
    done = subprocess.run(  # noqa: S603 - our own venv's linter, fixed arguments
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-4000:]


#: The longest a view function may be: a longer one is doing a selector's or a service's work.
VIEW_MAX_LINES = 60


def long_functions(path: Path, limit: int = VIEW_MAX_LINES) -> list[tuple[str, int]]:
    """(name, lines) of each function in the module at `path` longer than `limit` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]


def test_views_stay_thin() -> None:
    long = {
        str(path.relative_to(ROOT)): found
        for path in _product_modules()
        if path.name.endswith("views.py") and (found := long_functions(path))
    }
    assert long == {}, f"views over {VIEW_MAX_LINES} lines: move reads to selectors: {long}"


def positional_selectors(path: Path) -> list[str]:
    """Public functions of a selectors module that take an argument by position (one with
    *args, such as has_role(user, *roles), cannot be keyword-only and is let be)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and (node.args.args or node.args.posonlyargs)
        and node.args.vararg is None
    ]


def test_selectors_take_keyword_arguments() -> None:
    positional = {
        str(path.relative_to(ROOT)): found
        for path in sorted(PACKAGE.glob("*/selectors.py"))
        if (found := positional_selectors(path))
    }
    assert positional == {}, f"selectors must be keyword-only (def f(*, ...)): {positional}"


def test_the_shape_checks_see_what_they_look_for(tmp_path: Path) -> None:
    module = tmp_path / "views.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(VIEW_MAX_LINES))
    module.write_text(f"def short(request):\n    return 1\n\n\ndef long(request):\n{body}\n")
    assert long_functions(module) == [("long", VIEW_MAX_LINES + 1)]
    selectors = tmp_path / "selectors.py"
    selectors.write_text(
        "def a(user): ...\ndef b(*, user): ...\ndef c(user, *roles): ...\ndef _d(x): ...\n"
    )
    assert positional_selectors(selectors) == ["a"]
