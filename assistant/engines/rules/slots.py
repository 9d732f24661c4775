"""Slot fillers: task titles, agenda items, places, meeting and task references, project names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from assistant.engines.rules.lexicon import (
    ACTION_VERB,
    AGENDA_CUE,
    LOCATION_NAMED,
    LOCATION_ROOM,
    PRIORITY,
)
from assistant.engines.rules.text import jieba_module, strip_particles

__all__ = [
    "agenda_items",
    "blank_spans",
    "location",
    "meeting_ref",
    "priority",
    "project_name",
    "task_title",
    "task_words",
]

# Said around the work, not part of it.
_LEAD_FILLER = re.compile(
    r"^(?:ok|OK|Ok|pls|please|plz|好的|收到|没问题|没事|行吧|可以的|嗯+|呃+|额|有空的时候|有空时|有空|有时间|啊|呀|呢|哈|就是|@所有人|@all|@全体成员|各位|全员|所有人|全体|请你们?|请|麻烦你们?|麻烦|帮忙|帮我|帮|劳驾|能不能|能否|可不可以|可否|辛苦啦|辛苦了|辛苦你了|辛苦|不好意思|打扰一下|记得|务必|一定要|一定|需要|必须|得|要|赶紧|尽快|"
    r"抓紧|马上|立刻|立即|提前(?=把|将)|分别|各自|你们俩|你俩|你们|你|咱们|我们|大家|他们|他|她|来|去|负责|牵头|这个|那个|"
    r"这边|那边|先|再|也|就|还|都|和(?=\s)|跟(?=\s)|与(?=\s)|及(?=\s)|、|之前|以前|截止|为止|"
    r"之内|以内|给我|再把|顺便|另外|然后|还有|同时|一起|的|了|:|：|-|!|！|~|。|\s)+"
)
_TRAIL_FILLER = re.compile(
    r"(?:谢谢啦|谢谢了|谢谢你|谢谢|多谢|感谢|thx|thanks|一下子|一下|一哈|下哈|吧|哈|啊|呀|哦|呢|嘛|啦|了|的话|给我|给大家|出来|起来|掉|好|完|下|"
    r"之前|以前|前|截止|为止|之内|以内|内|先|再说|好不好|行不行|可以吗|可以不|也是|都是|ok|OK|\s|,|，|。|!|！|~)+$"
)
# Verbs a 把-clause ends with; the complement (完/好/掉...) is dropped.
_BA_VERBS = sorted(
    (
        "清理 重启 导出 整理 准备 提交 设计 确认 更新 优化 完成 修复 解决 部署 发布 上线 处理 跟进 对接 测试 补充 梳理 "
        "检查 核对 落实 定稿 交付 翻译 打印 汇总 统计 合并 联系 通知 review 出 做 写 改 修 发 交 弄 搞 画 "
        "测 补 定 跟 看 过 理 跑 配 装 搭 签 填 报 订 买 拿 送 寄 传 录 剪 提 推 催 查 问 删 加 换 调 盯 约 讲 打 排 "
        "接待 安排 预约 准备好 拍照上传 上传 下载 拍照 收拾 审核 调试 清点 盘点 登记 校对 对 盘 "
        "调整 领取 核实 收齐 上报 补齐 补录 分发 发放 领 收 "
        "fix review check update deploy test"
    ).split(),
    key=len,
    reverse=True,
)
_COMPLEMENT = re.compile(
    r"(?:完成|完|好|掉|出来|起来|出去|过去|回来|进去|上来|下去|下来|上去|一下|下|了|清楚|明白|一遍|一版|一稿|一份|齐|全|"
    r"(?<=[补贴挂装写填签加])上|哈|啊|吧|呀)+$"
)


_SENT_ON = re.compile(
    r"^(?:(?:好|完)(?:了|之后|后)?(?:再|就)?(?:发|交|传|送)(?:到|给)?(?:群里|群|邮箱|大家|我|你们|你)?|上来|过来|上去|回来)$"
)


_GAP = "\x00"
# Words that only joined or placed what was removed: "小王和小赵在周四前" → "".
_GAP_JOINERS = re.compile(r"\x00+(?:\s*[和跟与及、]\s*\x00+)+")
_GAP_RUN = re.compile(r"\x00+")
_GAP_PREPOSITION = re.compile(r"(?:在|于|从|到)\s*\x00+")


def blank_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with the given spans cut out, and the joiners around them."""
    chars = list(text)
    for a, b in spans:
        for i in range(max(0, a), min(b, len(chars))):
            chars[i] = _GAP
    out = _GAP_JOINERS.sub(_GAP, _GAP_RUN.sub(_GAP, "".join(chars)))
    out = _GAP_PREPOSITION.sub(_GAP, out)
    return out.replace(_GAP, " ")


def _squash(text: str) -> str:
    # Spaces between Chinese characters were left by removed spans; spaces in English stay.
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)


def priority(text: str) -> str | None:
    for pattern, name in PRIORITY:
        if pattern.search(text):
            return name
    return None


def priority_spans(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for pattern, _ in PRIORITY:
        out.extend((m.start(), m.end()) for m in pattern.finditer(text))
    return out


_INNER_FILLER = re.compile(
    r"(?<=[\u4e00-\u9fffA-Za-z])(?:一下|一哈)(?=[\u4e00-\u9fffA-Za-z])"
    r"|(?<=[看查改修写做弄搞问想聊发交对])下(?=[这那\u4e00-\u9fffA-Za-z])(?![午周个面班来去])"
)


# Slots are short; a longer clause is cut before the end-anchored patterns see it, which keeps
# every filler pattern linear on hostile input.
SLOT_MAX = 300


def _clean(text: str) -> str:
    text = _INNER_FILLER.sub("", _squash(text[:SLOT_MAX]))
    prev = None
    while prev != text:
        prev = text
        text = _LEAD_FILLER.sub("", text)
        text = _TRAIL_FILLER.sub("", text)
        text = text.strip(" ,，、:：;；.。")
    return text


ONLY_FINISH = re.compile(
    r"(?:都|要|得|必须|务必|一定)*(?:搞定|完成|做完|弄好|弄完|搞完|交|给我|上线|结束|ok|OK)(?:吧|哈|啊|哦)?"
)


def task_title(text: str, removed: Sequence[tuple[int, int]]) -> str:
    """A short verb-object title: "周五前把登录页设计稿出了" → "出登录页设计稿"."""
    text = text[:SLOT_MAX]
    raw = blank_spans(text, [*removed, *priority_spans(text)])
    # "温度记录导出来": 导出 is the verb, so 出来 is no complement to drop.
    raw = re.sub(
        r"(?<=[\u4e00-\u9fff])(导出|导入|调出|找出|列出)来(?=[\s,，。!！~]|$)", r"\1 ", raw
    )
    # "把门头灯箱换一下 周五前弄好": a finishing word after a pause is no part of the work.
    finish = re.search(
        r"(?<=\S)\s+(?:都|要|得|必须|务必|一定)*(?:搞定|完成|做完|弄好|弄完|搞完|做好)(?:吧|哈|啊|哦)?[\s。!！~]*$",
        raw,
    )
    if finish is not None and re.search(r"[把将]\S", raw[: finish.start()]):
        raw = raw[: finish.start()]  # (without 把 before it, "验收单 做好" names the verb)
    parts = [p for p in re.split(r"[,，]", raw) if p.strip()]
    kept = [
        p
        for p in parts
        if not (ONLY_FINISH.fullmatch(_clean(p)) or ONLY_FINISH.fullmatch(p.strip(" 。!！~吧哈啊")))
    ]
    cleaned = _clean("，".join(kept or parts))
    cleaned = re.sub(r"(?:把|将)\s*", "把", cleaned, count=1)
    # "午睡床位核对一下": 一下 marks the last word as the verb, even a two-character one.
    said = re.search(r"(一下|一遍)[\s吧哈啊呀。!！~]*$", raw.strip(" ,，"))
    said_as_verb = said is not None
    ba_at = cleaned.find("把")
    if ba_at >= 0:
        head, ba = cleaned[:ba_at], cleaned[ba_at:]
        # "把前台的绿植浇一下": the one-character verb is read with its 一下 (cleaned away above).
        ba = _clean_ba(
            ba + said.group(1) if said is not None and not ba.endswith(said.group(1)) else ba
        )
        cleaned = _clean(head + " " + ba) if head.strip() else ba
    cleaned = re.sub(r"^(?:一下|下|好|了)+", "", cleaned)
    # "报价单发我一下": the sender as the receiver is no part of the work.
    cleaned = re.sub(r"(?<=[\u4e00-\u9fffA-Za-z0-9][发交传])给?我(?=(?:一下|下)?\s*$)", "", cleaned)
    # "send me the vendor contract": in English too the receiver is no part of the work.
    cleaned = re.sub(
        r"\b(send|give|forward|email|mail|pass|show)\s+(?:me|us)\b(?=\s+\w)",
        r"\1",
        cleaned,
        flags=re.I,
    )
    cleaned = _COMPLEMENT_END.sub("", cleaned) if len(cleaned) > 3 else cleaned
    cleaned = _clean(cleaned)
    # "联系下厂家售后": the 下 of 一下 after a leading verb is filler, and the verb is said.
    verb_first = re.match(
        rf"^(?P<v>{ACTION_VERB.pattern})下(?=[\u4e00-\u9fffA-Za-z]{{2}})", cleaned, re.IGNORECASE
    )
    if verb_first is not None:
        cleaned = verb_first.group("v") + cleaned[verb_first.end() :]
    # "会议纪要发一下" → "发会议纪要": the object came first, as in a 把-clause without 把.
    tail = None if verb_first is not None else _TAIL_VERB.search(cleaned)
    if tail is None and verb_first is None and said_as_verb:
        tail = _TAIL_VERB_YIXIA.search(cleaned)  # "体检表收一下" → "收体检表"
    compound = len(cleaned) >= 2 and ACTION_VERB.fullmatch(cleaned[-2:]) is not None
    if (
        tail is not None
        and tail.start() >= 2
        and (not compound or said_as_verb)
        and not _ACTION_HEAD.match(cleaned)
    ):
        # "冷库那边 你去盘一下": where and who, said before the verb, are no part of the object.
        obj = re.sub(
            r"\s*(?:那边|这边)?\s*(?:你们?|您)?\s*(?:去|来|先)?\s*$", "", cleaned[: tail.start()]
        )
        cleaned = tail.group("verb") + (obj or cleaned[: tail.start()])
    # "看服务器告警的事情", "发测试报告给大家": the work, not the wrapping around it.
    trimmed = _TITLE_WRAP.sub("", cleaned)
    return _clean(trimmed) if len(trimmed) >= 2 else cleaned


_TITLE_WRAP = re.compile(
    r"(?:的事儿|的事情|的事|这件事|这个事|相关事宜)$|(?:给|跟|和)(?:大家|我们|咱们|你们|各位)$"
    r"|^(?:给|帮|替|为)(?:大家|我们|咱们|你们|各位)"
)


_TAIL_VERB = re.compile(
    r"(?<=[\u4e00-\u9fffA-Za-z0-9])(?P<verb>发|写|改|看|查|交|做|出|修|整理|更新|提交|确认|准备|审|审核|收拾|核对|清点|盘点|统计|登记|"
    r"检查|打印|调试|校对)$"
)
# One-character verbs read as the verb only when 一下 follows them ("库存点一下", "体检表收一下").
_TAIL_VERB_YIXIA = re.compile(
    r"(?<=[\u4e00-\u9fffA-Za-z0-9])(?P<verb>收|点|盘|核|对|理|领|拿|催|问)$"
)
_ACTION_HEAD = re.compile(r"^(?:把|给|跟|和|对|向|去|来|要|先|再)")


_COMPLEMENT_END = re.compile(
    r"(?<=[\u4e00-\u9fff])(?:完|好|掉|出来|一下|一版|一稿|一份|一遍|个初稿)$"
)


_ONE_VERB_BEFORE_YIXIA = re.compile(
    r"^把(?P<obj>[\u4e00-\u9fffA-Za-z0-9]{2,12}?)(?P<v>[\u4e00-\u9fff])(?:一下|一遍|下)[吧啊哈了。!！~\s]*$"
)


@lru_cache(maxsize=1)
def _verb_tags() -> Mapping[str, str]:
    """jieba's dictionary tags (loaded once, by the loader the learned gate uses)."""
    import jieba.posseg

    jieba_module()
    table: Mapping[str, str] = jieba.posseg.dt.word_tag_tab
    return table


def _two_character_verb(first: str, second: str) -> bool:
    """Whether ``first + second`` is one verb: a dictionary verb (检修, 升级, 录入) or the
    re- prefix 重 on a one-character verb (重装, 重做, 重跑)."""
    if not ("\u4e00" <= first <= "\u9fff"):
        return False
    if first == "重" and second in _BA_VERBS:
        return True
    return _verb_tags().get(first + second) in ("v", "vn")


def _clean_ba(ba: str) -> str:
    # "把水电走一下": a one-character verb right before 一下, whatever the verb.
    one = _ONE_VERB_BEFORE_YIXIA.match(ba.strip())
    if one is not None and _two_character_verb(one.group("obj")[-1], one.group("v")):
        # "把系统重装一下", "把冷链车检修一下": the character before is the verb's first half.
        obj = re.sub(r"^(?:这个|那个|这些|那些)", "", one.group("obj")[:-1])
        obj = re.sub(r"(?:再|重新|先|也|都|又)$", "", obj)
        if len(obj) >= 2:
            return one.group("obj")[-1] + one.group("v") + obj
    if one is not None and not any(
        one.group("obj").endswith(v) or (one.group("obj") + one.group("v")).endswith(v)
        for v in _BA_VERBS
        if len(v) > 1
    ):
        if not any(one.group("v") == v for v in ("给", "的", "了")):
            obj = re.sub(r"^(?:这个|那个|这些|那些)", "", one.group("obj"))
            return one.group("v") + re.sub(r"(?:再|重新|先|也|都|又)$", "", obj)
    body = re.sub(r"^(?:这个|那个|这些|那些|这份|那份)", "", strip_particles(ba[1:]).strip())
    body = _TRAIL_FILLER.sub("", body)
    # "把周报给大家发一下": who it is for, said before the verb, is not part of the work.
    body = re.sub(r"给(?:大家|我们|咱们|你们|各位|我)(?=[\u4e00-\u9fff])", "", body)
    body = re.sub(r"(?<=[发交传给])(?:给我|我|给大家|大家|一份|一下)$", "", body)
    # "整理一下发给我": the work is the first verb, sending it over is not.
    sent = re.match(r"^(?P<work>.+?)(?:一下|下)?(?:发|交|传|给)$", body)
    if sent is not None and (
        any(sent.group("work").endswith(v) for v in _BA_VERBS if len(v) > 1)
        or (
            re.search(r"(?:好|完)$", sent.group("work")) is not None
            and any(_COMPLEMENT.sub("", sent.group("work")).endswith(v) for v in _BA_VERBS)
        )
    ):
        # "把方案改好发我": the work is 改, sending it over is not.
        body = sent.group("work")
    target = ""
    for marker in ("发给", "交给", "给", "到"):
        at = body.find(marker, 1)
        if at > 0:
            body, target = body[:at], body[at:]
            break
    core = _COMPLEMENT.sub("", body) or body
    core = re.sub(r"给$", "", core)
    for verb in _BA_VERBS:
        if core.endswith(verb) and len(core) > len(verb):
            obj = core[: -len(verb)].rstrip("给 ")
            # "把方案再改一版": 再 / 重新 belong to the verb, not to the object.
            obj = re.sub(r"(?<=[\u4e00-\u9fffA-Za-z0-9])(?:再|重新|先|也|都|又)$", "", obj)
            space = " " if verb[-1:].isascii() and obj[:1].isascii() else ""
            return f"{verb}{space}{obj}{target}"
    if target:
        if len(target) <= 3 and "我" in target:
            # "把报告整理一下发给我" → "整理报告".
            target = ""
            for verb in _BA_VERBS:
                if core.endswith(verb) and len(core) > len(verb):
                    return f"{verb}{core[: -len(verb)]}"
            body = core
        elif target.startswith(("发给", "交给")):
            # "把方案发给客户" → "发方案给客户".
            return f"{target[0]}{core}{target[1:]}"
        return f"{body}{target}"
    # "把周报发群里": verb, then where to.
    for verb in _BA_VERBS:
        at = core.find(verb, 1)
        if at > 0:
            obj, rest = core[:at], core[at + len(verb) :]
            obj = re.sub(r"(?<=[\u4e00-\u9fffA-Za-z0-9])(?:再|重新|先|也|都|又)$", "", obj)
            rest = _COMPLEMENT.sub("", rest)
            # "整理好发群里", "交上来": sending it on or the direction is not the work.
            rest = _SENT_ON.sub("", rest)
            return f"{verb}{obj}" + (
                f"到{rest}" if rest and not rest.startswith(("到", "给")) else rest
            )
    return core


def task_words(text: str, removed: Sequence[tuple[int, int]]) -> str:
    """The words that identify an existing task ("我开始做支付了" → "支付")."""
    text = text[:SLOT_MAX]
    raw = blank_spans(text, removed)
    cleaned = _clean(raw)
    # "小王这边汇报一下：…": the speaker announcing a report is not the task.
    cleaned = re.sub(
        r"^(?:[\u4e00-\u9fffA-Za-z]{0,4}?(?:这边|那边))?(?:(?:汇报|报告)(?:一下|下)?|(?:同步|更新|说)(?:一下|下))[:：,，\s]*",
        "",
        cleaned,
    )
    cleaned = re.sub(
        r"^(?:我|我们|他|她|已经|已|终于|总算|刚刚|刚|都|也|还|基本|差不多|目前|现在|那个|这个|的|把|在|正在|开始|"
        r"\s)+",
        "",
        cleaned,
    )
    cleaned = re.sub(
        r"(?:已经|已|都|也|还|基本上?|差不多|终于|总算|的|就|刚刚|刚|正在|开始|了|我们|我|他们|他|她|这边|那边|"
        r"那块|这块|那部分|这部分|那个|这个|全部|全都|统统|全|一共|总算是|是)+$",
        "",
        cleaned,
    )
    cleaned = re.sub(r"^(?:做|搞|弄)(?=[\u4e00-\u9fffA-Za-z]{2})", "", cleaned)
    return _clean(cleaned)


_ITEM_SPLIT = re.compile(r"[、,，;；/]|以及|还有|及|和|与|跟|\band\b|&|\+")
_ITEM_TRAIL = re.compile(
    r"(?:的事情|的事儿|的事|等事项|相关事宜|事宜|等问题|这些事|这几件事|几件事|等|相关的?|方面)$"
)


_NOT_TOPIC = re.compile(
    r"提前|提醒|地点|时长|大家|参加|准时|记得|带上|会议室|腾讯|飞书|钉钉|线上|线下|@|点|分钟|小时|"
    r"负责|准备|然后|另外|各位|全员|所有人"
)


# "一个是A 一个是B", "第一 A 第二 B", "首先A 其次B": the items of an agenda, counted out.
_ENUM_MARK = re.compile(
    r"(?:(?:还有|另外)?(?:一个|另一个|再一个)是|第[一二三四五六七八九十]{1,2}(?:个|件|项|点|条)?(?:是|[,，:：、\s]))\s*"
    r"|(?:首先|其次|再次|最后)(?:是)?[,，:：\s]*"
)


def enumerated_items(text: str, start: int = 0) -> list[str]:
    """The items of a counted-out list after ``start`` (at least two markers), else []."""
    ended = _ITEM_STOP.search(text, start)
    if ended is not None:
        text = text[: ended.start()]  # "… 第三 回款 大家都参加": who comes ends the list
    marks = list(_ENUM_MARK.finditer(text, start))
    if len(marks) < 2:
        return []
    items: list[str] = []
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        piece = re.split(r"[。!?！？\n;；]", text[m.end() : stop], maxsplit=1)[0]
        item = _clean(_ITEM_TRAIL.sub("", _clean(piece.strip(" ,，、"))))
        if item:
            items.append(item)
    return items if len(items) >= 2 else []


def agenda_items(text: str, skip: tuple[int, int] = (0, 0)) -> list[str]:
    """Topics after a discussion cue: "讨论首页改版、支付流程和排期" → three items.

    A cue inside ``skip`` (the meeting phrase itself, as in "开个评审会") does not count.
    """
    counted = enumerated_items(text, skip[1])
    if counted:
        return counted
    ba = _BA_TOPIC.search(text, skip[1])
    if ba is not None:
        topic = re.sub(r"^(?:这个|那个|这些|那些|我们的?|咱们的?)", "", ba.group("topic"))
        return _items(topic)
    m = next((c for c in AGENDA_CUE.finditer(text) if not skip[0] <= c.start() < skip[1]), None)
    if m is None:
        return []
    body = text[m.end() :]
    if not re.sub(r"[\s。!?！？~吧啊哈呀了]", "", body.split("，")[0].split(",")[0]):
        # "周五上午十点 立面方案 大家过一下": the topic was said before the cue.
        head = re.sub(r"(?:大家|各位|我们|咱们|一起|都|再|先|来|你们|\s)+$", "", text[: m.start()])
        head = re.split(r"[,，。:：]|\s{1,}", head.strip())[-1] if head.strip() else ""
        head = re.sub(r"^(?:的|把|关于|就|开会|开个会)+", "", head)
        # 盘点 / 重点 / 检点 are words, not a clock time.
        plain = re.sub(r"[盘检重评观要焦亮]点", "", head)
        return [head] if 2 <= len(head) <= 16 and not _NOT_TOPIC.search(plain) else []
    body = re.split(r"[。!?！？\n]|(?:的)?(?:会议?|sync|meeting)(?=$|[,，])", body, maxsplit=1)[0]
    # Later comma parts belong to the agenda only while they read like more topics.
    segments = re.split(r"[,，]", body)
    kept = [segments[0]]
    for seg in segments[1:]:
        if len(seg) > 12 or _NOT_TOPIC.search(seg):
            break
        kept.append(seg)
    body = "、".join(kept)
    return _items(body)


_BA_TOPIC = re.compile(
    r"把(?P<topic>[^,，。!?！？]{2,24}?)(?:给)?(?:定|过|讨论|聊|对|确认|梳理|review|评审|敲定|明确)(?:一下|下|清楚)?"
)


_ITEM_STOP = re.compile(r"大家|各位|全员|所有人|然后|请|记得|准时|地点|提前|都要|一定要|别忘")


def _items(body: str) -> list[str]:
    items: list[str] = []
    stop = _ITEM_STOP.search(body)
    if stop is not None:
        body = body[: stop.start()]
    for piece in _ITEM_SPLIT.split(body):
        item = _clean(_ITEM_TRAIL.sub("", _clean(piece)))
        item = re.sub(r"^(?:下|一下|关于|就|对|把|一起|讨论|聊聊|过一下)+", "", item).strip()
        if item and not re.fullmatch(r"[\d\s]+", item):
            items.append(item)
    return items


_UNCHANGED = re.compile(
    r"(?:还是)?(?:不变|照旧|照常|不改|没变|一样|同上|原来的?|老地方|跟以前一样|和之前一样|待定|另行通知)"
)


def location(text: str) -> tuple[str, tuple[int, int]] | None:
    """A place stated in the text, with its span."""
    found = _location(text)
    if found is None:
        return None
    place, (a, b) = found
    if _UNCHANGED.fullmatch(place):
        return None  # "地点不变": an unchanged value is no value
    verb = re.match(r"^(?:改|换|调整|变|挪)(?:到|成|为|去)?", place)
    if verb is not None and len(place) - verb.end() >= 2:
        return place[verb.end() :], (a + verb.end(), b)
    return found


def _location(text: str) -> tuple[str, tuple[int, int]] | None:
    m = LOCATION_ROOM.search(text)
    if m is not None:
        loc = m.group("loc")
        start = m.start("loc")
        # Trim words before the place that belong to the sentence (在 / 去 / 到).
        for marker in ("在", "去", "到", "于"):
            at = loc.rfind(marker)
            if at >= 0:
                loc, start = loc[at + 1 :], start + at + 1
        loc = re.sub(r"^(?:开会|开|会(?!议室)|地点|地址|位置|是|为|:|：)+", "", loc)
        code = re.match(r"[A-Za-z]?\d{0,4}[A-Za-z]?(?![A-Za-z0-9])", text[m.end("loc") :])
        if code is not None and code.group(0) and loc.endswith("室"):
            # "会议室A" / "会议室B201": the room's code follows its noun.
            loc += code.group(0)
        if loc:
            return loc, (start, m.end("loc"))
    named = list(LOCATION_NAMED.finditer(text))
    if named:
        # "线上 腾讯会议": the platform's name over the bare way of meeting.
        n = next((x for x in named if not _GENERIC_WAY.fullmatch(x.group(0))), named[0])
        return n.group(0), (n.start(), n.end())
    en = _EN_PLACE.search(text)
    if en is not None:
        return en.group("p"), (en.start("p"), en.end("p"))
    p = _PLACE_SAID.search(text)
    if p is not None:
        group = next(g for g in ("a", "b", "c", "d", "e") if p.group(g)) if any(p.groups()) else "a"
        place = p.group(group) or ""
        place = re.sub(r"^(?:开会|开|会|的|去|到)+", "", place).strip()
        # "每天早上六点半在机库" (a recurring time is not blanked): the place starts after 在.
        place = place[place.rfind("在") + 1 :] if group == "d" else place
        if len(place) >= 2 and not _NOT_PLACE.search(place):
            start = p.start(group) + (len(p.group(group)) - len(place))
            return place, (start, start + len(place))
    return None


# Nouns that end a place name: 调度中心, 工地门口, 项目部, 工作室, 车间, 总部, 二店, 展会现场.
# "at Gate B12", "in Room 201", "at Hall C": an English place noun with its code.
_EN_PLACE = re.compile(
    r"\b(?:at|in)\s+(?:the\s+)?(?P<p>(?:Gate|Hall|Room|Terminal|Bay|Stand|Level|Floor|Office|Building|"
    r"Lobby|Lounge|Hangar|Apron|Dock|Warehouse|Studio|Lab)\s*[A-Z0-9][A-Za-z0-9-]{0,5})(?![A-Za-z])"
)
_GENERIC_WAY = re.compile(r"线上|线下|视频会议|电话会议|语音会议")
_PLACE_NOUN = (
    r"(?:校区|分院|院区|分店|分公司|中心|门口|现场|项目部|指挥部|工作室|培训室|教室|车间|厂房|仓库|总部|分部|店|门店|基地|工地|园区|"
    r"酒店|餐厅|食堂|大厅|礼堂|操场|展厅|机房|实验室|办公室|办公区|厂|馆|所|站|营地|楼下|楼上|[一二三四五六七八九十\d]楼|"
    # Round 5: halls, hangars and the areas of a sales office or a site.
    r"厅|机库|库房|机坪|洽谈区|接待区|等候区|休息区|展区|作业区|库区|排练室|练功房)"
)
_PLACE_SAID = re.compile(
    # "地点：车间办公室" / "地点一楼培训室"
    r"地点(?:在|是|为|:|：)?\s*(?P<a>[\u4e00-\u9fffA-Za-z0-9()（）]{2,14}?)(?=$|[,，。;；!！\s])"
    # "在调度中心开" / "在二店开个短会" / "在总部集合"
    r"|在(?P<b>[\u4e00-\u9fffA-Za-z0-9()（）]{0,10}?" + _PLACE_NOUN + r"(?:[(（][^)）]{1,6}[)）])?)"
    r"(?=开|召开|集合|碰头|碰|见面|见|举行|举办|进行|培训|讲|复盘|搞|办|组织|开展|讨论|聊|过一下|对一下|$|[,，。\s])"
    # "工地门口集合"
    r"|(?P<c>[\u4e00-\u9fffA-Za-z0-9]{1,8}?" + _PLACE_NOUN + r")(?=集合|见面|碰头|见(?![过到了]))"
    # "去城西分店开店长会" / "总部开季度会": a place right before 开…会.
    r"|(?:去|到)?(?P<d>(?<![\u4e00-\u9fffA-Za-z0-9])[\u4e00-\u9fffA-Za-z0-9]{0,8}?"
    + _PLACE_NOUN
    + r")"
    # "售楼处二楼洽谈区 开个复盘会": a bare place phrase, a pause, then the meeting.
    r"(?=\s?开(?:个|一个|一次|次|场)?[\u4e00-\u9fffA-Za-z]{0,8}?会)"
    # "在综合楼305开选题会", "在实验楼B203": a building and its room number.
    r"|在(?P<e>[\u4e00-\u9fff0-9]{1,5}(?:楼|馆|大厦|中心|座|栋)[A-Za-z]?\d{2,4}(?:室|号|房间)?)(?![0-9])"
)
_NOT_PLACE = re.compile(r"现在|目前|这边|那边|家里|路上|线上|群里|会上")


_REF_DROP = re.compile(
    r"^(?:把|将|那个|这个|原定的?|原来的?|本来的?|之前的?|我们的?|咱们的?|今天的?|明天的?|后天的?|的|\s)+"
)


def meeting_ref(before: str) -> str:
    """The words that identify a meeting from the text before the change cue."""
    # "Tomorrow's 9am training": a clock time only places the meeting in time.
    before = re.sub(r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b", " ", before, flags=re.IGNORECASE)
    ref = _clean(before)
    ref = _REF_DROP.sub("", ref)
    ref = re.sub(r"(?:时间|的时间|要|先|也|就|都|还是|从|由)+$", "", ref)
    ref = re.sub(r"^.*?(?:把|将)", "", ref) if ("把" in ref or "将" in ref) else ref
    ref = ref.strip(" 的")
    ref = re.sub(r"开会的事情?|开会的安排|开会", "会", ref)
    m = re.match(r"^(?P<topic>.+?)的?(?:会议|会)$", ref)
    if m is not None and m.group("topic") and ref.endswith(("的会", "的会议")):
        ref = m.group("topic")
    if not ref or ref in ("会议", "会"):
        return "会"
    return ref


_BRACKETED = re.compile(r"[【「『《“\"'](?P<name>[^】」』》”\"']{1,40})[】」』》”\"']")


def project_name(text: str, cue_start: int, cue_end: int) -> str | None:
    """ "新建项目【官网改版】" → "官网改版"; also "立项：官网改版" and "官网改版项目立项"."""
    m = _BRACKETED.search(text)
    if m is not None:
        return m.group("name").strip() or None
    after = text[cue_end:]
    after = re.sub(
        r"^(?:[:：,，\s]|就叫做|就叫|叫做|叫|名为|名字叫|名字就叫|名称是|名称为|名字是|为|是|called|named)+",
        "",
        after,
        flags=re.IGNORECASE,
    )
    cand = re.split(
        r"[,，。;；]|\s(?![A-Za-z])|(?<![A-Za-z])\s|负责|牵头|截止|上线|由|成员|预算|deadline|lead|owner",
        after,
        maxsplit=1,
        flags=re.IGNORECASE,
    )[0]
    cand = cand.strip()
    if cand:
        return cand[:40]
    before = re.sub(r"(?:的|这个|一个)?(?:项目)?$", "", text[:cue_start])
    m2 = re.search(r"([\u4e00-\u9fffA-Za-z0-9]{2,20})$", before)
    return m2.group(1) if m2 else None
