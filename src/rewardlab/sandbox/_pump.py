"""Moving one job's bytes: input to its pipes, capped output from them, frames from the judge."""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any

from rewardlab.sandbox._wire import FrameReader, WireError

EXIT_GRACE = 0.2  # seconds to collect output after the main process exits


class Pump:
    """Moves bytes between rewardlab and one job's pipes until the job settles or the deadline.

    ``on_control`` is called when the zygote's control socket has a message (``exited`` notifications
    land in ``exited``); each captured stream keeps at most ``cap`` bytes, and a stream that brings more
    than 8x ``cap`` stops the job (``"overflow"``).
    """

    def __init__(
        self, ctl: socket.socket, on_control: Callable[[], None], exited: dict[str, dict[str, Any]], cap: int
    ) -> None:
        self.on_control, self.exited, self.cap = on_control, exited, cap
        self.sel = selectors.DefaultSelector()
        self.sel.register(ctl, selectors.EVENT_READ, ("ctl", None))
        self.data: dict[str, bytearray] = {}
        self.sizes: dict[str, int] = {}
        self.open: set[str] = set()
        self.truncated: set[str] = set()
        self.frames: list[Any] = []
        self.readers: dict[str, FrameReader] = {}
        self.fds: dict[str, int] = {}
        self.first_exit: float | None = None

    def write(self, fd: int, data: bytes) -> None:
        os.set_blocking(fd, False)
        if data:
            self.sel.register(fd, selectors.EVENT_WRITE, ("write", memoryview(data)))
        else:
            os.close(fd)

    def read(self, name: str, fd: int, frames: bool = False) -> None:
        """Capture ``fd`` as ``name``; the descriptor is closed when the job ends."""
        os.set_blocking(fd, False)
        self.data[name], self.sizes[name], self.fds[name] = bytearray(), 0, fd
        if frames:
            self.readers[name] = FrameReader()
        self.open.add(name)
        self.sel.register(fd, selectors.EVENT_READ, ("read", name))

    def settled(self, role: str, streams: tuple[str, ...], *, need_exit: bool) -> bool:
        """True when ``streams`` are closed (and ``role`` exited, if ``need_exit``), or ``role`` exited
        more than :data:`EXIT_GRACE` ago (descendants may hold the pipes open: they are killed next)."""
        if role in self.exited and self.first_exit is None:
            self.first_exit = time.monotonic()
        if not any(s in self.open for s in streams) and (role in self.exited or not need_exit):
            return True
        return self.first_exit is not None and time.monotonic() - self.first_exit > EXIT_GRACE

    def reported(self, nonce: str) -> bool:
        """The judge sent its final report (no need to wait for it to exit)."""
        return any(
            isinstance(m, dict) and m.get("event") == "done" and m.get("n") == nonce for m in self.frames[-1:]
        )

    def loop(self, deadline: float, done: Callable[[], bool]) -> str:
        """Pump until ``done()``; returns ``"done"``, ``"deadline"`` or ``"overflow"``."""
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return "deadline"
            for key, _ in self.sel.select(timeout=min(left, EXIT_GRACE / 2)):
                kind, arg = key.data
                if kind == "ctl":
                    self.on_control()
                elif kind == "write":
                    self._write(key.fd, arg)
                elif self._read(arg) == "overflow":
                    return "overflow"
        return "done"

    def _write(self, fd: int, view: memoryview) -> None:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            return
        except OSError:  # the process closed its end (exited, or never reads stdin)
            n = len(view)
        if n >= len(view):
            self.sel.unregister(fd)
            os.close(fd)
        else:
            self.sel.modify(fd, selectors.EVENT_WRITE, ("write", view[n:]))

    def _read(self, name: str) -> str:
        fd = self.fds[name]
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return ""
        except OSError:
            chunk = b""
        if not chunk:
            self.sel.unregister(fd)
            self.open.discard(name)
            return ""
        self.sizes[name] += len(chunk)
        if name in self.readers:
            try:
                self.frames += self.readers[name].feed(chunk)
            except WireError:
                self.frames.append(None)  # counted as a rejected report
                self.readers[name] = FrameReader()
            return ""
        room = self.cap - len(self.data[name])
        if room > 0:
            self.data[name] += chunk[:room]
        if len(chunk) > room:
            self.truncated.add(name)
        return "overflow" if self.sizes[name] > 8 * self.cap else ""

    def __enter__(self) -> Pump:
        return self

    def __exit__(self, *exc: object) -> None:
        self.drain_and_close()

    def drain_and_close(self) -> None:
        for name in list(self.open):
            for _ in range(64):  # what is left in the pipe buffers (the processes are dead by now)
                before = self.sizes[name]
                self._read(name)
                if name not in self.open or self.sizes[name] == before:
                    break
        for key in list(self.sel.get_map().values()):
            if key.data[0] != "ctl":
                with contextlib.suppress(OSError):
                    os.close(key.fd)
        for name, fd in self.fds.items():
            if name not in self.open:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.sel.close()

    def text(self, name: str) -> str:
        return bytes(self.data.get(name, b"")).decode("utf-8", "replace")
