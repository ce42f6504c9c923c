"""A refused write's SHACL report, as JSON or Turtle by ``Accept`` (422 Unprocessable Content)."""

from __future__ import annotations

import json
from dataclasses import asdict

from fastapi.responses import Response

from libassoc.engine.conneg import negotiate
from libassoc.validation import ValidationOutcome, format_report

JSON = "application/json"
TURTLE = "text/turtle"


def report_response(outcome: ValidationOutcome, accept: str | None) -> Response:
    """422 with the report; JSON unless the client prefers Turtle."""
    headers = {"Vary": "Accept"}
    if negotiate(accept, [JSON, TURTLE]) == TURTLE:
        body = outcome.report.serialize(format="turtle").encode()
        return Response(body, 422, media_type=TURTLE + "; charset=utf-8", headers=headers)
    document = {
        "message": "The write was refused: the data would not conform to the shapes. "
        "Nothing was changed.",
        "conforms": outcome.conforms,
        "results": [asdict(v) for v in outcome.violations],
        "text": format_report(outcome),
    }
    return Response(json.dumps(document, indent=2).encode(), 422, media_type=JSON, headers=headers)
