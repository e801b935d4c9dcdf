"""The wheel is complete: installed alone, away from the checkout, `rag ask` answers offline.

The wheel is built without network from a copy of the build inputs (the checkout gets no build/),
then installed into a fresh virtual environment whose only view of the project venv is a .pth
line for the dependencies. The network guard is switched on in that environment by a .pth file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version
from pathlib import Path

import pytest

from tests import netguard
from tests.conftest import SESSION_CACHE

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "rag", "prompts", "knowledge")
QUESTION = "could rivals cooperate on compute controls?"
# pyproject.toml's SPDX `license` string needs setuptools 77; with --no-build-isolation the venv's is used.
MIN_SETUPTOOLS = 77
PRIVATE_PREFIXES = ("RAG_", "OPENAI_", "CHROMA_", "PYTHON", "VIRTUAL_ENV")  # dropped from the wheel's environment

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(tmp: Path, venv: Path) -> dict[str, str]:
    """The environment of a user who installed the wheel: no project variables, no key, nothing shared."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PRIVATE_PREFIXES)}
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env |= {
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "HOME": str(home),
        "RAG_DATA_DIR": str(tmp / "data"),
        "ANONYMIZED_TELEMETRY": "False",
    }
    if SESSION_CACHE:  # derived data only (trained routers, vectors of fixed texts): the wheel still indexes
        env["RAG_CACHE_DIR"] = str(SESSION_CACHE[0])
    return env


def _fresh_venv(path: Path) -> Path:
    """A venv without pip that sees the project venv's packages (the dependencies) and has the guard on."""
    _run([sys.executable, "-m", "venv", "--without-pip", path], cwd=path.parent)
    python = path / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=path).strip())
    # A plain path line: the project venv's own .pth files (its editable hook to the checkout) are not run.
    (purelib / "_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    shutil.copy(netguard.__file__, purelib / "netguard.py")
    (purelib / "_netguard.pth").write_text("import netguard; netguard.install()\n")
    return purelib


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what a build reads, so building leaves no build/ or egg-info in the checkout."""
    if int(version("setuptools").split(".")[0]) < MIN_SETUPTOOLS:
        pytest.skip(f"building needs setuptools>={MIN_SETUPTOOLS} in the venv, found {version('setuptools')}")
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(ROOT / name, src / name)
    return src


@pytest.fixture(scope="module")
def wheel(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    _run([*pip_wheel, "--disable-pip-version-check", "-w", dist, "."], cwd=sources)
    (built,) = dist.glob("*.whl")
    return built


def test_wheel_installed_rag_ask_answers_offline(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    purelib = _fresh_venv(venv)
    env = _clean_env(tmp_path, venv)
    work = tmp_path / "cwd"
    work.mkdir()
    python = venv / "bin" / "python"
    pip_install = [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed"]
    _run([*pip_install, "--disable-pip-version-check", "--root-user-action=ignore", wheel], cwd=work, env=env)

    where = json.loads(_run([python, "-c", _WHERE_SCRIPT], cwd=work, env=env))
    assert where["guarded"], "the network guard is not on in the wheel's venv"
    bundled = purelib / "rag" / "_bundled"
    assert Path(where["rag"]).is_relative_to(purelib / "rag"), f"rag imported from {where['rag']}, not the wheel"
    assert Path(where["knowledge"]) == bundled / "knowledge"
    assert Path(where["prompts"]) == bundled / "prompts"
    assert where["templates"] == ["answer", "system"]

    assert _run(["rag", "--version"], cwd=work, env=env).startswith("rag ")
    answer = json.loads(_run(["rag", "ask", "--json", QUESTION], cwd=work, env=env, timeout=900))
    assert answer["verdict"] == "infeasible", answer
    assert answer["citations"], answer
    assert answer["backend"] == "offline"
    assert not (purelib / ".rag").exists() and (tmp_path / "data").is_dir()


_WHERE_SCRIPT = """
import json, socket
import rag, rag.config, rag.prompts
print(json.dumps({
    "rag": rag.__file__,
    "knowledge": str(rag.config.Settings.from_env().knowledge_dir),
    "prompts": str(rag.prompts.prompts_dir()),
    "templates": [t.name for t in rag.prompts.all_templates()],
    "guarded": socket.socket.connect.__name__ == "_guarded_connect",
}))
"""


def test_editable_install_reads_the_checkout_folders(sources: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = "import sys; from setuptools import build_meta; build_meta.build_editable(sys.argv[1])"
    _run([sys.executable, "-c", build, dist], cwd=sources)
    (editable,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    _fresh_venv(venv)
    env = _clean_env(tmp_path, venv)
    python = venv / "bin" / "python"
    pip_install = [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed"]
    _run([*pip_install, "--disable-pip-version-check", "--root-user-action=ignore", editable], cwd=tmp_path, env=env)
    script = "import rag.config, rag.prompts; print(rag.config.Settings().knowledge_dir, rag.prompts.prompts_dir())"
    knowledge, prompts = _run([python, "-c", script], cwd=tmp_path, env=env).split()
    assert (Path(knowledge), Path(prompts)) == (sources / "knowledge", sources / "prompts")
    assert not (sources / "rag" / "_bundled").exists()
