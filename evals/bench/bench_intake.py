"""Intake benchmark: signed WeCom app callbacks from 50 concurrent senders over loopback.

Prints messages/s stored and acknowledged, acknowledgement latency p50/p99, and end-to-end
processed messages/s (rule engine, in-process worker, SQLite). Bounded: ``--messages`` (2000)
or ``--seconds`` (30), whichever comes first.

    .venv/bin/python -m evals.bench.bench_intake [--messages 2000] [--concurrency 50]
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


def _seal_all(total: int) -> list[bytes]:
    """Every request of the run, signed and encrypted before the clock starts: the bench
    measures the server, not the sender's AES."""
    crypto = WeComCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID)
    senders = ["zhangsan", "wanglei", "lisi", "chenjing"]
    requests = []
    for n in range(total):
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


def _one_run(args: argparse.Namespace) -> dict[str, float]:
    """One server, one burst: the figures of this run."""
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
            "QUNMI_PROCESS_IN_API": "false" if args.split or args.ack_only else "true",
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
            workers += [
                subprocess.Popen(
                    [sys.executable, "-c", "from assistant.cli import main; main()", "worker"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                )
                for _ in range(
                    0
                    if args.ack_only
                    else args.workers
                    if args.queue == "redis" or args.split
                    else 0
                )
            ]
            requests = _seal_all(args.messages)
            started = time.perf_counter()
            latencies, elapsed, failures = uvloop.run(
                _run(port, requests, args.seconds, args.concurrency)
            )
            sent = len(latencies)
            stored = httpx.get(f"{base}/messages", params={"limit": 1}, timeout=60).json()["total"]
            done = 0
            limit = time.perf_counter() + (0 if args.ack_only else 120)
            while time.perf_counter() < limit:
                done = httpx.get(
                    f"{base}/messages", params={"state": "done", "limit": 1}, timeout=60
                ).json()["total"]
                if done >= stored:
                    break
                time.sleep(0.2)
            e2e = time.perf_counter() - started
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
    ok = not failures and (done >= stored or args.ack_only)
    return {
        "sent": len(latencies),
        "rate": sent / elapsed,
        "p50": statistics.median(lat) * 1000,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        "stored": stored,
        "done": done,
        "e2e": done / e2e,
        "failures": sum(failures.values()),
        "ok": float(ok),
        "load": os.getloadavg()[0],
    }


def _spread(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:.0f} ({min(values):.0f}–{max(values):.0f})" if len(values) > 1 else f"{med:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--queue",
        choices=["inprocess", "redis"],
        default="inprocess",
        help="redis: the API only stores and enqueues; --workers `qunmi worker` processes run the jobs",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--split",
        action="store_true",
        help="the API only acknowledges; --workers `qunmi worker` processes drain the inbox",
    )
    parser.add_argument(
        "--ack-only",
        action="store_true",
        help="nothing processes the inbox: the acknowledging path alone (no end-to-end figure)",
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat and report median and spread")
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
            f"p99 {run['p99']:.1f} ms, {run['e2e']:.0f} msgs/s processed "
            f"({run['done']:.0f}/{run['stored']:.0f}), failures {run['failures']:.0f}, "
            f"load {before:.1f}→{run['load']:.1f}",
            flush=True,
        )
    db = args.database_url or "sqlite"
    mode = (
        "API acknowledges, nothing processes"
        if args.ack_only
        else "API acknowledges, separate worker processes"
        if args.split
        else args.queue
    )
    print(
        f"intake: signed WeCom callbacks, {args.concurrency} concurrent senders, loopback, "
        f"{db.split(':', 1)[0].split('+')[0]}, {mode}; median (min–max) of {len(runs)} run(s); "
        f"load average during the runs {statistics.median([r['load'] for r in runs]):.1f} "
        f"on {os.cpu_count()} cores"
    )
    print("| metric | value |\n|---|---|")
    print(f"| stored + acknowledged | {_spread([r['rate'] for r in runs])} msgs/s |")
    print(f"| ack latency p50 | {_spread([r['p50'] for r in runs])} ms |")
    print(f"| ack latency p99 | {_spread([r['p99'] for r in runs])} ms |")
    print(f"| end-to-end processed (rule engine) | {_spread([r['e2e'] for r in runs])} msgs/s |")
    if not all(r["ok"] for r in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
