# The one image every Argo step runs: `main` from this checkout, its dependencies exactly as uv.lock pins them.
#   docker build -t ghcr.io/reformatters/reformatters:$(uv version --short) .
# The tag is the project's version (pyproject.toml); `uv run main render-argo` writes the same reference into argo/.
FROM python:3.13-slim-bookworm

COPY --from=ghcr.io/astral-sh/uv:0.9 /uv /usr/local/bin/uv

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PATH="/app/.venv/bin:$PATH" \
    MALLOC_MMAP_THRESHOLD_=67108864 \
    MALLOC_TRIM_THRESHOLD_=268435456

RUN useradd --no-create-home --uid 1000 --user-group reformatters
WORKDIR /app

# Dependencies first (a layer that changes only with uv.lock), then the project itself.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project

COPY README.md ./
COPY datasets ./datasets
COPY steps ./steps
COPY pipelines ./pipelines
RUN uv sync --locked --no-dev

# Owned by root and only read at run time: pods run as UID 1000 on a read-only root filesystem.
USER 1000:1000
ENTRYPOINT ["main"]
