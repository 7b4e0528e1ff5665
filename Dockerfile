# One image for every platform service (topics, schemas, db, worker, sinks, gateway, router, MQTT
# bridge, province sync); docker-compose.yml picks the `ioc` sub-command per service.
#
# The image installs the platform's wheel, built from the source in a first stage: what the wheel
# holds is what pyproject.toml declares (packages and their data: schemas, migrations, config/),
# with no hand-kept copy list to fall behind. tests/integration/test_installed.py builds the same
# wheel, installs it in a fresh virtualenv outside the checkout, and starts every command compose runs.
FROM python:3.11-slim AS wheel

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# .dockerignore keeps .venv, .git, .env and the local stack out of the build context.
COPY . .
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TZ=UTC

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin ioc \
    && mkdir -p /home/ioc/.stack/ingest /home/ioc/.stack/routing \
    && chown -R ioc:ioc /home/ioc/.stack
COPY --from=wheel /dist /dist
RUN pip install /dist/*.whl && rm -rf /dist

# Relative state folders (.stack/...) land in the service user's own home.
USER ioc
WORKDIR /home/ioc

ENTRYPOINT ["ioc"]
CMD ["--help"]
