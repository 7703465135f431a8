"""Every request parameter has a length bound, and no answer carries a server path or a secret.

Parameters: the URL path and query (414), headers (431), form text fields and
query parameters (422), upload file names (422), path parameters (404 with the
value cut short). The sweep at the end drives error paths of every kind on an
app with a token and private folders, and looks for those strings in every
response and job record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketDenialResponse

from faceswap_rest.limits import MAX_HEADER_BYTES, MAX_HEADERS, MAX_PATH_BYTES, MAX_QUERY_BYTES
from faceswap_rest.media import MAX_FIELD_CHARS
from faceswap_rest.redact import MAX_MESSAGE_CHARS, Redactor

from .test_contract import swap_files
from .test_jobs import submit, wait_for

SECRET = "s3cret-token-for-the-sweep"
AUTH = {"Authorization": f"Bearer {SECRET}"}


def test_the_url_and_headers_are_bounded(client) -> None:
    too_long = client.get("/v1/reports/" + "x" * MAX_PATH_BYTES)
    assert (too_long.status_code, too_long.json()["error"]["code"]) == (414, "uri_too_long")
    query = client.get("/v1/plugins", params={"all": "1" * MAX_QUERY_BYTES})
    assert (query.status_code, query.json()["error"]["code"]) == (414, "uri_too_long")
    many = {f"x-h{i}": "1" for i in range(MAX_HEADERS + 1)}
    crowded = client.get("/healthz", headers=many)
    assert (crowded.status_code, crowded.json()["error"]["code"]) == (431, "headers_too_large")
    long = client.get("/healthz", headers={"x-long": "y" * (MAX_HEADER_BYTES + 1)})
    assert long.status_code == 431
    assert "'x-long' is 8193 bytes" in long.json()["error"]["message"]
    assert client.get("/healthz", headers={"x-long": "y" * MAX_HEADER_BYTES}).status_code == 200


def test_form_fields_and_file_names_are_bounded(client, faces) -> None:
    long_value = client.post(
        "/v1/swap", files=swap_files(faces, target="small"), data={"model": "m" * 300}
    )
    assert long_value.status_code == 422
    assert "field 'model' is 300 characters long, over the limit of 256" in long_value.text
    assert "m" * 100 not in long_value.text
    just_fits = client.post(
        "/v1/swap", files=swap_files(faces, target="small"), data={"faces": "a" * MAX_FIELD_CHARS}
    )
    assert just_fits.status_code == 422  # an unknown selection, told with its value
    assert "faces: expected one of all, largest, reference" in just_fits.text
    odd_name = client.post(
        "/v1/swap", files=swap_files(faces, target="small"), data={"q" * 3000: "1"}
    )
    assert odd_name.status_code == 422
    assert len(odd_name.json()["error"]["message"]) < 300
    files = swap_files(faces, target="small")
    files["target"] = ("t" * 300 + ".jpg", faces["small"])
    named = client.post("/v1/swap", files=files)
    assert named.status_code == 422
    assert "file name of part 'target' is 304 characters long" in named.text


def test_ids_in_paths_and_fields_are_echoed_short(client, faces) -> None:
    long_id = "src_" + "z" * 3000
    unknown = client.post(
        "/v1/swap", files={"target": ("t.jpg", faces["small"])}, data={"source_id": "z" * 250}
    )
    assert unknown.status_code == 404
    assert len(unknown.json()["error"]["message"]) < 400
    deleted = client.delete(f"/v1/sources/{long_id}")
    assert deleted.status_code == 404
    assert len(deleted.json()["error"]["message"]) < 200
    job = client.get("/v1/jobs/" + "j" * 3000)
    assert job.status_code == 404
    assert len(job.json()["error"]["message"]) < 200


def test_stream_query_parameters_are_bounded(client) -> None:
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        client.websocket_connect("/v1/stream?source_id=" + "s" * 300),
    ):
        pass
    assert refused.value.status_code == 422
    assert "over the limit of 256" in json.loads(refused.value.content)["error"]["message"]


def test_no_answer_or_job_record_carries_a_server_path_or_the_token(
    make_client, faces, clip, tmp_path
) -> None:
    client = make_client(token=SECRET, headers=AUTH, max_jobs=1)
    client.headers.update(AUTH)
    service = client.app.state.service
    private = [str(tmp_path), str(Path(service.jobs.root).resolve()), str(Path.home()), SECRET]
    (tmp_path / "work_dirs" / "run-a").mkdir(parents=True)
    (tmp_path / "work_dirs" / "run-a" / "metrics.json").write_text("{broken")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000)
    responses = [
        client.get("/readyz"),
        client.get("/v1/models"),
        client.get("/v1/reports"),
        client.get("/v1/reports/run-a"),
        client.get("/v1/reports/run-a/files/metrics.json"),
        client.get("/v1/reports/" + "r" * 3000),
        client.get("/v1/jobs/job_AAAAAAAAAAAAAAAA"),
        client.get("/nowhere/" + "n" * 500),
        client.post("/v1/swap", files=swap_files(faces, target="noface"), data={"format": "x"}),
        client.post(
            "/v1/swap",
            files={"target": ("t.jpg", b"\xff\xd8 not a jpeg"), "source": ("s", faces["source"])},
        ),
        submit(client, garbage, faces),
        client.get("/healthz", headers={"Authorization": "Bearer wrong"}),
    ]
    late = submit(client, clip, faces, start="50")
    record = wait_for(client, late.json()["id"], ("failed", "done"))
    job_file = Path(service.jobs.root) / late.json()["id"] / "job.json"
    texts = [response.text for response in responses]
    texts += [json.dumps(record), job_file.read_text(), client.get("/metrics").text]
    for text in texts:
        for value in private:
            assert value not in text, (value, text[:300])
    assert [r.status_code for r in responses] == [
        200, 200, 200, 404, 200, 404, 404, 404, 422, 400, 400, 200,
    ]  # fmt: skip
    assert all(len(r.text) < 2 * MAX_MESSAGE_CHARS for r in responses[2:])


@settings(max_examples=200, deadline=None)
@given(
    root=st.lists(st.from_regex(r"[a-z0-9_.-]{1,12}", fullmatch=True), min_size=1, max_size=4),
    inner=st.lists(st.from_regex(r"[A-Za-z0-9_. -]{1,12}", fullmatch=True), max_size=4),
    before=st.sampled_from(["", "cannot read ", "error: '", 'x "', "(", "at: "]),
    after=st.sampled_from(["", "'", '"', ": gone", ")", "; retry"]),
)
def test_the_redactor_leaves_no_known_folder_in_any_message(root, inner, before, after) -> None:
    parts = [part for part in root if part not in (".", "..")] or ["srv"]
    folder = "/" + "/".join(parts)
    redact = Redactor({folder: "<jobs_dir>"}, private=[])
    path = "/".join([folder, *inner])
    text = redact(f"{before}{path}{after}")
    assert re.search(re.escape(folder) + r"(?=/|[^\w.@+~-]|$)", text) is None, text
    assert text.startswith(before + "<jobs_dir>")


def test_the_redactor_keeps_routes_and_names_and_cuts_long_messages() -> None:
    redact = Redactor(
        {"/srv/faceswap/jobs": "<jobs_dir>"}, ["a-secret-token"], ["/srv/faceswap/jobs"]
    )
    assert redact("no route GET /v1/jobs/x; see /openapi.json") == (
        "no route GET /v1/jobs/x; see /openapi.json"
    )
    assert redact("cannot decode video '/srv/faceswap/jobs/job_abc/input.mp4': bad") == (
        "cannot decode video 'input.mp4': bad"
    )
    assert redact("model file missing: /opt/models/inswapper_128.onnx.") == (
        "model file missing: inswapper_128.onnx."
    )
    assert redact("token a-secret-token was wrong") == "token *** was wrong"
    assert redact("/srv/faceswap/jobs2/x") == "x"  # not the jobs folder: just its name
    cut = redact("y" * 5000)
    assert len(cut) == MAX_MESSAGE_CHARS
    assert cut.endswith("…")
