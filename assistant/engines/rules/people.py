"""Who is meant: chat members by display name, alias or @mention, and 我 for the sender."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Mention", "Roster"]

# A person not in the roster is still recognised by these shapes: 小王, 老李, 陈经理, 王总.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏"
    "吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严"
    "覃武戴莫孔汤温康施牛樊葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍华喻祁蒲房滕屈饶牟艾尤阳穆农卓古吉缪简芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟"
)
# A person not in the roster is still recognised by these shapes: 小王, 老李, 陈经理, 王总.
_TITLED = re.compile(
    rf"(?:[小老阿][{_SURNAMES}]|[{_SURNAMES}](?:经理|总监|总|工|老师|主管|组长|哥|姐|老板|主任|同学))"
    r"(?!子|们|结|共|体|计|部|作|期|程|资|具|艺|序|时)"
)
_MENTION = re.compile(r"@([^\s@,，。:：;；!?！？、()（）\[\]【】]{1,12})")
_ALL = re.compile(
    r"全员|全体|所有人|大家|全组|全部门|各位|所有同事|全部人|@all|@所有人"
    r"|\b(?:all(?: [a-z]+)? staff|everyone|everybody|all hands|whole team|all team)\b",
    re.IGNORECASE,
)
# Words that look like titled names but are not people.
_NOT_NAMES = frozenset(
    "老板 小时 小组 老师 小程序 老版 小会 阿里 小事 老样子 小心 小姐 老哥 老铁 小伙伴 小问题 小改动 "
    "老问题 小需求".split()
)


@dataclass(frozen=True, slots=True)
class Mention:
    """One person named in the text."""

    name: str  # display name when known, else as written
    start: int
    end: int
    at: bool  # written as an @mention
    known: bool  # one of the chat members


class Roster:
    """The chat's members and every name each answers to."""

    def __init__(self, members: Mapping[str, Sequence[str]] | Sequence[str], sender: str) -> None:
        pairs: dict[str, str] = {}
        items: list[tuple[str, Sequence[str]]]
        if isinstance(members, Mapping):
            items = [(str(k), list(v or ())) for k, v in members.items()]
        else:
            items = [(str(m), ()) for m in members]
        if sender and sender not in {d for d, _ in items}:
            items.append((sender, ()))
        for display, aliases in items:
            display = display.strip()
            if not display:
                continue
            pairs.setdefault(display.casefold(), display)
            for alias in aliases:
                alias = str(alias).strip()
                if alias:
                    pairs.setdefault(alias.casefold(), display)
        self.sender = sender
        self.displays = set(pairs.values())
        self._by_name = pairs
        names = sorted(pairs, key=len, reverse=True)
        # Single-character aliases match only after @, they collide with ordinary words.
        long_names = [n for n in names if len(n) >= 2]
        self._pattern = (
            re.compile("|".join(re.escape(n) for n in long_names), re.IGNORECASE)
            if long_names
            else None
        )
        self._names_longest_first = names

    def resolve(self, written: str) -> str:
        """The display name for a name as written, or the name itself."""
        written = written.strip().lstrip("@")
        if written in ("我", "本人", "自己"):
            return self.sender
        return self._by_name.get(written.casefold(), written)

    def is_known(self, written: str) -> bool:
        return written.strip().lstrip("@").casefold() in self._by_name

    def _mention_at(self, text: str, m: re.Match[str]) -> Mention:
        raw = m.group(1)
        folded = raw.casefold()
        for name in self._names_longest_first:
            if folded.startswith(name):
                end = m.start(1) + len(name)
                return Mention(self._by_name[name], m.start(), end, True, True)
        # Unknown @name followed by text with no space: keep a short head.
        if len(raw) > 4 and re.match(r"[\u4e00-\u9fff]", raw):
            raw = raw[:3] if raw[0] in "小老阿" or len(raw) > 6 else raw[:2]
        return Mention(raw, m.start(), m.start(1) + len(raw), True, False)

    def find(self, text: str) -> list[Mention]:
        """Every person named in ``text``, in order, not overlapping."""
        found: list[Mention] = []
        occupied = bytearray(len(text) + 1)

        def free(a: int, b: int) -> bool:
            return not any(occupied[a:b])

        def take(a: int, b: int) -> None:
            occupied[a:b] = b"\x01" * (b - a)

        for m in _MENTION.finditer(text):
            if m.group(1).lower() in ("all", "所有人"):
                continue
            mention = self._mention_at(text, m)
            found.append(mention)
            take(mention.start, mention.end)
        if self._pattern is not None:
            for m in self._pattern.finditer(text):
                if not free(m.start(), m.end()):
                    continue
                # An ASCII name must stand alone ("Tom" not inside "Tomcat"; "转给Kevin" is fine).
                name = m.group(0)
                if name.isascii() and (
                    (
                        m.start() > 0
                        and text[m.start() - 1].isascii()
                        and text[m.start() - 1].isalnum()
                    )
                    or (m.end() < len(text) and text[m.end()].isascii() and text[m.end()].isalnum())
                ):
                    continue
                found.append(
                    Mention(self._by_name[name.casefold()], m.start(), m.end(), False, True)
                )
                take(m.start(), m.end())
        for m in _TITLED.finditer(text):
            word = m.group(0)
            if word in _NOT_NAMES or not free(m.start(), m.end()):
                continue
            found.append(
                Mention(self.resolve(word), m.start(), m.end(), False, self.is_known(word))
            )
            take(m.start(), m.end())
        found.sort(key=lambda x: x.start)
        return found

    @staticmethod
    def mentions_all(text: str) -> bool:
        return _ALL.search(text) is not None
