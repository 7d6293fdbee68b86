"""One virtualenv per trainer, built once and cached under ``.cache/integration/<name>-<version>``.

Each trainer pins dependencies that clash with another's (verl: transformers < 5.11; OpenRLHF:
transformers 5.15 and ray 2.55; verifiers: openai < 3), so each gets its own environment, with rewardlab
installed into it (editable, with the extras that trainer's section of the README names) in the same
``pip install`` as the trainer: a rewardlab pin that conflicts with the trainer's fails the install, and
so the test.

``torch==2.13.0`` is installed first from the machine's CPU wheel (and pinned by a constraint in every
later ``pip`` call), so no dependency can pull a CUDA build. A venv is rebuilt incrementally (``pip
install`` again in place) when its recipe or rewardlab's ``pyproject.toml`` changes; a failed install
fails the test that needed it (CI must turn red when a trainer release breaks), it is never skipped.
``REWARDLAB_INTEGRATION_CACHE`` moves the cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
SPEC = HERE / "trainer_spec.toml"  # the spec every trainer test scores with
CACHE = Path(os.environ.get("REWARDLAB_INTEGRATION_CACHE") or REPO / ".cache" / "integration")
TORCH = "torch==2.13.0"


@dataclass(frozen=True)
class TrainerEnv:
    """A trainer's virtualenv recipe: ``installs`` are ``pip install`` argument lists, run in order."""

    name: str
    version: str
    installs: tuple[tuple[str, ...], ...]

    @property
    def path(self) -> Path:
        return CACHE / f"{self.name}-{self.version}"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def recipe(self) -> str:
        """What the venv was built from: the install steps and rewardlab's declared dependencies."""
        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
        deps = [project.get("dependencies", []), project.get("optional-dependencies", {})]
        text = json.dumps([self.installs, TORCH, deps], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def editable(extras: str = "") -> tuple[str, ...]:
    return ("-e", f"{REPO}[{extras}]" if extras else str(REPO))


VERL = TrainerEnv(
    "verl", "0.9.1", ((TORCH,), ("verl==0.9.1", "TransferQueue==0.1.11", *editable("ray")))
)  # TransferQueue: verl-core extra, imported by the v1 trainer's replay buffer (DAPO filter)
VERIFIERS = TrainerEnv("verifiers", "0.4.0", ((TORCH,), ("verifiers==0.4.0", *editable())))
# OpenRLHF 0.11.2 requires flash-attn (CUDA, source only) and deepspeed from source: install it without
# dependencies, then what its reward path imports (agent.py: aiohttp; samples_generator / experience:
# ray, torch, tqdm, transformers) at the versions it pins. vLLM (CUDA) is the faked generation engine.
OPENRLHF = TrainerEnv(
    "openrlhf",
    "0.11.2",
    (
        (TORCH,),
        ("--no-deps", "openrlhf==0.11.2"),
        (
            "transformers==5.15.0",
            "ray==2.55.0",
            "aiohttp",
            "pylatexenc",
            "tqdm",
            "packaging",
            *editable("ray"),
        ),
    ),
)
OPENAI = TrainerEnv("openai", "3.63.0", (("openai==3.63.0",),))

ALL = (VERL, VERIFIERS, OPENRLHF, OPENAI)


class InstallFailed(RuntimeError):
    pass


def ensure(env: TrainerEnv, log: list[str] | None = None) -> Path:
    """The venv's python, building or updating the venv first if its recipe changed (under a file lock)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stamp = env.path / ".rewardlab-recipe"
    with open(CACHE / f"{env.name}-{env.version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        want = env.recipe()
        if stamp.exists() and json.loads(stamp.read_text()).get("recipe") == want:
            return env.python
        start = time.monotonic()
        if not env.python.exists():
            _run([sys.executable, "-m", "venv", "--clear", str(env.path)], env, log)
            _run([str(env.python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], env, log)
        constraints = env.path / "constraints.txt"
        constraints.write_text(TORCH + "\n")
        for args in env.installs:
            _run(
                [str(env.python), "-m", "pip", "install", "--quiet", "-c", str(constraints), *args], env, log
            )
        seconds = round(time.monotonic() - start, 1)
        stamp.write_text(json.dumps({"recipe": want, "install_seconds": seconds}))
        return env.python


def _run(cmd: list[str], env: TrainerEnv, log: list[str] | None) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if log is not None:
        log.append(" ".join(cmd))
    if done.returncode != 0:
        raise InstallFailed(
            f"installing the {env.name} {env.version} test environment failed: {' '.join(cmd)}\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        )


def run_in(
    env: TrainerEnv, script: str, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``scripts/<script>`` with the trainer venv's python; rewardlab and tests/ are importable."""
    python = ensure(env)
    path = os.pathsep.join([str(REPO / "src"), str(TESTS), str(HERE)])
    child = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    child.update({"PYTHONPATH": path, "PYTHONUNBUFFERED": "1", **(extra_env or {})})
    return subprocess.run(
        [str(python), str(SCRIPTS / script), *args],
        capture_output=True,
        text=True,
        env=child,
        timeout=timeout,
    )


@contextlib.contextmanager
def rewardlab_serve(args: list[str], log: Path) -> Iterator[str]:
    """A real ``rewardlab serve`` process (this checkout's code) with ``args``; yields its base URL."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(HERE)])}
    cmd = [
        sys.executable,
        "-c",
        "from rewardlab.cli import main; main()",
        "serve",
        "--port",
        str(port),
        *args,
    ]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "rewardlab serve did not become healthy"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def last_json(stdout: str) -> Any:
    """The JSON object a script prints on its last line (NaN written as the string "nan")."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "the script printed nothing"
    return json.loads(lines[-1])


def is_nan(value: Any) -> bool:
    return value == "nan" or (isinstance(value, float) and math.isnan(value))


if (
    __name__ == "__main__"
):  # build the environments ahead of a test run: python tests/integration/_trainer_envs.py
    names = set(sys.argv[1:])
    for trainer_env in ALL:
        if names and trainer_env.name not in names:
            continue
        t0 = time.monotonic()
        ensure(trainer_env)
        print(f"{trainer_env.name}-{trainer_env.version}: ready in {time.monotonic() - t0:.0f} s", flush=True)
