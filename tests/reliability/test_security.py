"""Dependency security: the installed Gradio is past its known path-traversal and file-read CVEs, and pip-audit
finds nothing when its vulnerability service can be reached (it cannot be from an offline machine: then skipped)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from importlib.metadata import version

import pytest

# Gradio advisories about reading files or escaping folders, with the first fixed version (PyPA advisory database,
# GitHub advisories, CVE records). The newest of them sets the floor.
GRADIO_FILE_ACCESS_FIXES = {
    "CVE-2023-51449": "4.11.0",  # /file route traversal
    "CVE-2024-1561": "4.13.0",  # arbitrary file read via component_server
    "CVE-2024-1728": "4.19.2",  # UploadButton local file inclusion
    "CVE-2024-47164": "5.0.0",  # is_in_or_equal bypass with ..
    "CVE-2024-47167": "5.0.0",  # SSRF in /queue/join
    "CVE-2024-47868": "5.0.0",  # file leak through postprocess
    "CVE-2026-28414": "6.7.0",  # absolute path traversal (Windows, Python 3.13+)
    "CVE-2026-49119": "6.16.0",  # FileExplorer root_dir escape
    "CVE-2026-59806": "6.20.0",  # open redirect and SSRF via /gradio_api/file=
}


def as_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3])


@pytest.mark.parametrize("cve", list(GRADIO_FILE_ACCESS_FIXES))
def test_gradio_is_past_its_file_access_cves(cve):
    assert as_tuple(version("gradio")) >= as_tuple(GRADIO_FILE_ACCESS_FIXES[cve]), (cve, version("gradio"))


def reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_pip_audit_finds_no_known_vulnerability():
    pytest.importorskip("pip_audit", reason="pip-audit is not installed: pip install pip-audit")
    if not reachable("api.osv.dev"):
        pytest.skip("pip-audit needs a vulnerability service (api.osv.dev or pypi.org); this machine is offline")
    done = subprocess.run([sys.executable, "-m", "pip_audit", "--vulnerability-service", "osv", "--format", "json",
                           "--progress-spinner", "off"], capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout or "{}")
    found = {d["name"]: [v["id"] for v in d.get("vulns", [])] for d in report.get("dependencies", []) if d.get("vulns")}
    assert not found, found
