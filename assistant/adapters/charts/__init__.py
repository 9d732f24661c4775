"""Charts rendered to PNG for the chat and the dashboard (matplotlib, a CJK font)."""

from assistant.adapters.charts.fonts import CjkFont, FontMissing, find_cjk_font, has_glyphs
from assistant.adapters.charts.matplotlib_charts import CHART_NAMES, MatplotlibChartRenderer

__all__ = [
    "CHART_NAMES",
    "CjkFont",
    "FontMissing",
    "MatplotlibChartRenderer",
    "find_cjk_font",
    "has_glyphs",
]
