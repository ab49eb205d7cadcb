"""The simulation engine must stay pure: no web framework, no database, no app layers.

DESIGN.md: engine/ imports SimPy, NumPy, pydantic and the standard library only, takes plain
data in and returns plain data out, and runs headless from the command line and from tests.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE_DIR = ROOT / "simshop" / "engine"

FORBIDDEN_TOP_LEVEL = ("flask", "sqlalchemy", "werkzeug", "alembic", "wtforms", "jinja2")
FORBIDDEN_PREFIXES = ("flask_",)
# Everything in simshop outside the engine is app code the engine must not reach into.
ALLOWED_SIMSHOP = ("simshop.engine",)


def is_forbidden(module: str) -> bool:
    top = module.split(".")[0]
    if top in FORBIDDEN_TOP_LEVEL or top.startswith(FORBIDDEN_PREFIXES):
        return True
    if top == "simshop" and module != "simshop":  # the package itself is import-light
        return not any(module == ok or module.startswith(ok + ".") for ok in ALLOWED_SIMSHOP)
    return False


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[str]:
    """Every module an engine file imports, with relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.append(target)
            # `from simshop import models` names the module in the alias.
            found.extend(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.append(str(node.args[0].value))
    return found


def engine_files() -> list[Path]:
    return sorted(ENGINE_DIR.rglob("*.py"))


def test_is_forbidden_recognises_app_modules():
    assert is_forbidden("flask")
    assert is_forbidden("flask_login.utils")
    assert is_forbidden("sqlalchemy.orm")
    assert is_forbidden("simshop.models.user")
    assert is_forbidden("simshop.services")
    assert is_forbidden("simshop.views.auth")
    assert not is_forbidden("simshop.engine.market")
    assert not is_forbidden("simshop")
    assert not is_forbidden("numpy")
    assert not is_forbidden("simpy")


def test_engine_source_imports_no_web_or_database_code():
    offenders = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in engine_files()
        for name in imported_modules(path)
        if is_forbidden(name)
    }
    assert sorted(offenders) == []


def test_importing_the_engine_loads_no_web_or_database_code():
    """Import every engine module in a fresh interpreter and look at sys.modules."""
    script = """
import importlib, json, pkgutil, sys
import simshop.engine
for info in pkgutil.walk_packages(simshop.engine.__path__, "simshop.engine."):
    importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert [name for name in loaded if is_forbidden(name)] == []


def test_message_tables_live_only_in_simshop_messages():
    """Every ``*_MESSAGES`` table (code -> translated text) has one home."""
    homes = {}
    for path in sorted((ROOT / "simshop").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            for target in targets:
                if isinstance(target, ast.Name) and target.id.endswith("_MESSAGES"):
                    homes[target.id] = module_name(path)
    assert set(homes.values()) == {"simshop.messages"}
    assert {"DECISION_MESSAGES", "PROBLEM_MESSAGES", "GAME_MESSAGES"} <= set(homes)


def test_no_function_runs_over_sixty_lines():
    """Long functions are split into named pieces (issue 10): none over 60 lines."""
    long = []
    for path in sorted((ROOT / "simshop").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > 60:
                    long.append((module_name(path), node.name, length))
    assert long == []
