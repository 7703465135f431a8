"""The OpenAPI 3.1 description of every route.

The request fields of the routes that run an operation (``POST /v1/swap``,
``POST /v1/jobs/video``, the ``/v1/stream`` query) are generated from the
operations' specs (:mod:`faceswap_core.operations.openapi`): names, types,
enums, ranges, defaults and descriptions are the ones the request parser
checks. What no spec says stays written here, next to the routes: the
routes themselves, binary responses, each route's error codes, the response
schemas and the WebSocket protocol. ``openapi_document(routes)`` checks that
the table and the app's routes agree, so a route added without a description
fails the first request for ``/openapi.json`` (and the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Route, WebSocketRoute

from faceswap_core.io.encode import OUTPUT_FORMATS
from faceswap_core.operations.openapi import properties, query_parameters, request_body
from faceswap_core.operations.swap import SWAP
from faceswap_core.operations.video import STREAM, VIDEO
from faceswap_core.version import __version__

IMAGE_TYPES = {
    fmt.mime: {"schema": {"type": "string", "format": "binary"}} for fmt in OUTPUT_FORMATS.values()
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


UNAUTHORIZED = _error("Bearer token missing or wrong (only when the server has a token)")
OVERLOADED = {
    **_error(
        "Busy (every slot taken and the wait queue full, or no slot within queue_timeout_s), "
        "still loading models, or past request_timeout_s"
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds"}},
}
SLOW_BODY = _error(
    "The body arrived too slowly (body_timeout_s, min_body_rate); the connection is closed"
)
CLIENT_GONE = _error(
    "The client closed the connection before its body was complete (nobody reads this "
    "answer; it is what the access log and the metrics record)"
)
UPLOAD_ERRORS = {"408": SLOW_BODY, "499": CLIENT_GONE}
"""What any route with an uploaded body may also answer."""
BOUNDS = {
    "414": _error("URL path or query string over its length bound (4096 bytes)"),
    "431": _error("More than 64 headers, or one over 8192 bytes"),
}
"""What every route may answer before it runs (limits.RequestBounds)."""
NOT_FOUND = _error("No such resource")
INVALID = _error("Invalid parameter, unknown field, or no face in the source")


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "version"],
        "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
    },
    "Ready": {
        "type": "object",
        "required": ["status", "pid", "model", "pipelines", "load_seconds"],
        "properties": {
            "status": {"const": "ready"},
            "pid": {"type": "integer", "description": "The worker process that answered"},
            "model": {"type": "string"},
            "pipelines": {
                "type": "object",
                "required": ["swap", "stream", "video"],
                "properties": {
                    k: {"type": "integer", "minimum": 0} for k in ("swap", "stream", "video")
                },
            },
            "load_seconds": {"type": ["number", "null"]},
        },
    },
    "Plugin": {
        "type": "object",
        "required": ["name", "version", "entry_point", "hooks", "components"],
        "properties": {
            "name": {"type": "string"},
            "version": {"type": ["string", "null"]},
            "entry_point": {"type": ["string", "null"]},
            "hooks": {"type": "array", "items": {"type": "string"}},
            "components": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
            "error": {"type": "string"},
        },
    },
    "Model": {
        "type": "object",
        "required": ["name", "kind", "file", "status", "verified"],
        "properties": {
            "name": {"type": "string"},
            "kind": {"type": "string"},
            "file": {"type": "string"},
            "size": {"type": ["integer", "null"]},
            "sha256": {"type": ["string", "null"]},
            "license": {"type": "string"},
            "status": {"enum": ["present", "embedded", "missing", "corrupt"]},
            "verified": {"type": "boolean"},
            "detail": {"type": ["string", "null"]},
        },
    },
    "Source": {
        "type": "object",
        "required": ["source_id", "face", "cache_size"],
        "properties": {
            "source_id": {"type": "string", "pattern": "^src_"},
            "face": {
                "type": "object",
                "required": ["bbox", "score"],
                "properties": {
                    "bbox": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 4,
                        "maxItems": 4,
                    },
                    "score": {"type": "number"},
                },
            },
            "cache_size": {"type": "integer", "minimum": 1},
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "status", "created", "progress", "options"],
        "properties": {
            "id": {"type": "string", "pattern": "^job_"},
            "status": {"enum": ["queued", "running", "done", "failed", "cancelled"]},
            "created": {"type": "number"},
            "started": {"type": ["number", "null"]},
            "finished": {"type": ["number", "null"]},
            "frames_done": {"type": "integer", "minimum": 0},
            "frames_total": {"type": ["integer", "null"]},
            "progress": {
                "type": "object",
                "required": ["frames", "total", "fraction"],
                "properties": {
                    "frames": {"type": "integer"},
                    "total": {"type": ["integer", "null"]},
                    "fraction": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                },
            },
            "options": {"type": "object"},
            "output": {"type": ["string", "null"]},
            "report": {
                "type": ["object", "null"],
                "description": "faceswap video --json's summary once done",
            },
            "error": {
                "type": ["object", "null"],
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            },
            "owner_pid": {"type": ["integer", "null"]},
        },
    },
    "JobChange": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {"id": {"type": "string"}, "status": {"enum": ["cancelling", "deleted"]}},
    },
    "Run": {
        "type": "object",
        "required": ["name", "kind", "modified", "report"],
        "properties": {
            "name": {"type": "string"},
            "kind": {"enum": ["eval", "train"]},
            "modified": {"type": "number"},
            "report": {"type": "boolean", "description": "Whether report.html exists"},
        },
    },
    "RunMetrics": {
        "type": "object",
        "required": ["metrics"],
        "properties": {"metrics": {"type": "object"}},
        "description": "An eval run's metrics.json; a training run's last and best values",
    },
}

OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("/healthz", "get"): {
        "summary": "Liveness: the process answers (never needs a token)",
        "security": [],
        "responses": {"200": _json("Alive", _ref("Health"))},
    },
    ("/readyz", "get"): {
        "summary": "Readiness: every pipeline's models are loaded",
        "responses": {
            "200": _json("Ready", _ref("Ready")),
            "401": UNAUTHORIZED,
            "503": OVERLOADED,
        },
    },
    ("/openapi.json", "get"): {
        "summary": "This document",
        "responses": {"200": _json("OpenAPI 3.1", {"type": "object"}), "401": UNAUTHORIZED},
    },
    ("/metrics", "get"): {
        "summary": "Prometheus metrics (text exposition format)",
        "responses": {
            "200": {
                "description": "Metrics",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "401": UNAUTHORIZED,
        },
    },
    ("/v1/plugins", "get"): {
        "summary": "Installed plugins, as `faceswap plugins` prints them",
        "parameters": [
            {
                "name": "all",
                "in": "query",
                "schema": {"type": "boolean"},
                "description": "Include faceswap-core's built-ins (--all)",
            }
        ],
        "responses": {
            "200": _json("Plugins", {"type": "array", "items": _ref("Plugin")}),
            "401": UNAUTHORIZED,
        },
    },
    ("/v1/models", "get"): {
        "summary": "The model store, as `faceswap models list --json` prints it",
        "responses": {
            "200": _json("Models", {"type": "array", "items": _ref("Model")}),
            "401": UNAUTHORIZED,
        },
    },
    ("/v1/swap", "post"): {
        "summary": "Swap the source identity into the target's faces",
        "description": "Multipart: `target` plus `source` (or `source_id`). Returns the image "
        "with provenance metadata when a face was swapped; `X-Faces-Found`, `X-Faces-Swapped` "
        "and `Server-Timing` (ms per stage) report what happened.",
        "requestBody": request_body(SWAP),
        "responses": {
            "200": {
                "description": "The swapped image (the target unchanged when it has no face)",
                "headers": {
                    "X-Faces-Found": {"schema": {"type": "integer"}},
                    "X-Faces-Swapped": {"schema": {"type": "integer"}},
                    "Server-Timing": {
                        "schema": {"type": "string"},
                        "description": "decode, detect, ..., encode, total (ms)",
                    },
                },
                "content": IMAGE_TYPES,
            },
            "400": _error("Undecodable image or malformed request"),
            "401": UNAUTHORIZED,
            "404": _error("Unknown source_id"),
            "413": _error("Body over max_body_bytes or image over max_pixels"),
            "415": _error("An image format the server does not accept"),
            "422": INVALID,
            "503": OVERLOADED,
            **UPLOAD_ERRORS,
        },
    },
    ("/v1/sources", "post"): {
        "summary": "Register a source face once; swap with its source_id afterwards",
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["source"],
                        "properties": {"source": properties(SWAP)["source"]},
                    }
                }
            },
        },
        "responses": {
            "201": _json("Registered", _ref("Source")),
            "400": _error("Undecodable image"),
            "401": UNAUTHORIZED,
            "413": _error("Body or image over its limit"),
            "415": _error("Unsupported image format"),
            "422": INVALID,
            "503": OVERLOADED,
            **UPLOAD_ERRORS,
        },
    },
    ("/v1/sources/{source_id}", "delete"): {
        "summary": "Forget a registered source",
        "parameters": [_path_param("source_id", "From POST /v1/sources")],
        "responses": {"204": {"description": "Deleted"}, "401": UNAUTHORIZED, "404": NOT_FOUND},
    },
    ("/v1/jobs/video", "post"): {
        "summary": "Start a video job (the `faceswap video` code path) in the background",
        "requestBody": request_body(VIDEO),
        "responses": {
            "202": {
                **_json("Queued; poll the Location", _ref("Job")),
                "headers": {"Location": {"schema": {"type": "string"}}},
            },
            "400": _error("Not a video, undecodable source image, malformed request"),
            "401": UNAUTHORIZED,
            "404": _error("Unknown source_id"),
            "413": _error("Over max_video_bytes, max_video_seconds or max_pixels"),
            "415": _error("Unsupported source image format"),
            "422": INVALID,
            "503": OVERLOADED,
            "507": _error("No space left in jobs_dir; nothing of the job is kept"),
            **UPLOAD_ERRORS,
        },
    },
    ("/v1/jobs/{job_id}", "get"): {
        "summary": "A job's status and progress (its report once done)",
        "parameters": [_path_param("job_id", "From POST /v1/jobs/video")],
        "responses": {"200": _json("The job", _ref("Job")), "401": UNAUTHORIZED, "404": NOT_FOUND},
    },
    ("/v1/jobs/{job_id}", "delete"): {
        "summary": "Cancel a queued or running job, or delete a finished one and its files",
        "parameters": [_path_param("job_id", "From POST /v1/jobs/video")],
        "responses": {
            "200": _json("Deleted", _ref("JobChange")),
            "202": _json("Cancelling; the job ends at its next frame", _ref("JobChange")),
            "401": UNAUTHORIZED,
            "404": NOT_FOUND,
        },
    },
    ("/v1/jobs/{job_id}/result", "get"): {
        "summary": "Stream the finished video",
        "parameters": [_path_param("job_id", "From POST /v1/jobs/video")],
        "responses": {
            "200": {
                "description": "The video file",
                "content": {"video/*": {"schema": {"type": "string", "format": "binary"}}},
            },
            "401": UNAUTHORIZED,
            "404": NOT_FOUND,
            "409": _error("The job is not done"),
        },
    },
    ("/v1/stream", "get"): {
        "summary": "WebSocket: binary JPEG/PNG frames in, swapped frames out, in order",
        "description": "Upgrade to a WebSocket. Send each frame as one binary message. For "
        "every frame swapped the server sends a text message (JSON header: `type: frame`, "
        "`seq`, `index`, `faces`, `swapped`, `dropped` since the last result, `dropped_total`, "
        "`timings_ms`) then the encoded frame as a binary message. While a frame is being "
        "swapped only the newest waiting frame is kept; the others are dropped and counted. "
        "A frame that fails gets a header with `type: error` and no image. A message over "
        "max_ws_frame_bytes closes the socket with code 1009.",
        "parameters": query_parameters(STREAM),
        "responses": {
            "101": {"description": "Switching Protocols (the stream starts)"},
            "401": UNAUTHORIZED,
            "404": _error("Unknown source_id"),
            "422": INVALID,
            "503": OVERLOADED,
        },
    },
    ("/v1/reports", "get"): {
        "summary": "Eval and training run folders under the reports root",
        "responses": {
            "200": _json("Runs", {"type": "array", "items": _ref("Run")}),
            "401": UNAUTHORIZED,
        },
    },
    ("/v1/reports/{run}", "get"): {
        "summary": "A run's metrics.json",
        "parameters": [_path_param("run", "A run folder's name")],
        "responses": {
            "200": _json("Metrics", _ref("RunMetrics")),
            "401": UNAUTHORIZED,
            "404": NOT_FOUND,
        },
    },
    ("/v1/reports/{run}/files/{path}", "get"): {
        "summary": "A file of a run folder (plots, galleries, report.html)",
        "description": "Any path that leaves the run folder (`..`, absolute, a symlink out, "
        "their percent-encoded forms) is 404, like a missing file.",
        "parameters": [
            _path_param("run", "A run folder's name"),
            _path_param("path", "Path inside the run folder"),
        ],
        "responses": {
            "200": {
                "description": "The file",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            },
            "401": UNAUTHORIZED,
            "404": NOT_FOUND,
        },
    },
}
"""(path, method) -> OpenAPI operation; ``/v1/stream`` is the WebSocket upgrade (GET)."""


def route_operations(routes: Sequence[BaseRoute]) -> set[tuple[str, str]]:
    """``(path, method)`` of every route the app serves (the WebSocket as a GET upgrade)."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, Route) and route.include_in_schema:
            path = route.path.replace("{path:path}", "{path}")
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((path, method.lower()))
        elif isinstance(route, WebSocketRoute):
            found.add((route.path, "get"))
    return found


def openapi_document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document; raises when a route has no description or vice versa."""
    served = route_operations(routes)
    described = set(OPERATIONS)
    if served != described:
        raise RuntimeError(
            f"openapi.py and the routes disagree: undescribed {sorted(served - described)}, "
            f"described but not served {sorted(described - served)}"
        )
    paths: dict[str, dict[str, Any]] = {}
    for (path, method), operation in sorted(OPERATIONS.items()):
        operation_id = (
            f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
        )
        responses = {**operation["responses"], **BOUNDS}
        paths.setdefault(path, {})[method] = {
            "operationId": operation_id or method,
            **operation,
            "responses": responses,
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "faceswap",
            "version": __version__,
            "description": "Face swap service (faceswap-rest). Errors are "
            '`{"error": {"code": "...", "message": "..."}}` with the message the CLI prints.',
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


__all__ = ["OPERATIONS", "SCHEMAS", "openapi_document", "route_operations"]
