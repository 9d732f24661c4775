"""Latency of the time normalizer on realistic group messages.

Run: ``.venv/bin/python -m evals.bench.bench_time``. Prints p50/p99 per message, throughput and
the time for 1 MB of text. Bounded to well under a minute.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from assistant.timeparse import parse_durations, parse_times

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

MESSAGES: list[str] = [
    "明天开个会讨论首页改版",
    "@小王 周五前把登录页设计稿出了",
    "下午3点大会议室碰一下需求",
    "大家好，下周一上午10点项目周会，请准时参加",
    "@李娜 这个bug今天下班前能修完吗？",
    "登录页搞定了",
    "明早9点半在3楼大会议室过一下方案",
    "周三下午2点-4点做一次代码评审",
    "这周内把接口文档补齐",
    "月底前上线支付功能",
    "收到，谢谢！",
    "@王强 @陈静 你们俩分别负责前端和后端，下周三之前联调完",
    "会议改到周四下午",
    "今天的会取消了，改到明天同一时间",
    "我下周二请假一天",
    "这个需求不急，有空再做",
    "紧急！线上支付挂了，大家马上看一下",
    "12月20号上线官网改版，负责人陈经理",
    "下个月5号之前提交季度总结",
    "明天上午十点半腾讯会议，会议号稍后发",
    "后天下午三点跟客户开会，提前半小时提醒我",
    "周五晚上7点团建，地点另行通知",
    "2026年12月15日晚上7点到8点年会彩排",
    "这两天比较忙，周末再看",
    "下下周一开始新的迭代",
    "3个工作日后给客户回复",
    "国庆前把测试用例写完",
    "元旦后第一个工作日开复盘会",
    "15:30线上评审，飞书链接见群公告",
    "开会时间大概一个半小时",
    "设计稿今晚前给我",
    "@张三 明天中午12点前把周报发群里",
    "昨天的会开得不错，辛苦大家",
    "我还有哪些任务？",
    "项目进度怎么样了",
    "这周有什么会",
    "今天有会吗",
    "下午茶到了，大家来拿",
    "@小刘 帮忙把测试环境重启一下",
    "截止到周五，提交所有的bug修复",
    "下周三下午两点半在会议室A讨论Q1规划",
    "本周五下午4点前完成代码合并",
    "早上9点站会，别迟到",
    "晚上8点发版，需要大家待命",
    "明天下午3点到5点培训，地点在2楼",
    "11月30号之前把预算表交给财务",
    "三天后再对一下进度",
    "45分钟后开始演示",
    "今天下午5点前把合同发给法务",
    "下周一到周三出差，有事微信联系",
    "这个功能年底前必须上线",
    "周六加班，上午10点到",
    "下周找时间一起过一下设计",
    "@小赵 登录页延到下周一",
    "首页改版卡住了，在等第三方接口",
    "UI 稿已经提交了",
    "好的，我来跟进这个任务",
    "3点开会",
    "10点到11点半产品评审",
    "明天早上八点集合出发",
    "春节前完成所有年度考核",
    "两周后做一次回顾",
    "下个月底前完成迁移",
    "今晚8点线上发布，预计半小时",
    "明天记得带电脑",
    "请大家在周四中午12点前填好表格",
    "下周二上午开会讨论预算",
    "这周五下午有空吗？",
    "周日晚上9点系统维护，持续2小时",
    "@所有人 明天全天团建，不开站会",
    "本月15号发工资",
    "下周末公司年会",
    "中秋节放假安排已发邮件",
    "后天上午10点面试候选人",
    "星期四之前把PPT做好",
    "客户说下周三来公司参观",
    "5号下午3点半在会议室见",
    "不晚于12月1号提交材料",
    "我明天请假",
    "拜托尽快处理一下",
    "周一早上9点前交周报",
    "今天下午4点开始压测",
    "凌晨2点有一次数据库迁移",
    "下午两点跟设计对一下",
    "这个事情下周再说吧",
    "两个小时后给你答复",
    "3/5 之前交初稿",
    "2026-12-01 正式上线",
    "明天下午三点一刻开始",
    "傍晚6点前把物料送到",
    "大后天开始放假",
    "上周五的会议纪要发一下",
    "今年的目标是完成三个大版本",
    "明年一月份启动新项目",
    "下午3pm开会",
    "十点半到十一点半开会",
    "👍👍👍",
    "好的👌",
    "周三上午10点产品、研发、测试一起开个会，讨论上线计划、风险和回滚方案",
    "哈哈哈哈哈哈",
]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    for text in MESSAGES:  # warm the caches once
        parse_times(text, NOW)
        parse_durations(text)
    per_message: list[float] = []
    rounds = 50
    t_start = time.perf_counter()
    for _ in range(rounds):
        for text in MESSAGES:
            t0 = time.perf_counter()
            parse_times(text, NOW)
            per_message.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_start
    chars = sum(len(t) for t in MESSAGES) * rounds
    print(
        f"messages: {len(MESSAGES)} (avg {sum(map(len, MESSAGES)) / len(MESSAGES):.1f} chars), rounds: {rounds}"
    )
    print(f"parse_times p50: {_percentile(per_message, 0.50) * 1e6:.1f} µs")
    print(f"parse_times p99: {_percentile(per_message, 0.99) * 1e6:.1f} µs")
    print(f"parse_times mean: {statistics.fmean(per_message) * 1e6:.1f} µs")
    print(
        f"throughput: {len(per_message) / total:,.0f} messages/s, {chars / total / 1e6:.2f} M chars/s"
    )

    durations: list[float] = []
    for text in MESSAGES * 10:
        t0 = time.perf_counter()
        parse_durations(text)
        durations.append(time.perf_counter() - t0)
    print(
        f"parse_durations p50: {_percentile(durations, 0.5) * 1e6:.1f} µs, p99: {_percentile(durations, 0.99) * 1e6:.1f} µs"
    )

    big = ("".join(MESSAGES) * 200)[:1_000_000]
    t0 = time.perf_counter()
    found = parse_times(big, NOW)
    elapsed = time.perf_counter() - t0
    print(f"1 MB of messages: {elapsed:.2f} s, {len(found)} matches")
    noise = ("今天天气不错😀，我们一周一次例会，快一点吧。" * 50_000)[:1_000_000]
    t0 = time.perf_counter()
    parse_times(noise, NOW)
    print(f"1 MB of near-miss text: {time.perf_counter() - t0:.2f} s")
    emoji = "😀" * 1_000_000
    t0 = time.perf_counter()
    parse_times(emoji, NOW)
    print(f"1 M emoji: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
