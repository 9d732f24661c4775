"""Chinese and Arabic numerals as they appear in times: 三, 十五, 廿, 两, 二零一五, 15, 1.5."""

from __future__ import annotations

from functools import lru_cache

import cn2an

__all__ = ["CN_DIGITS", "count_number", "to_number"]

CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000}


@lru_cache(maxsize=2048)
def to_number(text: str) -> float | None:
    """The value of a numeral, or ``None`` when it is not one.

    Handles Arabic digits (``15``, ``1.5``), positional Chinese (``二十三``, ``廿七``, ``卅``,
    ``一百三十``), digit-by-digit Chinese (``二零一五``) and ``两``. Anything more exotic is
    handed to ``cn2an``.
    """
    s = text.strip()
    if not s:
        return None
    if s.isascii():
        try:
            return float(s)
        except ValueError:
            return None
    s = s.replace("廿", "二十").replace("卅", "三十")
    if all(ch in CN_DIGITS for ch in s):
        if len(s) == 1:
            return float(CN_DIGITS[s])
        # 二零一五 is read digit by digit.
        return float(int("".join(str(CN_DIGITS[ch]) for ch in s)))
    total = 0
    current = -1
    ok = True
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch] if current < 0 else current * 10 + CN_DIGITS[ch]
        elif ch in _UNITS:
            total += (1 if current < 0 else current) * _UNITS[ch]
            current = -1
        else:
            ok = False
            break
    if ok:
        return float(total + max(current, 0))
    try:
        return float(cn2an.cn2an(s.replace("两", "二"), "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def count_number(text: str) -> tuple[float, bool] | None:
    """A count as people write it before a unit: like ``to_number``, except that two neighbouring
    Chinese digits ("一两", "两三", "三五", "三两", "七八") are an estimate, read as the larger one,
    with ``True`` for "approximate" ("两三天" is about three days, never 23); 几 is about three;
    俩 / 仨 are 2 / 3."""
    s = text.strip().replace("俩", "两").replace("仨", "三")
    if s == "几":
        return 3.0, True
    if len(s) == 2 and s[0] in CN_DIGITS and s[1] in CN_DIGITS:
        a, b = CN_DIGITS[s[0]], CN_DIGITS[s[1]]
        if 1 <= a and (b == a + 1 or (a, b) in ((3, 5), (3, 2))):
            return float(max(a, b)), True
    v = to_number(s)
    return (v, False) if v is not None else None
