"""Character normalization that keeps offsets: every input character maps to exactly one
output character, so a span found in the normalized text is the same span in the input."""

from __future__ import annotations

__all__ = ["normalize"]

# Traditional → simplified for the characters that occur in time expressions. One to one.
_TRAD = (
    "後后點点週周禮礼個个號号鐘钟時时這这現现當当兩两節节慶庆國国聖圣誕诞勞劳動动兒儿"
    "婦妇萬万從从來来於于晝昼裏里內内與与間间開开會会議议頭头曆历農农陽阳陰阴軍军"
    "幾几際际後后貳贰參叁陸陆鐘钟晚晚歲岁氣气計计劃划紀纪念念鬥斗曉晓聽听尋寻"
    "樣样還还遲迟週周準准備备飯饭誤误進进過过離离麼么嗎吗們们"
    # Festival names (復活節, 贖罪日, 開齋節...).
    "贖赎歸归權权費费復复穌稣難难體体齋斋爾尔燈灯樹树靈灵臨临獻献誦诵經经轉转歡欢"
    "設设餅饼猶犹圖图獨独闆板門门灑洒紅红麗丽豐丰勝胜衛卫薩萨寶宝瀆渎"
)
_TABLE: dict[int, int] = {}
for _i in range(0, len(_TRAD) - 1, 2):
    _TABLE[ord(_TRAD[_i])] = ord(_TRAD[_i + 1])
# Full-width ASCII (！ .. ～) → ASCII, ideographic space → space.
for _cp in range(0xFF01, 0xFF5F):
    _TABLE[_cp] = _cp - 0xFEE0
_TABLE[0x3000] = 0x20
# Other dashes and the Chinese colon used between hour and minute.
for _ch in "－—–〜～":
    _TABLE[ord(_ch)] = ord("-") if _ch in "－—–" else ord("~")
_TABLE[ord("：")] = ord(":")
_TABLE[ord("〇")] = ord("零")


def normalize(text: str) -> str:
    """Return ``text`` with full-width forms, traditional characters and lookalike
    punctuation mapped to one canonical character each; the length is unchanged."""
    return text.translate(_TABLE)
