"""`reciprocity serve`: the relay alone, with no screen, logging to stderr."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from reciprocity_server.serve import log, start_relay, tune_collector


def serve_command(args: argparse.Namespace) -> int:
    """Run `reciprocity serve`: the relay alone, logging to stderr, until SIGTERM or SIGINT."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    return asyncio.run(_serve(args.host, args.port, args.db, args.idle_hours))


async def _serve(host: str, port: int, db: str | None, idle_hours: float) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # not on Windows: Ctrl+C still works
            loop.add_signal_handler(signum, stop.set)
    server = await start_relay(host, port, db, idle_hours=idle_hours)
    tune_collector()
    await stop.wait()
    log.info("relay stopping: closing every connection")
    await server.close()
    log.info("relay stopped")
    return 0
