"""The app's settings: XSRF protection on, no error details, a deliberate upload limit."""

from __future__ import annotations

import subprocess
import tomllib

from tests.samples import ROOT

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_xsrf_protection_is_on():
    assert CONFIG["server"]["enableXsrfProtection"] is True


def test_errors_show_no_details():
    assert CONFIG["client"]["showErrorDetails"] not in ("full", "stacktrace", True)


def test_upload_limit_is_set_deliberately():
    assert 50 <= CONFIG["server"]["maxUploadSize"] <= 1000


def test_no_secrets_are_tracked():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert not [path for path in tracked if path.endswith("secrets.toml")]


def test_runs_end_without_a_full_collection():
    # a new visitor's page waits for it; the steps that read whole files collect instead
    assert CONFIG["runner"]["postScriptGC"] is False
