"""``/v1/reports``: eval and training run folders, their metrics and files."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from faceswap_rest.reports import REPORT_CSP, Reports, media_type


async def list_reports(request: Request) -> Response:
    reports: Reports = request.app.state.reports
    return JSONResponse(await asyncio.to_thread(reports.list))


async def report_metrics(request: Request) -> Response:
    reports: Reports = request.app.state.reports
    return JSONResponse(await asyncio.to_thread(reports.metrics, request.path_params["run"]))


async def report_file(request: Request) -> Response:
    reports: Reports = request.app.state.reports
    path = await asyncio.to_thread(
        reports.file, request.path_params["run"], request.path_params["path"]
    )
    return FileResponse(
        path,
        media_type=media_type(path),
        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"},
    )


ROUTES = [
    Route("/v1/reports", list_reports, methods=["GET"]),
    Route("/v1/reports/{run}", report_metrics, methods=["GET"]),
    Route("/v1/reports/{run}/files/{path:path}", report_file, methods=["GET"]),
]
