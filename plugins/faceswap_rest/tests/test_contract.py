"""Every route and every error code on the shared app, each response checked against /openapi.json.

Parity: the REST answers carry the same data and the same messages as the CLI
and the Python API (``faceswap plugins``, ``faceswap models list --json``,
``faceswap.swap``, the ``Error:`` line of ``faceswap swap``).
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from openapi_spec_validator import validate as validate_spec
from PIL import Image as PILImage

import faceswap
from faceswap_core.cli.main import make_cli
from faceswap_core.plugin.manager import FaceswapPlugins

IPTC_COMPOSITE = b"digitalsourcetype/compositeCapture"  # what the classic swapper declares


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` (RGB, 8 bit) and whose data is tiny."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def swap_files(faces, target="target", source="source"):
    return {"source": ("s.png", faces[source]), "target": ("t.jpg", faces[target])}


def test_openapi_is_valid_openapi_31_and_describes_every_route(client, openapi) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    validate_spec(document)  # the OpenAPI 3.1 meta-schema
    paths = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert ("/v1/swap", "post") in paths
    assert ("/v1/stream", "get") in paths
    assert len(paths) == 17


def test_a_route_without_a_description_breaks_the_document() -> None:
    from starlette.responses import Response
    from starlette.routing import Route

    from faceswap_rest.app import routes
    from faceswap_rest.openapi import openapi_document

    extra = Route("/v1/secret", lambda request: Response(), methods=["GET"])
    with pytest.raises(RuntimeError, match=r"undescribed.*v1/secret"):
        openapi_document([*routes(), extra])


def test_health_ready_metrics(client, openapi) -> None:
    health = client.get("/healthz")
    openapi.check(health, "/healthz", "get")
    assert health.json() == {"status": "ok", "version": faceswap.__version__}
    ready = client.get("/readyz")
    openapi.check(ready, "/readyz", "get")
    assert ready.json()["model"] == "classic"
    assert ready.json()["pipelines"] == {"swap": 1, "stream": 1, "video": 1}
    metrics = client.get("/metrics")
    openapi.check(metrics, "/metrics", "get")
    assert 'faceswap_http_requests_total{method="GET",route="/healthz",status="200"}' in (
        metrics.text
    )


def test_plugins_and_models_are_what_the_cli_prints(client, openapi) -> None:
    runner = CliRunner()
    cli = make_cli(FaceswapPlugins(strict=True))
    plugins = client.get("/v1/plugins")
    openapi.check(plugins, "/v1/plugins", "get")
    assert plugins.json() == json.loads(runner.invoke(cli, ["plugins"]).output)
    everything = client.get("/v1/plugins", params={"all": "true"}).json()
    assert everything == json.loads(runner.invoke(cli, ["plugins", "--all"]).output)
    assert "faceswap-rest" in {row["name"] for row in plugins.json()}
    models = client.get("/v1/models")
    openapi.check(models, "/v1/models", "get")
    lines = runner.invoke(cli, ["models", "list", "--json"]).stdout.splitlines()
    *printed, summary = (json.loads(line) for line in lines)  # JSON Lines: models, summary
    assert summary["summary"]["models"] == len(printed)
    assert all(row["path"] for row in printed)  # the CLI names the files; the service never
    # the service's details label its folders (<models>, ~), never print the server's path
    redact = client.app.state.service.redact
    expected = [
        {k: (redact(v) if k == "detail" and v else v) for k, v in row.items() if k != "path"}
        for row in printed
    ]
    assert models.json() == expected
    missing = [row for row in models.json() if row["status"] == "missing"]
    assert missing, "the fresh home has no inswapper_128"
    assert not [word for row in missing for word in row["detail"].split() if word.startswith("/")]


def test_swap_returns_the_python_api_result_with_provenance_and_timing(
    client, openapi, faces
) -> None:
    response = client.post("/v1/swap", files=swap_files(faces), data={"format": "png"})
    openapi.check(response, "/v1/swap", "post")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-faces-found"] == "1"
    assert response.headers["x-faces-swapped"] == "1"
    stages = dict(
        part.strip().split(";dur=") for part in response.headers["server-timing"].split(",")
    )
    assert {"decode", "detect", "swap", "paste", "encode", "total"} <= set(stages)
    assert float(stages["total"]) >= float(stages["swap"]) > 0
    assert IPTC_COMPOSITE in response.content
    got = np.asarray(PILImage.open(io.BytesIO(response.content)).convert("RGB"))
    target = np.asarray(PILImage.open(io.BytesIO(faces["target"])).convert("RGB"))
    expected = faceswap.swap(target, faces["source"])
    assert got.shape == target.shape
    assert np.array_equal(got, expected)  # same pipeline as the Python API, pixel for pixel
    assert np.abs(got.astype(int) - target).max() > 50  # and a face really changed


def test_swap_formats_and_a_target_without_faces(client, openapi, faces) -> None:
    jpg = client.post(
        "/v1/swap", files=swap_files(faces, target="small"), data={"format": "jpg", "quality": "70"}
    )
    openapi.check(jpg, "/v1/swap", "post")
    assert jpg.headers["content-type"] == "image/jpeg"
    assert jpg.content[:3] == b"\xff\xd8\xff"
    webp = client.post("/v1/swap", files=swap_files(faces, target="small"), data={"format": "webp"})
    assert webp.content[8:12] == b"WEBP"
    same = client.post("/v1/swap", files=swap_files(faces, target="noface"))
    openapi.check(same, "/v1/swap", "post")
    assert same.headers["x-faces-found"] == "0"
    assert b"digitalsourcetype" not in same.content  # nothing swapped: not marked at all
    unchanged = np.asarray(PILImage.open(io.BytesIO(same.content)))
    assert np.array_equal(unchanged, np.asarray(PILImage.open(io.BytesIO(faces["noface"]))))


def test_sources_register_swap_delete_and_lru(client, openapi, faces) -> None:
    created = client.post("/v1/sources", files={"source": ("s.png", faces["source"])})
    openapi.check(created, "/v1/sources", "post")
    assert created.status_code == 201
    source_id = created.json()["source_id"]
    by_id = client.post(
        "/v1/swap", files={"target": ("t.jpg", faces["small"])}, data={"source_id": source_id}
    )
    by_file = client.post("/v1/swap", files=swap_files(faces, target="small"))
    assert by_id.status_code == 200
    assert by_id.content == by_file.content
    deleted = client.delete(f"/v1/sources/{source_id}")
    openapi.check(deleted, "/v1/sources/{source_id}", "delete")
    assert deleted.status_code == 204
    gone = client.post(
        "/v1/swap", files={"target": ("t.jpg", faces["small"])}, data={"source_id": source_id}
    )
    openapi.check(gone, "/v1/swap", "post")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "not_found"
    again = client.delete(f"/v1/sources/{source_id}")
    openapi.check(again, "/v1/sources/{source_id}", "delete")
    assert again.status_code == 404
    # The shared app keeps 2 sources: registering a third drops the least recently used.
    ids = [
        client.post("/v1/sources", files={"source": ("s.png", faces["source"])}).json()["source_id"]
        for _ in range(3)
    ]
    assert client.delete(f"/v1/sources/{ids[0]}").status_code == 404
    assert client.delete(f"/v1/sources/{ids[2]}").status_code == 204


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("garbage", 400, "invalid_image"),
        ("gif", 415, "unsupported_media_type"),
        ("huge_png", 413, "image_too_large"),
        ("no_face_source", 422, "no_face"),
        ("bad_threshold", 422, "invalid_parameter"),
        ("unknown_field", 422, "invalid_parameter"),
        ("other_model", 422, "invalid_parameter"),
        ("require_face", 422, "no_face"),
        ("missing_target", 422, "invalid_parameter"),
        ("unknown_source_id", 404, "not_found"),
        ("bad_multipart", 400, "bad_request"),
    ],
)
def test_swap_error_codes(client, openapi, faces, case, status, code) -> None:
    files = swap_files(faces, target="small")
    data: dict[str, str] = {}
    headers: dict[str, str] = {}
    content = None
    if case == "garbage":
        files["target"] = ("t.jpg", b"this is not an image at all" * 10)
    elif case == "gif":
        files["target"] = ("t.gif", faces["gif"])
    elif case == "huge_png":
        files["target"] = ("t.png", png_header_only(100_000, 100_000))
    elif case == "no_face_source":
        files["source"] = ("s.png", faces["noface"])
    elif case == "bad_threshold":
        data = {"faces": "all", "threshold": "5"}
    elif case == "unknown_field":
        data = {"treshold": "0.5"}
    elif case == "other_model":
        data = {"model": "inswapper"}
    elif case == "require_face":
        files["target"] = ("t.png", faces["noface"])
        data = {"require_face": "true"}
    elif case == "missing_target":
        del files["target"]
    elif case == "unknown_source_id":
        del files["source"]
        data = {"source_id": "src_nope"}
    elif case == "bad_multipart":
        files = None
        headers = {"content-type": "multipart/form-data"}  # no boundary: cannot be parsed
        content = b'--xyz\r\nContent-Disposition: form-data; name="target"\r\n\r\nx\r\n--xyz--'
    response = client.post(
        "/v1/swap", files=files, data=data or None, headers=headers, content=content
    )
    openapi.check(response, "/v1/swap", "post")
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert "\n" not in error["message"]
    assert error["message"]


def test_error_messages_are_the_cli_messages(client, faces, tmp_path) -> None:
    """The JSON message is the line the CLI prints after 'Error: ' for the same mistake."""
    source = tmp_path / "source.png"
    source.write_bytes(faces["noface"])
    target = tmp_path / "target.jpg"
    target.write_bytes(faces["small"])
    cli = make_cli(FaceswapPlugins(strict=True))
    runner = CliRunner()
    printed = runner.invoke(
        cli, ["swap", "-s", str(source), "-t", str(target), "-o", str(tmp_path / "o.png")]
    )
    assert printed.exit_code == 4
    answered = client.post(
        "/v1/swap",
        files={"source": ("s.png", faces["noface"]), "target": ("t.jpg", faces["small"])},
    )
    assert printed.stderr.strip() == f"Error: {answered.json()['error']['message']}"
    printed = runner.invoke(
        cli,
        ["swap", "-s", str(source), "-t", str(target), "-o", str(tmp_path / "o.png"),
         "--threshold", "5"],
    )  # fmt: skip
    answered = client.post(
        "/v1/swap", files=swap_files(faces, target="small"), data={"threshold": "5"}
    )
    assert printed.exit_code == 2
    assert printed.stderr.strip() == f"Error: {answered.json()['error']['message']}"


def test_unknown_routes_and_methods_are_json_errors(client) -> None:
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = client.put("/v1/swap")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_the_page_and_its_script_are_served(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js">' in page.text
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert "/v1/swap" in script.text
