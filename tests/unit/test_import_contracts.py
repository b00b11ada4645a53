"""The import contracts in pyproject.toml hold on the real tree, and each one catches an import
that breaks it: a copy of the package with one violation per contract fails every contract,
naming the modules that broke it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# Contract name -> {new module in the copy: its source}.
VIOLATIONS = {
    "The sender knows nothing of the database, identity or the queue": {
        "sender/reads_the_database.py": "import hookline.db.engine\n",
    },
    "Only the sender opens outbound HTTP, and the command line calls its own server": {
        "hooks/posts_itself.py": "import aiohttp\n",
        "events/fetches_itself.py": "import httpx\n",
    },
    "Only the database layer touches the drivers and their exceptions": {
        "api/catches_psycopg.py": "import psycopg\n",
        "hooks/catches_sqlalchemy.py": "from sqlalchemy import exc\n",
    },
    "Only the app factory imports the API and the console": {
        "hooks/answers_requests.py": "import hookline.api.responses\n",
        "events/shows_pages.py": "import hookline.console\n",
    },
    "Only the command line imports the app factory": {
        "dispatcher/builds_the_app.py": "import hookline.app\n",
    },
    "Nothing imports the command line": {
        "app_commands.py": "import hookline.cli.main\n",
    },
    "The record does not know the queue": {
        "attempts/claims.py": "import hookline.dispatcher.loop\n",
    },
}


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package under `src`, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "300"}
    return subprocess.run(
        [LINT_IMPORTS, "--config", ROOT / "pyproject.toml", "--no-cache"],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "hookline",
        src / "hookline",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return src


def test_the_tree_keeps_every_contract(package_copy: Path) -> None:
    result = lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in VIOLATIONS:
        assert f"{name} KEPT" in result.stdout


def test_each_contract_is_broken_by_its_violation(package_copy: Path) -> None:
    package = package_copy / "hookline"
    for modules in VIOLATIONS.values():
        for path, source in modules.items():
            (package / path).write_text(source)
    result = lint_imports(package_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    for name, modules in VIOLATIONS.items():
        assert f"{name} BROKEN" in result.stdout
        for path in modules:
            importer = "hookline." + path.removesuffix(".py").replace("/", ".")
            assert importer in broken(result.stdout, name), (name, importer, result.stdout)


def broken(report: str, name: str) -> str:
    """What the report says under the heading of the broken contract `name`: the lines up to
    the two blank lines that end it."""
    return report[report.rindex(f"{name}\n") :].split("\n\n\n")[0]
