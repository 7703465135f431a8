"""``WS /v1/stream``: the ``stream`` operation on frames sent over a WebSocket."""

from __future__ import annotations

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState

from faceswap_core.errors import FaceswapError
from faceswap_rest.forms import service_of
from faceswap_rest.responses import respond_error
from faceswap_rest.streaming import StreamOptions, serve_stream


async def stream(websocket: WebSocket) -> None:
    service = service_of(websocket)
    try:
        service.require_ready()
        options = StreamOptions.parse(dict(websocket.query_params))
        await serve_stream(websocket, service, options)
    except FaceswapError as exc:
        if websocket.application_state == WebSocketState.CONNECTING:
            await respond_error(websocket.scope, websocket.receive, websocket.send, exc)
        else:
            raise


ROUTES = [WebSocketRoute("/v1/stream", stream)]
