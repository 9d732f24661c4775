"""Score the time normalizer on public corpora, each on its own conventions.

Corpora (see ``../shared/corpora/README_duckling.md`` and ``README_recognizers.md``):

* **Duckling ZH time** — reference 2013-02-12T04:30:00-02:00. A case is correct when one match
  covers the whole input and its instant(s) and grain equal Duckling's. Duckling's "value with
  grain G" denotes the whole G-long period, so an interval [v, v+G) with grain G also counts.
* **Duckling ZH duration** — correct when one duration covers the input with the same seconds.
* **Recognizers-Text Chinese DateTimeModel** — each case has a naive reference time, read here
  at UTC+08:00. Scored per expected entity: our match must overlap the entity's span and agree
  with one of its resolution candidates (date, datetime, time, ranges, duration seconds).
  Negative cases (no entity) are correct when we find nothing.

Every case is also counted under a **kind** read from its text by rule (``kind_of``): lunar,
fuzzy, range, duration, holiday, relative, clock, date. The kinds are the failure classes of
issue #14, so each can be measured on both corpora.

A failing case is **tagged** ``convention`` when the disagreement is one of the documented
convention differences (the rule list in ``CONVENTION_RULES``), rather than counted as a plain
miss. Tags are decided by rule, from the input and both answers, never per sentence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from assistant.timeparse import TimeMatch, parse_durations, parse_times
from assistant.timeparse.lunar import lunar_to_solar

__all__ = [
    "CorpusScore",
    "kind_of",
    "run",
    "score_duckling",
    "score_duckling_duration",
    "score_recognizers",
]

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
FLOORS = REPO / "evals" / "floors" / "time.json"
RECOGNIZERS_OFFSET = timezone(timedelta(hours=8))
DUCKLING_NOW = datetime(2013, 2, 12, 4, 30, tzinfo=timezone(timedelta(hours=-2)))

_GRAIN_DELTA = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(days=7),
}


@dataclass
class Bucket:
    n: int = 0
    correct: int = 0
    tagged: int = 0


# Kinds of expression, by the words they are written with (first rule that fires wins).
_KIND_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "lunar",
        re.compile(
            r"农历|農曆|阴历|陰曆|正月|腊月|臘月|冬月|闰|閏|初[一二三四五六七八九十]|大年|除夕|元宵"
            r"|小年|腊八|臘八|七夕|重阳|重陽|中元|端午|中秋|春节|春節|新春|过年|過年"
        ),
    ),
    (
        "fuzzy",
        re.compile(
            r"月初|月中|月底|月末|[上中下]旬|年初|年中|年底|年末|年后|年後|节后|節後|节前|節前"
            r"|这两天|這兩天|这几天|這幾天|近期|最近|近来|过几天|過幾天|过两天|過兩天|改天|前后|左右"
            r"|一阵|不久|马上|馬上|刚才|剛才|早些|晚些|[上下]半[周週月年]|季|[春夏秋冬]天|世纪|年代"
        ),
    ),
    ("range", re.compile(r"到|至|[-~－—]|之间|之間|从|從")),
    (
        "holiday",
        re.compile(
            r"节|節|(?<![0-9一二三四五六七八九十廿卅号])日$|夜$|圣诞|聖誕|国庆|國慶|元旦|清明|五一|十一"
        ),
    ),
    (
        "relative",
        re.compile(
            r"[前后後内內]$|[前后後]\s*[0-9一二两三四五六七八九十]|[上下](?!午)|这|這|本|今|明|昨|去年"
            r"|过去|未来|接下来"
        ),
    ),
    ("clock", re.compile(r"[点點时時:]|[ap]m|分|秒|早|晚|午|凌晨")),
]


def kind_of(text: str, *, duration: bool = False) -> str:
    """The kind of a time expression, from its words: lunar, fuzzy, range, duration, holiday,
    relative, clock or date. Durations are their own kind whatever their words."""
    if duration:
        return "duration"
    for kind, pattern in _KIND_RULES:
        if pattern.search(text):
            return kind
    return "date"


@dataclass
class CorpusScore:
    name: str
    buckets: dict[str, Bucket] = field(default_factory=dict)
    kinds: dict[str, Bucket] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, category: str, ok: bool, tag: str | None, note: str, kind: str = "") -> None:
        for table, key in ((self.buckets, category), (self.kinds, kind)):
            if not key:
                continue
            b = table.setdefault(key, Bucket())
            b.n += 1
            if ok:
                b.correct += 1
            elif tag:
                b.tagged += 1
        if not ok and not tag:
            self.failures.append(note)

    @property
    def total(self) -> Bucket:
        t = Bucket()
        for b in (self.buckets or self.kinds).values():
            t.n += b.n
            t.correct += b.correct
            t.tagged += b.tagged
        return t


def _add_period(v: datetime, grain: str) -> datetime:
    if grain in _GRAIN_DELTA:
        return v + _GRAIN_DELTA[grain]
    months = 1 if grain == "month" else 12
    y, m = divmod(v.month - 1 + months, 12)
    return v.replace(year=v.year + y, month=m + 1)


def _covering(matches: list[TimeMatch], text: str) -> TimeMatch | None:
    """The one match that covers the input (ignoring spaces and punctuation at the edges)."""
    core = text.strip(" ,，.。?？!！")
    for m in matches:
        if m.text.strip(" ,，") == core or (len(matches) == 1 and core in m.text):
            return m
    return None


# --- Duckling ------------------------------------------------------------------------------

_WEEK_PREFIXED = re.compile(
    r"(?:这|這|下|今個|今|今个)(?:一)?(?:周|週|星期|礼拜|禮拜)[一二三四五六日天]"
)
_POD_WORDS = re.compile(r"早上|早晨|上午|中午|下午|晚上|傍晚|凌晨|晚|晨|早")
_OFFSET_WORDS = re.compile(r"[前后後]|之前|之後|以前|以後")


_BARE_WEEKDAY = re.compile(r"^(?:周|週|星期|礼拜|禮拜)[一二三四五六日天]$")
_HAS_YEAR = re.compile(r"年|[0-9]{4}")


def _duckling_tag(
    text: str, exp: dict[str, Any], ours: TimeMatch | None, locale: str = "zh"
) -> str | None:
    """Known Duckling conventions that differ from ours (docs/time.md lists them)."""
    if ours is None:
        return None
    # Our holiday data is mainland China's (国庆 = Oct 1, not Taiwan's Oct 10).
    if locale not in ("zh", "zh_CN"):
        return "convention"
    ev = _dt(exp["value"]) if exp["type"] == "value" else None
    ef = _dt(exp["from"]) if exp["type"] == "interval" else None
    our_start = ours.value if ours.type == "point" else ours.from_
    assert our_start is not None
    # 这周X / 下周X: Duckling takes the next such day; we take that week's day.
    if ev is not None and _WEEK_PREFIXED.search(text) and abs((our_start - ev).days) == 7:
        return "convention"
    # A bare weekday that is today: we take today, Duckling the next one.
    if ev is not None and _BARE_WEEKDAY.match(text) and (ev - our_start).days == 7:
        return "convention"
    # M月N号 already past this year: we read next year's, Duckling this year's.
    if (
        ev is not None
        and not _HAS_YEAR.search(text.split(",")[-1])
        and our_start == ev.replace(year=ev.year + 1)
    ):
        return "convention"
    # Parts of the day: Duckling's 早上 04-12, 晚上 18-24 ... against ours.
    if (
        ef is not None
        and exp["grain"] == "hour"
        and _POD_WORDS.search(text)
        and ours.type == "interval"
        and our_start.date() == ef.date()
    ):
        return "convention"
    # 周末: Duckling Fri 18:00 - Mon 00:00; ours is Saturday.
    if ef is not None and "末" in text and ef <= our_start < _dt(exp["to"]):
        return "convention"
    # N天后 / 两周前: Duckling gives the span of N units; ours is the point N units away.
    if ef is not None and ours.type == "point" and _OFFSET_WORDS.search(text):
        et = _dt(exp["to"])
        if our_start.date() in (ef.date(), et.date(), (et - timedelta(seconds=1)).date()) or (
            ef <= our_start <= et
        ):
            return "convention"
        step = et - ef
        if abs(our_start - ef) <= step + timedelta(days=1) or abs(
            our_start - et
        ) <= step + timedelta(days=1):
            return "convention"
    return None


def _dt(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _duckling_ok(exp: dict[str, Any], m: TimeMatch) -> bool:
    grain = exp["grain"]
    if m.grain != grain:
        return False
    if exp["type"] == "value":
        v = _dt(exp["value"])
        if m.type == "point":
            return m.value == v
        return m.from_ == v and m.to == _add_period(v, grain)
    if m.type != "interval":
        return False
    return m.from_ == _dt(exp["from"]) and m.to == _dt(exp["to"])


def score_duckling(path: Path) -> CorpusScore:
    score = CorpusScore("duckling_zh_time")
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row.get("duplicate"):
            continue
        text, exp = row["text"], row["expected"]
        matches = parse_times(text, DUCKLING_NOW)
        ours = _covering(matches, text)
        ok = ours is not None and _duckling_ok(exp, ours)
        tag = None if ok else _duckling_tag(text, exp, ours, row.get("locale", "zh"))
        category = "holiday" if exp.get("holiday") else exp["grain"]
        got = json.dumps(ours.to_json(), ensure_ascii=False) if ours else "—"
        score.add(
            category,
            ok,
            tag,
            f"{text} | 期望 {json.dumps(exp, ensure_ascii=False)} | 得到 {got}",
            kind_of(text),
        )
    return score


def score_duckling_duration(path: Path) -> CorpusScore:
    score = CorpusScore("duckling_zh_duration")
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        text, exp = row["text"], row["expected"]
        found = parse_durations(text)
        want = int(exp["normalized_seconds"])
        ok = len(found) == 1 and found[0].seconds == want
        # Years with months ("两年零三个月"): Duckling counts a year as 12 months of 30 days
        # there; we add the parts (a year 365 days). Five days per year apart.
        extra = found[0].seconds - want if len(found) == 1 else 0
        tag = (
            "convention"
            if not ok and "年" in text and extra > 0 and extra % (5 * 86400) == 0
            else None
        )
        got = [(d.text, d.seconds) for d in found]
        note = f"{text} | 期望 {want} | 得到 {got}"
        score.add(exp["unit"], ok, tag, note, kind_of(text, duration=True))
    return score


# --- Recognizers ---------------------------------------------------------------------------


def _naive(d: datetime) -> datetime:
    return d.replace(tzinfo=None)


def _parse_value(s: str) -> datetime | None:
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


def _rec_open_ok(cand: dict[str, Any], kind: str, m: TimeMatch) -> bool:
    """An open range ("2018年以后", "自2016年9月1日起"): our interval with no end must start
    where the candidate's does. Recognizers' "after" a day names that day and means "strictly
    after it", which is our interval from the next midnight."""
    if m.type != "interval" or m.from_ is None or m.to is not None or "start" not in cand:
        return False
    if kind == "timerange":
        return bool(m.from_.time().isoformat() == cand["start"])
    a = _parse_value(cand["start"])
    if a is None:
        return False
    timex = str(cand.get("timex", ""))
    if cand["Mod"] == "after" and cand.get("sourceEntity") == "datetimepoint" and len(timex) == 10:
        a += timedelta(days=1)
    return _naive(m.from_) == a


def _rec_ok(entity: dict[str, Any], kind: str, m: TimeMatch) -> bool:
    for cand in entity["Resolution"]["values"]:
        if cand.get("Mod") in ("after", "since"):
            if _rec_open_ok(cand, kind, m):
                return True
            continue
        if cand.get("Mod"):
            continue
        if kind == "set":
            if m.type == "set" and m.recurrence == cand.get("timex"):
                return True
            continue
        if kind in ("date", "datetime"):
            if m.type != "point" or m.value is None or "value" not in cand:
                continue
            v = _parse_value(cand["value"])
            if v is None:
                continue
            if kind == "date" and m.value.date() == v.date():
                return True
            if kind == "datetime" and _naive(m.value) == v:
                return True
        elif kind == "time":
            if m.type == "point" and m.value is not None and "value" in cand:
                if m.value.time().isoformat() == cand["value"]:
                    return True
        elif kind in ("daterange", "datetimerange", "timerange"):
            if m.type != "interval" or m.from_ is None or m.to is None:
                continue
            if "start" not in cand or "end" not in cand:
                continue
            if kind == "timerange":
                if (
                    m.from_.time().isoformat() == cand["start"]
                    and m.to.time().isoformat() == cand["end"]
                ):
                    return True
                continue
            a, b = _parse_value(cand["start"]), _parse_value(cand["end"])
            if a is None or b is None:
                continue
            if _naive(m.from_) == a and _naive(m.to) == b:
                return True
    return False


def _lunar_as_solar(value: str) -> datetime | None:
    """Recognizers gives a lunar date's own numbers ("isLunar"); the Gregorian day they name
    (三十 of a 29-day month is its last day, as in our reading)."""
    v = _parse_value(value)
    if v is None:
        return None
    d = lunar_to_solar(v.year, v.month, v.day)
    if d is None and v.day == 30:
        d = lunar_to_solar(v.year, v.month, 29)
    return None if d is None else datetime.combine(d, v.time())


def _rec_tag(entity: dict[str, Any], kind: str, text: str, m: TimeMatch | None) -> str | None:
    if m is None:
        return None
    for cand in entity["Resolution"]["values"]:
        # 周末: Recognizers Saturday to Monday; ours is the Saturday (docs/conventions.md).
        if (
            "末" in entity["Text"]
            and m.type == "point"
            and m.value is not None
            and _parse_value(str(cand.get("start", ""))) == _naive(m.value)
        ):
            return "convention"
        # A lunar date: Recognizers keeps the lunar numbers, we give the Gregorian day.
        if str(cand.get("isLunar")) == "True" and m.type == "point" and m.value is not None:
            solar = _lunar_as_solar(str(cand.get("value", "")))
            if solar is not None and (
                _naive(m.value) == solar if kind == "datetime" else m.value.date() == solar.date()
            ):
                return "convention"
        # X之前 / X以前: Recognizers reads "before X" (exclusive); we read a due date on X.
        if cand.get("Mod") in ("before", "until") and m.deadline:
            return "convention"
        if (
            kind in ("daterange", "datetimerange")
            and m.type == "interval"
            and m.to is not None
            and "start" in cand
        ):
            a, b = _parse_value(cand["start"]), _parse_value(cand.get("end", ""))
            assert m.from_ is not None
            if a is None or b is None:
                continue
            # A month already past with no year: we read next year's, Recognizers this year's.
            ours_from = _naive(m.from_)
            if (
                not _HAS_YEAR.search(entity["Text"])
                and ours_from.year == a.year + 1
                and ours_from.replace(year=a.year) == a
            ):
                return "convention"
            # "从一月十日到二十日": Recognizers ends at the start of the last item; we include it.
            if (
                _naive(m.from_) == a
                and _naive(m.to) > b
                and _naive(m.to) - b <= timedelta(days=366)
            ):
                return "convention"
            # Parts of the day: 上午 08-12, 晚上 16-20 in Recognizers.
            if _POD_WORDS.search(entity["Text"]) and m.from_.date() == a.date():
                return "convention"
        # The same difference for a part of the day without a date (timerange "上午").
        if (
            kind == "timerange"
            and m.type == "interval"
            and m.part_of_day is not None
            and _POD_WORDS.search(entity["Text"])
        ):
            return "convention"
        if (
            kind in ("datetime", "time")
            and m.type == "point"
            and m.value is not None
            and "value" in cand
        ):
            v = _parse_value(cand["value"]) if kind == "datetime" else None
            ours = _naive(m.value)
            # The bare N点 rule (1-6 → afternoon) against Recognizers' morning reading.
            if v is not None and abs((ours - v).total_seconds()) == 12 * 3600:
                return "convention"
        if kind in ("timerange", "datetimerange") and m.type == "interval" and "start" in cand:
            assert m.from_ is not None
            s = cand["start"]
            got = m.from_.time().isoformat() if kind == "timerange" else str(_naive(m.from_))
            sv = _parse_value(s) if kind == "datetimerange" else None
            if sv is not None and abs((_naive(m.from_) - sv).total_seconds()) == 12 * 3600:
                return "convention"
            if kind == "timerange" and got != s and abs(m.from_.hour - int(s[:2])) == 12:
                return "convention"
    return None


def _ref(raw: str | None) -> datetime:
    if not raw:
        return datetime(2026, 1, 1, tzinfo=RECOGNIZERS_OFFSET)
    return datetime.fromisoformat(raw).replace(tzinfo=RECOGNIZERS_OFFSET)


def score_recognizers(path: Path) -> CorpusScore:
    score = CorpusScore("recognizers_zh_datetime (DateTimeModel)")
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["spec"] != "DateTimeModel":
            continue
        text = row["text"]
        now = _ref(row.get("reference_datetime"))
        matches = parse_times(text, now, include_sets=True, open_ranges=True)
        durations = parse_durations(text)
        expected = row["expected_results"]
        if not expected:
            ok = not matches
            note = f"{text} | 期望无 | 得到 {[m.text for m in matches]}"
            score.add("none", ok, None, note, "none")
            continue
        for entity in expected:
            kind = entity["TypeName"].split(".")[-1]
            s, e = entity["Start"], entity["End"] + 1
            if kind == "duration":
                d = next((d for d in durations if d.start < e and s < d.end), None)
                want = entity["Resolution"]["values"][0].get("value")
                ok = d is not None and want is not None and str(d.seconds) == str(want)
                note = f"{text} | {entity['Text']} 期望 {want} | 得到 {d}"
                score.add(kind, ok, None, note, kind_of(entity["Text"], duration=True))
                continue
            m = next((m for m in matches if m.start < e and s < m.end), None)
            ok = m is not None and _rec_ok(entity, kind, m)
            tag = None if ok else _rec_tag(entity, kind, text, m)
            want = json.dumps(entity["Resolution"]["values"], ensure_ascii=False)[:160]
            got = json.dumps(m.to_json(), ensure_ascii=False) if m else "—"
            note = f"{text} | {entity['Text']} 期望 {want} | 得到 {got}"
            score.add(kind, ok, tag, note, kind_of(entity["Text"]))
    return score


# --- report --------------------------------------------------------------------------------

SCORERS: list[tuple[str, Callable[[Path], CorpusScore]]] = [
    ("duckling_zh_time.jsonl", score_duckling),
    ("duckling_zh_duration.jsonl", score_duckling_duration),
    ("recognizers_zh_datetime.jsonl", score_recognizers),
]


def _print_table(score: CorpusScore, *, by_kind: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    buckets = score.kinds if by_kind else score.buckets
    title = f"{score.name} · 按表达类型" if by_kind else score.name
    table = Table(title=title)
    for col in (
        "类型" if by_kind else "类别",
        "n",
        "correct",
        "accuracy",
        "tagged",
        "acc. excl. tagged",
    ):
        table.add_column(col, justify="right" if col != "类别" else "left")

    def row(name: str, b: Bucket) -> None:
        acc = b.correct / b.n if b.n else 0.0
        excl = b.correct / (b.n - b.tagged) if b.n - b.tagged else 0.0
        table.add_row(name, str(b.n), str(b.correct), f"{acc:.3f}", str(b.tagged), f"{excl:.3f}")

    for name in sorted(buckets):
        row(name, buckets[name])
    row("总计", score.total)
    Console().print(table)


def score_all(corpora: Path) -> list[CorpusScore]:
    return [fn(corpora / fname) for fname, fn in SCORERS if (corpora / fname).is_file()]


def kind_totals(scores: list[CorpusScore]) -> dict[str, Bucket]:
    """Per-kind counts over all corpora together."""
    out: dict[str, Bucket] = {}
    for s in scores:
        for name, b in s.kinds.items():
            t = out.setdefault(name, Bucket())
            t.n += b.n
            t.correct += b.correct
            t.tagged += b.tagged
    return out


def run(corpora: Path | None, *, check_floors: bool = False, show_failures: int = 0) -> int:
    """Print the tables; with ``check_floors`` return 1 when any accuracy is below its floor."""
    root = corpora if corpora is not None else DEFAULT_CORPORA
    if not root.is_dir():
        print(f"语料目录不存在：{root}，跳过评测。")
        return 0
    scores = score_all(root)
    if not scores:
        print(f"语料目录中没有可用的时间语料：{root}，跳过评测。")
        return 0
    for s in scores:
        _print_table(s)
        _print_table(s, by_kind=True)
        for note in s.failures[:show_failures]:
            print("  ✗", note)
    _print_table(CorpusScore("全部语料", kinds=kind_totals(scores)), by_kind=True)
    if not check_floors:
        return 0
    floors = json.loads(FLOORS.read_text("utf-8"))
    status = 0
    for s in scores:
        floor = floors.get(s.name)
        if not isinstance(floor, dict):
            continue
        t = s.total
        acc = t.correct / t.n if t.n else 0.0
        with_tagged = (t.correct + t.tagged) / t.n if t.n else 0.0
        for key, got in (("accuracy", acc), ("accuracy_or_tagged", with_tagged)):
            want = floor.get(key)
            if isinstance(want, int | float) and got < want:
                print(f"低于下限：{s.name} {key} = {got:.3f} < {want:.3f}")
                status = 1
    if status == 0:
        print("全部达到下限。")
    return status
