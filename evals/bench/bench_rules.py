"""Latency of the offline rule engine: ``python -m evals.bench.bench_rules``.

Prints p50 / p99 per message over a realistic list of chat messages (and over the parse gold set
when it exists), batch throughput, and the time for one 1 MB message. Bounded well under a minute.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from assistant.domain import ChatContext, IncomingMessage
from assistant.engines.rules import RuleEngine

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)
MEMBERS = {
    "张三": [],
    "李四": ["老李"],
    "王磊": ["小王", "王工"],
    "陈经理": ["老陈"],
    "赵敏": ["小赵"],
    "刘洋": ["小刘", "Leo"],
}
GOLD = Path(__file__).resolve().parents[1] / "cases" / "parse_gold.jsonl"

# The mix a busy project group sends in a day: mostly chatter, some work.
MESSAGES = [
    "明天开个会讨论首页改版",
    "@小王 周五前把登录页设计稿出了",
    "好的收到",
    "谢谢大家",
    "这个我来跟",
    "登录页搞定了",
    "支付接口还卡着，等第三方回复",
    "我还有哪些任务",
    "项目进度怎么样？",
    "这周有什么会",
    "新建项目【官网改版】，负责人陈经理，12月20号上线",
    "昨天的会开得不错",
    "下周三是不是放假？",
    "我明天请假",
    "明天3pm开个sync，过一下Q4 roadmap",
    "会改到周四下午",
    "明天的周会取消，老板出差",
    "@小刘 @小赵 你们俩分别负责前端和后端，下周一前给我",
    "1. 小王：登录页设计稿，周五前\n2. 老李：接口文档\n3. 我来写测试用例",
    "明天下午三点开会讨论一下首页改版和支付流程小王你周五前把设计稿出了",
    "哈哈哈哈哈",
    "中午吃啥",
    "今天下班前把测试报告发我，加急",
    "周四下午2点到3点在3楼大会议室开评审会，提前半小时提醒",
    "有没有逾期的任务",
    "我开始做支付了",
    "这个方案我觉得还可以再优化一下",
    "👍👍👍",
    "@王工 服务器迁移这周能搞定吗？",
    "明早九点半站会，大家准时",
]


def _context() -> ChatContext:
    return ChatContext(now=NOW, sender="张三", members=MEMBERS)


def _gold_messages() -> list[tuple[str, ChatContext]]:
    if not GOLD.is_file():
        return []
    out: list[tuple[str, ChatContext]] = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            now = datetime.fromisoformat(str(row["now"]))
            members = row.get("members") or {}
            if isinstance(members, list):
                members = {str(m): [] for m in members}
            sender = str(row.get("sender") or "我")
            out.append(
                (
                    str(row["text"]),
                    ChatContext(now=now, sender=sender, members=dict(members)),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return out


def _latencies(
    engine: RuleEngine, items: list[tuple[str, ChatContext]], rounds: int
) -> list[float]:
    out: list[float] = []
    for _ in range(rounds):
        for text, context in items:
            message = IncomingMessage(text=text, sender=context.sender)
            started = time.perf_counter()
            engine.understand(message, context)
            out.append(time.perf_counter() - started)
    return out


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(label: str, values: list[float]) -> str:
    p50 = statistics.median(values) * 1000
    p99 = _quantile(values, 0.99) * 1000
    return f"{label:<24} {len(values):>7} {p50:>9.3f} {p99:>9.3f}"


def main() -> int:
    engine = RuleEngine()
    context = _context()
    own = [(text, context) for text in MESSAGES]
    _latencies(engine, own, 2)  # warm up: compiled patterns, imports

    print(f"{'消息集':<24} {'次数':>7} {'p50 ms':>9} {'p99 ms':>9}")
    print(_row("own (realistic mix)", _latencies(engine, own, 30)))
    gold = _gold_messages()
    if gold:
        print(_row("parse_gold.jsonl", _latencies(engine, gold, 5)))
    else:
        print(f"{'parse_gold.jsonl':<24}  (not present)")

    batch = own * 200
    started = time.perf_counter()
    for text, ctx in batch:
        engine.understand(IncomingMessage(text=text, sender=ctx.sender), ctx)
    elapsed = time.perf_counter() - started
    print(f"batch: {len(batch)} messages in {elapsed:.2f} s = {len(batch) / elapsed:,.0f} msgs/s")

    big = ("明天下午三点开会讨论首页改版，@小王 周五前把设计稿出了。" * 40_000)[: 1 << 20]
    for label, text in (
        ("1 MB chat text", big),
        ("1 MB emoji", "😀" * (1 << 18)),
        ("1 MB one char", "会" * (1 << 20)),
    ):
        started = time.perf_counter()
        engine.understand(IncomingMessage(text=text, sender="张三"), context)
        print(f"{label:<24} {time.perf_counter() - started:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
