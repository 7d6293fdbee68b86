"""The adversarial suite: programs that try to escape or harm the sandbox. Zero escapes, and the pool
keeps serving after every attack (each test ends by running an ordinary program on the same pool).

Attacks on the test *counting* (exit before the tests, patching the harness, fake "passed" output) are in
tests/rewards/code/test_code_tampering.py.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from _sandbox_helpers import assert_serves, needs_bwrap, sandbox_processes

from rewardlab.sandbox import Limits, SandboxPool

pytestmark = needs_bwrap


def quiet_processes(pool: SandboxPool) -> int:
    """Processes left in the sandboxes once they settle: each zygote plus its pre-forked next job."""
    deadline = time.monotonic() + 2.0
    while True:
        n = len(sandbox_processes(pool))
        if n <= 3 * pool.size or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def test_fork_bomb_is_contained_and_cleaned_up(pool: SandboxPool) -> None:
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    start = time.monotonic()
    result = pool.run(bomb, limits=Limits(timeout=1.0, processes=16))
    assert result.timed_out
    assert time.monotonic() - start < 4.0
    assert quiet_processes(pool) <= 3 * pool.size  # every forked process is gone
    assert subprocess.run(["true"], check=False).returncode == 0  # the host can still fork
    assert_serves(pool)


@pytest.mark.parametrize(
    "bomb",
    [
        "x = bytearray(8 << 30)",
        "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))",
        "s = 'x'\nwhile True:\n    s = s + s",
    ],
    ids=["one_big_allocation", "growing_list", "doubling_string"],
)
def test_memory_bomb_hits_the_address_space_limit(pool: SandboxPool, bomb: str) -> None:
    result = pool.run(bomb, limits=Limits(timeout=5.0, memory_mb=256))
    assert not result.timed_out
    assert result.exit.code == 1 and "MemoryError" in result.stderr
    assert (result.exit.max_rss_kb or 0) < 300 * 1024
    assert_serves(pool)


def test_infinite_loop_is_killed_at_the_deadline(pool: SandboxPool) -> None:
    result = pool.run("while True:\n    pass", limits=Limits(timeout=0.5))
    assert result.timed_out and result.exit.killed
    assert result.duration < 1.5
    assert_serves(pool)


def test_cpu_limit_kills_a_busy_loop_before_the_wall_clock_does(pool: SandboxPool) -> None:
    result = pool.run("while True:\n    pass", limits=Limits(timeout=10.0, cpu_seconds=1))
    assert not result.timed_out
    assert result.exit.signal in ("SIGXCPU", "SIGKILL")
    assert result.duration < 4.0
    assert_serves(pool)


def test_long_sleep_is_killed_at_the_deadline(pool: SandboxPool) -> None:
    result = pool.run("import time\ntime.sleep(1000)", limits=Limits(timeout=0.5))
    assert result.timed_out
    assert result.duration < 1.5
    assert_serves(pool)


def test_no_network_not_even_to_a_listener_on_the_hosts_loopback(pool: SandboxPool) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    probe = f"""
import socket
for host, port in (("127.0.0.1", {port}), ("localhost", {port}), ("0.0.0.0", {port}), ("1.1.1.1", 53), ("8.8.8.8", 53)):
    try:
        socket.create_connection((host, port), timeout=1).close()
        print("CONNECTED", host)
    except OSError as exc:
        print("refused", host, type(exc).__name__)
try:
    socket.getaddrinfo("example.com", 80)
    print("RESOLVED")
except OSError as exc:
    print("no dns", type(exc).__name__)
"""
    try:
        result = pool.run(probe, limits=Limits(timeout=8.0))
        assert result.ok, result.stderr
        assert "CONNECTED" not in result.stdout and "RESOLVED" not in result.stdout
        assert result.stdout.count("refused") == 5
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody ever connected
    finally:
        listener.close()
    assert_serves(pool)


def test_writes_outside_the_working_directory_fail_or_do_not_persist(
    pool: SandboxPool, tmp_path: Path
) -> None:
    tag = secrets.token_hex(6)
    repo = Path(__file__).resolve().parents[2]
    targets = [
        str(repo / f"ESCAPE-{tag}"),
        str(tmp_path / f"ESCAPE-{tag}"),
        f"/tmp/ESCAPE-{tag}",
        f"/ESCAPE-{tag}",
        f"/etc/ESCAPE-{tag}",
        f"/usr/ESCAPE-{tag}",
        f"/dev/shm/ESCAPE-{tag}",
        f"../ESCAPE-{tag}",
    ]
    writer = f"""
import os
for path in {targets!r}:
    try:
        with open(path, "w") as f:
            f.write("x")
        print("WROTE", path)
    except OSError as exc:
        print("denied", path, type(exc).__name__)
with open("inside.txt", "w") as f:
    f.write("job files are fine")
print("cwd", os.getcwd())
"""
    result = pool.run(writer)
    assert result.ok, result.stderr
    assert "WROTE" not in result.stdout
    for target in targets:  # nothing reached the host
        assert not Path(target).exists(), target
    cwd = result.stdout.split("cwd ")[1].strip()
    # The next jobs (both zygotes) see neither the file nor the old working directory.
    check = f"import os\nprint(os.path.exists({cwd!r}), sorted(os.listdir('/tmp')), os.listdir('.'))"
    for _ in range(2 * pool.size):
        after = pool.run(check)
        assert after.stdout.startswith("False"), after.stdout
        assert "inside.txt" not in after.stdout
    assert_serves(pool)


def test_the_callers_secrets_are_not_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-" + secrets.token_hex(8)
    monkeypatch.setenv("REWARDLAB_TEST_SECRET", secret)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    snoop = """
import os
print(dict(os.environ))
for pid in os.listdir("/proc"):
    if pid.isdigit() or pid == "self":
        for name in ("environ", "cmdline"):
            try:
                print(pid, name, open(f"/proc/{pid}/{name}", "rb").read())
            except OSError as exc:
                print(pid, name, type(exc).__name__)
for path in ("/proc/1/root/proc/1/environ", "/home", "/root", "/work"):
    try:
        print(path, os.listdir(path) if os.path.isdir(path) else open(path, "rb").read())
    except OSError as exc:
        print(path, type(exc).__name__)
"""
    with SandboxPool(isolation="bwrap") as fresh:  # started after the secret was set
        result = fresh.run(snoop)
        assert result.ok, result.stderr
        assert secret not in result.stdout and secret not in result.stderr
        assert "PATH" in result.stdout  # the probe did run
        assert "/work" in result.stdout and "FileNotFoundError" in result.stdout.split("/work", 1)[1]


def test_killing_the_parent_or_siblings_fails_and_siblings_finish(pool: SandboxPool) -> None:
    me = os.getpid()
    zygotes = [box.proc.pid for box in pool._live.all]  # type: ignore[union-attr]
    killer = f"""
import os, signal
for target in (os.getppid(), 1, -1, {me}, *{zygotes!r}):
    try:
        os.kill(target, signal.SIGKILL)
        print("sent", target)
    except OSError as exc:
        print("denied", target, type(exc).__name__)
try:
    os.killpg(1, signal.SIGKILL)
except OSError as exc:
    print("denied group", type(exc).__name__)
"""
    sibling: dict[str, object] = {}

    def run_sibling() -> None:
        sibling["result"] = pool.run("import time\ntime.sleep(0.8)\nprint('sibling finished')")

    thread = threading.Thread(target=run_sibling)
    thread.start()
    time.sleep(0.2)  # the sibling is running in the other sandbox
    result = pool.run(killer)
    thread.join(timeout=10)
    assert result.exit.code == 0 or result.exit.signal == "SIGKILL"  # at most it killed itself
    assert sibling["result"].stdout == "sibling finished\n"  # type: ignore[attr-defined]
    assert pool.stats["crashes"] == 0 and pool.stats["replaced"] == 0
    for pid in zygotes:  # the zygotes are alive
        os.kill(pid, 0)
    assert_serves(pool)


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_an_output_flood_is_capped_and_stopped(pool: SandboxPool, stream: str) -> None:
    flood = f"import sys\nwhile True:\n    sys.{stream}.write('x' * 65536)"
    result = pool.run(flood, limits=Limits(timeout=5.0, output_kb=64))
    assert result.output_limit_exceeded and not result.timed_out
    assert len(getattr(result, stream)) <= 64 * 1024
    assert getattr(result, f"{stream}_truncated")
    assert result.duration < 3.0
    assert_serves(pool)


def test_a_detached_daemon_does_not_survive_the_job(pool: SandboxPool) -> None:
    marker = f"{secrets.randbelow(10**6)}.{secrets.randbelow(10**6)}"
    daemon = f"""
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/usr/bin/sleep", ["sleep", "{marker}"])
    os._exit(0)
print("parent done")
"""

    def daemons() -> list[str]:
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if Path(f"/proc/{pid}/cmdline").read_bytes() == f"sleep\0{marker}\0".encode():
                    found.append(pid)
            except OSError:
                continue
        return found

    result = pool.run(daemon)
    assert result.ok and result.stdout == "parent done\n"
    deadline = time.monotonic() + 2.0
    while daemons() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert daemons() == []
    assert_serves(pool)


def test_file_size_open_files_and_thread_limits_hold(pool: SandboxPool) -> None:
    probe = """
import threading, time
try:
    with open("big", "wb") as f:
        f.write(b"x" * (4 << 20))
    print("WROTE BIG FILE")
except OSError as exc:
    print("fsize", exc.errno)
files = []
try:
    for i in range(1000):
        files.append(open("/dev/null"))
    print("OPENED ALL")
except OSError as exc:
    print("nofile", exc.errno, len(files))
threads = []
try:
    for i in range(200):
        t = threading.Thread(target=time.sleep, args=(2,), daemon=True)
        t.start()
        threads.append(t)
    print("STARTED ALL THREADS")
except RuntimeError as exc:
    print("nproc", len(threads))
"""
    result = pool.run(probe, limits=Limits(timeout=5.0, file_size_mb=1, open_files=32, processes=8))
    assert result.ok, result.stderr
    assert "fsize 27" in result.stdout  # EFBIG
    assert "nofile 24" in result.stdout  # EMFILE
    assert "nproc" in result.stdout and "STARTED ALL" not in result.stdout
    assert_serves(pool)


def test_the_sandbox_sees_a_minimal_read_only_filesystem(pool: SandboxPool) -> None:
    probe = """
import os
print(sorted(os.listdir("/")))
print(os.getuid() != 0, os.access("/usr", os.W_OK))
"""
    result = pool.run(probe)
    assert result.ok, result.stderr
    listing, perms = result.stdout.splitlines()
    python_home = os.path.realpath(sys.base_prefix).split("/")[1]  # e.g. "root" for a pyenv under /root
    for hidden in {"work", "home", "root", "var", "opt", "srv", "mnt"} - {python_home}:
        assert f"'{hidden}'" not in listing, listing
    if os.geteuid() == 0:
        assert perms == "True False"
    assert_serves(pool)
