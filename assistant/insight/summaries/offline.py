"""The offline minutes engine: no model, no network, bounded time on long transcripts.

transcript lines → speakers recognised → sentences cleaned → cue grammars (decisions, action
items through the rule engine, open questions) → the learned layer, when on, keeps the grammar
items its sentence model trusts and adds the ones it is sure they missed (``learned.py``) → topics (lexical segmentation, a headline and a
few central lines each) → a short summary within a length budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assistant.insight.summaries.cues import read_cues
from assistant.insight.summaries.learned import MinutesModel, default_model, refine
from assistant.insight.summaries.model import MeetingContext, MinutesDraft, TranscriptLine
from assistant.insight.summaries.ranking import (
    SentenceRanker,
    compose_summary,
    segment_topics,
)
from assistant.insight.summaries.speakers import recognise_speakers, with_participants
from assistant.insight.summaries.spoken import split_transcript, written_words
from assistant.ports import Embedder

__all__ = ["OfflineMinutesEngine"]


class OfflineMinutesEngine:
    """Extractive summary and topics plus cue grammars; the default engine."""

    name = "offline"

    def __init__(
        self,
        *,
        embedder: Embedder | None = None,
        summary_chars: int = 200,
        learned: bool | MinutesModel = False,
    ) -> None:
        """``learned``: ``True`` uses the shipped sentence model, ``False`` the grammars alone
        (what the grammar tests pin down), or a model of one's own. The application turns it
        on through ``Settings.summaries.learned_minutes``."""
        self._embedder = embedder
        self._summary_chars = summary_chars
        self._model = default_model() if learned is True else (learned or None)

    def minutes(self, lines: Sequence[TranscriptLine], context: MeetingContext) -> MinutesDraft:
        context = replace(context, members=with_participants(context.members, lines))
        speakers = recognise_speakers(lines, context.members)
        sentences = split_transcript(lines)
        sentences = [replace(s, speaker=speakers.by_line[s.line]) for s in sentences]
        decisions, actions, questions = read_cues(sentences, lines, speakers, context)
        if self._model is not None:
            decisions, actions, questions = refine(
                model=self._model,
                sentences=sentences,
                lines=lines,
                context=context,
                decisions=decisions,
                actions=actions,
                questions=questions,
            )
        # The summary and topics are written text: ranked and quoted in their written form.
        forms = [written_words(s.text) for s in sentences]
        prose = [replace(s, text=text) for s, (text, _) in zip(sentences, forms, strict=True)]
        ranker = SentenceRanker(prose, embedder=self._embedder, words=[words for _, words in forms])
        topics = segment_topics(ranker)
        summary = compose_summary(ranker, topics, budget=self._summary_chars, paragraph=True)
        return MinutesDraft(
            summary=summary,
            topics=topics,
            decisions=decisions,
            action_items=actions,
            open_questions=questions,
            engine=self.name,
        )
