"""Bearer auth on every route but /healthz (and the page), CORS off by default, the JSON
access log and the Prometheus metrics."""

from __future__ import annotations

import json
import logging

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse

from faceswap_rest.auth import PUBLIC_PATHS
from faceswap_rest.observability import ACCESS_LOGGER
from faceswap_rest.openapi import OPERATIONS

from .test_contract import swap_files

TOKEN = "s3cret-token"
GOOD = {"Authorization": f"Bearer {TOKEN}"}


def _example_path(template: str) -> str:
    return (
        template.replace("{source_id}", "src_x").replace("{job_id}", "job_x")
        .replace("{run}", "r").replace("{path}", "p")
    )  # fmt: skip


@pytest.fixture
def locked(make_client) -> TestClient:
    return make_client(token=TOKEN, headers=GOOD, cors_origins=["https://app.example"])


def test_every_route_but_healthz_needs_the_token(locked) -> None:
    checked = 0
    for (template, method), _ in OPERATIONS.items():
        path = _example_path(template)
        if template == "/v1/stream":
            continue  # a WebSocket: below
        for headers, reason in (({}, "missing"), ({"Authorization": "Bearer nope"}, "wrong"),
                                ({"Authorization": f"Basic {TOKEN}"}, "not bearer")):  # fmt: skip
            response = locked.request(method.upper(), path, headers=headers)
            if template == "/healthz":
                assert response.status_code == 200
                continue
            assert response.status_code == 401, (method, path, reason)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
            checked += 1
    assert checked == 3 * (len(OPERATIONS) - 2)
    assert locked.get("/readyz", headers=GOOD).status_code == 200
    assert locked.get("/openapi.json", headers=GOOD).status_code == 200
    assert locked.get("/", headers={}).status_code == 200  # the page holds no data
    assert {"/healthz", "/"} <= PUBLIC_PATHS


def test_the_stream_needs_the_token_before_the_socket_opens(locked) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as denied,
        locked.websocket_connect("/v1/stream?source_id=src_x"),
    ):
        pass
    assert denied.value.status_code == 401
    assert json.loads(denied.value.content)["error"]["code"] == "unauthorized"


def test_a_good_token_swaps(locked, faces) -> None:
    response = locked.post("/v1/swap", files=swap_files(faces, target="small"), headers=GOOD)
    assert response.status_code == 200


def test_cors_is_off_by_default_and_on_for_configured_origins(client, locked) -> None:
    origin = {"Origin": "https://app.example"}
    assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
    allowed = locked.get("/healthz", headers=origin)
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    preflight = locked.options(
        "/v1/swap",
        headers={**origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]
    other = locked.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_access_log_is_one_json_line_per_request(client, faces, caplog) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    response = client.post(
        "/v1/swap", files=swap_files(faces, target="small"), headers={"X-Request-ID": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    client.get("/v1/jobs/job_AAAAAAAAAAAAAAAA")
    weird = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == ACCESS_LOGGER]
    swap, job, health = records[-3:]
    assert swap["request_id"] == "abc-123"
    assert (swap["method"], swap["route"], swap["status"]) == ("POST", "/v1/swap", 200)
    assert swap["faces"] == 1
    assert swap["faces_swapped"] == 1
    assert swap["duration_ms"] > 0
    assert (job["route"], job["status"]) == ("/v1/jobs/{job_id}", 404)  # the template, not the id
    assert health["request_id"] == weird.headers["x-request-id"] != "bad id with spaces"
    assert len(health["request_id"]) == 32


def test_metrics_count_requests_latency_inflight_and_jobs(client, faces) -> None:
    client.post("/v1/swap", files=swap_files(faces, target="small"))
    text = client.get("/metrics").text
    assert text.startswith("# HELP")
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
             for line in text.splitlines() if line and not line.startswith("#")}  # fmt: skip
    assert lines['faceswap_http_requests_total{method="POST",route="/v1/swap",status="200"}'] >= 1
    count = 'faceswap_http_request_duration_seconds_count{method="POST",route="/v1/swap"}'
    assert lines[count] >= 1
    assert (
        'faceswap_http_request_duration_seconds_bucket{le="0.5",method="POST",route="/v1/swap"}'
        in lines
    )
    assert lines["faceswap_swaps_in_flight"] == 0
    assert lines["faceswap_faces_swapped_total"] >= 1
    assert {'faceswap_jobs{status="done"}', 'faceswap_jobs{status="running"}'} <= set(lines)
