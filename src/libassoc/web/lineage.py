"""The lineage of organizations as a picture: a lane per organization on a time axis, joined by
the events that founded, renamed, merged and dissolved them.

The rows come from ``queries/app/lineage.rq`` (one organization's) or ``history.rq`` (ALA's
family); this module lays them out, and ``templates/lineage.svg`` draws them. Dates keep the
precision the sources give: a year stays a year, two sources that agree at two precisions give
the finer date, and two that disagree give both, the event drawn at the earlier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from libassoc.namespaces import LA
from libassoc.web.view import href

ENDING = frozenset({str(LA.Merger), str(LA.Dissolution)})
KIND_NAMES = {
    str(LA.Founding): "Founded",
    str(LA.Renaming): "Renamed",
    str(LA.Merger): "Merged",
    str(LA.Dissolution): "Dissolved",
}
# The picture's own units (its viewBox): it scales to the width it is given.
WIDTH, MARGIN, LABEL_ROOM, LANE, AXIS = 960, 24, 18, 54, 40
CHARACTER = 7.2  # the width of a character of a lane's name, about, at the picture's font size
LEAD_IN = 28  # how far before its first event a lane whose founding is unknown is drawn, dashed


@dataclass(frozen=True)
class When:
    """When the sources say something happened: as they say it, and the year it is drawn at."""

    text: str
    year: int
    disputed: bool


def settled(dates: Iterable[str]) -> When | None:
    """The finest of the dates that agree (``1957`` agrees with ``1957-01-01``), all of those
    that disagree."""
    kept: list[str] = []
    for date in sorted(set(dates), key=len, reverse=True):
        if not any(finer.startswith(date) for finer in kept):
            kept.append(date)
    years = [int(date[:4]) for date in kept if date[:4].isdigit()]
    if not years:
        return None
    return When(" or ".join(sorted(kept)), min(years), len(kept) > 1)


@dataclass
class Lane:
    iri: str
    name: str
    founded: When | None = None
    start: int = 0
    end: int | None = None  # the year it merged into another or was dissolved; None: goes on
    row: int = 0

    @property
    def href(self) -> str:
        return href(self.iri)


@dataclass
class Mark:
    iri: str
    kind: str
    when: When
    originals: tuple[str, ...]
    results: tuple[str, ...]
    name_before: str = ""
    name_after: str = ""

    @property
    def href(self) -> str:
        return href(self.iri)

    @property
    def verb(self) -> str:
        return KIND_NAMES.get(self.kind, "Changed")


@dataclass
class Lineage:
    lanes: list[Lane]
    marks: list[Mark]
    first: int
    last: int
    ticks: list[int] = field(default_factory=list)

    def x(self, year: float) -> float:
        span = max(self.last - self.first, 1)
        return round(MARGIN + (year - self.first) / span * (WIDTH - 2 * MARGIN), 1)

    def y(self, iri: str) -> float:
        return AXIS + LABEL_ROOM + self.by_iri[iri].row * LANE

    @property
    def lead_in(self) -> float:
        return LEAD_IN

    def label(self, lane: Lane) -> tuple[float, str]:
        """Where a lane's name goes, and its anchor: after its start, or ending at the right
        edge when it would run past it (a lane that starts late)."""
        start = self.x(lane.start)
        if start + CHARACTER * len(lane.name) <= WIDTH - MARGIN:
            return start, "start"
        return WIDTH - MARGIN, "end"

    @property
    def by_iri(self) -> dict[str, Lane]:
        return {lane.iri: lane for lane in self.lanes}

    @property
    def height(self) -> int:
        return AXIS + len(self.lanes) * LANE + MARGIN

    @property
    def width(self) -> int:
        return WIDTH


def _value(term: object) -> str:
    return str(getattr(term, "value", "")) if term is not None else ""


def lineage(rows: Iterable[ox.QuerySolution], now: int) -> Lineage | None:
    """The lanes and events of ``rows``; None when no event connects anything."""
    names: dict[str, str] = {}
    founded: dict[str, set[str]] = defaultdict(set)
    events: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        organization = _value(row["organization"])
        names[organization] = _value(row["name"])
        if row["founded"] is not None:
            founded[organization].add(_value(row["founded"]))
        event = _value(row["event"])
        if not event:
            continue
        facts = events[event]
        facts["kind"].add(_value(row["kind"]))
        facts[_value(row["role"])].add(organization)
        for name in ("date", "nameBefore", "nameAfter"):
            if row[name] is not None:
                facts[name].add(_value(row[name]))
    marks = []
    for iri, facts in sorted(events.items()):
        when = settled(facts["date"])
        if when is None:
            continue  # an event with no date cannot be placed on the axis
        marks.append(
            Mark(
                iri,
                min(facts["kind"]),
                when,
                tuple(sorted(facts["original"], key=lambda o: names.get(o, o))),
                tuple(sorted(facts["resulting"], key=lambda o: names.get(o, o))),
                min(facts["nameBefore"], default=""),
                min(facts["nameAfter"], default=""),
            )
        )
    if not marks and not founded:
        return None
    in_events = {o for m in marks for o in (*m.originals, *m.results)}
    # An organization with no date at all has no place on the axis.
    lanes = [
        Lane(iri, name, settled(founded[iri]))
        for iri, name in names.items()
        if iri in in_events or founded[iri]
    ]
    for lane in lanes:
        years = [m.when.year for m in marks if lane.iri in (*m.originals, *m.results)]
        starts = [lane.founded.year] if lane.founded else []
        lane.start = min(starts or years or [now])
        endings = [
            m.when.year
            for m in marks
            if m.kind in ENDING and lane.iri in m.originals and lane.iri not in m.results
        ]
        lane.end = min(endings, default=None)
    lanes.sort(key=lambda lane: (lane.start, lane.name.lower()))
    for index, lane in enumerate(lanes):
        lane.row = index
    first = min([lane.start for lane in lanes] + [m.when.year for m in marks])
    first -= first % 10
    last = max(now, *(m.when.year for m in marks))
    step = 10 if last - first <= 80 else 25
    ticks = list(range(first, last + 1, step))
    return Lineage(lanes, sorted(marks, key=lambda m: (m.when.year, m.iri)), first, last, ticks)


def sentence(picture: Lineage, mark: Mark) -> str:
    """What ``mark`` says, in words: the event's title in the picture and its line in the list."""
    lanes = picture.by_iri

    def named(iris: Iterable[str]) -> str:
        return ", ".join(lanes[i].name if i in lanes else i for i in iris)

    when = mark.when.text + (" (the sources disagree)" if mark.when.disputed else "")
    if mark.kind == str(LA.Renaming) and mark.name_before:
        return f"{mark.verb} {when}: {mark.name_before} became {mark.name_after}"
    if mark.kind == str(LA.Founding):
        return f"{mark.verb} {when}: {named(mark.results)}"
    if mark.kind == str(LA.Dissolution):
        return f"{mark.verb} {when}: {named(mark.originals)}, continued in {named(mark.results)}"
    return f"{mark.verb} {when}: {named(mark.originals)} into {named(mark.results)}"
