"""The receiver kit imports nothing of the server: the import contract catches an import that
would make consumers install hookline with it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.unit.test_import_contracts import ROOT, broken, lint_imports

CONTRACT = "The receiver kit imports nothing of the server"


def test_an_import_of_the_server_breaks_the_kits_contract(tmp_path: Path) -> None:
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "src" / "hookline", src / "hookline", ignore=skip)
    shutil.copytree(
        ROOT / "receiver" / "src" / "hookline_receiver", src / "hookline_receiver", ignore=skip
    )
    (src / "hookline_receiver" / "signs_like_the_server.py").write_text(
        "import hookline.sender.signing\n"
    )
    result = lint_imports(src)
    assert f"{CONTRACT} BROKEN" in result.stdout
    assert "hookline_receiver.signs_like_the_server" in broken(result.stdout, CONTRACT)
