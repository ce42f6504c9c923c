"""HTTP content negotiation as a pure function: an ``Accept`` header and what the server offers.

RFC 9110 §12.5.1: the most specific matching media range gives a type its quality, a quality of
0 refuses it, and among equal qualities the server's own order of preference decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    """One element of an ``Accept`` header: ``type/subtype`` (either may be ``*``) and ``q``."""

    type: str
    subtype: str
    quality: float

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)

    @property
    def specificity(self) -> int:
        """2 for ``a/b``, 1 for ``a/*``, 0 for ``*/*``: a more specific range overrides."""
        return (self.type != "*") + (self.subtype != "*")


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0  # an unreadable weight expresses no acceptance
    return 1.0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of ``header``; a missing or blank header accepts anything."""
    if header is None or not header.strip():
        return [MediaRange("*", "*", 1.0)]
    ranges: list[MediaRange] = []
    for element in header.split(","):
        media, *params = element.split(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not slash or not kind or not sub:
            continue  # a malformed element is ignored rather than failing the whole header
        ranges.append(MediaRange(kind, sub, _quality(params)))
    return ranges


def quality_of(media_type: str, ranges: Sequence[MediaRange]) -> float:
    """How much the client wants ``media_type``: the weight of the most specific matching range."""
    matching = [r for r in ranges if r.matches(media_type.lower())]
    if not matching:
        return 0.0
    return max(matching, key=lambda r: (r.specificity, r.quality)).quality


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client wants most, or None when it accepts none of them.

    ``offered`` is in the server's order of preference, which breaks ties.
    """
    ranges = parse_accept(accept)
    best: str | None = None
    best_quality = 0.0
    for media_type in offered:
        quality = quality_of(media_type, ranges)
        if quality > best_quality:
            best, best_quality = media_type, quality
    return best
