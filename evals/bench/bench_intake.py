"""Intake benchmark: signed WeCom app callbacks from 50 concurrent senders over loopback.

Prints messages/s stored and acknowledged, acknowledgement latency p50/p99, and end-to-end
processed messages/s (rule engine, SQLite). By default the API only acknowledges and one
``qunmi worker`` process (which steps aside while messages arrive) processes the inbox;
``--in-api`` processes inside the API process instead, ``--ack-only`` not at all. Bounded:
``--messages`` (4000) or ``--seconds`` (30) of sending, whichever comes first, then at most
``--process-seconds`` (30) of watching the processing; ``--runs`` (3) repeats it all.

Each run starts a fresh server and first sends ``--warmup`` callbacks (not counted) from the
same senders, then waits for the server to go quiet: the figures are a server's steady state.
The first requests of the fresh server (new senders set up, first statements compiled, the
background loops starting) are reported on their own line as the cold start.

    .venv/bin/python -m evals.bench.bench_intake [--messages 4000] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import httpx
import uvloop

from assistant.adapters.wecom.crypto import WeComCrypto

ROOT = Path(__file__).resolve().parents[2]
CORP_ID = "wwbench0000000001"
TOKEN = "benchToken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TEXTS = [
    "@小王 周五前把第{n}版登录页设计稿出了",
    "明天下午3点开会讨论第{n}轮首页改版",
    "收到，谢谢（{n}）",
    "@老李 下周一之前把第{n}个接口文档整理一下",
]


def _serve(db: str, data_dir: str, port: int) -> None:
    import uvicorn

    from api.app import create_app
    from assistant.settings import Settings

    settings = Settings(database_url=db, data_dir=Path(data_dir), engine="rules", console_url="")
    uvicorn.run(
        create_app(settings=settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="uvloop",
        http="httptools",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _xml(sender: str, n: int) -> bytes:
    text = TEXTS[n % len(TEXTS)].format(n=n)
    return (
        f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{10_000_000 + n}</MsgId><AgentID>1000002</AgentID></xml>"
    ).encode()


def _seal_all(total: int, first: int = 0) -> list[bytes]:
    """Every request of the run, signed and encrypted before the clock starts: the bench
    measures the server, not the sender's AES."""
    crypto = WeComCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID)
    senders = ["zhangsan", "wanglei", "lisi", "chenjing"]
    requests = []
    for n in range(first, first + total):
        encrypt = crypto.encrypt(_xml(senders[n % len(senders)], n))
        ts, nonce = str(int(time.time())), secrets.token_hex(5)
        query = urlencode(
            {"msg_signature": crypto.sign(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}
        )
        body = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        ).encode()
        head = (
            f"POST /wecom/app?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        requests.append(head + body)
    return requests


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """One request on a kept-alive connection; the response status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _run(
    port: int, requests: list[bytes], seconds: float, concurrency: int
) -> tuple[list[float], float, dict[int, int]]:
    """``concurrency`` senders over kept-alive HTTP/1.1 connections (a plain asyncio client:
    an HTTP library's own overhead on this shared box would cap the figures below the server's)."""
    latencies: list[float] = []
    counter = iter(requests)
    deadline = time.perf_counter() + seconds
    failures: dict[int, int] = {}

    async def sender() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        for request in counter:
            if time.perf_counter() > deadline:
                break
            start = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                status = await asyncio.wait_for(_exchange(*conn, request), 30)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = 0  # a connection error: counted, and WeCom would redeliver it
                if conn is not None:
                    conn[1].close()
                conn = None
            latencies.append(time.perf_counter() - start)
            if status != 200:
                failures[status] = failures.get(status, 0) + 1
        if conn is not None:
            conn[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return latencies, elapsed, failures


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _settle(pid: int, *, quiet: float = 0.05, most: float = 15.0) -> None:
    """Wait until the server uses under ``quiet`` of a core over half a second (its
    background loops have started), at most ``most`` seconds."""
    limit = time.perf_counter() + most
    while time.perf_counter() < limit:
        before = _cpu_seconds(pid)
        time.sleep(0.5)
        if _cpu_seconds(pid) - before < quiet * 0.5:
            return


def _worker_priority(increment: int) -> None:
    """Runs in the worker process before it starts (``--worker-nice``)."""
    if increment:
        os.nice(increment)


def _one_run(args: argparse.Namespace) -> dict[str, float]:
    """One server, a warm-up, one measured burst: the figures of this run."""
    in_api = args.in_api and not args.ack_only
    with tempfile.TemporaryDirectory(prefix="qunmi-bench-") as tmp:
        port = _free_port()
        db = args.database_url or f"sqlite:///{tmp}/bench.db"
        env = {
            "QUNMI_REDIS_PREFIX": f"qunmi-bench-{secrets.token_hex(4)}",
            "QUNMI_DATABASE_URL": db,
            "QUNMI_DATA_DIR": f"{tmp}/data",
            "QUNMI_ENGINE": "rules",
            **os.environ,
            "QUNMI_QUEUE": args.queue,
            "QUNMI_PROCESS_IN_API": "true" if in_api else "false",
            "PYTHONPATH": str(ROOT),
            "QUNMI_WECOM__CORP_ID": CORP_ID,
            "QUNMI_WECOM__TOKEN": TOKEN,
            "QUNMI_WECOM__ENCODING_AES_KEY": AES_KEY,
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evals.bench.bench_intake",
                "--serve",
                db,
                f"{tmp}/data",
                str(port),
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        workers: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            n_workers = 0 if args.ack_only or in_api else args.workers
            workers += [
                subprocess.Popen(
                    [sys.executable, "-c", "from assistant.cli import main; main()", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    preexec_fn=partial(_worker_priority, args.worker_nice),  # noqa: PLW1509
                )
                for _ in range(n_workers)
            ]
            warmup = _seal_all(args.warmup, first=10_000_000) if args.warmup else []
            requests = _seal_all(args.messages)
            cold: list[float] = []
            if warmup:
                cold, _, _ = uvloop.run(_run(port, warmup, args.seconds, args.concurrency))
                _wait_processed(base, len(warmup), 0 if args.ack_only else args.process_seconds)
                _settle(proc.pid)
            done_before = _done(base)
            server_cpu = _cpu_seconds(proc.pid)
            started = time.perf_counter()
            latencies, elapsed, failures = uvloop.run(
                _run(port, requests, args.seconds, args.concurrency)
            )
            server_cpu = _cpu_seconds(proc.pid) - server_cpu
            sent = len(latencies)
            stored = httpx.get(f"{base}/messages", params={"limit": 1}, timeout=60).json()["total"]
            done = _wait_processed(base, stored, 0 if args.ack_only else args.process_seconds)
            window = time.perf_counter() - started
        finally:
            for p in [proc, *workers]:
                p.terminate()
            for p in [proc, *workers]:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:  # a slow shutdown on a loaded box
                    p.kill()
                    p.wait()
    lat = sorted(latencies)
    acknowledged = len(latencies) - sum(failures.values())
    # Nothing acknowledged may be missing: every 200 of the run is a stored message.
    ok = not failures and stored - len(warmup) >= acknowledged
    return {
        "sent": len(latencies),
        "rate": sent / elapsed,
        "p50": statistics.median(lat) * 1000,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "max": lat[-1] * 1000,
        "cold": statistics.median(cold[: args.concurrency]) * 1000 if cold else 0.0,
        "cpu_ms": server_cpu / max(1, sent) * 1000,
        "stored": stored - len(warmup),
        "backlog": stored - done,
        "done": done - done_before,
        "window": window,
        "e2e": (done - done_before) / window if not args.ack_only else 0.0,
        "failures": sum(failures.values()),
        "ok": float(ok),
        "load": os.getloadavg()[0],
    }


def _done(base: str) -> int:
    return int(
        httpx.get(f"{base}/messages", params={"state": "done", "limit": 1}, timeout=60).json()[
            "total"
        ]
    )


def _wait_processed(base: str, stored: int, seconds: float) -> int:
    """Messages done so far, polled until ``stored`` are or ``seconds`` have passed."""
    limit = time.perf_counter() + seconds
    while True:
        done = _done(base)
        if done >= stored or time.perf_counter() >= limit:
            return done
        time.sleep(0.2)


def _spread(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.0f} ({min(values):.0f}–{max(values):.0f})" if len(values) > 1 else f"{med:.0f}"


def _spread_f(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.2f} ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else f"{med:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument(
        "--warmup",
        type=int,
        default=100,
        help="callbacks sent (not counted) before the measured burst; 0: measure a cold server",
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--queue",
        choices=["inprocess", "redis"],
        default="inprocess",
        help="redis: the API only stores and enqueues; --workers `qunmi worker` processes run the jobs",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="`qunmi worker` processes that drain the inbox (or run the Redis jobs)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the worker processes this much nicer (a niced worker that holds SQLite's "
        "write lock when the CPU is short makes intake wait for it)",
    )
    parser.add_argument(
        "--in-api",
        action="store_true",
        help="process in the API process (its in-process worker) instead of worker processes",
    )
    parser.add_argument(
        "--ack-only",
        action="store_true",
        help="nothing processes the inbox: the acknowledging path alone (no end-to-end figure)",
    )
    parser.add_argument("--runs", type=int, default=3, help="repeat and report median and spread")
    parser.add_argument(
        "--process-seconds",
        type=float,
        default=30.0,
        help="after the burst, how long processing is watched for the end-to-end rate",
    )
    parser.add_argument(
        "--database-url",
        help="a throwaway database to use instead of a fresh SQLite file (e.g. PostgreSQL)",
    )
    parser.add_argument(
        "--serve", nargs=3, metavar=("DB", "DATA_DIR", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve[0], args.serve[1], int(args.serve[2]))
        return
    runs = []
    for i in range(args.runs):
        before = os.getloadavg()[0]
        run = _one_run(args)
        runs.append(run)
        print(
            f"run {i + 1}: {run['rate']:.0f} msgs/s acknowledged, p50 {run['p50']:.1f} ms, "
            f"p99 {run['p99']:.1f} ms, max {run['max']:.0f} ms, {run['e2e']:.1f} msgs/s "
            f"processed ({run['done']:.0f} in {run['window']:.0f} s, {run['backlog']:.0f} "
            f"still waiting), server CPU "
            f"{run['cpu_ms']:.2f} ms/msg, cold start p50 {run['cold']:.0f} ms, failures "
            f"{run['failures']:.0f}, load {before:.1f}→{run['load']:.1f}",
            flush=True,
        )
    db = args.database_url or "sqlite"
    mode = (
        "API acknowledges, nothing processes"
        if args.ack_only
        else "worker inside the API process"
        if args.in_api
        else f"API acknowledges, {args.workers} `qunmi worker` process(es)"
        + (f" at nice +{args.worker_nice}" if args.worker_nice else "")
        + (" (Redis queue)" if args.queue == "redis" else "")
    )
    print(
        f"intake: signed WeCom callbacks, {args.concurrency} concurrent senders, loopback, "
        f"{db.split(':', 1)[0].split('+')[0]}, {mode}; median (min–max) of {len(runs)} run(s); "
        f"load average during the runs {statistics.median([r['load'] for r in runs]):.1f} "
        f"on {os.cpu_count()} cores (a shared machine: other people's jobs count in it); "
        f"after {args.warmup} warm-up callbacks"
    )
    print("| metric | value |\n|---|---|")
    print(f"| stored + acknowledged | {_spread([r['rate'] for r in runs])} msgs/s |")
    print(f"| ack latency p50 | {_spread([r['p50'] for r in runs])} ms |")
    print(f"| ack latency p99 | {_spread([r['p99'] for r in runs])} ms |")
    print(f"| ack latency max | {_spread([r['max'] for r in runs])} ms |")
    print(f"| server CPU per message | {_spread_f([r['cpu_ms'] for r in runs])} ms |")
    if args.warmup:
        print(
            f"| cold start: first {args.concurrency} requests of a fresh server, p50 | "
            f"{_spread([r['cold'] for r in runs])} ms |"
        )
    if not args.ack_only:
        print(
            f"| end-to-end processed (rule engine), from the burst's start until all are done "
            f"or {args.process_seconds:.0f} s more | {_spread_f([r['e2e'] for r in runs])} msgs/s |"
        )
    if not all(r["ok"] for r in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
