FROM python:3.13-slim-bookworm

COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH" \
    MALLOC_MMAP_THRESHOLD_=67108864 \
    MALLOC_TRIM_THRESHOLD_=268435456

RUN useradd --create-home --uid 1000 reformatters
WORKDIR /app

COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project

COPY datasets ./datasets
COPY steps ./steps
COPY pipelines ./pipelines
COPY README.md ./
RUN uv sync --locked --no-dev && chown -R reformatters /app

USER 1000
ENTRYPOINT ["main"]
