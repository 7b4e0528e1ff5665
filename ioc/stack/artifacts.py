"""The Java parts, resolved once from Maven Central into a cache folder outside git and reused.

Maven does the resolving (it knows Maven Central, checksums and transitive dependencies), so the
platform keeps no download code of its own. A marker file makes a half-finished resolve redo itself.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from ioc.stack.errors import StackError

Progress = Callable[[str], None]
DONE_MARKER = ".resolved"


def _maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (mvn) is not installed; it is needed once to fetch Kafka and Apicurio from Maven Central",
            "install it with `apt-get install -y maven` (scripts/bootstrap.sh does this when run as root)",
        )
    return mvn


def _run_maven(args: list[str], cwd: Path, log: Path, what: str) -> None:
    with log.open("w") as out:
        result = subprocess.run(
            [_maven(), "-B", *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise StackError(
            f"Maven could not resolve {what} (exit {result.returncode})",
            f"check that Maven Central is reachable; full log: {log}",
            log_tail=tail,
        )


def kafka_libs(cache_dir: Path, version: str, progress: Progress) -> Path:
    """The folder of Kafka broker jars (~90 jars, ~54 MB), resolving them on first use."""
    target = cache_dir / f"kafka-{version}"
    libs = target / "libs"
    if (target / DONE_MARKER).exists():
        return libs
    progress(f"Resolving Apache Kafka {version} jars from Maven Central (first run only, ~54 MB)…")
    target.mkdir(parents=True, exist_ok=True)
    pom = (
        resources.files("ioc.stack").joinpath("kafka-pom.xml").read_text().replace("@KAFKA_VERSION@", version)
    )
    (target / "pom.xml").write_text(pom)
    if libs.exists():
        shutil.rmtree(libs)
    _run_maven(
        ["dependency:copy-dependencies", f"-DoutputDirectory={libs}"],
        target,
        target / "maven.log",
        f"Kafka {version}",
    )
    (target / DONE_MARKER).touch()
    return libs


def apicurio_app(cache_dir: Path, version: str, progress: Progress) -> Path:
    """The unpacked Apicurio Registry app folder (holding quarkus-run.jar), resolving it on first use."""
    target = cache_dir / f"apicurio-{version}"
    if (target / DONE_MARKER).exists():
        return _quarkus_root(target)
    progress(f"Resolving Apicurio Registry {version} from Maven Central (first run only, ~158 MB)…")
    target.mkdir(parents=True, exist_ok=True)
    artifact = f"io.apicurio:apicurio-registry-app:{version}:tar.gz:all"
    _run_maven(
        ["dependency:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={target}"],
        target,
        target / "maven.log",
        f"Apicurio Registry {version}",
    )
    archive = next(target.glob("*.tar.gz"))
    progress("Unpacking Apicurio Registry…")
    with tarfile.open(archive) as tar:
        tar.extractall(target / "app", filter="data")
    archive.unlink()
    (target / DONE_MARKER).touch()
    return _quarkus_root(target)


def _quarkus_root(target: Path) -> Path:
    found = next((target / "app").rglob("quarkus-run.jar"), None)
    if found is None:
        raise StackError(
            f"the Apicurio download in {target} has no quarkus-run.jar",
            f"delete {target} and run again to resolve it afresh",
        )
    return found.parent
