"""``/health``, the process answers; ``/ready``, it can serve: for probes, each a few microseconds.

Neither touches the store. The service is put in place only once the store is open, its data
validated and the query workers started; it is ready once the indexes built in the background
are complete too: the pages' index of the documents (``hash_subjects``) and the search index.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

NO_STORE = {"cache-control": "no-store"}
READY_RETRY_SECONDS = 5

router = APIRouter()


async def health(_request: Request) -> Response:
    return PlainTextResponse("ok\n", headers=NO_STORE)


async def ready(request: Request) -> Response:
    service = getattr(request.app.state, "service", None)
    if service is None or not service.hashed.ready or not service.searchable.ready:
        return PlainTextResponse(
            "not ready: the store is not open, the query workers have not started, or the pages' "
            "index of the documents or the search index is still being built\n",
            status_code=503,
            headers={**NO_STORE, "retry-after": str(READY_RETRY_SECONDS)},
        )
    return PlainTextResponse("ready\n", headers=NO_STORE)


# Plain Starlette routes: nothing to parse, so FastAPI's request machinery would be pure cost.
router.add_route("/health", health, methods=["GET", "HEAD"], name="health")
router.add_route("/ready", ready, methods=["GET", "HEAD"], name="ready")
