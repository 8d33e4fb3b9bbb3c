"""The deployment files in server/deploy/: their commands are ones `reciprocity` accepts, the
container listens on every interface inside, and the service on loopback behind a proxy. CI
builds no images, so the files are read, and their commands parsed as the program would."""

from __future__ import annotations

import configparser
import json
import shlex
from pathlib import Path

from reciprocity.cli.parser import build_parser

DEPLOY = Path(__file__).resolve().parent.parent / "server" / "deploy"


def serve_args(command: list[str]) -> dict[str, object]:
    """The options a `reciprocity serve ...` command line gives, as argparse reads them."""
    program, *args = command
    assert program.endswith("/reciprocity") and args[0] == "serve"
    return vars(build_parser().parse_args(args))


def test_the_container_listens_on_every_interface_inside_with_its_data_in_the_volume() -> None:
    lines = (DEPLOY / "Containerfile").read_text().splitlines()
    [cmd] = [json.loads(line.removeprefix("CMD ")) for line in lines if line.startswith("CMD ")]
    options = serve_args(cmd)
    assert options["host"] == "0.0.0.0" and options["port"] == 8765
    assert str(options["db"]).startswith("/data/")
    assert "EXPOSE 8765" in lines and "VOLUME /data" in lines and "STOPSIGNAL SIGTERM" in lines
    assert "ENV RECIPROCITY_DATA_DIR=/data" in lines
    assert any(line.startswith("HEALTHCHECK") for line in lines)


def test_the_service_runs_on_loopback_with_room_for_connections_and_a_clean_stop() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.read(DEPLOY / "reciprocity-relay.service")
    service = unit["Service"]
    options = serve_args(shlex.split(service["ExecStart"]))
    assert options["host"] == "127.0.0.1" and options["port"] == 8765
    assert options["trust_forwarded"]  # the proxy in front, on loopback, names each client
    assert int(service["LimitNOFILE"]) >= 65536
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "on-failure"
    assert service["Environment"] == f"RECIPROCITY_DATA_DIR={Path(str(options['db'])).parent}"


def test_compose_puts_caddy_in_front_on_the_relays_own_loopback() -> None:
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "dockerfile: server/deploy/Containerfile" in compose
    assert 'network_mode: "service:relay"' in compose
    assert '- "443:443"' in compose and "8765:8765" not in compose
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert "{$RELAY_DOMAIN} {" in caddyfile and "reverse_proxy 127.0.0.1:8765" in caddyfile
