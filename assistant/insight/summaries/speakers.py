"""Who is speaking, and to whom: speaker labels ("说话人1") and unlabelled turns recognised as
members, and the person a request is addressed to.

The evidence is what people say: self-introductions ("我是王磊"), a turn that calls someone by
name ("浩子你能帮我造一点吗") answered by the next speaker ("可以啊…"), and the aliases each
member answers to. Labels are matched one to one, strongest evidence first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.engines.rules.people import Roster
from assistant.insight.summaries.model import TranscriptLine

__all__ = ["Speakers", "addressee", "recognise_speakers", "with_participants"]

_REPLY = re.compile(
    r"^[\s,，]*(?:嗯+|好的?|行|可以|没问题|收到|OK|ok|要得|晓得|明白|知道了|对|是的|同意|我来|我这边|我|"
    # An answer to a question put to them ("小谢 你那边有没有…" — "没有 我回头问问").
    r"没有|有的|还没|暂时没|不是|是的|对的)"
)
_SELF_INTRO = re.compile(r"我是(?:[\u4e00-\u9fff]{0,6}的)?([\u4e00-\u9fffA-Za-z]{2,8})")
_YOU_AFTER = re.compile(r"^\s*(?:你们?|您)")
# A turn that puts a question to the one it calls on.
_PUT_TO = re.compile(r"[吗呢？?]\s*$|要不要|怎么办|什么时候|能不能|是不是|还是[^，\s]{1,12}\s*$")


@dataclass(frozen=True, slots=True)
class Speakers:
    """What is known about who said each line: ``by_line[i]`` is the member who spoke line
    ``i`` (display name) or ``None`` when it is not known."""

    by_line: tuple[str | None, ...]
    labels: Mapping[str, str]


def _roster(members: Mapping[str, Sequence[str]]) -> Roster:
    return Roster({k: list(v) for k, v in members.items()}, "")


def addressee(text: str, roster: Roster) -> str | None:
    """The member a stretch of speech calls on ("老赵你…", "晓晓，…", "@小王 …"), if any:
    the last name that is followed by 你 or opens a clause."""
    found: str | None = None
    for m in roster.find(text):
        if not m.known:
            continue
        after = text[m.end :]
        before = text[: m.start]
        opens_clause = not before.strip() or before.rstrip()[-1:] in "，,。 ：:！!？?"
        if _YOU_AFTER.match(after) or m.at or (opens_clause and after[:1] in "，, "):
            found = m.name
    return found


def recognise_speakers(
    lines: Sequence[TranscriptLine], members: Mapping[str, Sequence[str]]
) -> Speakers:
    """Map speaker labels and unlabelled turns to members where the talk gives it away."""
    roster = _roster(members)
    displays = set(members)

    def as_member(label: str | None) -> str | None:
        if label is None:
            return None
        if label in displays:
            return label
        return roster.resolve(label) if roster.is_known(label) else None

    votes: dict[str, Counter[str]] = {}
    for i, line in enumerate(lines):
        label = line.speaker
        if label is None or as_member(label) is not None:
            continue
        tally = votes.setdefault(label, Counter())
        for m in _SELF_INTRO.finditer(line.text):
            name = m.group(1)
            for display in displays:
                if any(n and name.startswith(n) for n in (display, *members[display])):
                    tally[display] += 3
        if i > 0 and lines[i - 1].speaker != label:
            called = addressee(lines[i - 1].text, roster)
            if called is not None and (
                _REPLY.match(line.text) or _PUT_TO.search(lines[i - 1].text)
            ):
                # An acceptance, or the answer to a question put to the one called on
                # ("鹃姐 那冷库二号门那个漏冷的问题呢" — "门封条我找原厂…").
                tally[called] += 2
            elif called is not None:
                tally[called] += 1
        # A speaker is not the person they call by name.
        called_here = addressee(line.text, roster)
        if called_here is not None:
            tally[called_here] -= 2
    direct = {as_member(line.speaker) for line in lines} - {None}
    labels: dict[str, str] = {}
    taken = set(direct)
    pairs = sorted(
        ((count, label, name) for label, tally in votes.items() for name, count in tally.items()),
        reverse=True,
    )
    for count, label, name in pairs:
        if count < 2 or label in labels or name in taken:
            continue
        labels[label] = name
        taken.add(name)
    # By elimination: one label left and one member left who has not spoken under any label,
    # and nothing says the label is not that member (it never called them by name).
    left_labels = [label for label in votes if label not in labels]
    left_names = sorted(displays - taken)
    if len(left_labels) == 1 and len(left_names) == 1 and labels:
        label, name = left_labels[0], left_names[0]
        if votes[label][name] >= 0:
            labels[label] = name
    by_line: list[str | None] = []
    for i, line in enumerate(lines):
        who = as_member(line.speaker) if line.speaker is not None else None
        if who is None and line.speaker is not None:
            who = labels.get(line.speaker)
        if who is None and line.speaker is None and i > 0:
            # An unlabelled turn that answers someone who was just called on is theirs.
            called = addressee(lines[i - 1].text, roster)
            if called is not None and _REPLY.match(line.text):
                who = called
        by_line.append(who)
    return Speakers(tuple(by_line), labels)


# "发言人1", "说话人 2", "Speaker 3", "SPK_1": a recorder's label, not a person's name.
_LABEL = re.compile(
    r"^(?:发言人|说话人|讲话人|参会人|speaker|spk)[\s_\-]*[0-9一二三四五六七八九十]+$", re.I
)
_PERSON = re.compile(r"^[\u4e00-\u9fff]{2,4}$|^[A-Za-z][A-Za-z .'-]{1,30}$")


def with_participants(
    members: Mapping[str, Sequence[str]], lines: Sequence[TranscriptLine]
) -> dict[str, list[str]]:
    """The members plus everyone who speaks under their own name without being one (a guest,
    a colleague not yet in the team): they can be given work in the meeting too. A Chinese
    three-character name also answers to its given name ("张晓雯" → "晓雯")."""
    out = {k: list(v) for k, v in members.items()}
    roster = Roster(out, "")
    for line in lines:
        label = (line.speaker or "").strip()
        if not label or label in out or _LABEL.match(label) or not _PERSON.match(label):
            continue
        if roster.is_known(label):
            continue
        aliases = [label[1:]] if re.fullmatch(r"[\u4e00-\u9fff]{3}", label) else []
        out[label] = aliases
        roster = Roster(out, "")
    return out
