"""The house stays readable: modules small enough to read in one sitting, functions short enough to hold in one's
head. (The layers and the circles are import-linter's, in `make lint`; branching and statements are ruff's C901
and PLR0915.) An exception is named here with its reason, or the module is split."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("crm", "network", "campaigns", "mypages", "dashboard", "pages")
MODULE_LINES = 450
FUNCTION_LINES = 60  # without its docstring

LONGER_MODULES: dict[str, int] = {}  # a module that must be longer, with its reason


def modules() -> list[Path]:
    return sorted(
        path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.relative_to(ROOT).parts
    )


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", modules(), ids=_name)
def test_no_module_is_longer_than_a_sitting(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= LONGER_MODULES.get(_name(path), MODULE_LINES), f"{_name(path)} has {lines} lines: split it"


def _function_lengths(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                length -= body[0].end_lineno - body[0].lineno + 1  # the docstring says why; it does not count
            yield node.name, node.lineno, length


def test_no_function_is_longer_than_a_screen():
    long = [
        f"{_name(path)}:{line} {name} ({length} lines)"
        for path in modules()
        for name, line, length in _function_lengths(path)
        if length > FUNCTION_LINES
    ]
    assert not long, "split these into named steps:\n" + "\n".join(long)


def test_the_limits_catch_a_long_module_and_a_long_function(tmp_path):
    """The checks above can fail."""
    module = tmp_path / "long.py"
    module.write_text('def f():\n    """Why."""\n' + "    x = 1\n" * (FUNCTION_LINES + 1))
    ((name, _line, length),) = _function_lengths(module)
    assert name == "f" and length == FUNCTION_LINES + 2 > FUNCTION_LINES
