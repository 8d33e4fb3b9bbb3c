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
    if args.workers > 1:
        if args.web is not None:
            raise CommandError("--web goes with one relay; leave out --workers to serve the page")
        return asyncio.run(_serve_workers(args))
    tls = tls_context(args.certfile, args.keyfile) if args.certfile else None
    return asyncio.run(_serve(args, quotas, tls))


async def _serve_workers(args: argparse.Namespace) -> int:
    """`--workers N`: N relays sharing PostgreSQL, behind Caddy (`reciprocity_server.workers`)."""
    from reciprocity_server.workers import Workers

    if not (args.db or "").startswith(("postgresql://", "postgres://")):
        raise CommandError("--workers needs --db postgresql://…: the workers share the rooms there")
    if args.certfile:
        raise CommandError("--workers serves plain ws://; put TLS in front (see server/README.md)")
    if not args.port:
        raise CommandError("--workers needs a --port for the proxy in front of them, not 0")
    options = {
        "--db": args.db,
        "--idle-hours": args.idle_hours,
        "--creates-per-address": args.creates_per_address,
        "--connections-per-address": args.connections_per_address,
        "--commands-per-second": args.commands_per_second,
    }
    stop = _stopping()
    worker_args = [str(x) for o in options.items() for x in o]
    # Caddy, in front of them on this machine, sets each client's address.
    workers = Workers(args.workers, args.host, args.port, [*worker_args, "--trust-forwarded"])
    try:
        await workers.start()
        await workers.watch(stop)
    finally:
        log.info("relay stopping: closing every worker")
        await workers.stop()
    log.info("relay stopped")
    return 0


def _stopping() -> asyncio.Event:
    """Set on SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl+C still works
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _serve(args: argparse.Namespace, quotas: Quotas, tls: ssl.SSLContext | None) -> int:
    host, port = args.host, args.port
    stop = _stopping()
    quiet_accept_errors(asyncio.get_running_loop(), raise_limit())
    # Its web page's players are counted by their own addresses, which their tabs forward.
    trusted = args.trust_forwarded or args.web is not None
    server = await start_relay(
        host,
        port,
        args.db,
        idle_hours=args.idle_hours,
        quotas=quotas,
        tls=tls,
        trust_forwarded=trusted,
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
