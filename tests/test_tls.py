"""`reciprocity serve --certfile --keyfile` serves wss:// on loopback; clients verify the
certificate, and trust one made by hand only when told its CA (SSL_CERT_FILE)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from test_remote import Player, eventually, free_port, relay_process

from reciprocity.engine import Draw, Phase, Seat, SetLimit, Share
from reciprocity.net.client import JoinCode
from reciprocity.net.core import RelayUnreachable
from reciprocity.net.driver import WebSocketConnection
from reciprocity.protocol import CreateRoom

pytestmark = pytest.mark.timeout(60)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A CA made here, and a certificate it signs for localhost and 127.0.0.1: (ca, cert, key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Reciprocity test CA"))
        .issuer_name(_name("Reciprocity test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


async def test_a_game_plays_over_wss_with_a_certificate_the_players_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca, cert, key = make_certificates(tmp_path)
    port = free_port()
    url = f"wss://localhost:{port}"
    tls = ["--certfile", str(cert), "--keyfile", str(key)]
    with relay_process(port, tmp_path / "relay.db", extra=tls):
        await _until_listening(port)
        with pytest.raises(RelayUnreachable, match="certificate is not trusted here"):
            await WebSocketConnection(url, CreateRoom(deck="first-steps", name="Sam")).open()
        monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # as a person would, for their own CA
        opening = CreateRoom(deck="first-steps", name="Sam", checkin=False)
        sam = await Player(WebSocketConnection(url, opening)).start()
        assert sam.connection.code is not None
        ben = await Player(WebSocketConnection(url, JoinCode(sam.connection.code, "Ben"))).start()
        for player in (sam, ben):
            player.connection.send(player.connection.seat, SetLimit(limit=2))
        await sam.until(lambda view: view.phase is Phase.DRAW, "the game to start")
        sam.connection.send(Seat.A, Draw())
        sam.connection.send(Seat.A, Share())
        sam.connection.say(Seat.A, "sealed twice over")
        await ben.until(lambda view: view.phase is Phase.RESPOND, "the share over wss://")
        await _eventually_said(ben, "a: sealed twice over")
        await sam.stop()
        await ben.stop()


def test_serve_with_half_a_certificate_or_a_missing_file_is_one_line(tmp_path: Path) -> None:
    _, cert, key = make_certificates(tmp_path)
    for extra, says in [
        (["--certfile", str(cert)], "give both --certfile and --keyfile"),
        (["--certfile", str(tmp_path / "nope.pem"), "--keyfile", str(key)], "no such file"),
        (["--certfile", str(key), "--keyfile", str(key)], "cannot use the certificate"),
    ]:
        result = subprocess.run(
            [sys.executable, "-m", "reciprocity", "serve", "--port", str(free_port()), *extra],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith("reciprocity: ") and says in result.stderr
        assert result.stderr.count("\n") == 1


async def _until_listening(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("the relay did not come up")


async def _eventually_said(player: Player, line: str) -> None:
    await eventually(lambda: line in player.words(), what=line)
