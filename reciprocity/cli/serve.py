"""`reciprocity serve`: the relay alone, with no screen, logging to stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import ssl
import sys

from reciprocity_server.descriptors import quiet_accept_errors, raise_limit
from reciprocity_server.quotas import Quotas
from reciprocity_server.serve import log, start_relay, tls_context, tune_collector

from reciprocity import CommandError


def serve_command(args: argparse.Namespace) -> int:
    """Run `reciprocity serve`: the relay alone, logging to stderr, until SIGTERM or SIGINT."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    quotas = Quotas(
        creates=args.creates_per_address,
        connections=args.connections_per_address,
        commands=args.commands_per_second,
    )
    if (args.certfile is None) != (args.keyfile is None):
        raise CommandError("give both --certfile and --keyfile to serve wss://, or neither")
    tls = tls_context(args.certfile, args.keyfile) if args.certfile else None
    return asyncio.run(_serve(args.host, args.port, args.db, args.idle_hours, quotas, tls))


async def _serve(
    host: str,
    port: int,
    db: str | None,
    idle_hours: float,
    quotas: Quotas,
    tls: ssl.SSLContext | None,
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl+C still works
            loop.add_signal_handler(signum, stop.set)
    quiet_accept_errors(loop, raise_limit())
    server = await start_relay(host, port, db, idle_hours=idle_hours, quotas=quotas, tls=tls)
    tune_collector()
    await stop.wait()
    log.info("relay stopping: closing every connection")
    await server.close()
    log.info("relay stopped")
    return 0
