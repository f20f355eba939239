#!/usr/bin/env python3
"""bench/bench_inet.py: usocket_emu's AF_INET sockets against CPython's socket, same run.

Each benchmark measures one side (the "measured implementation": ``usocket_emu.usocket``
or CPython's ``socket``) against a peer that is always CPython's ``socket`` in a separate
process, so the only thing that changes between the two columns is the measured side.
Every figure is the median of RUNS runs, after one discarded warm-up run each; the implementations alternate run by run so
drift (CPU frequency, other load) hits both alike. Ratio = ours / CPython, higher is
better; each line has a target ratio and says PASS or FAIL.

    python bench/bench_inet.py            # full sizes (about a minute)
    python bench/bench_inet.py --quick    # smoke run, a few seconds
    python bench/bench_inet.py --json results.json

This is a benchmark, not a test: it never fails a build. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import socket as cpython_socket
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field

LOOPBACK = "127.0.0.1"
RUNS = 5
END_MARK = b"E"  # a 1-byte datagram ends a UDP burst; data datagrams are 1 KiB
PEER_TIMEOUT_S = 30.0  # no peer wait may exceed this: a wedged run fails instead of hanging


@dataclass
class Sizes:
    bulk_bytes: int
    bulk_chunk: int
    rr_rounds: int
    rr_size: int
    udp_datagrams: int
    udp_size: int


FULL = Sizes(bulk_bytes=256 << 20, bulk_chunk=64 << 10, rr_rounds=20_000, rr_size=64,
             udp_datagrams=200_000, udp_size=1024)
QUICK = Sizes(bulk_bytes=16 << 20, bulk_chunk=64 << 10, rr_rounds=2_000, rr_size=64,
              udp_datagrams=20_000, udp_size=1024)


# --------------------------------------------------------------------------------------
# Peers: CPython socket code in child processes. Each reports its port on a pipe first.
# --------------------------------------------------------------------------------------

def _tcp_sink(conn) -> None:
    """Accepts connections one at a time, reads each to EOF with recv(1 MiB), reports bytes."""
    srv = cpython_socket.socket(cpython_socket.AF_INET, cpython_socket.SOCK_STREAM)
    srv.setsockopt(cpython_socket.SOL_SOCKET, cpython_socket.SO_REUSEADDR, 1)
    srv.bind((LOOPBACK, 0))
    srv.listen(4)
    conn.send(srv.getsockname()[1])
    while True:
        c, _ = srv.accept()
        total = 0
        while True:
            data = c.recv(1 << 20)
            if not data:
                break
            total += len(data)
        c.close()
        conn.send(total)


def _tcp_echo(conn) -> None:
    """Accepts connections one at a time and echoes each until EOF."""
    srv = cpython_socket.socket(cpython_socket.AF_INET, cpython_socket.SOCK_STREAM)
    srv.setsockopt(cpython_socket.SOL_SOCKET, cpython_socket.SO_REUSEADDR, 1)
    srv.bind((LOOPBACK, 0))
    srv.listen(4)
    conn.send(srv.getsockname()[1])
    while True:
        c, _ = srv.accept()
        c.setsockopt(cpython_socket.IPPROTO_TCP, cpython_socket.TCP_NODELAY, 1)
        while True:
            data = c.recv(65536)
            if not data:
                break
            c.sendall(data)
        c.close()


def _udp_counter(conn) -> None:
    """Per burst: on "start", drops stale datagrams and answers "ready"; then counts
    datagrams until the end mark or a quiet second (end marks may be lost) and reports."""
    s = cpython_socket.socket(cpython_socket.AF_INET, cpython_socket.SOCK_DGRAM)
    s.setsockopt(cpython_socket.SOL_SOCKET, cpython_socket.SO_RCVBUF, 4 << 20)
    s.bind((LOOPBACK, 0))
    conn.send(s.getsockname()[1])
    while True:
        conn.recv()  # "start"
        s.setblocking(False)
        try:
            while True:
                s.recv(4096)  # end marks left over from the previous burst
        except BlockingIOError:
            pass
        s.settimeout(PEER_TIMEOUT_S)
        conn.send("ready")
        count = 0
        while True:
            try:
                data = s.recv(4096)
            except cpython_socket.timeout:
                break
            if len(data) == len(END_MARK):
                break
            count += 1
            s.settimeout(1.0)
        conn.send(count)


def _udp_blaster(conn) -> None:
    """On each (port, n, size) request, sends n datagrams as fast as it can, then end marks."""
    s = cpython_socket.socket(cpython_socket.AF_INET, cpython_socket.SOCK_DGRAM)
    conn.send(0)
    while True:
        port, n, size = conn.recv()
        payload = b"u" * size
        dest = (LOOPBACK, port)
        time.sleep(0.05)  # the measured receiver is already in recvfrom()
        for _ in range(n):
            s.sendto(payload, dest)
        time.sleep(0.05)
        for _ in range(20):
            s.sendto(END_MARK, dest)
            time.sleep(0.001)
        conn.send(n)


class Peer:
    """A child process running one of the functions above, and its end of the pipe."""

    def __init__(self, ctx, target):
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(child_conn,), daemon=True)
        self.proc.start()
        child_conn.close()
        self.port = self.recv()

    def recv(self):
        if not self.conn.poll(PEER_TIMEOUT_S):
            raise RuntimeError(f"peer {self.proc.name} did not answer within {PEER_TIMEOUT_S} s")
        return self.conn.recv()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join(5)
        self.conn.close()


# --------------------------------------------------------------------------------------
# Measured side: the same code runs against either module.
# --------------------------------------------------------------------------------------

def _send_all(s, data) -> None:
    """send() until all of data is queued (our sendall is the device's send: no loop)."""
    n = s.send(data)
    while n < len(data):
        n += s.send(data[n:])


def bench_bulk(mod, sink: Peer, sz: Sizes) -> float:
    """MB/s of send() in bulk_chunk pieces until the sink has received bulk_bytes."""
    chunk = b"\xa5" * sz.bulk_chunk
    count = sz.bulk_bytes // sz.bulk_chunk
    s = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    s.connect((LOOPBACK, sink.port))
    t0 = time.perf_counter()
    for _ in range(count):
        _send_all(s, chunk)
    s.close()
    received = sink.recv()  # the clock stops when the sink has everything
    elapsed = time.perf_counter() - t0
    if received != count * sz.bulk_chunk:
        raise RuntimeError(f"sink received {received} of {count * sz.bulk_chunk} bytes")
    return received / elapsed / 1e6


def bench_rr(mod, echo: Peer, sz: Sizes) -> float:
    """Round trips per second: send rr_size bytes, read rr_size bytes back."""
    msg = b"r" * sz.rr_size
    s = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    s.connect((LOOPBACK, echo.port))
    want = len(msg)
    t0 = time.perf_counter()
    for _ in range(sz.rr_rounds):
        _send_all(s, msg)
        got = len(s.recv(want))
        while got < want:
            part = s.recv(want - got)
            if not part:
                raise RuntimeError("echo server closed early")
            got += len(part)
    elapsed = time.perf_counter() - t0
    s.close()
    return sz.rr_rounds / elapsed


def bench_udp_send(mod, counter: Peer, sz: Sizes) -> tuple[float, float]:
    """Datagrams per second sent with sendto(); also the fraction the receiver counted."""
    payload = b"d" * sz.udp_size
    dest = (LOOPBACK, counter.port)
    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    counter.conn.send("start")
    if counter.recv() != "ready":
        raise RuntimeError("UDP counter out of step")
    t0 = time.perf_counter()
    for _ in range(sz.udp_datagrams):
        s.sendto(payload, dest)
    elapsed = time.perf_counter() - t0
    for _ in range(20):
        s.sendto(END_MARK, dest)
        time.sleep(0.001)
    delivered = counter.recv()
    s.close()
    return sz.udp_datagrams / elapsed, delivered / sz.udp_datagrams


def _free_udp_port() -> int:
    # Our sockets have no getsockname(): pick a free port with CPython, then bind ours to it.
    probe = cpython_socket.socket(cpython_socket.AF_INET, cpython_socket.SOCK_DGRAM)
    probe.bind((LOOPBACK, 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def bench_udp_recv(mod, blaster: Peer, sz: Sizes) -> tuple[float, float]:
    """Datagrams per second taken with recvfrom() while a CPython process blasts them.

    The rate is counted from the first datagram to the last one received, so it is the
    receiver's pace when the sender outruns it (the kernel drops what does not fit).
    """
    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    port = _free_udp_port()
    s.bind((LOOPBACK, port))
    s.settimeout(PEER_TIMEOUT_S)
    blaster.conn.send((port, sz.udp_datagrams, sz.udp_size))
    count = 0
    data, _ = s.recvfrom(4096)
    t_first = t_last = time.perf_counter()
    s.settimeout(1.0)
    if len(data) != len(END_MARK):
        count = 1
        while True:
            try:
                data, _ = s.recvfrom(4096)
            except OSError:  # timeout: every end mark was lost
                break
            if len(data) == len(END_MARK):
                break
            count += 1
            t_last = time.perf_counter()
    blaster.recv()
    s.close()
    elapsed = t_last - t_first
    rate = (count - 1) / elapsed if count > 1 and elapsed > 0 else 0.0
    return rate, count / sz.udp_datagrams


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

@dataclass
class Row:
    name: str
    unit: str
    target: float
    ours: list = field(default_factory=list)
    cpython: list = field(default_factory=list)
    note: str = ""
    key: str = ""  # delivery statistics, for the UDP rows

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def cpython_median(self) -> float:
        return statistics.median(self.cpython)

    @property
    def ratio(self) -> float:
        return self.ours_median / self.cpython_median if self.cpython_median else 0.0

    @property
    def passed(self) -> bool:
        return self.ratio >= self.target


def _alternate(row: Row, ours_mod, runs: int, fn, extra=None) -> None:
    """Runs fn(mod) for each implementation, alternating, `runs` times each, after one
    discarded warm-up run each (the first transfers pay for page faults and TCP buffer
    auto-tuning, and would otherwise dominate the spread)."""
    for mod in (ours_mod, cpython_socket):
        fn(mod)
    for _ in range(runs):
        for mod, out in ((ours_mod, row.ours), (cpython_socket, row.cpython)):
            result = fn(mod)
            if isinstance(result, tuple):
                value, aux = result
                if extra is not None:
                    extra(mod is ours_mod, aux)
            else:
                value = result
            out.append(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per implementation (default {RUNS})")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--only", default="bulk,rr,udp",
                        help="comma-separated subset of bulk, rr, udp (default: all)")
    args = parser.parse_args(argv)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - {"bulk", "rr", "udp"}
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}")

    try:
        from usocket_emu import usocket as ours
    except ImportError as e:
        print(f"cannot import usocket_emu ({e}); build it first: pip install --no-build-isolation -e .",
              file=sys.stderr)
        return 2

    sz = QUICK if args.quick else FULL
    ctx = mp.get_context("spawn")  # no fork of a process that holds Asio state
    rows: list[Row] = []
    delivery: dict = {}

    def record(key):
        def add(is_ours, aux):
            delivery.setdefault(key, {"ours": [], "cpython": []})["ours" if is_ours else "cpython"].append(aux)
        return add

    peers: list[Peer] = []
    try:
        sink = Peer(ctx, _tcp_sink)
        echo = Peer(ctx, _tcp_echo)
        counter = Peer(ctx, _udp_counter)
        blaster = Peer(ctx, _udp_blaster)
        peers = [sink, echo, counter, blaster]

        if "bulk" in only:
            print(f"bulk: {sz.bulk_bytes >> 20} MiB in {sz.bulk_chunk >> 10} KiB send() calls ...", flush=True)
            row = Row("TCP bulk send", "MB/s", 0.9)
            _alternate(row, ours, args.runs, lambda m: bench_bulk(m, sink, sz))
            rows.append(row)

        if "rr" in only:
            print(f"rr: {sz.rr_rounds} round trips of {sz.rr_size} B ...", flush=True)
            row = Row(f"TCP {sz.rr_size} B request/response", "trips/s", 0.7)
            _alternate(row, ours, args.runs, lambda m: bench_rr(m, echo, sz))
            rows.append(row)

        if "udp" in only:
            print(f"udp: {sz.udp_datagrams} datagrams of {sz.udp_size} B each way ...", flush=True)
            row = Row(f"UDP {sz.udp_size} B sendto", "dgram/s", 0.7)
            row.key = "udp_send"
            _alternate(row, ours, args.runs, lambda m: bench_udp_send(m, counter, sz), record("udp_send"))
            rows.append(row)

            row = Row(f"UDP {sz.udp_size} B recvfrom", "dgram/s", 0.7)
            row.key = "udp_recv"
            _alternate(row, ours, args.runs, lambda m: bench_udp_recv(m, blaster, sz), record("udp_recv"))
            rows.append(row)
    finally:
        for p in peers:
            p.stop()

    for row in rows:
        d = delivery.get(row.key)
        if d:
            row.note = (f"delivered ours {statistics.median(d['ours']):.0%}, "
                        f"cpython {statistics.median(d['cpython']):.0%}")

    header = f"{'benchmark':<28} {'unit':>8} {'ours':>12} {'CPython':>12} {'ratio':>7} {'target':>7}  result"
    print()
    print(f"usocket_emu vs CPython socket, median of {args.runs} runs{' (--quick)' if args.quick else ''}; "
          "ratio = ours / CPython, higher is better")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r.name:<28} {r.unit:>8} {r.ours_median:>12,.1f} {r.cpython_median:>12,.1f} "
              f"{r.ratio:>7.2f} {r.target:>7.2f}  {'PASS' if r.passed else 'FAIL'}"
              + (f"  ({r.note})" if r.note else ""))

    if args.json:
        out = {
            "quick": args.quick,
            "runs": args.runs,
            "sizes": asdict(sz),
            "python": sys.version,
            "platform": platform.platform(),
            "results": [
                {
                    "name": r.name,
                    "unit": r.unit,
                    "ours": r.ours,
                    "cpython": r.cpython,
                    "ours_median": r.ours_median,
                    "cpython_median": r.cpython_median,
                    "ratio": r.ratio,
                    "target": r.target,
                    "pass": r.passed,
                    "note": r.note,
                }
                for r in rows
            ],
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
