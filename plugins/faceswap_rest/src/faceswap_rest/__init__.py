"""faceswap-rest: the REST service (starlette + uvicorn) and ``faceswap serve``.

``create_app(settings)`` (in :mod:`faceswap_rest.app`) builds the ASGI app;
:mod:`faceswap_rest.config` holds its settings and limits.
"""
