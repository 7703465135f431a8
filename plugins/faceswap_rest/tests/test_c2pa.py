"""The service signs what it returns when its pipeline has a C2PA signer, and refuses to
start with a signer that cannot sign.

Responses are read back with the SDK's own ``c2pa.Reader`` (not faceswap's reader);
the test CA and signer come from ``cryptography`` via faceswap's test key helper.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import attrs
import c2pa
import pytest
from PIL import Image as PILImage
from starlette.testclient import TestClient

from faceswap_core.config.schema import C2paConfig
from faceswap_core.errors import SignerError
from faceswap_core.io.credentials.keygen import write_test_chain
from faceswap_rest.app import create_app
from faceswap_rest.config import Settings

from .conftest import decoded_frames, settings_for, wait_ready
from .test_jobs import wait_for


def signed_settings(tmp: Path, cert: Path, key: Path, **serve: Any) -> Settings:
    settings = settings_for(tmp, **serve)
    return attrs.evolve(
        settings,
        pipeline=attrs.evolve(settings.pipeline, c2pa=C2paConfig(str(cert), str(key))),
    )


def test_swap_responses_are_signed(tmp_path: Path, faces: dict[str, bytes]) -> None:
    keys = write_test_chain(tmp_path / "keys", "es256")
    with TestClient(create_app(signed_settings(tmp_path, keys["cert"], keys["key"]))) as client:
        wait_ready(client)
        files = {"source": ("s.png", faces["source"]), "target": ("t.jpg", faces["target"])}
        response = client.post("/v1/swap", files=files, data={"format": "jpg"})
    assert response.status_code == 200, response.text
    context = c2pa.Context.from_dict(
        {"trust": {"trust_anchors": keys["ca"].read_text()}, "verify": {"ocsp_fetch": False}}
    )
    with context, c2pa.Reader("image/jpeg", io.BytesIO(response.content), context=context) as r:
        store = json.loads(r.json())
    assert store["validation_state"] == "Trusted"
    manifest = store["manifests"][store["active_manifest"]]
    hashes = {i["relationship"]: i["metadata"]["faceswap.sha256"] for i in manifest["ingredients"]}
    assert hashes == {
        "parentOf": hashlib.sha256(faces["target"]).hexdigest(),
        "componentOf": hashlib.sha256(faces["source"]).hexdigest(),
    }
    assert (
        PILImage.open(io.BytesIO(response.content)).size
        == PILImage.open(io.BytesIO(faces["target"])).size
    )


def test_a_signer_that_cannot_sign_stops_the_service_before_it_starts(tmp_path: Path) -> None:
    keys = write_test_chain(tmp_path / "a", "es256")
    other = write_test_chain(tmp_path / "b", "es256")
    with pytest.raises(SignerError, match="does not match") as caught:
        create_app(signed_settings(tmp_path, keys["cert"], other["key"]))
    assert caught.value.exit_code == 5


def test_video_job_results_are_signed_and_still_play(
    tmp_path: Path, faces: dict[str, bytes], clip: Path
) -> None:
    keys = write_test_chain(tmp_path / "keys", "es256")
    settings = signed_settings(tmp_path, keys["cert"], keys["key"], max_jobs=1)
    with TestClient(create_app(settings)) as client:
        wait_ready(client)
        with open(clip, "rb") as video:
            submitted = client.post(
                "/v1/jobs/video",
                files={"target": ("in.mp4", video), "source": ("s.png", faces["source"])},
            )
        assert submitted.status_code == 202, submitted.text
        done = wait_for(client, submitted.json()["id"], ("done", "failed"))
        assert done["status"] == "done", done
        result = client.get(f"/v1/jobs/{done['id']}/result")
    assert result.headers["content-type"] == "video/mp4"
    context = c2pa.Context.from_dict(
        {"trust": {"trust_anchors": keys["ca"].read_text()}, "verify": {"ocsp_fetch": False}}
    )
    with context, c2pa.Reader("video/mp4", io.BytesIO(result.content), context=context) as r:
        store = json.loads(r.json())
    assert store["validation_state"] == "Trusted"
    manifest = store["manifests"][store["active_manifest"]]
    hashes = {i["relationship"]: i["metadata"]["faceswap.sha256"] for i in manifest["ingredients"]}
    assert hashes == {
        "parentOf": hashlib.sha256(clip.read_bytes()).hexdigest(),
        "componentOf": hashlib.sha256(faces["source"]).hexdigest(),
    }
    assert len(decoded_frames(result.content)) == 12  # the signed file still decodes
    assert str(tmp_path) not in json.dumps(store)  # no server path in what a client reads
