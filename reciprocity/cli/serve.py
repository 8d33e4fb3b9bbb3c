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

from reciprocity import CommandError, ReciprocityError
from reciprocity.cli.web import code_link, print_link, relay_here, start_web


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
    if args.web is not None and args.certfile:
        raise CommandError(
            "--web serves a plain http page, so it goes without --certfile: put the relay and "
            "the page behind your https proxy instead"
        )
    tls = tls_context(args.certfile, args.keyfile) if args.certfile else None
    return asyncio.run(_serve(args, quotas, tls))


async def _serve(args: argparse.Namespace, quotas: Quotas, tls: ssl.SSLContext | None) -> int:
    host, port = args.host, args.port
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl+C still works
            loop.add_signal_handler(signum, stop.set)
    quiet_accept_errors(loop, raise_limit())
    server = await start_relay(
        host, port, args.db, idle_hours=args.idle_hours, quotas=quotas, tls=tls
    )
    try:
        web = await start_web(args, host, relay_here(host, server.port))
    except ReciprocityError:
        await server.close()
        raise
    if web is not None:
        print_link(code_link(web), "Players join from a browser at")
    tune_collector()
    await stop.wait()
    log.info("relay stopping: closing every connection")
    if web is not None:
        await web.close()
    await server.close()
    log.info("relay stopped")
    return 0
