"""HTTP API (FastAPI) and the ``replykit`` command line: the two ways in."""
