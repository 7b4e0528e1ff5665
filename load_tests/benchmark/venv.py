"""The Quix Streams peer's own virtualenv, created on first use (Quix Streams 3.28.1 needs
confluent-kafka below 2.13; the platform pins 2.16.1, so they cannot share one)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

QUIX_REQUIREMENTS = ("quixstreams==3.28.1", "fastavro==1.13.1", "clickhouse-connect==1.12.0")


def quix_python(venv: Path, progress: Callable[[str], None]) -> Path:
    """The virtualenv's interpreter; creates the virtualenv and installs the pins when missing."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import quixstreams, fastavro, clickhouse_connect"]
    if python.exists() and subprocess.run(check, capture_output=True, check=False).returncode == 0:  # noqa: S603
        return python
    progress(f"Creating the Quix Streams virtualenv in {venv} (once)…")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
    progress(f"Installing {', '.join(QUIX_REQUIREMENTS)} (about a minute)…")
    pip = subprocess.Popen(  # noqa: S603
        [str(python), "-m", "pip", "install", "--progress-bar", "off", *QUIX_REQUIREMENTS],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert pip.stdout is not None  # noqa: S101 - piped above
    for line in pip.stdout:
        if line.startswith(("Collecting", "Successfully")):
            progress(f"  pip: {line.strip()}")
    if pip.wait() != 0:
        raise RuntimeError(f"pip could not install {QUIX_REQUIREMENTS} into {venv}")
    return python
