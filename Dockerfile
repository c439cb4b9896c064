# The same service as `make run`: Python 3.11, torch pinned to 2.13.0, model prepared at build time.
FROM python:3.11-slim

# Plain PyPI gives the CUDA build of torch (several GB). Point this at a PyTorch CPU wheel index
# (docker build --build-arg TORCH_INDEX_URL=...) for the CPU-only build that replykit needs.
ARG TORCH_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    REPLYKIT_HOST=0.0.0.0 \
    REPLYKIT_PORT=8000 \
    REPLYKIT_DATA_DIR=/data \
    REPLYKIT_MODEL_CACHE_DIR=/models

RUN useradd --create-home --uid 1000 replykit
WORKDIR /app
COPY pyproject.toml README.md ./
COPY suggest ./suggest
COPY kb ./kb
COPY training ./training
COPY api ./api
COPY eval ./eval

RUN pip install --no-cache-dir ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} torch==2.13.0 \
 && pip install --no-cache-dir . \
 && mkdir -p /data /models \
 && replykit models prepare \
 && chown -R replykit:replykit /data /models

USER replykit
EXPOSE 8000
# Healthy means ready: a model that failed to load makes the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"
CMD ["replykit", "serve"]
