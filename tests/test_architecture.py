"""The shape of the app (see docs/architecture.md and .importlinter)."""

import ast
import configparser
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def import_graph():
    import grimp

    sys.path.insert(0, str(ROOT))
    try:
        return grimp.build_graph("lemontaps", cache_dir=None)
    finally:
        sys.path.remove(str(ROOT))


def test_every_import_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("contract_type", ["layers", "acyclic_siblings", "forbidden"])
def test_the_contracts_cover_layers_cycles_and_the_emulator(contract_type):
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    types = {config[s]["type"] for s in config.sections() if s.startswith("importlinter:contract:")}
    assert contract_type in types


def test_no_module_reaches_itself_through_its_imports(import_graph):
    """Stricter than the sibling contract: no cycle between any two modules of the app."""
    for module in sorted(import_graph.modules):
        for imported in import_graph.find_modules_directly_imported_by(module):
            if imported.startswith("lemontaps") and imported != module:
                assert not import_graph.chain_exists(importer=imported, imported=module), (
                    f"{module} -> {imported} -> ... -> {module}"
                )


def test_production_app_imports_no_emulator_module(tmp_path):
    """The emulator is the demo's and the tests' own process, never part of the app."""
    probe = (
        "import sys\n"
        "from wsgi import app\n"
        "app.test_client().get('/healthz')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'salesforce_emulator'))\n"
    )
    env = {
        "APP_CONFIG": "production",
        "SECRET_KEY": "architecture-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite'}",
        "TOKEN_ENCRYPTION_KEYS": "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# Layers whose functions flush and leave the commit to the caller (docs/architecture.md).
FLUSH_ONLY_PACKAGES = ("services", "pushes", "notifications", "salesforce", "models")


def _functions_that_commit(path: Path, module: str) -> set[str]:
    found = set()

    def walk(node, names):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                walk(child, [*names, child.name])
                continue
            func = getattr(child, "func", None)
            if isinstance(child, ast.Call) and getattr(func, "attr", None) == "commit":
                found.add(".".join([module, *names]))
            walk(child, names)

    walk(ast.parse(path.read_text()), [])
    return found


def test_only_the_documented_functions_commit_below_the_callers():
    committing = set()
    for package in FLUSH_ONLY_PACKAGES:
        for path in sorted((ROOT / "lemontaps" / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            committing |= _functions_that_commit(path, module.removesuffix(".__init__"))
    doc = (ROOT / "docs" / "architecture.md").read_text()
    section = doc.split("## The transaction rule", 1)[1]
    documented = set(re.findall(r"^\| `(lemontaps\.[\w.]+)` \|", section, re.M))
    assert documented, "docs/architecture.md names no committing function"
    assert committing == documented


def _is_test_module_or_conftest(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def test_no_test_file_imports_a_test_module_or_a_conftest():
    """Shared code lives in helper modules (tests/helpers.py, tests/e2e/helpers.py, ...);
    fixtures reach tests through pytest, never by import."""
    offences = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                imported = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            offences += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                for name in imported
                if _is_test_module_or_conftest(name)
            ]
    assert offences == []
