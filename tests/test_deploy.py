"""The deployment files: docker-compose parses (Debian's docker-compose validates without an
engine) and says what docs/operating.md says; the image runs as a non-root user without torch."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT

pytestmark = pytest.mark.unit


def compose_cli() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if os.environ.get("CI"):
        pytest.fail("docker-compose is missing: .ci/run installs Debian's docker-compose to validate the file")
    pytest.skip("docker-compose not installed (apt-get install docker-compose)")


@pytest.mark.parametrize("profile", [[], ["--profile", "ollama"]])
def test_compose_file_is_valid(profile):
    out = subprocess.run([*compose_cli(), "-f", str(ROOT / "docker-compose.yml"), *profile, "config"],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    config = yaml.safe_load(out.stdout)
    assert {"api", "chroma", "ollama"} <= set(config["services"])
    assert config["services"]["ollama"]["profiles"] == ["ollama"]       # only with --profile ollama
    assert "profiles" not in config["services"]["api"] and "profiles" not in config["services"]["chroma"]


def test_compose_points_the_api_at_the_chroma_server():
    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    api, chroma = config["services"]["api"], config["services"]["chroma"]
    assert api["environment"]["CHROMA_HOST"] == "chroma" and str(api["environment"]["CHROMA_PORT"]) == "8000"
    assert api["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert "healthcheck" in chroma and any(v.endswith(":/data") for v in chroma["volumes"])
    assert any(v.endswith(":/data") for v in api["volumes"])


def test_dockerfile_is_slim_non_root_and_torch_free():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11-slim" in dockerfile
    assert "USER app" in dockerfile and "torch" not in dockerfile.replace("# ", "").split("RUN")[1]
    assert "pip install ." in dockerfile and "[st]" not in dockerfile
