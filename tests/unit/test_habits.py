"""The habits the project keeps: formatted, simple, layered, with a declared public surface."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RAG = ROOT / "rag"
# Layers, lowest first: a module may import only from its own layer or below.
LAYERS: list[tuple[str, ...]] = [
    (
        "rag.errors",
        "rag.yamlfile",
        "rag.locks",
        "rag.cachefiles",
        "rag.lexical",
        "rag.refs",
        "rag.filters",
        "rag.config",
        "rag.chat",
    ),
    ("rag.framework", "rag.corpus", "rag.embeddings", "rag.store", "rag.index", "rag.ingest", "rag.multilingual"),
    ("rag.retrieve", "rag.router", "rag.knowledge_check", "rag.prompts", "rag.providers", "rag.testing"),
    ("rag.engine", "rag.understand", "rag.uploads", "rag.feedback"),
    ("rag.answer",),
    ("rag.service", "rag.text", "rag.classroom", "rag.export", "rag.eval", "rag.lc"),
    ("rag.bench", "rag.bench_app", "rag.bench_multilingual", "rag.cli", "rag.cli_ask", "rag.cli_bench", "rag.cli_eval"),
    ("rag.ui",),
]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    for i, names in enumerate(LAYERS):
        if any(module == n or module.startswith(n + ".") for n in names):
            return i
    raise AssertionError(f"{module} is in no layer of tests/unit/test_habits.py")


def _imports() -> dict[str, set[str]]:
    """Module -> the rag modules it imports (at any level of its code)."""
    graph: dict[str, set[str]] = {}
    for path in RAG.rglob("*.py"):
        mod = _module(path)
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag"):
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("rag"))
        graph[mod] = {m for m in found if m != mod}
    return graph


def test_no_module_imports_a_module_above_it() -> None:
    wrong = [
        f"{mod} (layer {_layer(mod)}) imports {dep} (layer {_layer(dep)})"
        for mod, deps in _imports().items()
        if mod != "rag"
        for dep in deps
        if dep != "rag" and _layer(dep) > _layer(mod)
    ]
    assert wrong == []


def test_no_import_cycle_between_packages_of_the_engine() -> None:
    graph = _imports()
    top = {m: {d for d in deps if d.split(".")[:2] != m.split(".")[:2]} for m, deps in graph.items() if m != "rag"}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for dep in top.get(start, ()):
            if dep.split(".")[:2] == goal.split(".")[:2]:
                return True
            if dep not in seen:
                seen.add(dep)
                if reaches(dep, goal, seen):
                    return True
        return False

    cycles = [m for m in top if reaches(m, m, set())]
    assert cycles == []


def test_the_public_surface_is_declared_and_resolves() -> None:
    import rag

    assert sorted(rag.__all__) == sorted(
        ["Answer", "ChatModel", "Composer", "Embedder", "Engine", "Navigator", "RagError", "Service", "Settings",
         "VectorStore", "__version__"]
    )  # fmt: skip
    for name in rag.__all__:
        assert getattr(rag, name) is not None
    with pytest.raises(AttributeError):
        _ = rag.NoSuchThing  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [["check", "rag", "tests", "app.py"], ["format", "--check", "rag", "tests", "app.py"]])
def test_ruff_is_clean(args: list[str]) -> None:
    """ruff's lint (complexity at most 10, each exception explained) and formatter, as CI runs them."""
    ruff = Path(sys.executable).with_name("ruff")
    done = subprocess.run([str(ruff), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_package_type_checks() -> None:
    """mypy over the package, with the settings of pyproject.toml (about 45 s on a fresh clone, a few
    seconds with its cache, .mypy_cache/)."""
    done = subprocess.run([sys.executable, "-m", "mypy", "rag"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
