"""One job must not leave anything a later job of the same sandbox can see: after each attack, honest
jobs on the same pool find a clean machine. (Started for the hostile-input issue; more attacks to come.)"""

from __future__ import annotations

from rewardlab.sandbox import SandboxPool

MAKE_IPC = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT = 0, 0o1000
shm = [libc.shmget(IPC_PRIVATE, 4 << 20, IPC_CREAT | 0o666) for _ in range(3)]
msg = [libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o666) for _ in range(2)]
sem = [libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o666) for _ in range(2)]
print(sum(x >= 0 for x in shm + msg + sem))
"""

COUNT_IPC = """
counts = []
for kind in ("shm", "msg", "sem"):
    with open(f"/proc/sysvipc/{kind}") as f:
        counts.append(len(f.read().splitlines()) - 1)
print(counts)
"""


def test_sysv_ipc_objects_do_not_outlive_their_job(pool: SandboxPool) -> None:
    made = pool.run(MAKE_IPC)
    assert made.stdout.strip() == "7", made  # the attack really created its objects
    for _ in range(4):  # every later job, on whichever sandbox of the pool, sees none of them
        seen = pool.run(COUNT_IPC)
        assert seen.stdout.strip() == "[0, 0, 0]", seen


MAKE_MQUEUE = """
import ctypes, os
rt = ctypes.CDLL("librt.so.1", use_errno=True)
print(rt.mq_open(b"/left-behind", os.O_CREAT | os.O_RDWR, 0o666, None) >= 0)
"""

OPEN_MQUEUE = """
import ctypes, os
rt = ctypes.CDLL("librt.so.1", use_errno=True)
print(rt.mq_open(b"/left-behind", os.O_RDWR, 0, None) >= 0)
"""


def test_posix_message_queues_do_not_outlive_their_job(pool: SandboxPool) -> None:
    made = pool.run(MAKE_MQUEUE)
    assert made.stdout.strip() == "True", made
    for _ in range(4):
        seen = pool.run(OPEN_MQUEUE)
        assert seen.stdout.strip() == "False", seen


DEEP_TREE = """
import os
for _ in range(5000):  # deeper than PATH_MAX allows in one path, and deeper than recursion limits
    os.mkdir("d")
    os.chdir("d")
print("built")
"""

MANY_LINKS = """
import os
open("f", "w").close()
for i in range(20000):
    os.link("f", f"l{i}")
print("built")
"""


def test_a_poisoned_tree_does_not_cost_the_next_honest_job(pool: SandboxPool) -> None:
    for attack in (DEEP_TREE, MANY_LINKS):
        made = pool.run(attack)
        assert made.stdout.strip() == "built", made
        for _ in range(4):
            honest = pool.run("print(sum(range(10)))")
            assert honest.ok and honest.stdout == "45\n", honest
