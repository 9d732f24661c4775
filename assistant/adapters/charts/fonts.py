"""Finding a CJK font for the charts. Setup installs Noto Sans CJK Regular from PyPI
(``noto-cjk-sans-otc``, SIL Open Font Licence 1.1: the same file Debian's ``fonts-noto-cjk``
ships, at a fifth of its size); a system CJK font is the fallback, and
``QUNMI_REPORTS__FONT`` names another font file. A font that lacks Chinese glyphs is refused: a chart with tofu boxes is worse than an
error that says what to install."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import QunmiError

__all__ = ["CjkFont", "FontMissing", "find_cjk_font", "has_glyphs"]

# Families tried in order; Simplified Chinese forms first.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
)
PROBE = "周报完成率逾期风险甘特燃尽"

_lock = threading.Lock()
_found: dict[str, CjkFont] = {}


class FontMissing(QunmiError):
    """No font with Chinese glyphs is installed (setup installs ``fonts-noto-cjk``)."""

    code = "font_missing"


@dataclass(frozen=True, slots=True)
class CjkFont:
    path: Path
    family: str
    index: int = 0  # the face inside a .ttc collection


def has_glyphs(path: Path, text: str = PROBE, index: int = 0) -> bool:
    """Whether the font file (face ``index``) maps every character of ``text`` to a glyph."""
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(str(path), face_index=index)
    except (OSError, RuntimeError, TypeError):
        try:
            font = FT2Font(str(path))
        except (OSError, RuntimeError):
            return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in text)


def find_cjk_font(override: Path | None = None) -> CjkFont:
    """The CJK font the charts use, registered with matplotlib (found once per process)."""
    key = str(override or "")
    with _lock:
        if key in _found:
            return _found[key]
        font = _locate(override if override is not None else _packaged())
        _found[key] = font
        return font


def _packaged() -> Path | None:
    """The font file of the ``noto-cjk-sans-otc`` package, when installed."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


def _locate(override: Path | None) -> CjkFont:
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if override is not None:
        if not override.is_file():
            raise FontMissing(f"找不到字体文件 {override}（QUNMI_REPORTS__FONT）")
        before = {(e.fname, e.name, getattr(e, "index", 0)) for e in manager.ttflist}
        manager.addfont(str(override))
        added = [
            e
            for e in manager.ttflist
            if e.fname == str(override) and (e.fname, e.name, getattr(e, "index", 0)) not in before
        ] or [e for e in manager.ttflist if e.fname == str(override)]
        for family in PREFERRED_FAMILIES:
            for entry in added:
                if entry.name == family:
                    return _checked(entry.fname, entry.name, getattr(entry, "index", 0))
        for entry in added:
            if has_glyphs(Path(entry.fname), index=getattr(entry, "index", 0)):
                return _checked(entry.fname, entry.name, getattr(entry, "index", 0))
        raise FontMissing(f"字体 {override} 不含中文字形，图表会显示方框")
    entries = list(manager.ttflist)
    if not any(e.name in PREFERRED_FAMILIES for e in entries):
        # Fonts installed after matplotlib built its cache: look on disk once.
        for fname in font_manager.findSystemFonts():
            if "cjk" in fname.lower() or "han" in fname.lower() or "wqy" in fname.lower():
                try:
                    manager.addfont(fname)
                except (OSError, RuntimeError, ValueError):
                    continue
        entries = list(manager.ttflist)
    for family in PREFERRED_FAMILIES:
        for entry in entries:
            if entry.name == family and has_glyphs(
                Path(entry.fname), index=getattr(entry, "index", 0)
            ):
                return _checked(entry.fname, entry.name, getattr(entry, "index", 0))
    raise FontMissing(
        "没有找到中文字体，图表无法正确显示中文：请安装 noto-cjk-sans-otc（make setup 会安装）"
        "或系统的 fonts-noto-cjk，"
        "或用 QUNMI_REPORTS__FONT 指定一个中文字体文件"
    )


def _checked(fname: str, family: str, index: int) -> CjkFont:
    return CjkFont(path=Path(fname), family=family, index=index)
