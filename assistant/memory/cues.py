"""What the way a chat line is written says about it: does it ask, or does it change
something said before ("改成", "推迟到", "以这个为准")?"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "contrasted",
    "asked_attributes",
    "asked_types",
    "asks_status",
    "codes",
    "is_open",
    "masked",
    "who_verbs",
    "asks_latest",
    "has_cjk",
    "has_revision_cue",
    "holds_near",
    "holds_type",
    "is_question",
]

_CJK = re.compile(r"[\u3400-\u9fff]")
# The tests of a passage's own text run on every candidate of every search (60 a search):
# the same passages come back, so their answers are kept (a text is hashed once by Python).
_SEEN = 1 << 16


@lru_cache(maxsize=_SEEN)
def has_cjk(text: str) -> bool:
    """Whether a text is written (at least partly) in Chinese characters."""
    return bool(_CJK.search(text))


_QUESTION = re.compile(
    r"([?？]\s*$)|([吗呢么嘛][\s。！!～~]*$)"
    r"|(^\s*(@\S+\s*)?(请问|谁|哪|怎么|为什么|为啥|是不是|有没有|能不能|什么时候))"
)

# Words that replace an earlier statement: a new value, a new date, a final version.
_REVISION = re.compile(
    r"改成|改为|改到|改由|改用|改在|换成|换到|换为|换了|更换|调整为|调整到|调整：|时间调整|推迟|延期|延后|"
    r"提前到|挪到|取消了|不做了|不用\S{0,8}了|不上\S{0,8}了|定了|定稿|最终|最新|为准|变更|更新为|"
    r"更新好了|作废|还是用|还是改|接手|交给|转给"
)


# A matter said to be still open: no decision yet, to be discussed again, waiting on someone.
_OPEN = re.compile(
    r"还没(有)?(定|确定|决定|想好|谈好|排|出来|消息|结果)|没(有)?(定下来|确定|决定)|未定|待定|待确认|"
    r"再议|再定|再商量|再讨论|下次再说|以后再说|回头再说|还在(等|谈|商量|讨论|考虑)|"
    r"(还|暂时)?不确定|还说不好|看情况再|等\S{1,12}(再定|再说|再议|回来再|排期)|"
    r"\b(tbd|to be decided|not decided|undecided)\b",
    re.I,
)
# ... unless the question asks about exactly that: whether it is settled.
_ASKS_STATUS = re.compile(
    r"定了(没|吗|么)|有没有定|定下来了(吗|没)|确定了(吗|没)|进展|状态|结果|\bstatus\b", re.I
)


def is_open(text: str) -> bool:
    """A line that says the matter is not settled yet ("年终奖怎么发还没定", "下次开会再议")."""
    return bool(_OPEN.search(text))


def asks_status(question: str) -> bool:
    """The question asks whether something is settled (then "还没定" answers it)."""
    return bool(_ASKS_STATUS.search(question))


_CODE = re.compile(r"[A-Za-z]*\d+(?:\.\d+)?[A-Za-z]*")


def codes(text: str) -> tuple[str, ...]:
    """The numbers and codes a text names ("2号举升机" → 2, "充5000" → 5000, "C260" → c260)."""
    return tuple(dict.fromkeys(m.group(0).lower() for m in _CODE.finditer(text)))


def masked(text: str, words: tuple[str, ...]) -> str:
    """``text`` with the numbers and codes in ``words`` blanked out, so that a question's own
    "2号举升机" does not read as a date or an amount in the passage."""
    out = text
    for word in sorted(words, key=len, reverse=True):
        out = re.sub(rf"(?<![A-Za-z0-9.]){re.escape(word)}(?![A-Za-z0-9])", "□", out, flags=re.I)
    return out


@lru_cache(maxsize=_SEEN)
def is_question(text: str) -> bool:
    """A line that asks rather than tells."""
    return bool(_QUESTION.search(text.strip()))


@lru_cache(maxsize=_SEEN)
def has_revision_cue(text: str) -> bool:
    """A line that says something changed or is now final."""
    return bool(_REVISION.search(text))


# -- what a question asks for ------------------------------------------------------------------
AnswerType = str  # "who" / "when" / "where" / "amount" / "file" / "reason" / "decision"

_ASKS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("who", re.compile(r"谁|哪位|负责人|找哪个|\bwho\b|\bwhom\b", re.I)),
    (
        "when",
        re.compile(
            r"什么时候|哪天|哪一天|几号|几点|何时|多久|啥时候|时间定|日期|"
            r"\bwhen\b|what time|which day|what date|how long",
            re.I,
        ),
    ),
    ("where", re.compile(r"在哪|哪里|哪儿|放哪|去哪|地址|路径|网址|\bwhere\b", re.I)),
    (
        "amount",
        re.compile(
            r"多少|几个|几条|几天|几次|几箱|几瓶|几台|几人|几度|几吨|多大|多长|多高|多重|多远|"
            r"比例|百分之|几成|how (much|many|big|long|far|heavy)",
            re.I,
        ),
    ),
    # A file or a link: its name, where it is, "send it".
    (
        "file",
        re.compile(
            r"哪个文件|什么文件|文件名|文件叫|叫什么名字|叫什么|链接|发一下|发我|发给我|"
            r"发一份|源文件|\bfile\b|\blink\b|\burl\b",
            re.I,
        ),
    ),
    ("reason", re.compile(r"为什么|为啥|为何|什么原因|原因是|怎么会|凭什么|\bwhy\b", re.I)),
)

# A sum of money is asked for: a number of days or boxes does not answer it.
_ASKS_PRICE = re.compile(
    r"多少钱|几块|多少元|多少块|价格|价钱|价位|报价|单价|进价|售价|费用|花了多少|花多少|多贵|"
    r"收多少|收费|工资|薪资|薪水|预算|成本|\bprice\b|\bcost\b",
    re.I,
)

# A number with what it counts: 2400支, 两吨, 3x6, 4.8%, 28元, 55 IBU; not a code (B12,
# IPA-330C) nor an ordinal (第一批).
_AMOUNT = (
    r"(?<![A-Za-z0-9_\-.])\d|(?<!第)[一二两三四五六七八九十百千万半几]\s*(个|条|天|次|万|元|块|%|倍|成|吨|公斤|千克|斤|克|"
    r"升|毫升|箱|瓶|支|罐|件|台|人|位|米|度|小时|分钟|周|月|年|批|套|张|份|家)"
)

# What an answer of each type holds: a person's role words, a date or time, a place or file,
# a number, a reason. Names are checked separately (the people the history knows); a line in
# the first person that does or decides something names its sender as the one who did it
# ("我批了", "我来搬", "同意…的方案", "I can draft…").
_HOLDS: dict[AnswerType, re.Pattern[str]] = {
    "who": re.compile(
        r"负责|接手|牵头|交给|转给|改由|由\S{1,4}(来|做|跟|处理)|找\S{1,4}|"
        r"我(们)?(今天|昨天|刚才|刚|已经|下午|上午|这周|先|亲自|当面)?"
        r"(来|去|批|提|提议|建议|负责|做|修|搬|跟|写|谈|定|找|联系|申请|处理|安排|出|搞|签|改|弄|装|"
        r"买|订|约|发|送|拿|催|问|画|量|盯|对接|跟进)|"
        r"^\s*(同意|批准|批了|可以|行|就按)|"
        r"\bI(\s+can|\s+will|'ll|\s+checked|\s+approved|\s+fixed)\b|\bwe(\s+will|'ll)\b",
        re.I,
    ),
    "when": re.compile(
        r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d{1,2}\s*[日号]|周[一二三四五六日末]|星期|礼拜|"
        r"\d{1,2}\s*[点:：]|[上下中]午|晚上|凌晨|早上|今天|明天|后天|下周|月底|月初|年底|"
        r"\d+\s*(个)?(工作日|天|周|小时|分钟)|推迟|提前|延期|"
        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|day\s*\d+|"
        r"tomorrow|today|next week|\d{1,2}(am|pm))\b",
        re.I,
    ),
    "where": re.compile(
        r"https?://|www\.|[\w\-]+\.(fig|pdf|docx?|xlsx?|pptx?|md|ai|psd|zip|sketch|csv|png|jpg)\b|"
        r"/\S+/|放在|放到|在\S{1,12}(里|上|下面)|共享盘|网盘|蓝湖|邮箱|群文件|文件夹|目录|"
        r"(挪|搬|移|放|停|存|收|装|送|寄|摆)(到|在|进|去)\S{0,6}(里|边|面|下|上|旁|前|后|内|外|角|楼|层|室|"
        r"院|棚|柜|架|库|房|仓|区|间|口|台|点|处|家|店|厂)|(上传|传|发|存|归档)(到|在|进)\S{2,12}|"
        r"[东南西北]边|(门口|楼下|楼上|角落|隔壁|旁边|对面|后院|前院|阳台|走廊|地库)|"
        r"\d+\s*号(仓库|冷库|库|楼|房间|会议室|摊位)|[A-Z]区|仓库|冷库|库房|地下室|车库|机房|前台|"
        r"放\S{0,3}(楼|层|室|柜|架|区|库)|\S{2,}\.\S{2,}"
    ),
    "amount": re.compile(_AMOUNT),
    "duration": re.compile(
        # a length, not a date: "3个工作日", "20分钟", "两周"; "11月20号" is a day
        r"\d+(\.\d+)?\s*(个)?(小时|分钟|分(?!之)|秒|天|周|星期|礼拜|工作日|个月)|"
        r"[一二两三四五六七八九十半几]+\s*(个)?(小时|分钟|天|周|星期|礼拜|工作日|个月|年)|"
        r"半天|一会|全天|整天|一上午|一下午|一晚上|\d+\s*(h|min|hours?|minutes?|days?|weeks?)\b|"
        r"[到至~～\-]\s*\d{1,2}\s*[点:：]",
        re.I,
    ),
    # A number with a currency, or next to a word of price or payment ("前片一套380",
    # "按420算", "一瓶150收"); a number of days, pieces or a date does not count.
    "price": re.compile(
        r"\d[\d,.]*\s*(元|块|万|千|k\b|w\b|rmb|美元|刀)|[¥￥$]\s*\d|"
        r"[一二两三四五六七八九十百千万几]+\s*(块钱|元|万块?)|"
        r"(价|钱|费|收|报价|花了|便宜|贵|按|付|结|一套|一瓶|一条|一个|一桶|每\S{1,2})"
        r"\D{0,4}\d(?![\d.]*\s*(天|周|月|年|小时|分钟|点|号|日|公里|km|台|人|次|桶|对|条|套|瓶|个|"
        r"件|箱|支|张|%))|"
        r"\d[\d,.]*(?!\s*(天|周|月|年|小时|分钟|点|号|日|公里|km|台|人|次|桶|对|条|套|瓶|个|件|箱|支|张|"
        r"%|[\d.]))\S{0,3}(收|算|结|一套|一瓶|一条|一个|一桶|含税|包工|起)",
        re.I,
    ),
    "file": re.compile(
        r"https?://|www\.|[\w\-\u3400-\u9fff]+\.(fig|pdf|docx?|xlsx?|pptx?|md|ai|psd|zip|"
        r"sketch|csv|png|jpg|txt|key|numbers)\b|[《【][^》】]{2,40}[》】]|共享盘|网盘|群文件|"
        r"文件夹|/\S+/",
        re.I,
    ),
    "reason": re.compile(
        r"因为|由于|所以|原因|导致|为了|不然|否则|免得|以免|怕|担心|考虑到|主要是|毕竟|"
        r"太(贵|慢|高|低|少|多|狠|重|大|小|晚|早|麻烦|复杂)|不够|来不及|赶不上|放不下|涨价|"
        r"便宜|省|要紧|影响|坏了|出问题|投诉|返工|不行|毛病|好一些|好点|"
        r"更(好|便宜|快|稳|安全|方便|省|耐用)|\bbecause\b|\bsince\b|\bso that\b|\bdue to\b|"
        r"\botherwise\b|\btoo\b",
        re.I,
    ),
}

_LATEST = re.compile(
    r"最新|最后|最终|现在|目前|如今|到底|改成|换成|后来|定的|定了|\bnow\b|\bcurrent|\blatest\b|"
    r"\bfinal|\bin the end\b",
    re.I,
)


_FILE_LIKE = re.compile(r"https?://\S+|www\.\S+|/\S+/\S*|[\w\-\u3400-\u9fff]+\.[A-Za-z]{2,5}\b")


def asked_types(question: str) -> tuple[AnswerType, ...]:
    """What kind of answer a question wants: a person, a time, a place, a quantity (a sum of
    money: ``price``), a file or link, a reason."""
    kinds = [kind for kind, pattern in _ASKS if pattern.search(question)]
    if "amount" in kinds and _ASKS_PRICE.search(question):
        kinds = [k for k in kinds if k != "amount"] + ["price"]
    if _ASKS_DURATION.search(question) and not _ASKS_POINT.search(question):
        # "要表演多久" wants a length of time: "下午3点" is a moment, not an answer; "多久能
        # 到货" asks how soon, which a day answers too.
        soon = _ASKS_SOON.search(question)
        kinds = [k for k in kinds if k != "amount" and (soon or k != "when")] + ["duration"]
    return tuple(kinds)


_ASKS_SOON = re.compile(r"多久(能|才|可以|到|会|就|出|交|回)")


_ASKS_DURATION = re.compile(
    r"多久|多长时间|几个?小时|几分钟|几个月|多少天|多少小时|多少分钟|\bhow long\b", re.I
)
_ASKS_POINT = re.compile(r"什么时候|哪天|几号|几点|何时|\bwhen\b", re.I)


def holds_type(
    text: str,
    kind: AnswerType,
    names: frozenset[str] = frozenset(),
    verbs: tuple[str, ...] = (),
) -> bool:
    """Whether a passage holds an answer of that kind. For 谁 with the question's verb known
    ("谁批的": 批 and its kin 同意 / 批准), a line holds the answer when it names someone or
    when it says that deed (its sender did it), not any deed."""
    if kind == "who" and any(name and name in text for name in names):
        return True
    if kind == "who" and verbs:
        # A deed is said in words, not inside a path or a file name ("/设计/品牌/").
        said = _FILE_LIKE.sub(" ", text)
        return any(verb in said for verb in verbs) and not is_question(text)
    return _holds_pattern(text, kind)


@lru_cache(maxsize=_SEEN)
def _holds_pattern(text: str, kind: AnswerType) -> bool:
    pattern = _HOLDS.get(kind)
    return bool(pattern and pattern.search(text))


_NEAR_KINDS = frozenset({"when", "amount", "price", "duration"})


def holds_near(text: str, kind: AnswerType, focus: tuple[str, ...], *, reach: int = 14) -> bool:
    """Whether a passage holds an answer of that kind next to what the question is about:
    a time, number, sum or length within ``reach`` characters of one of the ``focus`` words
    ("这个月重点：出租车队的保养合同、店庆活动、月底盘点" holds 月底 next to 盘点, not next
    to 合同). Other kinds, a passage without the focus words, and short lines only need to
    hold it."""
    pattern = _HOLDS.get(kind)
    if pattern is None or kind not in _NEAR_KINDS:
        return holds_type(text, kind)
    spots = [
        (m.start(), m.start() + len(word))
        for word in focus
        for m in re.finditer(re.escape(word), text, flags=re.I)
    ]
    if len(text) <= 2 * reach or not spots:
        return bool(pattern.search(text))
    for m in pattern.finditer(text):
        if any(m.start() - b <= reach and a - m.end() <= reach for a, b in spots):
            return True
    return False


# Verbs of who-questions and the words a line that does it uses.
_VERB_KIN: dict[str, tuple[str, ...]] = {
    "批": ("批", "同意", "审批", "通过", "准了", "可以", "没问题"),
    "批准": ("批", "同意", "审批", "通过", "准了", "可以", "没问题"),
    "审批": ("批", "同意", "审批", "通过", "准了", "可以", "没问题"),
    "同意": ("批", "同意", "审批", "通过", "可以", "没问题"),
    "提": ("提议", "建议", "提出", "提的", "我提"),
    "提议": ("提议", "建议", "提出", "我提"),
    "建议": ("提议", "建议", "提出", "我提"),
    "负责": ("负责", "接手", "我来", "在跟", "跟进", "牵头", "交给", "由"),
    "负责人": ("负责", "接手", "我来", "在跟", "跟进", "牵头", "交给", "由"),
    "跟": ("负责", "接手", "我来", "在跟", "跟进", "牵头", "交给", "由"),
    "管": ("负责", "接手", "我来", "在管", "管", "交给", "由"),
    "做": ("做", "负责", "接手", "我来", "交给", "由"),
}
_WHO_GLUE = frozenset("来 去 在 是 要 会 能 给 找 现在".split())


def who_verbs(question: str) -> tuple[str, ...]:
    """For a 谁 question, the words a line saying that deed holds: "谁批的" → 批 / 同意 / …,
    "谁去谈的" → 谈, "反馈给谁了" → 反馈; nothing when no verb is next to 谁."""
    from assistant.memory.tokens import STOPWORDS, segment

    words = segment(question)
    for i, word in enumerate(words):
        if word not in ("谁", "哪位"):
            continue
        j = i + 1
        while j < len(words) and words[j] in _WHO_GLUE:
            j += 1
        verb = words[j] if j < len(words) and words[j] not in ("的", "了", "呢", "吗") else ""
        if not verb or not re.fullmatch(r"[\u3400-\u9fff]{1,3}", verb):
            k = i - 1
            while k >= 0 and words[k] in _WHO_GLUE:
                k -= 1
            verb = words[k] if k >= 0 and re.fullmatch(r"[\u3400-\u9fff]{1,3}", words[k]) else ""
        if verb in _VERB_KIN:
            return _VERB_KIN[verb]
        if verb and verb not in STOPWORDS:
            return (verb,)
    return ()


def asks_latest(question: str) -> bool:
    """The question wants what stands now ("最新版", "最后定的", "现在谁在跟")."""
    return bool(_LATEST.search(question))


# -- what a question asks about ----------------------------------------------------------------
_QUESTION_WORDS = frozenset(
    "多少 什么 谁 哪 几 哪个 哪家 哪天 哪一天 几号 哪里 哪儿 哪位 多久 多大 为什么 为啥 何时 "
    "怎么 什么时候 啥时候".split()
)
_GLUE = frozenset(
    "是 的 了 要 在 有 用 定 能 会 去 来 都 一共 现在 最后 最终 到底 大概 时候 "
    # verbs of place and means between the thing and 哪 / 多少 ("图片存在哪")
    "放在 放到 存在 存 发到 发在 传到 申请 拿 买 选 走 花 卖 付 找".split()
)
# What the answer type already stands for (a number answers 价格, a date 时间, a sender 谁).
_TYPE_WORDS = frozenset(
    "价格 价钱 钱 费用 时间 日期 时候 地点 地址 地方 名字 名称 原因 人 东西 情况 事".split()
)
_CONTENT = re.compile(r"[\u3400-\u9fff]{2,}|[a-z][a-z0-9]+")


def asked_attributes(question: str) -> tuple[str, ...]:
    """What a question asks about its subject, when it says so in the form "X的Y是多少 /
    是什么 / 多久": "桂花小麦的IBU是多少" → ibu, "禾丰的联系人电话多少" → 电话. A passage
    that answers names it (or means the same); one about the subject that does not name it
    answers another attribute (the ABV for the IBU). Not for who / why questions (the verb
    next to 谁 varies, a reason is about a decision), nor category words after the question
    word ("什么颜色" is answered by a colour, not the word 颜色)."""
    from assistant.memory.tokens import STOPWORDS, segment

    words = _joined_question_words(segment(question))
    out: list[str] = []
    for i, word in enumerate(words):
        if word not in _QUESTION_WORDS and not re.fullmatch(r"几\S?", word):
            continue
        if word in ("谁", "哪位", "为什么", "为啥", "怎么"):
            continue
        j = i - 1
        while j >= 0 and words[j] in _GLUE:
            j -= 1
        # The head noun of "的 …" just before it (one to three words after 的).
        k = j
        while k >= 0 and j - k < 3 and words[k] not in STOPWORDS and words[k] not in _GLUE:
            k -= 1
        if k >= 0 and k < j and words[k] == "的":
            # The whole noun phrase ("联系人电话", "质保" "期" → 质保期): a passage names it
            # when it holds the phrase or one of its words.
            phrase = "".join(words[k + 1 : j + 1])
            if _CONTENT.search(phrase):
                out.append(phrase)
        # The predicate right after the question word: "合同哪天到期" asks when it ends, not
        # when it was signed; "哪天做完的" when it was finished, not begun.
        if word not in _PREDICATE_AFTER:
            continue
        n = i + 1
        while n < len(words) and words[n] in _GLUE:
            n += 1
        predicate = words[n] if n < len(words) else ""
        if len(predicate) == 1 and n + 1 < len(words) and len(words[n + 1]) == 1:
            predicate += words[n + 1]  # "做" "完" → 做完
        if re.fullmatch(r"[\u3400-\u9fff]{2,4}", predicate) and predicate not in STOPWORDS:
            out.append(predicate)
    return tuple(w for w in dict.fromkeys(out) if w not in _TYPE_WORDS)


def contrasted(
    question: str, asked_terms: set[str], passage_terms: set[str]
) -> tuple[str, str] | None:
    """A word the question asks about that the passage replaces by a sibling: the same head
    character, a different modifier ("罐装" asked, "瓶装" said; "安卓版" / "英文版"). The
    passage is then about the other one. Not for question words, nor for the noun a question
    word picks out ("什么颜色": 红色 answers it), nor for heads that are grammar (到, 了) or
    modifiers that only point (每片 / 一片). ``asked_terms``: the question's words the
    passage lacks. Returns (asked, said) or None."""
    from assistant.memory.tokens import segment

    words = _joined_question_words(segment(question))
    picked = {
        words[i + 1]
        for i, w in enumerate(words[:-1])
        if w in _QUESTION_WORDS or re.fullmatch(r"几\S?|哪\S?", w)
    }
    for asked in sorted(asked_terms):
        if (
            not re.fullmatch(r"[\u3400-\u9fff]{2,3}", asked)
            or asked in picked
            or asked in _TYPE_WORDS
            or any(ch in asked for ch in "哪几多啥谁")
            or asked[-1] in _GRAMMAR_HEADS
        ):
            continue
        for said in sorted(passage_terms):
            if (
                len(said) == len(asked)
                and said[-1] == asked[-1]
                and re.fullmatch(r"[\u3400-\u9fff]+", said)
                and not set(said[:-1]) & set(asked[:-1])
                and said not in asked_terms
                and not {said[0], asked[0]} & _POINTING
                and asked[0] not in _ADVERBS  # "先放" / "开放": a verb phrase, not a kind
            ):
                return asked, said
    return None


_GRAMMAR_HEADS = frozenset("到了过着得的地们性化者子儿头上下里出入起来去开好完成是在")
_POINTING = frozenset("每这那该各本此一某")
_ADVERBS = frozenset("先再又也都就才还已刚要会能可不没别很最更太")


def _joined_question_words(words: list[str]) -> list[str]:
    """jieba splits some question words ("哪" "天"): join them back."""
    out: list[str] = []
    for word in words:
        if out and out[-1] == "哪" and word in ("天", "一天", "个", "家", "位", "里", "儿"):
            out[-1] += word
        elif out and out[-1] in ("什么", "啥") and word == "时候":
            out[-1] += word
        else:
            out.append(word)
    return out


# Question words of time, whose predicate follows them ("哪天到期", "什么时候交付"); not 几号
# or 哪个, which pick out the noun after them ("几号摊位": the stall is the answer's kind).
_PREDICATE_AFTER = frozenset("哪天 哪一天 何时 什么时候 啥时候".split())
