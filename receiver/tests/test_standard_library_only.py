"""The kit in a virtual environment that holds the standard library alone: it imports, runs
every vector it can without `cryptography`, and says what `v1a` lacks; and with
`cryptography` (and what it needs) beside it, every vector, `v1a` included."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from signed_requests import VECTORS_DIR

KIT_SRC = VECTORS_DIR.parent / "src"

SNIPPET = textwrap.dedent(
    """
    import importlib.util, json, sys
    from hookline_receiver import Reason, VerificationError, verify
    import hookline_receiver.listen  # the local receiver too

    for name in ("hookline", "cryptography", "pytest"):
        assert importlib.util.find_spec(name) is None, name + " is importable"

    def outcome(v):
        try:
            return verify(
                v["request"]["headers"],
                v["request"]["body"].encode(),
                secrets=v["verifier"]["secrets"],
                public_keys=v["verifier"]["publicKeys"],
                tolerance=v["verifier"]["tolerance"],
                now=v["verifier"]["now"],
            ).scheme
        except VerificationError as error:
            return error.reason

    vectors = json.load(open(sys.argv[1], encoding="utf-8"))["vectors"]
    for v in vectors:
        expected = v["expected"]
        want = expected["scheme"] if expected["ok"] else expected["reason"]
        if v["verifier"]["publicKeys"]:  # only v1a checks them, and it cannot here
            want = Reason.CRYPTOGRAPHY_MISSING
        assert outcome(v) == want, (v["name"], outcome(v), want)

    # The inbox, its worker and the adapters, with the standard library alone too.
    import io, tempfile
    from hookline_receiver import Inbox, Worker
    from hookline_receiver import asgi, django, wsgi

    v = next(v for v in vectors if v["expected"]["ok"] and not v["verifier"]["publicKeys"])
    body = v["request"]["body"].encode()
    environ = {"HTTP_" + k.upper().replace("-", "_"): h for k, h in v["request"]["headers"].items()}
    environ |= {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body))}
    environ["wsgi.input"] = io.BytesIO(body)
    inbox = Inbox(tempfile.mkdtemp() + "/inbox.db")
    app = wsgi.webhook_app(inbox, secrets=v["verifier"]["secrets"], now=v["verifier"]["now"])
    statuses = []
    app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["204 No Content"], statuses
    handled = []
    assert Worker(inbox, handled.append).run_once() and handled[0].body == body
    asgi.webhook_app(inbox, secrets=["k"]), django.webhook_view(inbox, secrets=["k"])

    # Everything loaded is the standard library's or the kit's own.
    roots = (sys.base_prefix, sys.argv[2])
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        assert path is None or path.startswith(roots), path
    print("verified", len(vectors))
    """
)


def test_the_kit_needs_only_the_standard_library(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(KIT_SRC)}
    result = subprocess.run(
        [venv / "bin" / "python", "-s", "-c", SNIPPET, VECTORS_DIR / "webhooks.json", KIT_SRC],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("verified ")


V1A_SNIPPET = textwrap.dedent(
    """
    import importlib.util, json, sys
    from hookline_receiver import VerificationError, verify

    assert importlib.util.find_spec("hookline") is None
    vectors = json.load(open(sys.argv[1], encoding="utf-8"))["vectors"]
    checked = 0
    for v in vectors:
        try:
            got = verify(
                v["request"]["headers"],
                v["request"]["body"].encode(),
                secrets=v["verifier"]["secrets"],
                public_keys=v["verifier"]["publicKeys"],
                tolerance=v["verifier"]["tolerance"],
                now=v["verifier"]["now"],
            ).scheme
        except VerificationError as error:
            got = error.reason
        expected = v["expected"]
        assert got == (expected["scheme"] if expected["ok"] else expected["reason"]), v["name"]
        checked += v["expected"].get("scheme") == "v1a"
    assert checked, "no v1a vector verified"
    roots = (sys.base_prefix, *sys.argv[2:])
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        assert path is None or path.startswith(roots), path
    print("verified v1a", checked)
    """
)
# `cryptography` and what it imports, as pip installs them.
CRYPTOGRAPHY = ("cryptography", "cffi", "_cffi_backend", "pycparser")


def test_with_cryptography_alone_beside_it_the_kit_verifies_v1a(tmp_path: Path) -> None:
    import cryptography

    site = Path(cryptography.__file__).parent.parent
    only = tmp_path / "site"
    only.mkdir()
    for entry in site.iterdir():
        if entry.name.split(".")[0].split("-")[0] in CRYPTOGRAPHY:
            (only / entry.name).symlink_to(entry)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": f"{KIT_SRC}:{only}"}
    script = [venv / "bin" / "python", "-s", "-c", V1A_SNIPPET, VECTORS_DIR / "webhooks.json"]
    result = subprocess.run(
        [*script, KIT_SRC, only], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("verified v1a ")
