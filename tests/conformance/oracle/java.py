"""The HL7 reference validator, run beside fhircare as its oracle.

``JavaOracle`` starts the small program in this folder (``pom.xml``, ``src/``:
``org.hl7.fhir.validation``, pinned) once, with the IGs named, and asks it about one
resource after another over stdin/stdout, so the JVM is warmed up once per run.

Offline by construction: the JVM's ``user.home`` is a private folder under ``target/``
whose FHIR package cache holds a copy of the R4 core package from fhircare's own cache,
so the Java engine never writes into the user's cache and never looks anything up on the
network (no terminology server is configured). One stand-in is needed: the Java engine
loads ``hl7.fhir.xver-extensions#0.1.0`` (cross-version extensions) unconditionally, and
that package cannot be had offline; the private cache holds an empty package under that
name. None of the resources compared use a cross-version extension.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

HERE = Path(__file__).resolve().parent
TARGET = HERE / "target"
CLASSES = TARGET / "classes" / "uk" / "nhs" / "fhircare" / "oracle" / "Oracle.class"
LIB = TARGET / "lib"
HOME = TARGET / "home"
CORE = "hl7.fhir.r4.core#4.0.1"
XVER = "hl7.fhir.xver-extensions#0.1.0"


@dataclass(frozen=True)
class JavaIssue:
    severity: str  # fatal | error | warning | information
    location: str
    message: str
    message_id: str | None

    @property
    def is_error(self) -> bool:
        return self.severity in ("error", "fatal")


def missing_tools() -> str | None:
    """Why the oracle cannot run here (None when it can)."""
    if shutil.which("java") is None:
        return "no java on PATH"
    if not CLASSES.is_file() and shutil.which("mvn") is None:
        return "the oracle is not built and there is no mvn to build it"
    return None


def build() -> None:
    """Build the oracle when its classes are missing or older than its sources."""
    sources = [HERE / "pom.xml", *sorted((HERE / "src").rglob("*.java"))]
    newest = max(p.stat().st_mtime for p in sources)
    if CLASSES.is_file() and LIB.is_dir() and CLASSES.stat().st_mtime >= newest:
        return
    subprocess.run(
        ["mvn", "-q", "-B", "package", "-DskipTests"],
        cwd=HERE,
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=900,
    )


def prepare_home(package_cache: Path) -> Path:
    """The JVM's private home: a package cache with the core package and the xver stand-in."""
    packages = HOME / ".fhir" / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    core = packages / CORE
    if not (core / "package" / "package.json").is_file():
        source = package_cache / CORE
        if not (source / "package" / "package.json").is_file():
            raise FileNotFoundError(f"{CORE} is not in {package_cache}: run fhircare packages install {CORE}")
        staging = packages / f".{CORE}.copy"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns(".fhircare-index.json"))
        os.replace(staging, core)
    stub = packages / XVER / "package"
    if not (stub / "package.json").is_file():
        stub.mkdir(parents=True, exist_ok=True)
        manifest = {"name": XVER.split("#")[0], "version": "0.1.0", "fhirVersions": ["4.0.1"], "dependencies": {}}
        (stub / "package.json").write_bytes(orjson.dumps(manifest))
    return HOME


class JavaOracle:
    """One HL7 validator process; ``validate(path, profiles)`` → its issues."""

    def __init__(self, igs: list[Path], package_cache: Path) -> None:
        build()
        home = prepare_home(package_cache)
        command = ["java", "-Xss8m", "-Xmx2g", f"-Duser.home={home}"]
        command += ["-cp", f"{TARGET / 'classes'}{os.pathsep}{LIB}/*", "uk.nhs.fhircare.oracle.Oracle", "serve"]
        for ig in igs:
            command += ["--ig", str(ig)]
        self._log = (TARGET / "oracle.log").open("wb")
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, env={**os.environ}
        )
        self._lock = threading.Lock()
        self._count = 0
        ready = self._read_line()
        if not ready.get("ready"):
            raise RuntimeError(f"the HL7 validator did not start (see {TARGET / 'oracle.log'})")

    def _read_line(self) -> dict[str, Any]:
        stdout: IO[bytes] | None = self._process.stdout
        assert stdout is not None
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the HL7 validator stopped (see {TARGET / 'oracle.log'})")
        answer = orjson.loads(line)
        assert isinstance(answer, dict)
        return answer

    def validate(self, path: Path, profiles: list[str] | tuple[str, ...] = ()) -> list[JavaIssue] | str:
        """The HL7 validator's issues, or the text of the exception it threw instead."""
        with self._lock:
            self._count += 1
            request = {"id": str(self._count), "path": str(path), "profiles": list(profiles)}
            stdin = self._process.stdin
            assert stdin is not None
            stdin.write(orjson.dumps(request) + b"\n")
            stdin.flush()
            answer = self._read_line()
        if "crash" in answer:
            return str(answer["crash"])
        return [
            JavaIssue(i["severity"], i.get("location") or "", i.get("message") or "", i.get("messageId"))
            for i in answer["issues"]
        ]

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def __enter__(self) -> JavaOracle:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
