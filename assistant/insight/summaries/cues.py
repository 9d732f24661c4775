"""Cue grammars for what minutes list: decisions, action items and open questions.

Action items are read by the rule engine itself (its people, time and task analysis), one
sentence at a time, as if the speaker had typed it into the chat at the meeting's start; the
meeting adds what a chat message never needs: "你" is the person just called on or the one who
answers, a later line may correct an earlier one ("还是老李来吧"), an item said twice is one
item, and an item dropped in the meeting ("这个先不做了") is none. Decisions and open questions
have grammars of their own, read clause by clause.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from assistant.domain import ChatContext, IncomingMessage
from assistant.engines.rules import RuleEngine
from assistant.engines.rules.people import Roster
from assistant.engines.rules.timeslots import due_instant, find_times
from assistant.insight.summaries.model import (
    ActionItem,
    Decision,
    MeetingContext,
    OpenQuestion,
    Sentence,
    TranscriptLine,
)
from assistant.insight.summaries.speakers import Speakers, addressee
from assistant.insight.summaries.spoken import clean

__all__ = [
    "Clause",
    "clauses_of",
    "find_action_items",
    "find_decisions",
    "find_open_questions",
    "join_fragments",
    "read_cues",
]

_SOFT = re.compile(r"[ \t\u3000,，、]+")
_UNKNOWN_SPEAKER = "发言人"


@dataclass(frozen=True, slots=True)
class Clause:
    """A pause-delimited part of a sentence: raw span in its line and its cleaned text."""

    sentence: Sentence
    start: int
    end: int
    raw: str
    text: str


def clauses_of(sentence: Sentence) -> list[Clause]:
    """The sentence's clauses; read once per sentence (every reader asks for them)."""
    return list(_clauses(sentence))


@lru_cache(maxsize=8192)
def _clauses(sentence: Sentence) -> tuple[Clause, ...]:
    out: list[Clause] = []
    pos = 0
    raw = sentence.raw
    for m in [*_SOFT.finditer(raw), None]:
        end = m.start() if m is not None else len(raw)
        if end > pos:
            piece = raw[pos:end]
            text = clean(piece).rstrip("。？")
            if text:
                out.append(
                    Clause(sentence, sentence.start + pos, sentence.start + end, piece, text)
                )
        if m is None:
            break
        pos = m.end()
    return tuple(out)


def read_cues(
    sentences: Sequence[Sentence],
    lines: Sequence[TranscriptLine],
    speakers: Speakers,
    context: MeetingContext,
) -> tuple[list[Decision], list[ActionItem], list[OpenQuestion]]:
    """The cue grammars' pass over a meeting (the engine's and the minutes trainer's): decisions,
    action items and open questions, a fragment cut off by a filler read with what follows it."""
    cued = join_fragments(sentences, lines)
    actions = find_action_items(cued, lines, speakers, context)
    # A commitment with a due ("那就周五下班前弄完") is an action item, not also a decision.
    decisions = [
        d
        for d in find_decisions(cued, lines)
        if not any(
            a.due is not None
            and a.line == d.line
            and _TIME_WORD.search(d.source)
            and (d.source in a.source or a.source in d.source)
            for a in actions
        )
    ]
    return decisions, actions, find_open_questions(cued, lines)


def join_fragments(
    sentences: Sequence[Sentence], lines: Sequence[TranscriptLine]
) -> list[Sentence]:
    """Sentences for the cue grammars: a fragment cut off by a filler ("那个石头啊 你下午 | 嗯
    去银行把回单拿一下", "这个月的目标啊 | 就是 新增客户二十个") read with what follows it in
    its line. A fragment is short and has no verb, no cue and no question of its own."""
    out: list[Sentence] = []
    for sentence in sentences:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.line == sentence.line
            and _fragment(prev.text)
            and sentence.start >= prev.end
        ):
            raw = lines[sentence.line].text[prev.start : sentence.end]
            out[-1] = Sentence(
                prev.index, prev.line, prev.start, sentence.end, raw, clean(raw), prev.speaker
            )
            continue
        out.append(replace(sentence, index=len(out)))
    return out


def _fragment(text: str) -> bool:
    body = text.rstrip("。？！")
    return (
        2 <= len(body) <= 12
        and not text.endswith("？")
        and not re.search(_DO, body)
        and not _DECIDED.search(body)
        and not _OPEN.search(body)
        and not _UNSURE.search(body)
        and not re.search(r"(?:好|行|可以|没问题|收到|对)[的吧啊]?$", body)
    )


def _source(lines: Sequence[TranscriptLine], parts: Sequence[Clause]) -> tuple[str, int]:
    first, last = parts[0], parts[-1]
    line = first.sentence.line
    return lines[line].text[first.start : last.end], line


# -- decisions ----------------------------------------------------------------------------

# A negative decision at the end of a clause: not "先不说了" / "先不定" (left open), not a refusal.
_NEGATIVE_DECIDED = (
    r"(?<!现在)(?<![我你他她])(?:先|就|这次|这回|今年|暂时|这期|^我们|^咱们)"
    r"不(?!说|定|答应|知道|清楚|一定|对|行|了|太|用说|是|会|能|要紧|等|动|管|高|低|好|多|少|大|小|够|错|贵|便宜|急|难)"
    r"[\u4e00-\u9fff]{1,3}了?$"
)
_DECIDED = re.compile(
    r"就这么定|就这样定|就这么办|就这么搞|定下来|定了|决定|拍板|确定(?:了|下来|用|按|是)|敲定|"
    r"就按(?:这个|这样|你说的|[^，]{1,12}来)|那就按|按这个改|就听[^，]{1,6}的|统一(?:用|按|成)|结论是|最终(?:方案)?(?:是|用|定)|"
    r"(?:先|暂时|这期|本期|今年|这次)?(?:先不做|不做了|不做|暂不做|不搞了|(?<![赶跟考追])不上了|砍掉|去掉)|"
    r"延期到|推迟到|提前到|推到|顺延到|改到|改成|换成|放到(?:第二期|二期|下一期|下期|下个版本)|挪到(?:二期|下一期)|"
    r"定在|定为|就用|就选|那就(?:[^，]{1,12})吧|那就(?:先|只|按|用|换|改|做|上|找|定)[^，]{2,}|必须(?:做|要)|要做|同意|"
    r"先按[^，]{1,10}(?:做|来|走|算|弄|定)|按[^，]{1,10}(?:筛|来做|来算|来走)|就做$|"
    # Round 6: quantities raised, negative choices with 别 / 先不, things stopped, a means
    # chosen, a job handed over, a rota ("增加到十个", "这次就别定制了", "先不换供应商",
    # "香槟塔先停了", "那走空运", "筛选就交给然然吧", "让华子和汤汤轮着来").
    r"(?:增加|增|加|扩大|扩|减少|缩减)到[^，]{0,4}[一二两三四五六七八九十百千万\d]|"
    r"(?:这次|这回|今年|先|暂时)就?别(?!等|急|慌|管|说|担心|着急)[^，]{1,6}了$|"
    r"先不(?:换|改|用|加|招|买|开|上|请)[\u4e00-\u9fff]{0,4}$|^[^，你我]{1,6}的先不动$|"
    r"先停(?:了|掉)?$|停掉吧?$|^那(?:就)?走[\u4e00-\u9fff]{2,4}$|^(?!这|那)[^，]{2,10}就交给[^，]{1,6}吧$|"
    r"轮着(?:来|值|上|带|守)|轮流(?:值|来|上|带|守)|"
    r"以后(?:所有|都|一律)|以后[^，]{0,8}(?:都要|都得|都不|一律|必须|不要|不许|不准|不能|别再|统一)|一律|(?:降|提|涨|调|减|砍|压|控制)到[^，]{1,8}|^那(?!个|边|些|么|天)[^，]{1,10}吧$|"
    # Policies: a modal of obligation or prohibition over a rule.
    r"必须|不允许|不许|(?<![说拿])不准|不得|统一由|统一[^，]{0,2}[一二三四五六七八九十两百千万\d]|"
    r"每(?:周|天|月|次)[^，]{0,4}(?:抽查|检查|复盘|巡检)|"
    # A frequency set ("各班每天消毒两次").
    r"每(?:天|周|月|班|个月)[^，]{1,6}[一二两三四五六七八九十\d]+次|"
    # Settled values: a fixed amount, bound, date or choice.
    r"就定|定成|(?:底线|上限|下限|保底)[^，]{0,3}[一二三四五六七八九十两百千万\d]|不延期|按期|如期|维持|不涨|不降|"
    r"^[^，]{0,10}只(?:从|招|用|收|走|接|要)|^那[^，]{0,10}按[一二三四五六七八九十两百千万\d]|"
    r"^那就[^，]{0,4}[一二三四五六七八九十两\d]|先(?:建|上|买|订|租|招|备)[^，]{0,3}[一二两三四五六七八九十百千万\d]{1,4}"
    r"(?:百|千|万|吨|台|套|平|间|家|辆|瓶|箱|斤)|"
    # Limits ("别超过五千", "每个班入场不超过一分钟", "每个人至少再收两套").
    r"(?:不|别|不能|不要|不得|不可以)(?:超过|低于|少于|高于|多于)[^，]{0,6}[一二两三四五六七八九十百千万\d]|"
    r"(?:至少|最少|最多)(?!要|得|能|会|也|就)再?[^，]{0,6}[一二两三四五六七八九十百千万\d]|"
    # Negative decisions ("我看就不彩排了", "灯光先不弄了", "酸汤这次不上", "今年不请了"), and
    # things kept as they were ("我们不打折 价格还是按原来的").
    + _NEGATIVE_DECIDED
    + r"|还是按(?:原来|之前|以前|老)的|"
    # Staffing ("这周鹏子先开五号车", "分拣分三组", "让小王拿学校相机拍吧").
    r"先(?:开|跑|管|带|守|值)[^，]{0,3}[一二三四五六七八九十\d]+号|"
    r"分(?:成)?[一二两三四五六七八九十]+个?(?:组|班|队|拨|批)|"
    r"^(?:那就?|就|今年|这次)?让[^，]{1,4}(?:拿|用|开|带|去|来|负责|跟|管)[^，]{1,12}吧$"
)
# A clause that continues a rule: the second half of "以后X 必须Y 没Y的一律Z".
_RULE_PART = re.compile(
    r"必须|不允许|不许|不准|不得|一律|统一|不再|就不|不对|低于|超过|高于|按期|如期|维持|保底|罚"
)
# A settling clause whose subject was said just before it ("那科普这条线 就定六个").
_SUBJECT_NEEDED = re.compile(
    r"^(?:先不|这次不|就不|暂时不|"
    r"那?就定|必须|一律|统一|底线|上限|下限|保底|预算|维持|按期|只|一[^，]{0,2}都不|都不|全部|不许|不准|不得|不允许)"
)
# Not settled: a condition ("时间定下来了 你…"), an estimate ("那得两百多万吧").
_NOT_SETTLED = re.compile(
    r"^(?:等|如果|要是|假如|把)|^那得|大概|估计|差不多|左右|[^，]{0,12}定下来了?$|把[^，]{0,10}定下来|"
    # What someone wants, not what the meeting settles ("新人想改到二十号").
    r"(?:想|希望|要求|打算)(?:改|换|推|延|提前|调)|的话$|"
    # Narrative: what it took back then ("最后推到天黑才弄完"); a bare fragment ("推到天黑").
    r"才(?:弄|做|搞|干|到|来|完|好|回|搞定)|^(?:推到|推迟到|延期到|顺延到|挪到)"
)
# A later revision of the same matter replaces the earlier one ("改成三万" → "还是两万五").
_NUMBER = re.compile(r"[一二两三四五六七八九十百千万\d]")
# A clause that only names a time ("那就周四") revises a due, it settles nothing itself.
_ONLY_TIME_LEAD = re.compile(r"^(?:那就|就|那)?")
_REVISION = re.compile(r"^(?:算了|还是|不对|改成|改为|那就改|那[^，]{0,8}按)")
_OPINION = re.compile(
    r"我觉得|我感觉|我认为|我建议|我倾向|我的想法是|我的建议|要不|或者|可以考虑|你看|看一下|如果|的话我这边"
)
_WEAK_DECISION = re.compile(r"^(?:那就(?:[^，]{1,12})吧|要做|同意|就用|改成|换成)")
_UNDECIDED = re.compile(
    r"定不了|还没定|没定|待定|尚未|未定|没决定|还没决定|还没确定|再定|[再在]说|再讨论|再议|先放一放|先不定|不确定|商量|要不要|是不是|"
    r"能不能|怎么定|还是.{1,12}[？?]|吗|[？?]$|"
    # Not settled yet, doubt, a question put as A-not-A ("还没拍板", "我还拿不准", "还做不做").
    r"没拍板|还没拍|拿不准|没想好|不一定|([\u4e00-\u9fff])不\1"
)
_ONLY_CUE = re.compile(
    r"^(?:好|行|嗯|那|就|那就|对)?(?:这个事情?|这件事|这个|这事|那我们|我们[\u4e00-\u9fff]{0,2}|咱们)?就?"
    r"(?:这么定了?|这样定了?|定了|这么办|这样吧|同意|没问题|按这个(?:来|执行|办|走)?|"
    r"这个决定了|决定了|定一下)[吧啊哈。]*$"
)
_DECISION_LEAD = re.compile(
    r"^(?:好的?|行|嗯|那|那么|这样吧|就|所以)?[，,]?(?:那就这么定了|就这么定了|这么定了|那就|就|那)?"
)


def find_decisions(
    sentences: Sequence[Sentence], lines: Sequence[TranscriptLine], *, limit: int = 12
) -> list[Decision]:
    """Clauses that settle something, with the clauses that continue them."""
    out: list[Decision] = []
    for sentence in sentences:
        parts = clauses_of(sentence)
        settled = (
            _schedule_or_deferral(parts)
            or _rule_target_or_choice(parts, sentences)
            or _echo_or_pick(parts, sentences)
            or _staged_plan(parts)
        )
        if settled is not None:
            text = "，".join(c.text for c in settled)
            text = _DECISION_LEAD.sub("", text, count=1).strip("，") or text
            source, line = _source(lines, settled)
            out.append(Decision(text=text, source=source, line=line, speaker=sentence.speaker))
            continue
        i = 0
        while i < len(parts):
            clause = parts[i]
            cue = _DECIDED.search(clause.text)
            if (
                cue is None
                or _UNDECIDED.search(clause.text)
                or _OPINION.search(clause.text)
                or _remark(clause, sentences)
                or _NOT_SETTLED.search(clause.text)
                or _only_time(clause.text)
                # A restart ("那我定在十二月中旬 不对"): the speaker takes it back.
                or (i + 1 < len(parts) and _TAKEN_BACK.match(parts[i + 1].text))
            ):
                i += 1
                continue
            if _ONLY_CUE.match(clause.text):
                after: list[Clause] = []
                for nxt in parts[i + 1 : i + 3]:
                    if re.search(r"你|我来|负责|之前|谁", nxt.text) or _UNDECIDED.search(nxt.text):
                        break
                    after.append(nxt)
                before = after or _previous_content(sentences, sentence, parts[:i])
                if before is not None:
                    text = "，".join(c.text for c in before)
                    text = _DECISION_LEAD.sub("", text, count=1).strip("，") or text
                    source, line = _source(lines, before)
                    if len(text) >= 4 and not any(d.source == source for d in out):
                        out.append(
                            Decision(text=text, source=source, line=line, speaker=sentence.speaker)
                        )
                    i += 1
                    continue
            if _WEAK_DECISION.match(clause.text[cue.start() :]) and len(clause.text) < 6:
                i += 1
                continue
            span = [clause]
            if (
                i > 0
                and _SUBJECT_NEEDED.search(clause.text)
                and (
                    not _DECIDED.search(parts[i - 1].text)
                    or _WEAK_DECISION.match(parts[i - 1].text) is not None
                )
                and not re.search(r"你|我|吗|[？?]", parts[i - 1].text)
                and 2 <= len(parts[i - 1].text) <= 12
            ):
                span.insert(0, parts[i - 1])
            j = i + 1
            # A cue alone ("就这么定了") settles what follows in its sentence, else what came before.
            while j < len(parts) and len(span) < 3:
                nxt = parts[j]
                if _RULE_PART.search(nxt.text) and not re.search(r"你|我来|负责", nxt.text):
                    span.append(nxt)
                    j += 1
                    continue
                # Who does it, or the parallel shares ("今年不请了 让小王拿相机拍吧", "我一组").
                shares = (
                    re.match(r"^(?:那就?|就)?让[^，]{1,4}[\u4e00-\u9fff]", nxt.text)
                    or re.search(r"一(?:组|班|队|拨|批)$", nxt.text)
                    # the same matter kept as it was ("我们不打折 价格还是按原来的")
                    or re.search(r"还是按(?:原来|之前|以前|老)的", nxt.text)
                )
                if not shares and (_DECIDED.search(nxt.text) or _UNDECIDED.search(nxt.text)):
                    break
                if not shares and re.search(r"你|我来|负责|之前|之后给|谁", nxt.text):
                    break
                if (
                    _ONLY_CUE.match(clause.text)
                    or re.match(r"^(?:先|只|第|都|但是?|不过)", nxt.text)
                    or shares
                ):
                    span.append(nxt)
                    j += 1
                    continue
                break
            if _ONLY_CUE.match(" ".join(c.text for c in span)):
                before = _previous_content(sentences, sentence, parts[:i])
                if before is None:
                    i = j
                    continue
                span = before
            # "只做短信验证码，密码那个先不做了": the negative half belongs to the same decision.
            while (
                j < len(parts)
                and len(span) < 4
                and re.search(r"^[^，]{0,8}(?:先不做|不做|不要|不上|不搞)了?$", parts[j].text)
            ):
                span.append(parts[j])
                j += 1
            text = "，".join(c.text for c in span)
            text = _DECISION_LEAD.sub("", text, count=1).strip("，") or text
            if len(text) < 4 and j < len(parts) and not re.search(r"[你我吗？?]", parts[j].text):
                # "那走空运 补四十张": a short choice goes on in the next clause.
                span.append(parts[j])
                j += 1
                text = f"{text}，{parts[j - 1].text}"
            source, line = _source(lines, span)
            if len(text) >= 4 and not any(d.source == source for d in out):
                out.append(Decision(text=text, source=source, line=line, speaker=sentence.speaker))
            i = j
    return _latest_revisions(out, lines)[:limit]


_TAKEN_BACK = re.compile(r"^(?:不对|不是不是|说错了|错了|不不)$")
# A staged plan: a trial first, the rest after it ("先订一个月的试试", "先拿B区试 跑两周").
_STAGED = re.compile(
    r"^(?:那|就|那就)?先(?!说|讲|聊|过|看|等|想|放)[^，你我]{1,12}?(?:试试?|试点|试跑|试用|试一下|小范围)(?:看看)?$"
)

# Remarks, examples, offers and floor talk that look like a settling cue ("这个必须做",
# "比如…", "这个我来吧", "先说工程这边吧").
_NOT_A_DECISION = re.compile(
    r"比如|例如|譬如|^(?:那|我们|那我们|那我|我|那你|你)?先(?:说|讲|聊|过)[^，]{0,10}$|我来|我去(?!年)|我做(?!了)|我负责|"
    # Openings and the agenda ("那我们就开始吧", "好 我们开始 按惯例先过数据").
    r"开始吧$|^(?:好|那)?(?:我们|咱们)?(?:就)?开始$|按惯例|"
    r"我这边来|"
    # Exhortations and alternatives ("必须得加快进度了", "大家要做好准备", "不然就改到周四").
    r"(?:必须|一定)得?要?(?:加快|抓紧|加油|注意|重视|小心|努力)|要做好(?:准备)?$|"
    r"^(?:那)?大家(?:都)?(?:要|得|一定要)(?:做好|注意|加油|辛苦|努力|抓紧|重视|小心)|^(?:不然|否则|要不然)"
)
# "这个必须做" is a remark, unless it answers whether to do it ("要不要做防刷" → "要做 这个必须做").
_BARE_MUST = re.compile(
    r"^(?:那|就)?(?:这个|这事|这件事|那个)?(?:是)?(?:必须|一定|肯定)(?:要|得)?(?:做|改|拆|弄|搞|调|查)(?:的|了)?[吧啊]?$"
)
_WHETHER = re.compile(r"要不要|做不做|需不需要|上不上|搞不搞")


def _remark(clause: Clause, sentences: Sequence[Sentence]) -> bool:
    if _NOT_A_DECISION.search(clause.text):
        return True
    if not _BARE_MUST.match(clause.text):
        return False
    k = clause.sentence.index
    return not any(_WHETHER.search(s.text) for s in sentences[max(0, k - 1) : k + 1])


# A recurring meeting agreed ("每周二周五下午四点开个十五分钟的短会", "每周四下午三点 开半小时").
_SCHEDULE = re.compile(
    r"^(?:那|就|好|那就|以后|之后)*每(?:周|天|月|两周|个月|个?礼拜|个?星期)[^，]{0,14}，?"
    r"(?:开|碰|例会|短会|站会|对一次|过一次)"
)
# A deferral the meeting settles ("那这个先放一放 等斌哥谈完再说"): a decision to defer.
_DEFER_DECIDED = re.compile(
    r"^(?:那|好|行|那就|好那)(?:这个|这事|这件事|[^，]{0,10})?先(?:放一放|放放|搁一搁|搁置|不动|缓一缓)|^(?:那|好|行)[^，]{0,10}暂缓"
)


def _schedule_or_deferral(parts: Sequence[Clause]) -> list[Clause] | None:
    """A sentence that agrees a recurring meeting, or that the meeting puts off (decided)."""
    if not parts or any(re.search(r"[吗呢？?]$|几|什么|哪", c.text) for c in parts):
        return None
    joined = "，".join(c.text for c in parts[:3])
    if _SCHEDULE.search(joined):
        return list(parts[:3])
    if _DEFER_DECIDED.search(parts[0].text):
        return list(parts[:2])
    return None


# A rule from now on, or a penalty ("从今天开始 谁再私下收定金 一单罚五十", "钥匙以后当天还 不能
# 过夜", "以后同名同姓的病人不能安排在相邻床位").
_FROM_NOW = re.compile(
    r"^(?:那|还有|另外)?(?:从(?:今天|现在|明天|下周[一二三四五六日天]?|下个?月|本周|这周)(?:开始|起)|今后|以后(?!再))|"
    r"^谁再|^[^，]{1,8}?以后(?!再)"
)
_NORM = re.compile(
    r"必须|不能|不许|不准|不得|一律|罚|只能|都要|都得|单独|统一|不再|按[^，]{0,6}处理|超过|"
    r"提前到|推迟到|改到|不(?:接|收|卖|开|做|搞|放|让)"
)
# A target ("本周的目标 带看三十组 成交两单", "目标是每人三单").
_TARGET = re.compile(r"(?:^|的)[\u4e00-\u9fff]{0,4}?(?:目标|指标|任务量)(?:是|定在|定为)?$")
_TARGET_INLINE = re.compile(
    r"(?<![给定说]的)(?:目标|指标)(?:是|定在|定为)[^，]{0,10}[一二两三四五六七八九十百千万\d]"
)
# A choice between things just asked about ("用哪根" → "用那根新的").
_CHOICE = re.compile(
    r"^(?:那就?|就)?(?:用|选|要|买|走|订)(?:那|这)[个根台家款种套版张条块件位辆][^，]{0,8}$"
)


_PAST_OR_GUESS = re.compile(
    r"上次|上回|上个?月|上周|去年|^之前|之前(?:是|说|定)|原来|本来|可能|也许|估计|大概|^(?:他|她)们?"
)


def _rule_target_or_choice(
    parts: Sequence[Clause], sentences: Sequence[Sentence]
) -> list[Clause] | None:
    """A rule from now on or a penalty, a target with its figures, or a choice the meeting
    makes between things just asked about."""
    if not parts:
        return None
    shares = [
        n for n, c in enumerate(parts) if re.search(r"^[^，]{1,6}一(?:组|班|队|拨|批)$", c.text)
    ]
    if len(shares) >= 2 and shares[-1] - shares[0] == len(shares) - 1:
        # "三组 我一组 你一组 小石一组": the shares of a split.
        first = (
            shares[0] - 1
            if shares[0] > 0 and _NUMBER.search(parts[shares[0] - 1].text)
            else shares[0]
        )
        return list(parts[first : shares[-1] + 1])
    if any(re.search(r"[吗呢？?]$|你|我(?!们)", c.text) for c in parts):
        return None
    for k, clause in enumerate(parts):
        if _PAST_OR_GUESS.search(clause.text):
            continue  # "上次的目标是三十组", "他们以后可能不接了": told, not settled
        if _FROM_NOW.search(clause.text) and not _UNDECIDED.search(clause.text):
            for n in range(k, min(k + 3, len(parts))):
                if _NORM.search(parts[n].text):
                    # ... with the clauses that go on with the rule ("没报备的一律不进场").
                    end = n + 1
                    while end < len(parts) and end - k < 4 and _RULE_PART.search(parts[end].text):
                        end += 1
                    return list(parts[k:end])
        if _TARGET_INLINE.search(clause.text):
            return [clause]
        if _TARGET.search(clause.text):
            figures = [c for c in parts[k + 1 : k + 3] if _NUMBER.search(c.text)]
            if figures:
                return [clause, *figures]
    for n, clause in enumerate(parts[:2]):
        choice = _CHOICE.match(clause.text)
        if choice is None:
            continue
        k = clause.sentence.index
        # "就订这家的" settles by itself; a bare "用那根" answers a "用哪根" just asked.
        if choice.group(0).startswith(("就", "那就")) or any(
            "哪" in s.text for s in sentences[max(0, k - 2) : k]
        ):
            return list(parts[: n + 2])
    return None


_ECHO = re.compile(r"^(?:那就|就|那)(?P<v>[^，]{2,8}?)[吧啊]?$")
_PICK = re.compile(r"^(?:那就?|就|还是)?(?P<v>[^，你我]{1,6}?)吧$")
_REJECTED = re.compile(r"不行$|不可以$|不合适$|太[^，]{1,4}了$|风险太大")


def _echo_or_pick(parts: Sequence[Clause], sentences: Sequence[Sentence]) -> list[Clause] | None:
    """A choice made by echoing it ("八点 那就八点", "七天可以 就七天"), or by naming one of
    the values just put to the room ("七点半还是八点" → "十九号吧 二十号是周日")."""
    for k in range(len(parts) - 1):
        echo = _ECHO.match(parts[k + 1].text)
        if echo is not None and parts[k].text.startswith(echo["v"]):
            return [parts[k], parts[k + 1]]
    if not parts:
        return None
    pick = _PICK.match(parts[0].text)
    if pick is None or not _NUMBER.search(pick["v"]):
        return None
    k = parts[0].sentence.index
    line = parts[0].sentence.line
    before = [s for s in sentences[max(0, k - 3) : k] if s.line < line]
    if any(pick["v"] in s.text for s in before[-2:]):
        return list(parts[:2])
    return None


def _staged_plan(parts: Sequence[Clause]) -> list[Clause] | None:
    """A trial first and the rest after it, often after a rejection ("全量切不行 风险太大 先拿B区
    试 跑两周 看差错率再说"): the plan is decided despite its trailing 再说."""
    for k, clause in enumerate(parts):
        if not _STAGED.search(clause.text):
            continue
        start = k
        while start > 0 and k - start < 2 and _REJECTED.search(parts[start - 1].text):
            start -= 1
        end = k + 1
        if end < len(parts) and re.match(r"^(?:跑|试|做|用)[^，]{1,4}$", parts[end].text):
            end += 1
        return list(parts[start:end])
    return None


def _only_time(text: str) -> bool:
    # Only the spans matter here, so any reference time reads them.
    body = _ONLY_TIME_LEAD.sub("", text).rstrip("吧啊")
    times = [m for m in find_times(body, datetime(2026, 1, 1, tzinfo=UTC))[0] if m.grain != "hour"]
    return bool(times) and len(body) - sum(m.end - m.start for m in times) <= 1


def _latest_revisions(decisions: list[Decision], lines: Sequence[TranscriptLine]) -> list[Decision]:
    """The last of several revisions wins: a decision that the next turn revises, or that a
    similar one within two turns restates, ("改成三万瓶吧" → "算了 还是两万五 就这么定了") is dropped."""
    out: list[Decision] = []
    for k, d in enumerate(decisions):
        later = decisions[k + 1 : k + 3]
        revised = any(
            (0 < n.line - d.line <= 1 and _REVISION.search(lines[n.line].text.strip(" 嗯好，,")))
            or (
                0 < n.line - d.line <= 2
                and _similar(n.text, d.text) >= 0.3
                and "交给" not in n.text  # a hand-over after a choice restates nothing
            )
            or (
                0 < n.line - d.line <= 3
                and _similar(n.text, d.text) >= 0.15
                and all(_NUMBER.search(x.text) for x in (n, d))
            )
            for n in later
        )
        if not revised:
            out.append(d)
    return out


def _previous_content(
    sentences: Sequence[Sentence], sentence: Sentence, before: Sequence[Clause]
) -> list[Clause] | None:
    """What a bare "就这么定了" settles: the clauses before it, else the sentence before."""
    content = [c for c in before if len(c.text) >= 4]
    if content:
        return content[-2:]
    if sentence.index == 0:
        return None
    prev = sentences[sentence.index - 1]
    parts = [c for c in clauses_of(prev) if len(c.text) >= 4]
    return parts[-2:] or None


# -- open questions -----------------------------------------------------------------------

_OPEN = re.compile(
    r"定不了|还没定|没定下来|待定|先不定|今天先不定|下次再(?:说|讨论|定|聊|议)|下次会上再|回头再(?:说|定|议|讨论)|"
    r"再说吧|再说|先放一放|先记下来|还要(?:确认|商量|问)|还得(?:确认|商量|问)|要问一下|不确定|再看看|再研究|"
    r"等[^，]{1,12}再(?:说|定)|要看[^，]{0,10}(?:排期|情况|意见|安排|报价|价格|结果|反馈)|要老板批|跟老板商量|还没想好|"
    # Pending on someone or something ("还在跟销售谈", "还要跟老板商量", "尚未决定").
    r"还在(?:跟|和|同)[^，]{1,8}(?:谈|商量|沟通|确认|对|磨)|还要跟[^，]{1,8}(?:商量|确认|沟通|谈)|"
    r"尚未(?:决定|确定|定)|还没(?:决定|确定)|^要看报价|"
    # Waiting on others ("场地还在等报价", "预算还没批下来", "供应商那边还没回复", "要看甲方").
    r"(?<![我你])还在等|(?<![我你])还没(?:批|回复|答复|回话|消息|谱|定下来|有消息)|没谱|"
    r"要看(?:甲方|客户|老板|领导|对方|他们|那边|平台|总部)[^，]{0,4}$|"
    # Not settled, parked, or waiting for someone to settle it ("还没拍板", "先挂着", "不是今天能定的",
    # "等院里定了一起说", "年后看看再…").
    r"没拍板|先挂着|挂一挂|先不说了|不是今天能定|今天定不下来|年后(?:看看|再)|"
    r"等[^，]{1,12}定了(?:再|一起)|一起说$|"
    # Left open before and raised again ("上次也没定", "一直没定下来").
    r"(?:上次|上回|之前|一直)[^，]{0,2}(?:也|都|还)?没(?:定|决定|定下来)"
)


# Doubts a speaker states about a fact: open as said.
_UNSURE = re.compile(
    r"不知道|不太清楚|不清楚|说不准|说不好|没有准信|没准信|拿不准|不一定[吧啊]?$|"
    # Hearsay of a change to come is open ("听说原厂下个月要涨价"); of what others did, not
    # ("据说加了两百多个微信").
    r"(?:听说|据说)(?!有(?:人|用户|客户))[^，]{0,12}(?:要|会|可能|将|明年|下个?月|下周)|"
    r"还得等[^，]{0,10}(?:准话|消息|回复|确认|答复)"
)
# Questions put to the room: open only when the meeting defers them, else they were answered.
_ASKED = re.compile(
    r"会不会|到底|(?:是|按)[^，]{1,12}还是|能不能(?![^，]*(?:帮|给我|你))|来得及吗|赶得上吗|"
    r"(?:够|能[^，]{1,10})吗$"
)
# What a deferral or a doubt says besides itself: when nothing is left, it has no content.
_NO_CONTENT = re.compile(
    r"这个|那个|这件事|这事|嗯|啊|吧|呢|了|今天|也|先|都|确实|谁|我们?|大家|的|就|还|"
    r"定不了|不确定|不太清楚|不清楚|说不准|说不好|有消息再说|下次[在再]说|再说|先放一放|放一放|"
    r"下次|在说|再(?:讨论|议|定|聊)|没有准信|没准信"
)


# Warnings and remarks about others that say "不清楚/不知道" ("别到时候又算不清楚账",
# "新来的不知道规矩"): nothing is left open by them.
_WARNING = re.compile(
    r"^(?:那|就|也|但是?|不然|要不然)?(?:别|不要|免得|省得|到时候|以免|否则)|"
    r"(?:新来的|新人|他们|她们|有的人|有些人|很多人|好多人|客户|用户|家长|外面的人)[^，]{0,3}不(?:知道|清楚)"
)


def _has_content(text: str) -> bool:
    return len(_NO_CONTENT.sub("", text)) >= 3


# A question put to the room ("周末要不要加开半天门诊", "要是嘉宾放鸽子怎么办 是A还是B", "用哪家"),
# and an outside party's pending demand ("赞助商说要加钱 让我们签补充协议"): what a deferral in
# the next turns answers.
_RAISED = re.compile(
    r"要不要|能不能|可不可以|到底|怎么办|做不做|还做不做|(?:是|用|走|选)[^，]{1,12}还是|[吗呢]$|"
    r"(?:用|找|选|去|转移到|放到?|搬到)哪|哪(?:家|个|种|一家)|多少$|给多少|"
    r"(?:公司|厂家|厂商|那边|对方|甲方|乙方|房东|供应商|平台|客户|物业|赞助商|他们)[^，]{0,4}说要"
)
_DEMAND = re.compile(r"说要")
# A deferral's condition names what it waits on, not the matter ("等我看完预约量再说").
_CONDITION = re.compile(r"(?:先|还)?(?:等|看|要看|得看|看看)[^，]*$")
_LEADS = re.compile(r"^(?:好了|好|行|嗯|那|就|今天|这个|那个|这事|我|也|还|先|都|确实|暂时)+")
# Floor control: a matter sent out of the meeting to go on ("好了好了 补贴的事会后再说").
_FLOOR_DEFER = re.compile(
    r"会后(?:再)?(?:说|聊|讨论|商量)|下来(?:再)?(?:说|聊)|私下(?:再)?(?:说|聊)"
)
# Thinking aloud about one's own job ("我查了两天还没头绪 我再想想 先放一放").
_OWN_MUSING = re.compile(r"我(?:再|自己)?(?:想想|琢磨|研究研究)|还没头绪")


# A deferral that names its own next step ("要问一下业务方", "等我跟供应链聊完", "先按三个做"):
# the deferral is the item, as said.
_PENDING_STEP = re.compile(
    r"问(?:一下|问)?[^，]{0,2}(?:业务|老板|领导|财务|法务|总部|甲方|客户|对方|那边)|"
    r"(?:跟|和)[^，]{1,8}(?:聊|商量|沟通|确认|谈)|先按[^，]{1,12}(?:做|来|走)"
)


def _bare_deferral(clause: Clause, cue: re.Match[str]) -> bool:
    """A deferral that names no matter of its own: what it defers was said before it."""
    before = _CONDITION.sub("", clause.text[: cue.start()])
    return len(_NO_CONTENT.sub("", _LEADS.sub("", before))) < 2


def _raised_before(
    sentences: Sequence[Sentence], sentence: Sentence, lines: Sequence[TranscriptLine]
) -> OpenQuestion | None:
    """The question (or outside demand) raised in the last three turns that a bare deferral
    answers, as its own item: the source is the turn that raises it."""
    for prev in reversed(sentences[: sentence.index]):
        if prev.line >= sentence.line:
            continue
        if sentence.line - prev.line > 3:
            break
        if re.search(r"你[^，]{0,12}(?:好用|好吃|好看|贵不贵|怎么样)吗?？$", prev.text):
            return None
        parts = clauses_of(prev)
        hits = [
            n
            for n, c in enumerate(parts)
            if _RAISED.search(c.text)
            and not _WHEN.search(c.text)
            and not re.search(r"(?:能不能|可不可以)[^，]*(?:帮|给我)", c.text)
        ]
        if not hits:
            continue
        between = [x for x in sentences[prev.index + 1 : sentence.index] if x.line > prev.line]
        if any(
            (_DECIDED.search(c.text) or re.search(_NEGATIVE_DECIDED, c.text))
            and not _UNDECIDED.search(c.text)
            and not _OPINION.search(c.text)
            for x in between
            for c in clauses_of(x)
        ):
            continue  # answered by a decision before the deferral
        n = hits[-1]
        if _DEMAND.search(parts[n].text):
            span = list(parts[n : n + 3])  # the demand and what it asks for
        else:
            first = n
            while (
                first > 0
                and n - first < 2
                and len(parts[first - 1].text) >= 3
                and not re.match(r"^(?:还有一个|另外|还有)(?:事|就是)?$", parts[first - 1].text)
                and not re.search(r"你|我来|负责", parts[first - 1].text)
            ):
                first -= 1
            span = list(parts[first : n + 1])
        source, line = _source(lines, span)
        return OpenQuestion(text="，".join(c.text for c in span), source=source, line=line)
    return None


def find_open_questions(
    sentences: Sequence[Sentence], lines: Sequence[TranscriptLine], *, limit: int = 8
) -> list[OpenQuestion]:
    """Matters left open: an explicit deferral ("今天定不了") with what it defers, or a doubt
    about a fact ("不知道…", "到底A还是B", "听说…"), whose item is the doubted clause. A deferral
    or doubt with no content of its own belongs to the matter just raised: it adds nothing when
    that matter is already listed, and it is dropped when nothing was raised."""
    out: list[OpenQuestion] = []
    for sentence in sentences:
        parts = clauses_of(sentence)
        if re.search(r"今天就(?:到这|这些|先这样)|散会|今天差不多", sentence.text):
            continue
        if any(re.search(_NEGATIVE_DECIDED, c.text) for c in parts):
            continue  # "会员群的事 先不搞 等开春再说": put off by the meeting, a decision
        if any(_STAGED.search(c.text) for c in parts):
            continue  # "先拿B区试 跑两周 看差错率再说": a staged plan, decided
        asked = [
            c
            for c in parts
            if _ASKED.search(c.text) and not _OPEN.search(c.text) and not _UNSURE.search(c.text)
        ]
        if asked and len(asked) < len(parts):
            # "还得等红十字会给个准话 到底是十个还是二十个": the question is the matter.
            others = [c for c in parts if c not in asked]
            if any(_OPEN.search(c.text) or _UNSURE.search(c.text) for c in others):
                span = asked[:1]
                at = parts.index(asked[0])
                if (
                    at > 0
                    and _topic(parts[at - 1].text)
                    and not re.match(r"^(?:还有一个|另外|还有)(?:事|就是)?$", parts[at - 1].text)
                ):
                    span = [parts[at - 1], *span]  # "加班餐的标准 | 到底要不要提高"
                source, line = _source(lines, span)
                if not any(q.line == line for q in out):
                    text = "，".join(c.text for c in span)
                    out.append(OpenQuestion(text=text, source=source, line=line))
                continue
        for i, clause in enumerate(parts):
            deferral = _OPEN.search(clause.text) is not None
            doubt = (
                not deferral
                and _UNSURE.search(clause.text) is not None
                and not _WARNING.search(clause.text)
            )
            if not deferral and not doubt and _ASKED.search(clause.text):
                doubt = _deferred_later(sentences, sentence, parts[i + 1 :])
            if not deferral and not doubt:
                continue
            if re.search(r"没问题|不用再|不再|有(?:问题|事)[^，]{0,4}再说", clause.text):
                continue
            if _FLOOR_DEFER.search(clause.text):
                break  # floor control: the matter is listed where it was raised, if open
            cue = _OPEN.search(clause.text) or _UNSURE.search(clause.text)
            if (
                cue is not None
                and _bare_deferral(clause, cue)
                and not any(
                    _has_content(_LEADS.sub("", c.text))
                    and not _SELF.search(c.text)
                    and not _CONDITION.match(c.text)
                    for c in parts[:i]
                )
                and not _PENDING_STEP.search(sentence.text)
            ):
                # "今天先定不了 等…再说" answers the question just raised: that is the item.
                raised = _raised_before(sentences, sentence, lines)
                listed = [q for q in out if 0 < sentence.line - q.line <= 3]
                if raised is not None and not any(q.line >= raised.line for q in listed):
                    out.append(raised)
                    break
                if listed:
                    break  # the matter already listed just before
            if (
                cue is not None
                and _OWN_MUSING.search(sentence.text)
                and not any(_RAISED.search(c.text) for c in parts)
                and _raised_before(sentences, sentence, lines) is None
            ):
                break  # thinking aloud about one's own job
            span = [clause]
            k = i - 1
            if deferral or not _has_content(clause.text):
                # The matter: the clauses before the cue in the sentence.
                while k >= 0 and len(span) < 3 and not re.search(r"你|我来|负责", parts[k].text):
                    span.insert(0, parts[k])
                    k -= 1
            text = "，".join(c.text for c in span)
            if not _has_content(text):
                recent = [q for q in out if 0 <= sentence.line - q.line <= 1]
                if recent:
                    break
                subject = _asked_before(sentences, sentence)
                if subject is None:
                    break
                text = f"{subject.rstrip('？?。')}：{text}"
            elif deferral and (len(clause.text) <= 8 or re.match(r"这个|这事|这件事|那个事", text)):
                # "这个我跟老板商量一下": the matter is what was just asked.
                subject = _asked_before(sentences, sentence)
                if subject and subject not in text:
                    text = f"{subject.rstrip('？?。')}：{text}"
            source, line = _source(lines, span)
            if not any(q.source == source or q.line == line for q in out):
                out.append(OpenQuestion(text=text, source=source, line=line))
            break
    # One matter left open in consecutive turns ("我们自己定不了" → "积分比例这个事情今天确实定
    # 不了"): the later statement stands for it.
    anaphoric = re.compile(r"^(?:那|好|行)?(?:这个|这事|这件事|那个事)")
    # A matter pending ("还在跟销售谈价格") then put off by the meeting ("那坚果先放一放"): the
    # pending statement says why it is open; the deferral is listed with the decisions.
    out = [
        n
        for k, n in enumerate(out)
        if not (
            k > 0
            and _DEFER_DECIDED.search(clean(n.source))
            and 0 < n.line - out[k - 1].line <= 1
            and _has_content(out[k - 1].text)
            and not _DEFER_DECIDED.search(clean(out[k - 1].source))
        )
    ]
    kept = [
        q
        for k, q in enumerate(out)
        if not any(
            (0 < n.line - q.line <= 2 and _similar(n.text, q.text) >= 0.2)
            or (
                0 < n.line - q.line <= 1
                and all(_OPEN.search(x.source) for x in (n, q))
                # ... unless they name two different matters ("展位…还要商量" / "年终奖…尚未决定").
                and (_similar(n.text, q.text) > 0 or not all(_has_content(x.text) for x in (n, q)))
                and not (anaphoric.match(n.text) and not anaphoric.match(q.text))
            )
            for n in out[k + 1 :]
        )
    ]
    # ... and an anaphoric one right after the matter it defers adds nothing.
    kept = [
        q
        for k, q in enumerate(kept)
        if not (
            anaphoric.match(q.text)
            and k > 0
            and 0 < q.line - kept[k - 1].line <= 1
            and not anaphoric.match(kept[k - 1].text)
        )
    ]
    return kept[:limit]


def _deferred_later(
    sentences: Sequence[Sentence], sentence: Sentence, rest: Sequence[Clause]
) -> bool:
    """Whether a question is left open right after it is asked: a doubt or a deferral with no
    content of its own follows in its sentence or the next two. A deferral that names its own
    matter ("积分比例这个事情今天确实定不了") is the item instead."""
    groups = [[c.text for c in rest]]
    groups.extend(
        [c.text for c in clauses_of(nxt)]
        for nxt in sentences[sentence.index + 1 : sentence.index + 3]
    )
    for texts in groups:
        for k, text in enumerate(texts):
            if _OPEN.search(text) or _UNSURE.search(text):
                return not _has_content("".join(texts[max(0, k - 2) : k + 1]))
    return False


def _asked_before(sentences: Sequence[Sentence], sentence: Sentence) -> str | None:
    """The question a short "下次再说" answers: the nearest question in the last few sentences."""
    for prev in reversed(sentences[max(0, sentence.index - 4) : sentence.index]):
        if prev.text.endswith("？"):
            # Chit-chat put to someone ("你那个新买的扫码枪好用吗") raises no matter.
            if re.search(r"你[^，]{0,12}(?:好用|好吃|好看|贵不贵|怎么样)吗?？$", prev.text):
                return None
            return prev.text
    return None


# -- action items -------------------------------------------------------------------------

_HAS_WORK = re.compile(
    r"你|我来|我去|我自己|我这边|这个我|这事我|那我|我负责|我会|我帮|我继续|我再|我把|我明天|我下|我今天|我周|我回头|我先|我要|我让|我叫|我找|我跟|我和|我回去|我提前|我们来|我们这边|负责|安排|盯|跟进|之前|前把|"
    r"把|明天|后天|周[一二三四五六日天]|礼拜|星期|号|月底|下班|今天|今晚|本周|这周|下周"
)
_NOT_WORK = re.compile(
    r"^(?:我觉得|我感觉|我认为|我想问|我倾向|我建议|我同意|我补充|我看了|我问过|我插一句|我提一个)|"
    r"如果|的话要|要不要|是不是|能不能.*吗|怎么|为什么|什么时候|多少|哪个|有没有|"
    # Who did it before is history, not an assignment ("海报原来是阿杰做").
    r"(?:原来|本来|以前|之前一直)是[^，]{0,6}(?:做|负责|弄|跟)"
)
_DROP = re.compile(
    r"算了|先不做了|不用做了|不用了|不做了|不要了|取消吧|先不搞|不搞了|先别|别弄了|不需要了|先放着"
)
_TITLE_LEAD = re.compile(
    r"^(?:要不然|要不|不麻烦|回头|回去|待会儿?|到时候|不过|然后|让|叫|那个|这个|那么|那|就|还是|然后|也|都|先|再|去|来|要|得|帮忙|帮我|给我|你们?|我们?|他们?|她们?|这块|这边|那边|你这边|你那边|"
    r"这样|一下|麻烦|请|辛苦|劳驾|顺便|帮个忙)+"
)
_SOME_DAY = datetime(2026, 1, 5, 9, tzinfo=UTC)
_TITLE_TAIL = re.compile(r"(?:一下|吧|啊|了|哈|呢|给我|给你|给大家|出来|好|掉)+$")


@lru_cache(maxsize=16384)
def _title(raw: str) -> str:
    title = raw.strip("，。 ")
    for _ in range(3):
        title = _TITLE_LEAD.sub("", title).strip("，, ")
        title = _TITLE_TAIL.sub("", title).strip("，, ")
        title = _without_lead_time(title)
    return title


# A title read by the chat engine that still holds the talk around the job: pronouns, a
# vocative "那", a sentence particle ("那你跟定稿展位图…", "做吧给我看初稿").
_TALKY_TITLE = re.compile(r"[你您我吧]|那(?![个些边])|改成|换成|交给|^[^，]{1,2}，")
# "海报改成晓雯来做", "合同这块还是李娜负责", "这事就交给老赵了", "网络让IT的孙伟弄": a job
# handed to a member, said by what comes before the name (a handing word) or after it (a light
# verb of taking charge and nothing more).
_HAND_BEFORE = re.compile(
    r"(?:交给|转给|让|由|改成|换成|改由|改给|换|还是|就是|就)(?:[^，]{0,6}的)?$"
)
_HAND_AFTER = re.compile(
    r"^(?:你|您)?(?:来|去)?(?:负责|做|弄|搞|跟|跟进|处理|盯|管)?(?:一下)?(?:了|吧|啊)?$"
)
_ANAPHOR = re.compile(r"^(?:这事|这件事|这个事|这个|那个|这块|那块|这边)$")


def _handed(clauses: Sequence[Clause], roster: Roster) -> tuple[str, str] | None:
    """(member, job) when one clause hands a job to a member; the job is what precedes the
    name (or, for "这事", the clause before), with a following clause that says how
    ("下周一之前修好或者买新的")."""
    for i, clause in enumerate(clauses):
        for found in roster.find(clause.text):
            if not found.known:
                continue
            before, after = clause.text[: found.start], clause.text[found.end :]
            lead = _HAND_BEFORE.search(before)
            if not _HAND_AFTER.match(after) or (lead is None and not after):
                continue
            job = before[: lead.start()] if lead is not None else before
            job = re.sub(r"(?:这块|这边|的事|这事|的话|就|都|还是|也)+$", "", job).strip("，, ")
            job = _TITLE_LEAD.sub("", job)
            if (not job or _ANAPHOR.match(job)) and i > 0:
                job = clauses[i - 1].text
            how = [
                c.text
                for c in clauses[i + 1 : i + 2]
                if (
                    re.search(_DO, c.text)
                    or re.search(r"[好完掉]", c.text)
                    or _without_lead_time(c.text) != c.text  # "周三之前重印或者退货"
                )
                and not re.match(r"[我你他她]", c.text)
            ]
            title = "，".join(_title(t) for t in [job, *how] if _title(t))
            if len(title) >= 2:
                return found.name, title
            if re.search(r"我(?:让|叫|请)$", before) and after:
                # "我让冰冰跟": handed explicitly, the job was said before.
                return found.name, re.sub(r"[了吧啊]+$", "", after)
    return None


# A clause that is only a light verb once the doer is gone ("你跟", "我来吧", "你负责").
_BARE_VERB = re.compile(
    r"^(?:来|去)?(?:跟|跟进|做|弄|搞|负责|处理|盯|来|去|对接)?(?:一下|吧|啊|呗)?$"
)


def _job_title(parts: Sequence[Clause], names: Sequence[str], roster: Roster | None = None) -> str:
    """The job as said in its clauses, without the doer, the pronouns, the time and a clause
    that only calls someone ("王总，…"): "那周强你跟 下周一之前把展位图定稿发给主办方" →
    "展位图定稿发给主办方"."""
    pieces: list[str] = []
    for clause in parts:
        text = clause.text
        if roster is not None and roster.is_known(text.strip("，, ")):
            continue
        for name in sorted(names, key=len, reverse=True):
            if name:
                text = text.replace(name, "")
        text = re.sub(
            r"^(?:那|就)?(?:这个|那个)?(?:你|您|我)(?!们)(?:这边|那边)?(?:来|去)?", "", text
        )
        text = _title(text)
        text = re.sub(r"^把", "", text)
        if pieces and re.match(r"(?:我们|他们|你们|大家|还有|另外|然后|但是|不过)", clause.text):
            break  # the job ends where talk of someone or something else begins
        if text and not _BARE_VERB.match(text) and not _only_time(text):
            pieces.append(text)
        if len(pieces) == 2:
            break
    return "，".join(pieces)


@lru_cache(maxsize=16384)
def _without_lead_time(text: str) -> str:
    """The job without the time it starts with ("这周把报价核一遍" → "把报价核一遍"): the due
    is read separately; only the phrase's position matters here, so any reference day does."""
    times, _ = find_times(text, _SOME_DAY)
    if times and times[0].start == 0 and times[0].end < len(text):
        rest = re.sub(r"^(?:之前|以前|前|内|底前)", "", text[times[0].end :])
        return rest.strip("，, ") or text
    return text


# Turns that manage the floor, not work: calling on someone to report, interjecting, listing
# the agenda ("<人>你先把情况说一下", "我插一下", "今天主要几个事").
_FLOOR = re.compile(
    r"先(?:把[^，]{0,12})?(?:说|讲|介绍|汇报|过)一下(?:[^，]{0,6}(?:情况|进度))?$|我插一(?:下|句)|"
    r"我就听听|我帮你看$|(?:我|那我)(?:来|先)?(?:说|讲)(?:两|几)句|今天主要[^，]{0,4}(?:事|议题)|^不等了|^我们先开|(?:你|您)(?:先|来)?说(?:吧|一下)?$|"
    # Meeting logistics ("你把麦关一下", "你别打岔", "你把清单念一下", "你留一下 我跟你讲讲").
    r"把?麦(?:克风?)?(?:关|开)|关(?:一下)?麦|别打岔|别插嘴|(?:念|读)一下$|(?:你|您)?(?:先)?留一下|留下来|"
    r"先把正事说完|"
    # Passing the floor ("亮亮你先来吧 说说CI的情况").
    r"(?:你|您)先来吧?$|^(?:先)?说说[^，]{0,8}(?:情况|进度)$"
)
# Questions and objections: a request put as a question is answered by its acceptance.
_ASKING = re.compile(
    r"(?:能不能|可不可以|能否|可以吗)|来不及了?啊|怎么弄|想怎么|[吗呢嘛][。？?]?$|想问|问题是|"
    r"(?:对吧|是吧|对不对|没错吧)[。？?]?$|"
    r"是[^，]{1,12}还是"
)
# Verbs of doing in a commitment ("我去沟通一下", "你来抽", "我帮你跑三组").
_DO = (
    r"(?:去|来|继续跟|跟进|跟|负责|打电话|催|联系|沟通|通知|告诉|做|发|整理|准备|安排|改|修|写|跑|"
    r"问(?!题)|约|对接|处理|贴|抽|查|补|出|盯|报|交|提交|核对|确认|招|买|订|拍|汇总|送|布置|培训|签|检查|"
    r"测|回复|回访|统计|落实|推进|更新|上传|采购|申请|排|核|审|校|弄|搞|剪|录|调|盘点|排查|"
    r"挂|装|搬|翻|找|打印|拿|收拾|打扫|清理|顶(?:一下|上|班|替)|下单|"
    # The disposal construction names a job whatever its verb ("帮忙把报价再核一遍").
    r"把[^，]{1,12}?[\u4e00-\u9fff](?:一下|一遍|好|完|掉|出来|上|起来|回来|过去))"
)
# Work already done is reported, not taken on ("我上周已经把样品寄给三家客户了").
_RELAY = re.compile(r"(?:跟|和|给)[他她](?:说|讲)|(?:告诉|通知)[他她]")
# A turn whose subject is the speaker: "我下周一把…", "好 我今天就改".
_I_SUBJECT = re.compile(
    r"^[\s,，]*(?:那|好的?|行|嗯|可以)?(?:[\u4e00-\u9fff]{1,3}(?=[\s,，]))?[\s,，]*"
    r"我(?!们|觉得|看|想|说|感觉|认为)"
)
_STILL_TO_DO = re.compile(r"再|会|要|明天|后天|下周|之前|以前|前把|回头|待会|马上|尽快")


def _reports_done(parts: Sequence[Clause]) -> bool:
    """Clauses that report finished work and promise nothing more."""
    return any(_DONE.search(p.text) for p in parts) and not any(
        _STILL_TO_DO.search(p.text) for p in parts
    )


_WHEN = re.compile(r"^(?:那)?(?:大概|大约)?(?:什么时候|啥时候|多久|几号|哪天)[^，]{0,8}[吗呢啊]?$")
_DONE = re.compile(
    r"已经|以经|早就|刚刚|(?:昨天|前天|上周|上个月|刚才)[^，]{0,12}了$|"
    r"^(?:那|但是|不过)?我[^，]{0,3}?" + _DO + r"了(?:一下|一点|个)?(?![^，]{0,4}(?:再|就|发|给))|"
    # "我会议室订好了", "我去年做过类似的": finished, or done before.
    r"^(?:那|但是|不过)?我[^，]{0,8}?[\u4e00-\u9fff](?:好|完|掉)了[吧啊呀]?$|"
    r"^(?:那|但是|不过)?我[^，]{0,6}?(?:做|弄|搞|写|办|跑|干|用|去)过"
)
# "你去联系一下", "你第一时间告诉我", "你提前一天通知我", "悦悦你来抽": a request to the person
# addressed; "你觉得/你看/你认识" are not.
_ASKED_TO = re.compile(
    r"(?<![帮给跟和让替陪])(?:你|您)(?!觉得|看|想|说|知道|认识|们|好|那边|这边|来得)[^，]{0,8}?"
    + _DO
    # Soft modals ("冰冰你仓库那边可以先盘一下", "你看看物流那边怎么配合").
    + r"|(?<![帮给跟和让替陪])(?:你|您)(?!觉得|想|说|知道|认识|们)[^，]{0,8}?(?:可以|要|得|先|再)+"
    r"(?!说|讲|聊|介绍|汇报|念|读|等|看|想|听)[\u4e00-\u9fff]{1,2}(?:一下|一遍)|"
    r"(?<![帮给跟和让替陪])(?:你|您)(?:去|先|再)?看看[^，]{1,12}(?:怎么|如何)"
    r"(?:配合|安排|弄|处理|解决|协调|对接|搞)$|"
    # ... or to find out ("小孔你看看家长里面有没有会拍照的 请一位来帮忙").
    r"(?<![帮给跟和让替陪])(?:你|您)(?:去|先|再)?(?:看看|问问|找找)[^，]{1,12}(?:有没有|是不是|能不能)"
)
# "我来吧 我做好了发群里", "这个我继续跟", "我今天下午再打电话催一下", "行 我帮你跑三所学校".
_SELF = re.compile(
    r"(?:^|这个|那)我(?!觉得|感觉|认为|想|看|问过|插|就听|说|也不|不|们|的|帮你看$|这边的|这边想)"
    r"(?:这边)?[^，]{0,8}?" + _DO
)
# "我们这边来写采购单": a speaker taking it on for their own team.
_WE_SELF = re.compile(r"(?:^|这个|那)我们(?:这边|组|部门|团队)?(?:来|去|负责)[^，]{0,8}?" + _DO)
_TIME_HEADS_VERB = re.compile(
    r"(?:$|[，。\s]|就|再|先|都|也|之前|前|以前|把|去|来|给|要|会|能|一定|" + _DO[3:]
)
# "<X>出来了第一时间告诉我", "<人>提前一天通知我": the person addressed keeps the speaker posted.
_TELL_ME = re.compile(r"(?:第一时间|提前[^，]{0,4}|及时|马上)(?:告诉|通知|同步|发给|报给)我")
_ACCEPT = re.compile(r"^[\s,，]*(?:嗯+|好的?|行|可以|没问题|收到|OK|ok|要得|明白)")


_FESTIVAL = re.compile(
    r"圣诞(?:节)?|春节|国庆(?:节)?|中秋(?:节)?|元旦|端午(?:节)?|清明(?:节)?|五一|劳动节|情人节|七夕|"
    r"元宵(?:节)?|双十一|双十二|六一|儿童节|妇女节|三八|教师节|重阳(?:节)?|平安夜|跨年"
)


def _occasion_only(text: str, context: MeetingContext) -> bool:
    """Every time in the text is a festival naming the occasion ("春节排班 小包你把…")."""
    times, _ = find_times(text, context.start)
    return bool(times) and all(
        not m.deadline and _FESTIVAL.fullmatch(text[m.start : m.end]) for m in times
    )


def _grammar_due(text: str, context: MeetingContext) -> datetime | None:
    """The due of a commitment read by the grammar: a deadline, or a time that heads a verb
    ("我今天下午再打电话", "明天上午改完"); a time that qualifies a noun ("问问明年纸价",
    "下周保养到期的客户") is part of the job, not its due."""
    times, _ = find_times(text, context.start)
    for m in times:
        if not m.deadline and _FESTIVAL.fullmatch(text[m.start : m.end]):
            continue  # "圣诞布置", "春节的排班": the occasion, not the due
        if m.deadline or _TIME_HEADS_VERB.match(text[m.end :]):
            due = due_instant(m, workday_end_hour=context.workday_end_hour)
            if due is not None:
                return due
    return None


_VAGUE_TIME = re.compile(r"这(?:两|几)天|过(?:两|几)天|最近|近期|回头")
# Someone else's time in the same turn ("药房说新的输液泵下周三才能到", "业主说他下周三才回来").
_OTHERS_TIME = re.compile(r"说|才(?:能|会|到|回|有|送|来|开)|要等|等到")


def _due_in_scope(parts: Sequence[Clause], sentence: Sentence, context: MeetingContext) -> bool:
    """Whether the time a due was read from belongs to this job: not a vague time ("这两天"),
    not a year that names the occasion ("今年不请了"), not someone else's time in another
    clause of the turn."""
    times, _ = find_times(sentence.text, context.start)
    if not times:
        return True
    firm = [
        m
        for m in times
        if not _VAGUE_TIME.fullmatch(sentence.text[m.start : m.end])
        and (m.grain != "year" or m.deadline)
    ]
    if not firm:
        return False
    if any(find_times(c.text, context.start)[0] for c in parts):
        return True
    others = [
        c for c in clauses_of(sentence) if c not in parts and find_times(c.text, context.start)[0]
    ]
    return not others or not all(_OTHERS_TIME.search(c.text) for c in others)


def _named_doer(text: str, roster: Roster) -> tuple[str, re.Match[str]] | None:
    """ "超哥再出个方案", "小韩安排短信": a member named at the head of a clause, then a verb."""
    for found in roster.find(text):
        if not found.known or re.search(r"(?:你|您)(?:跟|和|同|与)$", text[: found.start]):
            continue  # "你跟老贺把清单对一下": the partner, not the doer
        m = re.compile(r"(?:你|您)?[^，]{0,6}?" + _DO).match(text, found.end)
        if m is not None and not _ASKING.search(text):
            return found.name, m
    return None


def _grammar_item(
    sentence: Sentence,
    lines: Sequence[TranscriptLine],
    speakers: Speakers,
    roster: Roster,
    context: MeetingContext,
) -> tuple[str, str, datetime | None, list[Clause]] | None:
    """A commitment the rule engine does not read: (owner, title, due, clauses)."""
    speaker = speakers.by_line[sentence.line]
    parts = clauses_of(sentence)
    if len(parts) > 1 and _WHEN.search(parts[-1].text):
        # "那你汇总一下 什么时候能给我": the request stands; the answer brings the due.
        parts = parts[:-1]
    if not parts or _ASKING.search(parts[-1].text) or _reports_done(parts):
        return None
    handed = _handed(parts, roster)
    if handed is not None and handed[0] in context.members:
        return handed[0], handed[1], _grammar_due(sentence.text, context), parts
    delegated = _delegated(parts, roster)
    if delegated is not None and speaker is not None and speaker in context.members:
        title, job = delegated
        return speaker, title, _grammar_due(sentence.text, context), job
    for i, clause in enumerate(parts):
        if _FLOOR.search(clause.text) or _ASKING.search(clause.text) or _DONE.search(clause.text):
            continue
        owner: str | None = None
        m = _ASKED_TO.search(clause.text) or _TELL_ME.search(clause.text)
        named = _named_doer(clause.text, roster)
        fronted = timed = None
        if m is None and named is None:
            fronted = _fronted_request(parts, i)
            m = fronted
        if named is not None:
            owner, m = named
        elif m is not None:
            owner = (
                addressee(sentence.text, roster)
                or addressee(lines[sentence.line].text, roster)
                or _reply_speaker(lines, speakers, sentence.line)
            )
        else:
            m = _SELF.search(clause.text) or _WE_SELF.search(clause.text)
            timed = None if m is not None else _self_timed(clause.text, context)
            m = m or timed
            if (
                m is None
                and i > 0
                and re.fullmatch(r"(?:那)?我(?:这边|的话|这里)?", parts[i - 1].text)
            ):
                # "我这边 今天下午再打电话催一下…": the speaker named in the clause before.
                m = re.search(r"^[^，]{0,8}?" + _DO, clause.text)
            if m is not None:
                owner = speaker
        if m is None or owner is None or owner not in context.members:
            continue
        job = [clause, *parts[i + 1 :]][:3]
        names = [owner, *context.members.get(owner, [])]
        job_text = re.sub(
            r"(?:这个|那)?我们?(?:这边)?(?=[^，]{0,8}?" + _DO + ")", "", clause.text, count=1
        )
        if fronted is not None:
            job_text = f"{job_text}，{parts[i + 1].text}"
        if re.search(r"我自己(?:来|弄|搞|做|修|处理)", clause.text) and i > 0:
            # "广播站的音响上次有杂音 能修 我自己弄": the job is what was just said.
            job_text = "，".join(c.text for c in parts[max(0, i - 2) : i])
        for name in sorted(names, key=len, reverse=True):
            job_text = job_text.replace(name, "")
        title = _title(re.sub(r"^[^，]*?(?:你|您)", "", job_text, count=1) or job_text)
        if len(title) < 2:
            title = re.sub(r"[你您]", "", job_text).strip("，, ")
        if len(title) <= 4 and i + 1 < len(parts):
            title = _title(f"{title}，{parts[i + 1].text}")
        if len(title) < 2:
            continue
        if timed is not None:
            # "那个客户我今天下午再给他打个电话": the object before "我", the job after the time.
            after = re.sub(r"^(?:之前|以前|前)", "", _without_lead_time(clause.text[timed.end() :]))
            pieces = [_title(clause.text[: timed.start()]), _title(after)]
            title = "，".join(p for p in pieces if p) or title
        if timed is not None and i > 0 and _topic(parts[i - 1].text):
            # "奖状的名单 我下周一给主任": the object said before the commitment.
            title = f"{_title(parts[i - 1].text)}，{title}"
            job = [parts[i - 1], *job]
        return owner, title, _grammar_due(sentence.text, context), job
    return None


# A job given to a group ("各年级组长下周二之前交给我", "各组下周五之前把需求报给佳佳"): one item,
# owned by no one member.
_GROUP = re.compile(
    r"^(?:那|还有|另外)?(?:每个人|每人|各(?:个)?[\u4e00-\u9fff]{0,4}?(?:组长|组|班主任|班长|班|部门|科室|门店|店长|店|队|位)|"
    r"每个(?:组|班|部门|门店|店|科室))(?:的?(?:负责人|组长|主任|老师|同事|同学|经理|主管))?(?P<rest>[^，]+)$"
)


# Any unit addressed as a group ("各个诊室", "各个高校社团", "各个宴会厅的领班"), its deadline
# within the next few characters.
_ANY_GROUP = re.compile(r"^(?:那|还有|另外|最后)?各(?:个|位)?(?P<rest>[\u4e00-\u9fff][^，]+)$")
_HELD_BY_ALL = re.compile(
    r"^(?:那|还有|另外|最后)?大家(?:手上|手里|手头)的(?P<what>[^，你我]{2,10})$"
)


def _group_item(
    sentence: Sentence,
    lines: Sequence[TranscriptLine],
    context: MeetingContext,
    speaker: str | None,
) -> ActionItem | None:
    parts = clauses_of(sentence)
    for i, clause in enumerate(parts):
        whole = _ANY_GROUP.match(clause.text)
        if (
            whole is not None
            and i + 1 < len(parts)
            and not find_times(whole["rest"], context.start)[0]
        ):
            # "各个宴会厅的领班 | 明天下班前把年会的桌数报给浩子"
            nxt = parts[i + 1].text
            times = find_times(nxt, context.start)[0]
            if times and times[0].start == 0 and not re.search(r"[你我]", nxt):
                after = re.sub(r"^(?:之前|以前|前)", "", nxt[times[0].end :])
                if re.match(r"(?:都|要|得|必须)*(?:把|给|交|报|发)", after):
                    source, line = _source(lines, parts[i : i + 2])
                    return ActionItem(
                        title=_title(after),
                        source=source,
                        line=line,
                        owner=None,
                        due=_grammar_due(nxt, context),
                        speaker=speaker,
                    )
        # "大家…" stays out: it is as often a call to everyone as a job.
        m = _GROUP.match(clause.text)
        if m is None:
            held = _HELD_BY_ALL.match(clause.text)
            if held is not None and i + 1 < len(parts):
                # "大家手上的体检报告 下周五之前都交给华子": the things everyone holds, handed in.
                times = find_times(parts[i + 1].text, context.start)[0]
                if times and times[0].start == 0:
                    after = re.sub(r"^(?:之前|以前|前)", "", parts[i + 1].text[times[0].end :])
                    if re.match(r"(?:都|要|得)*(?:交|报|发|给)", after):
                        source, line = _source(lines, parts[i : i + 2])
                        return ActionItem(
                            title=f"{_title(after)}{held['what']}",
                            source=source,
                            line=line,
                            owner=None,
                            due=_grammar_due(parts[i + 1].text, context),
                            speaker=speaker,
                        )
            m = _ANY_GROUP.match(clause.text)
            if m is None:
                continue
            times = find_times(m["rest"], context.start)[0]
            if (
                not times
                or times[0].start > 10
                or re.search(r"[你我他她]", m["rest"][: times[0].start])
            ):
                continue
        rest = m["rest"]
        times = find_times(rest, context.start)[0]
        if times and 0 < times[0].start <= 10 and m.re is _ANY_GROUP:
            rest = rest[times[0].start :]  # "各个诊室 | 这周五之前把清单报给芳芳"
        times = find_times(rest, context.start)[0]
        if not times or times[0].start != 0:
            return None  # a job with a deadline; "每个人至少…" is a target
        after = re.sub(r"^(?:之前|以前|前)", "", rest[times[0].end :])
        if not re.match(r"(?:都|要|得|必须)*(?:把|给|交|报|发|" + _DO + ")", after):
            return None
        job = [clause]
        title = _title(after)
        if i > 0 and _topic(parts[i - 1].text):
            job.insert(0, parts[i - 1])
            title = f"{_title(parts[i - 1].text)}，{title}"
        source, line = _source(lines, job)
        return ActionItem(
            title=title,
            source=source,
            line=line,
            owner=None,
            due=_grammar_due(clause.text, context),
            speaker=speaker,
        )
    return None


def _topic(text: str) -> bool:
    """A clause that only names a thing ("奖状的名单"): no doer, no verb, no question."""
    return (
        2 <= len(text) <= 12
        and not re.search(r"[你我他她]|[吗呢？?]", text)
        and not re.search(_DO, text)
    )


def _self_timed(text: str, context: MeetingContext) -> re.Match[str] | None:
    """ "我下周一给主任", "我下午就在网上下单": the speaker, a time, then a verb."""
    m = re.search(
        r"(?:^|这个|那|(?<=[\u4e00-\u9fff])(?<![跟和给让叫帮替陪找问诉说等对被把]))我(?!们)(?:这边|自己)?",
        text,
    )
    if m is None:
        return None
    rest = text[m.end() :]
    times = find_times(rest, context.start)[0]
    if not times or times[0].start != 0 or times[0].grain == "year":
        return None
    after = rest[times[0].end :]
    verb = re.match(
        r"(?:之前|以前|前)?(?:就|再|先|都|也)?(?:在[^，]{1,4})?(?:给|" + _DO + ")", after
    )
    return m if verb is not None else None


def _fronted_request(parts: Sequence[Clause], i: int) -> re.Match[str] | None:
    """ "小何你手里那几个意向客户 这周都回访一下": "你" with the object, the verb in the next
    clause."""
    if i + 1 >= len(parts):
        return None
    you = re.search(
        r"(?:你|您)(?!觉得|看|想|说|知道|认识|们|好|能|可以|会|是|有)[^，]{2,}$", parts[i].text
    )
    if you is None or re.search(_DO, parts[i].text):
        return None
    nxt = parts[i + 1].text
    if re.match(r"[我他她]|(?:别|不要)", nxt) or _ASKING.search(nxt):
        return None
    return re.match(
        r"^[^，]{0,8}?(?:"
        + _DO
        + r"|(?:都|要|得|必须)+[\u4e00-\u9fff]{1,3}?(?:完|好|掉|一遍|一下))",
        nxt,
    )


def _answered_request(
    sentence: Sentence,
    lines: Sequence[TranscriptLine],
    speakers: Speakers,
    roster: Roster,
    context: MeetingContext,
) -> ActionItem | None:
    """A request put as a question, taken on by the one asked ("冰冰你明天能不能把报表做出来" —
    "可以 明天下午给你"): the request is the job, the answer's time its due."""
    speaker = speakers.by_line[sentence.line]
    if speaker is None or sentence.start > 2 or sentence.line == 0:
        return None
    answer = clean(lines[sentence.line].text)
    if not _ACCEPT.match(lines[sentence.line].text) or re.search(r"[吗呢？?]", answer):
        return None
    prev = sentence.line - 1
    if speakers.by_line[prev] in (None, speaker):
        return None
    asked = lines[prev].text
    if addressee(asked, roster) != speaker:
        return None
    for piece in _SOFT.split(asked):
        text = clean(piece).rstrip("。？")
        if (
            not re.search(r"(?:你|您)", text)
            or not _ASKING.search(text)
            or not re.search(_DO, text)
        ):
            continue
        job = re.sub(r"^[^，]*?(?:你|您)", "", text)
        job = re.sub(r"(?:能不能|可不可以|能否|可以吗|行不行|好吗|吗)", "", job)
        title = _title(_without_lead_time(job))
        if len(title) < 2:
            continue
        times = find_times(answer, context.start)[0] or find_times(text, context.start)[0]
        due = due_instant(times[0], workday_end_hour=context.workday_end_hour) if times else None
        start = asked.find(piece)
        return ActionItem(
            title=title,
            source=asked[start : start + len(piece)],
            line=prev,
            owner=speaker,
            due=due,
            speaker=speakers.by_line[prev],
        )
    return None


def _vocative(line_text: str, sentence: Sentence, roster: Roster) -> str | None:
    """The member called on at the head of the sentence's line ("老严 …", "露露，…")."""
    head = line_text[: max(0, sentence.start) + 12]
    return addressee(head, roster)


def _object_from_before(verb: str, lines: Sequence[TranscriptLine], line: int) -> str | None:
    """A bare verb's object from the turns just before ("报价我还没汇总" — "那你汇总一下" →
    "汇总报价")."""
    for prev in range(line - 1, max(-1, line - 3), -1):
        for piece in re.split(r"[\s,，。？]+", clean(lines[prev].text)):
            at = piece.find(verb)
            if at <= 0:
                continue
            thing = re.sub(
                r"(?:我|你|他|她|我们)?(?:还|都|也)?(?:没有?|不)?(?:来|去)?$", "", piece[:at]
            )
            thing = _TITLE_LEAD.sub("", thing)
            if len(thing) >= 2:
                return f"{verb}{thing}"
    return None


def _accepted_due(
    item: ActionItem, lines: Sequence[TranscriptLine], speakers: Speakers, context: MeetingContext
) -> datetime | None:
    nxt = item.line + 1
    if nxt >= len(lines) or speakers.by_line[nxt] != item.owner:
        return None
    # A vague time ("我这两天就去订") is no due.
    text = re.sub(r"这(?:两|几)天|最近|近期|过两天|回头", "", clean(lines[nxt].text))
    if not _ACCEPT.match(lines[nxt].text) or re.search(r"你(?!们)[^，]{0,6}(?:来|去|负责)", text):
        return None
    # A deadline or a time of delivery ("我周一之前给你"); "我今天就找设计" is a first step.
    for m in find_times(text, context.start)[0]:
        if m.deadline or re.match(r"[^，]{0,3}(?:给|发|交)", text[m.end :]):
            return due_instant(m, workday_end_hour=context.workday_end_hour)
        # ... or the asked job itself at a time ("一个一个打电话沟通" — "好 我今天下午打").
        verb = re.fullmatch(
            r"(?:就|再|先)?(?P<v>[\u4e00-\u9fff]{1,2})(?:吧|了)?[。，]?", text[m.end :]
        )
        if verb is not None and verb["v"] in item.title + item.source:
            return due_instant(m, workday_end_hour=context.workday_end_hour)
    return None


def _revised_due(
    item: ActionItem, lines: Sequence[TranscriptLine], context: MeetingContext
) -> datetime | None:
    """A due moved in the next two turns by a clause that is only a time ("周三来不及 周四吧",
    "那就周四"): the latest such time wins; a turn that hands out new work ends the search."""
    due: datetime | None = None
    for nxt in range(item.line + 1, min(item.line + 3, len(lines))):
        if re.search(r"你|我来|我去|负责|安排", lines[nxt].text):
            break
        for piece in re.split(r"[\s,，。]+", clean(lines[nxt].text)):
            if not piece or not _only_time(piece):
                continue
            body = _ONLY_TIME_LEAD.sub("", piece).rstrip("吧啊")
            times = find_times(body, context.start)[0]
            if times:
                due = due_instant(times[-1], workday_end_hour=context.workday_end_hour) or due
    return due


def _reply_speaker(lines: Sequence[TranscriptLine], speakers: Speakers, line: int) -> str | None:
    """Who answers line ``line`` ("好", "行", "没问题"…), when it is someone else."""
    for nxt in range(line + 1, min(line + 3, len(lines))):
        who = speakers.by_line[nxt]
        if who is not None and who != speakers.by_line[line]:
            if re.match(
                r"^[\s,，]*(?:嗯|好|行|可以|没问题|收到|OK|ok|要得|晓得|明白|对)", lines[nxt].text
            ) or _only_time(clean(lines[nxt].text).rstrip("。吧啊")):
                # "那你汇总一下 什么时候能给我" — "周三吧": answering with a time accepts.
                return who
            return None
    return None


def find_action_items(
    sentences: Sequence[Sentence],
    lines: Sequence[TranscriptLine],
    speakers: Speakers,
    context: MeetingContext,
    *,
    limit: int = 30,
) -> list[ActionItem]:
    """Who was asked to do what, or took it on, by when, read relative to the meeting start."""
    members = {k: list(v) for k, v in context.members.items()}
    roster = Roster(members, "")
    engine = RuleEngine()
    found: list[tuple[ActionItem, Sentence]] = []
    recaps = _recap_starts(lines, speakers)
    for sentence in sentences:
        text = sentence.text
        if len(text) < 5:
            continue
        if _HAS_WORK.search(text) is None and not any(
            _TELL_ME.search(c.text) or _named_doer(c.text, roster) for c in clauses_of(sentence)
        ):
            continue
        if _NOT_WORK.search(text) and "你" not in text and not _committed_before_doubt(sentence):
            continue
        speaker = speakers.by_line[sentence.line]
        group = _group_item(sentence, lines, context, speaker)
        if group is not None:
            found.append((group, sentence))
            continue
        sender = speaker or _UNKNOWN_SPEAKER
        ctx = ChatContext(
            now=context.start,
            sender=sender,
            members=members if speaker else {**members, sender: []},
            workday_end_hour=context.workday_end_hour,
        )
        if any(_FLOOR.search(c.text) for c in clauses_of(sentence)) and not re.search(
            r"之前|前把", text
        ):
            continue
        analysis = engine.analyse(IncomingMessage(text=text, sender=sender), ctx)
        tasks = [c for c in analysis.calls if c.tool == "create_task"]
        sentence_parts = clauses_of(sentence)
        if sentence_parts and _ASKING.search(sentence_parts[-1].text):
            # A request put as a question: its acceptance is the task.
            if not any(
                _ASKED_TO.search(c.text) or _SELF.search(c.text) for c in sentence_parts[:-1]
            ):
                tasks = []
        before = len(found)
        handed_here = _handed(clauses_of(sentence), roster)
        for call in tasks:
            args = call.args
            owner = args.get("assignee")
            if owner == _UNKNOWN_SPEAKER or (owner is not None and owner not in members):
                owner = None
            if owner is None and re.search(r"你(?!们)", text):
                owner = addressee(text, roster) or _reply_speaker(lines, speakers, sentence.line)
            says_i = _I_SUBJECT.match(text) is not None
            if owner is None and not says_i:
                # "小陈 周五之前把库存表更新一下": the one called on at the head of the turn.
                owner = _vocative(lines[sentence.line].text, sentence, roster)
            if owner is None and re.search(r"我(?!们)", text) and speaker is not None:
                owner = speaker
            if says_i and speaker is not None:
                owner = speaker  # "王总 我下周一把合同初稿给您": the speaker takes it on
            elif owner is not None and owner == speaker and not _SELF.search(text):
                # "老严 周三之前把预算表发我": the one called on does it; "我" is the receiver.
                called = _vocative(lines[sentence.line].text, sentence, roster)
                if called is not None and called != speaker:
                    owner = called
            if (
                owner == speaker
                and handed_here is not None
                and handed_here[0] != speaker
                and re.search(r"我(?:让|叫|请|安排)", text)
            ):
                owner = handed_here[0]  # "我让冰冰跟": the member handed it does it
            if owner is not None and _partner_of_you(text, owner, members):
                # "冰冰 你跟老贺把清单对一下": "你" does it, the one after 跟 is the partner.
                owner = _vocative(lines[sentence.line].text, sentence, roster) or _reply_speaker(
                    lines, speakers, sentence.line
                )
            if owner is None:
                continue
            title = _title(str(args.get("title", "")))
            if len(title) < 2:
                title = _title(text)
            due = datetime.fromisoformat(args["due"]) if args.get("due") else None
            if due is not None and _occasion_only(text, context):
                due = None
            parts = _item_clauses(sentence, [owner, *members.get(owner, [])], roster, owner)
            if due is not None and not _due_in_scope(parts, sentence, context):
                due = None
            if _reports_done(parts):
                continue  # a report of work done ("上周五已经把初稿给到娜娜了")
            if (
                owner == speaker
                and handed_here is not None
                and handed_here[0] != speaker
                and _RELAY.search(title)
            ):
                continue  # "官网的备案让佳琪弄 我回头跟她说": passing it on is part of handing it
            handed = handed_here
            if handed is not None and handed[0] == owner:
                title = handed[1]
            elif _TALKY_TITLE.search(title):
                rebuilt = _job_title(parts, [owner, *members.get(owner, [])], roster)
                if len(rebuilt) >= min(4, len(title)):
                    title = rebuilt
            source, line = _source(lines, parts)
            found.append(
                (
                    ActionItem(
                        title=title,
                        source=source,
                        line=line,
                        owner=owner,
                        due=due,
                        speaker=speaker,
                    ),
                    sentence,
                )
            )
        if len(found) == before:
            read = _grammar_item(sentence, lines, speakers, roster, context)
            if read is not None:
                owner, title, due, parts = read
                if due is not None and not _due_in_scope(parts, sentence, context):
                    due = None
                source, line = _source(lines, parts)
                item = ActionItem(
                    title=title, source=source, line=line, owner=owner, due=due, speaker=speaker
                )
                found.append((item, sentence))
        if len(found) == before:
            answered = _answered_request(sentence, lines, speakers, roster, context)
            if answered is not None:
                found.append((answered, sentence))
    for item, sentence in found:
        _corrected(item, context)
        asked_when = _WHEN.search(clauses_of(sentence)[-1].text) is not None
        if item.due is not None or asked_when:
            item.due = _revised_due(item, lines, context) or item.due
        if item.speaker != item.owner:
            # "敏姐你那边先出个方案" — "好的 我周一之前给你": the acceptance brings the due,
            # or moves it ("这周五之前" — "没问题 我周四前给你答复"); "我周三先给您看初稿"
            # offers an interim step and keeps the asked due.
            accepted = _accepted_due(item, lines, speakers, context)
            if accepted is not None and (item.due is None or "先" not in lines[item.line + 1].text):
                item.due = accepted
        if len(item.title) <= 2 and re.fullmatch(_DO, item.title):
            item.title = _object_from_before(item.title, lines, item.line) or item.title
        bare = _BARE_JOB.fullmatch(_without_lead_time(item.title))
        if bare is not None and item.line > 0:
            # "甜甜 你帮我问问场地那边能不能便宜点" — "可以 我明天问": the job is the request.
            item.title = _requested_job(bare["verb"], lines[item.line - 1].text) or item.title
        if _BARE_OFFER.match(item.source) and item.line > 0:
            # "这个我来跟吧" answers "展位图谁来弄": the job is what the question was about.
            asked = _who_will(lines[item.line - 1].text)
            if asked is not None:
                item.title = asked
    found = _distributed(found, roster, context)
    found = [(item, sentence) for item, sentence in found if _not_the_partner(item, roster)]
    found = [
        (item, sentence)
        for item, sentence in found
        if _new_commitment(item, lines, recaps) and _retitled(item)
    ]
    items = _without_dropped(found, sentences)
    merged = _one_per_source(_continued(_merged(items)))
    for item in merged:
        item.title = _polished(item.title)
    return merged[:limit]


def _partner_of_you(text: str, owner: str, members: Mapping[str, Sequence[str]]) -> bool:
    names = [n for n in (owner, *members.get(owner, [])) if n]
    return any(re.search(r"(?:你|您)(?:跟|和|同|与)" + re.escape(n), text) for n in names)


def _item_clauses(
    sentence: Sentence,
    names_of_owner: Sequence[str],
    roster: Roster | None = None,
    owner: str | None = None,
) -> list[Clause]:
    """The clauses of a sentence that say the job: from the one that names the doer (or the
    first with a verb) to the end, or to a clause that opens with another member's job
    ("小石你下周一之前把方案给我 老贺周三之前把预算给我")."""
    parts = clauses_of(sentence)
    if len(parts) <= 1:
        return parts
    names = {n.casefold() for n in names_of_owner if n}
    first = 0
    named = [i for i, c in enumerate(parts) if any(n and n in c.text.casefold() for n in names)]
    for i, clause in enumerate(parts):
        if (
            named
            and i < named[0]
            and any(
                f.known and f.name != owner for f in (roster.find(clause.text) if roster else [])
            )
        ):
            continue  # "小石你…" is another member's job; the owner is named later
        if (named and i == named[0]) or re.search(r"我来|我去|我这边|我负责|你", clause.text):
            first = i
            break
    last = len(parts)
    if roster is not None:
        for k in range(first + 1, len(parts)):
            found = [f for f in roster.find(parts[k].text) if f.known]
            if found and found[0].start == 0 and found[0].name != owner:
                last = k  # another member's job begins
                break
    return parts[first:last]


def _words(text: str) -> set[str]:
    return {
        text[i : i + 2]
        for i in range(len(text) - 1)
        if not re.search(r"[，。？\s]", text[i : i + 2])
    }


def _similar(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def _without_dropped(
    found: list[tuple[ActionItem, Sentence]], sentences: Sequence[Sentence]
) -> list[ActionItem]:
    """Items that a later sentence of the next few drops ("这个先不做了", "算了")."""
    out: list[ActionItem] = []
    for item, sentence in found:
        dropped = False
        for later in sentences[sentence.index + 1 : sentence.index + 5]:
            if _DROP.search(later.text) and (
                _similar(later.text, item.title) >= 0.2
                or re.match(r"^(?:那)?(?:这个|算了)", later.text)
            ):
                dropped = True
                break
        if not dropped:
            out.append(item)
    return out


# An offer with no job of its own ("这个我来吧", "我来跟吧 我之前对接过"), and the question it
# answers ("展位图谁来弄").
_BARE_OFFER = re.compile(
    r"^[\s,，]*(?:那|好|行|嗯)?[\s,，]*(?:这个|那个|这块|这事)?我(?!觉得|想|看|说)(?:来|去)?"
    r"(?:[\u4e00-\u9fff]{1,2})?(?:吧|呗|啊)(?:$|[\s,，])|"
    r"^[\s,，]*(?:那|好|行|嗯)?[\s,，]*(?:这个|那个|这块|这事)?我(?:来|去)(?:$|[\s,，])"
)
_WHO_WILL = re.compile(
    r"(?P<job>[^，]{2,14}?)(?:的话)?(?:由)?谁(?P<verb>(?:来|去)?[^，吗呢？]{0,3})"
)


def _who_will(text: str) -> str | None:
    """The job a "who will do it" question asks about: "另外 复盘报告谁写" → "写复盘报告"."""
    for piece in reversed(re.split(r"[\s,，。？?]+", clean(text))):
        asked = _WHO_WILL.search(piece)
        if asked is None:
            continue
        job = _title(asked["job"])
        verb = re.sub(r"^(?:来|去)", "", asked["verb"])
        if len(job) >= 2:
            return f"{verb}{job}" if verb and verb not in job else job
    return None


def _takes_up_offer(offer: ActionItem, item: ActionItem) -> bool:
    """``item`` assigns to the one who just offered ("这个我来吧" → "行 那周强你跟…")."""
    return (
        offer.speaker == offer.owner
        and item.speaker != item.owner
        and 0 < item.line - offer.line <= 2
        and _BARE_OFFER.match(offer.source) is not None
    )


_CONTINUES = re.compile(r"^(?P<verb>[\u4e00-\u9fff]{1,3}?)(?:完|好)了?(?:之后|以后)?$")


def _one_per_source(items: list[ActionItem]) -> list[ActionItem]:
    """Two readings of one span, one with an owner and one without, are one item: the owned
    one (two owners of one job, "小周和阿杰你们俩…", stay two)."""
    out: list[ActionItem] = []
    for item in items:
        twin = next(
            (
                o
                for o in out
                if o.line == item.line and o.source == item.source and None in (o.owner, item.owner)
            ),
            None,
        )
        if twin is None:
            out.append(item)
        elif twin.owner is None and item.owner is not None:
            out[out.index(twin)] = item
    return out


def _continued(items: list[ActionItem]) -> list[ActionItem]:
    """The requester going on with a job just asked for ("伟哥你今天下午先去测一下温度" — "测完了
    数据整理好 明天下班前发我"): one item, the deliverable's deadline its due."""
    out: list[ActionItem] = []
    for item in items:
        head = clean(_SOFT.split(item.source.strip())[0]).rstrip("。？")
        m = _CONTINUES.match(head)
        asked = next(
            (
                o
                for o in reversed(out)
                if m is not None
                and 0 < item.line - o.line <= 2
                and o.speaker == item.speaker
                and o.owner is not None
                and o.owner != o.speaker
                and m["verb"][-1] in o.title + o.source
            ),
            None,
        )
        if asked is None:
            out.append(item)
            continue
        if item.due is not None:
            asked.due = item.due
    return out


def _corrected(item: ActionItem, context: MeetingContext) -> None:
    """A commitment inside a self-correction ("我周四 不对 周四我加班 那就周五晚上把视频剪好"):
    the job and the due are the ones said after the last restart."""
    pieces = [clean(p).rstrip("。？") for p in _SOFT.split(item.source) if p.strip()]
    cuts = [k for k, p in enumerate(pieces) if _TAKEN_BACK.match(p)]
    if not cuts:
        return
    for piece in reversed(pieces[cuts[-1] + 1 :]):
        if re.search(_DO, piece) and _TIME_WORD.search(piece):
            item.due = _grammar_due(piece, context) or item.due
            item.title = _title(_without_lead_time(re.sub(r"^(?:那就|那|就)", "", piece)))
            return


def _own_first_job(asked: ActionItem, item: ActionItem) -> bool:
    """An acceptance that starts with a job of its own ("明白 我今天先把消毒包数出来" after
    "你把器械清单列一下"): another object, so another item."""
    return (
        len(item.title) >= 4
        and _similar(asked.title, item.title) == 0
        and re.search(r"先把|先去", item.source) is not None
    )


def _merged(items: list[ActionItem]) -> list[ActionItem]:
    """One item per owner and job: a job said twice (asked, then accepted) is one item; the
    later due wins (the final version), the fuller title stays."""
    out: list[ActionItem] = []
    for item in items:
        twin = next(
            (
                o
                for o in out
                if o.owner == item.owner
                # two jobs given to groups are two items unless read from one sentence
                and (item.owner is not None or o.line == item.line)
                and (
                    # The one asked accepts with a time or a counter-offer ("好 我周五就贴").
                    (
                        0 < item.line - o.line <= 1
                        and item.speaker == item.owner
                        and o.speaker != item.owner
                        # ... unless it takes on a first job of its own ("明白 我今天先把消毒包
                        # 数出来" after "你把器械清单列一下"): another object, another item.
                        and not _own_first_job(o, item)
                    )
                    or _similar(o.title, item.title) >= 0.4
                    # Two readings of one sentence ("测试让小马帮一下 小马你周三之前把…测一遍").
                    or (item.line == o.line and item.source == o.source)
                    or _takes_up_offer(o, item)
                    # A follow-up on one's own job ("行 我催一下 争取周二就签").
                    or (0 < item.line - o.line <= 4 and _FOLLOW_UP.match(item.title) is not None)
                    # Reporting back on it ("可乐你问到了跟我说一声") is part of the job.
                    or (0 < item.line - o.line <= 2 and _REPORT_BACK.search(item.title) is not None)
                    or (
                        # A short restatement by the other side: a request and its acceptance.
                        item.line - o.line <= 2
                        and (
                            len(item.title) <= 4
                            # a later job of its own is no restatement ("到时候我跟琳琳对…")
                            or (
                                len(o.title) <= 4
                                and (_similar(o.title, item.title) > 0 or item.line - o.line <= 1)
                            )
                        )
                        and (item.speaker == item.owner) != (o.speaker == o.owner)
                        # a new request after one's own commitment is a job of its own
                        # ("年底之前我把冻品拉一遍" — "小田 你先把单子报给我")
                        and (item.speaker == item.owner or _similar(o.title, item.title) > 0)
                        and not _own_first_job(o, item)
                    )
                )
            ),
            None,
        )
        if twin is None:
            out.append(item)
            continue
        if _takes_up_offer(twin, item):
            # An offer, then the assignment that takes it up: the assignment says the job.
            out[out.index(twin)] = item
            continue
        accepted = item.speaker == item.owner and twin.speaker != item.owner
        # An interim step offered on acceptance ("我周三先给您看初稿") keeps the asked due.
        # In one sentence, the reading that found the due is the one that found the job.
        same_sentence = item.line == twin.line and item.due is not None and twin.due is None
        # ... and so does a start promised on acceptance ("收到 我今天就找设计").
        first_step = accepted and (
            re.search(r"先", item.source)
            or (
                twin.due is not None
                and re.search(r"(?:今天|马上|现在|待会儿?|一会儿?|今天下午|今晚)就", item.source)
            )
        )
        if item.due is not None and (not first_step or twin.due is None):
            twin.due = item.due
        if (len(item.title) > len(twin.title) + 2 or same_sentence) and not accepted:
            twin.title = item.title
    return out


def owner_names(members: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Every name a member answers to → display name."""
    out: dict[str, str] = {}
    for display, aliases in members.items():
        out[display] = display
        for alias in aliases:
            out.setdefault(alias, display)
    return out


# -- what is not a new commitment ----------------------------------------------------------

# The closing recap repeats what was handed out ("好 我总结一下 …", "最后再过一遍").
_RECAP = re.compile(
    r"(?:我|先|再|最后)?(?:总结|回顾|复述|捋|重复)一(?:下|遍)(?!\s?(?:发|给|报|交|写))|"
    r"差不多就(?:这些|这样)|今天就(?:到这|这些|先这样)|"
    r"最后(?:再)?(?:确认|对|捋|过)一(?:下|遍)|(?:过|对|捋)一(?:下|遍)(?:今天的)?(?:待办|分工|任务|结论|安排)"
)
# History: a commitment made before the meeting, told back ("一凡你之前说你来弄", "上次说的…").
_HISTORY = re.compile(
    r"(?:之前|上次|上回|原来|以前|早先|那天|前几天|上周)[^，]{0,3}(?:说|答应|讲|提|定)(?:过|的|好)?"
)
# Waiting on something, not doing it ("等X的清单出来再说", "等X查清楚 我们先不动").
_WAIT = re.compile(
    r"^(?:那|就|先)?等[^，]{1,16}(?:再说|再定|再看|再议|再弄|再做|以后再|之后再)|先不动|先别动|先放一放|先放着"
)
# Being away is no job ("我下周出差 不在公司", "我周五要去医院").
_ABSENCE = re.compile(
    r"(?:出差|请假|休假|调休|年假|病假|婚假|产假|不在公司|不在(?:家|店|办公室)|去医院|看病|体检|回老家|"
    r"请[^，]{1,3}假|回[趟一]?[^，]{0,2}老家)(?!的)|"  # "老请假的学生" names someone else
    # "下周我要去省里培训 周二周三不在 有事微信"
    r"(?:周[一二三四五六日天]|那天|这几天|两天)[^，\s]{0,4}不在|有事(?:微信|打电话|电话|找我)"
)
# Going by someone's proposal is a decision ("就按老王说的来"), not a job for them.
_FOLLOW = re.compile(r"(?:^|就|那)按[^，]{0,10}(?:说的|的意见|的方案)(?:来|办|做|走)?$")
# Capacity and objections ("这周我这边缺人 测试顾不过来", "我手上的月报已经挺满了").
_CAPACITY = re.compile(
    r"缺人|人手不够|顾不过来|忙不过来|顾不上|(?:挺|很|太|都|已经)满了?|排满|没空|抽不出|腾不出|没时间|"
    r"来不及|搞不定|弄不完|做不完|压力(?:很|挺|太)?大"
)
_OBJECTION_LEAD = re.compile(r"^(?:不过|但是|但|可是|只是|就是)")
# Questions and chit-chat put to someone ("你买的那个是不是上次那家的", "你那边有没有…推荐一下").
_CHAT_QUESTION = re.compile(
    r"是不是|有没有|[吗呢][？?]?$|怎么样|好不好用|贵不贵|哪(?:家|里|儿|个牌子|款|个店)|什么牌子|多少钱买的"
)
_CHECK = re.compile(r"(?:查|看看|确认|问问|核实|核对|打听)[^，]{0,6}(?:是不是|有没有)")
# Standing roles of a kickoff ("这个项目我来当PM", "德语部分我来把关", "小吴负责技术和术语").
_ROLE = re.compile(
    r"当(?:[^，]{0,3})?(?:PM|pm|负责人|总负责|组长|项目经理|对接人|主持人?|队长|主编|总监|联络人|接口人)|"
    r"把关|统筹|总负责|牵头|(?:我|你)?(?:来)?(?:做|当)(?:总)?(?:负责人|对接人|接口人)"
)
_ROLE_BY_DOMAIN = re.compile(
    r"^[^，]{1,8}?(?:这块|这边|部分|方面|这一块)?[^，]{0,4}负责(?:[^，]{1,10}和[^，]{1,10})?$"
)
# Advice on a job already listed ("别到时候…", "不用搞得太正式").
_SIDE_REMARK = re.compile(
    r"^(?:那|就|也|但是?)?(?:别到时候|到时候别|到时候不要|不用搞得|不要搞得|别搞得|别弄得|不用弄得|免得|省得)"
)
_TIME_WORD = re.compile(
    r"今天|明天|后天|周[一二三四五六日天]|礼拜|星期|[0-9一二三四五六七八九十]号|月底|月初|下班|之前|前把|以前|本周|这周|下周"
)


def _recap_starts(lines: Sequence[TranscriptLine], speakers: Speakers) -> dict[int, int]:
    """Where the closing recap starts in each line it covers: from the cue to the end of its
    line, and the same speaker's next turn when it goes on listing."""
    out: dict[int, int] = {}
    for n, line in enumerate(lines):
        m = _RECAP.search(line.text)
        if m is None or n < len(lines) // 2:
            continue
        out.setdefault(n, m.start())
        if n + 1 < len(lines) and speakers.by_line[n + 1] == speakers.by_line[n]:
            out.setdefault(n + 1, 0)
    return out


def _committed_before_doubt(sentence: Sentence) -> bool:
    """A commitment said before the question it raises ("我回头把合同翻一下 看看有没有…")."""
    for clause in clauses_of(sentence):
        if _NOT_WORK.search(clause.text):
            return False
        if _SELF.search(clause.text) or _ASKED_TO.search(clause.text):
            return True
    return False


def _new_commitment(
    item: ActionItem, lines: Sequence[TranscriptLine], recaps: Mapping[int, int]
) -> bool:
    """Whether an item read from its clauses is a new commitment, not history, a wait, an
    excuse, a question put to someone, a standing role, a side remark or the recap."""
    text = lines[item.line].text
    at = text.find(item.source)
    if item.line in recaps and at + len(item.source) > recaps[item.line]:
        return False
    pieces = [clean(p).rstrip("。？") for p in _SOFT.split(item.source) if p.strip()]
    pieces = [p for p in pieces if p]
    if not pieces:
        return False
    head = pieces[0]
    before = [p for p in _SOFT.split(text[: max(at, 0)]) if p.strip()]
    if before and _MUSING.search(clean(before[-1])) and item.speaker == item.owner:
        return False  # "这个我跟老板商量一下 明天给你们答复": a deferral, left open
    if _HISTORY.search(head) and item.due is None:
        return False
    if _WAIT.search(head) or _SIDE_REMARK.search(head) or _FOLLOW.search(head):
        return False
    if re.search(r"看着(?:办|弄|来)|(?:也)?可以(?:参考|考虑|试试)", head):
        return False  # discretion or a suggestion, no job
    if _ABSENCE.search(item.source) and not re.search(r"之前|把|[给发交]", item.source):
        return False
    if all(_CAPACITY.search(p) or _OBJECTION_LEAD.match(p) for p in pieces):
        return False
    asked = [p for p in pieces if _CHAT_QUESTION.search(p) and not _CHECK.search(p)]
    if asked and (asked[0] == head or len(asked) == len(pieces)) and item.due is None:
        return False
    if item.due is None and (
        _ROLE.search(head)
        or (_ROLE_BY_DOMAIN.match(head) and _roles_in_line(text) >= 2)
        or re.search(r"负责[^，]{1,10}和[^，]{1,10}$", head)
    ):
        return False
    return not _talk_not_work(pieces, item)


# Talk that reads like a job and is none (round-5 kinds): narrative of the past, descriptions
# of people, musing and deferral, negative instructions, tag questions, restarts, staffing and
# rules announced (decisions).
_NARRATIVE_LEAD = re.compile(
    r"^[^，]{0,4}?(?:最后|后来|当时|那时候?|那会儿?|那年|刚来那年|以前|去年|前年)"
)
_PAST_TELL = re.compile(r"[的了]$|还没来|都是|过来给")
_DESCRIPTION = re.compile(r"刚来|刚到|还不熟|不太熟|还没上手")
_MUSING = re.compile(
    r"再想想|想一想|考虑一下|考虑考虑|琢磨|(?:跟|和)[^，]{1,6}商量(?:一下|商量)|^(?:这个)?我看看吧$"
)
_NEGATIVE_ASK = re.compile(
    r"^[^，]{0,6}?(?:你|您)?(?:先|也|就|可|千万|暂时)?(?:别|不要|甭|不准|不许)(?!忘|漏)"
)
_TAG_QUESTION = re.compile(
    r"(?:能|会|行)?(?:做到|做得到|记住了?|记得|明白了?|听到了?|听见了?|能行|可以|没问题|搞得定)吧$"
)
_STAFFING = re.compile(r"先(?:开|跑|管|带|守|值)[^，]{0,3}[一二三四五六七八九十\d]+号")
# A rota or a stand-in is staffing, a decision ("让芳芳顶一下门诊 我跟老郑轮着值晚班").
_ROTA = re.compile(
    r"轮着(?:来|值|上|带|守)|轮流(?:值|来|上|带|守)|让[^，]{1,4}顶(?:一下)?(?:门诊|班|岗)"
)


def _talk_not_work(pieces: Sequence[str], item: ActionItem) -> bool:
    head = pieces[0]
    if _NARRATIVE_LEAD.search(head) and not _STILL_TO_DO.search(item.source):
        if any(_PAST_TELL.search(p) for p in pieces):
            return True
    if _DESCRIPTION.search(head) or _MUSING.search(head) or _NEGATIVE_ASK.search(head):
        return True
    if _TAG_QUESTION.search(head) and all(
        _TAG_QUESTION.search(p) or _NEGATIVE_ASK.search(p) or re.search(r"别|不要", p)
        for p in pieces
    ):
        return True
    for k, piece in enumerate(pieces[1:3], 1):
        # A restart takes the job back, unless a corrected job follows it ("我周四 不对 周四
        # 我加班 那就周五晚上把视频剪好").
        if _TAKEN_BACK.match(piece) and not any(
            re.search(_DO, later) and _TIME_WORD.search(later) for later in pieces[k + 1 :]
        ):
            return True
    if _STAFFING.search(head) or _ROTA.search(item.source):
        return True
    # A rule or a penalty announced ("从今天开始 谁再…一单罚五十"): a decision.
    return bool(
        (_FROM_NOW.search(head) or "谁再" in item.source)
        and _NORM.search(item.source)
        and not re.search(r"[你您]", item.source)
    )


def _roles_in_line(text: str) -> int:
    return sum(
        1
        for p in _SOFT.split(text)
        if p and (_ROLE.search(p) or (_ROLE_BY_DOMAIN.match(p) and not _TIME_WORD.search(p)))
    )


def _retitled(item: ActionItem) -> bool:
    """Strip excuses and objections from a title ("不过我手上挺满，下周一之前给你" → the job);
    keep the item when something is left."""
    parts = [p for p in item.title.split("，") if p]
    kept = [p for p in parts if not _CAPACITY.search(p) and not _OBJECTION_LEAD.match(p)]
    kept = [p for p in kept if not _SIDE_REMARK.search(p)]
    # A caution after the job ("…对团课的时间，别跟促销活动撞") is not part of it.
    kept = kept[:1] + [p for p in kept[1:] if not re.match(r"(?:别|不要|免得|省得|以免)", p)]
    if kept and kept != parts:
        item.title = "，".join(kept)
    return True


# "我让前台的小林把清单更新一下": the speaker hands it to someone outside the team and owns it.
_DELEGATE = re.compile(
    r"(?:^|那|这个|这事|^[^，]{1,6}?)我(?:让|叫|找|安排|请)(?:[^，]{0,6}的)?(?P<who>[\u4e00-\u9fff]{2}|[A-Za-z]+)"
    r"(?:去|来|帮忙|帮我)?(?=[^，]{2})"
)


def _delegated(parts: Sequence[Clause], roster: Roster) -> tuple[str, list[Clause]] | None:
    for i, clause in enumerate(parts):
        m = _DELEGATE.search(clause.text)
        if m is None:
            continue
        if any(f.known for f in roster.find(clause.text[m.start("who") : m.end("who") + 2])):
            return None
        rest = clause.text[m.end() :]
        if not re.match(_DO, rest) and re.match(r"[\u4e00-\u9fff]{2}(?=" + _DO + ")", rest):
            rest = rest[2:]  # "我让助理小钟做一个模板": the title after the person's name
        title = _title(rest)
        if len(title) <= 4 and i + 1 < len(parts):
            title = _title(f"{title}，{parts[i + 1].text}")
        if len(title) >= 2:
            return title, list(parts[i:])
    return None


def _distributed(
    found: list[tuple[ActionItem, Sentence]], roster: Roster, context: MeetingContext
) -> list[tuple[ActionItem, Sentence]]:
    """A job handed out in parallel ("丽丽你把一楼的彩灯挂上 二楼石头 三楼圆圆"): one item
    per member named after a parallel object, with that object in the title."""
    out: list[tuple[ActionItem, Sentence]] = []
    seen: set[int] = set()
    for item, sentence in found:
        out.append((item, sentence))
        if sentence.index in seen:
            continue
        seen.add(sentence.index)
        parts = clauses_of(sentence)
        shares: list[tuple[str, str, Clause]] = []
        for clause in parts:
            if clause.text in item.title or not shares and clause.raw not in item.source:
                pass
            for f in roster.find(clause.text):
                if (
                    f.known
                    and f.end == len(clause.text)
                    and 1 <= f.start <= 6
                    and f.name != item.owner
                    and f.name in context.members
                ):
                    share = re.sub(r"(?:的话|的|由|让|给|就|是)+$", "", clause.text[: f.start])
                    # "好的强哥 我周五之前…": an answer calling the chair, no share
                    if (
                        share
                        and not re.search(_DO, share)
                        and not _ACCEPT.match(share)
                        # "我周四前给老范": the one it goes to, not a share
                        and not re.search(r"[我你您他她]", share)
                    ):
                        shares.append((f.name, share, clause))
        if not shares:
            continue
        pieces = [p for p in item.title.split("，") if p not in {c.text for _, _, c in shares}]
        item.title = "，".join(pieces) or item.title
        for name, share, clause in shares:
            title = _parallel(item.title, share)
            source = clause.raw.strip()
            out.append(
                (
                    ActionItem(
                        title=title,
                        source=source,
                        line=item.line,
                        owner=name,
                        due=item.due,
                        speaker=item.speaker,
                    ),
                    sentence,
                )
            )
    return out


def _parallel(title: str, share: str) -> str:
    """The title with its object replaced by a parallel one ("把一楼的彩灯挂上", "二楼")."""
    n = len(share)
    for i in range(len(title) - n + 1):
        if title[i + n - 1] == share[-1] and title[i : i + n] != share:
            return title[:i] + share + title[i + n :]
    verb = re.match(r"把|" + _DO, title)
    k = verb.end() if verb is not None else 0
    return title[:k] + share + title[k + n :]


# Talk around the job left in a title: an answer word, a reason or a reassurance, an excuse.
_TALK_PIECE = re.compile(
    r"^(?:行|好|嗯|对|是的?|吧|啊|有个事|还有个事|还有|没问题|可以)$|^(?:因为|由于|毕竟|是我们的问题)|不用担心|"
    r"^(?:这个)?(?:你们?|大家)放心"
)
_PIECE_LEAD = re.compile(r"^(?:那|然后|不过|所以|就|还有|另外)+|^(?:我|你)(?=把|来|去|先|再)")


def _polished(title: str) -> str:
    """The job as a title: verb and object, without the talk around it ("行，把展位图定稿…",
    "加班费我来出，不用担心", "吧，我把名单做好了发群里")."""
    pieces = [_PIECE_LEAD.sub("", p).strip() for p in title.split("，")]
    # The chat reader's "verb, then where to" over a complement ("定场地到下来", "改表到一下").
    pieces = [re.sub(r"到(?:下来|起来|出来|一下|好|完)$", "", p) for p in pieces]
    # A partner preposition left without its name ("跟对一下排班").
    pieces = [
        re.sub(r"^(?:到时候)?(?:跟|和|同|与)(?=对|聊|碰|商量|沟通|核)", "", p) for p in pieces
    ]
    # The hand-over around the job ("代理词让先帮你整理证据目录" → "整理证据目录").
    pieces = [re.sub(r"^[^，]{0,8}?让(?=先|帮|去|来)", "", p) for p in pieces]
    pieces = [
        re.sub(r"^(?:先|再)?(?:帮(?:你|我|他|她|忙)|去|来)(?=[\u4e00-\u9fff]{3})", "", p)
        for p in pieces
    ]
    kept = [
        p for p in pieces if len(p) >= 2 and not _TALK_PIECE.search(p) and not _CAPACITY.search(p)
    ]
    return "，".join(kept) if kept else title


# A title that is only a verb ("问", "明天问", "催一下"): a fragment, not a job.
_BARE_JOB = re.compile(r"(?P<verb>问问|问|催|弄|做|搞|跟|查|看看|看)(?:一下|一催)?")
_REPORT_BACK = re.compile(
    r"^[^，]{0,4}(?:到了|好了|完了|有结果了?|有消息了?)[^，]{0,2}(?:跟我说|告诉我|通知我|说一声|回我)"
)
_FOLLOW_UP = re.compile(r"^(?:再)?(?:催|盯|跟进|问问|落实|推)(?:一下|一催|着)?(?:，|$)")


def _requested_job(verb: str, previous: str) -> str | None:
    """The job of the request just before ("你帮我问问场地那边能不能便宜点" for "问")."""
    for piece in re.split(r"[\s,，。？?]+", clean(previous)):
        at = piece.find(verb[0])
        if at < 0:
            continue
        job = _title(piece[at:])
        if len(job) > len(verb) + 1:
            return job
    return None


_PARTNER_BEFORE = re.compile(r"(?:跟|同|与|找)$")


def _not_the_partner(item: ActionItem, roster: Roster) -> bool:
    """ "到时候跟强哥对一下排班": the one named after 跟 is the partner; the speaker does it,
    or the member named before 跟 ("磊哥跟甜甜对一下排班"), whose own item that is. False when
    the item is only the partner's."""
    if item.speaker is None or item.owner is None or item.owner == item.speaker:
        return True
    if re.search(r"[你您]", item.source):
        return True
    found = [f for f in roster.find(item.source) if f.known]
    mentions = [f for f in found if f.name == item.owner]
    if not mentions or not all(_PARTNER_BEFORE.search(item.source[: f.start]) for f in mentions):
        return True
    if any(f.name != item.owner and f.end <= mentions[0].start for f in found):
        return False
    item.owner = item.speaker
    return True
