# One image for every platform service (topics, schemas, db, worker, sinks); docker-compose.yml
# picks the `ioc` sub-command per service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TZ=UTC

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin ioc

# Only what the package needs: the build context also holds .venv, .git and .env, which must
# never reach the image. `README*` may match nothing; pyproject.toml keeps the COPY valid.
WORKDIR /src
COPY pyproject.toml README* ./
COPY ioc/ ioc/
COPY streams/ streams/
COPY topics/ topics/
COPY sinks/ sinks/
COPY warehouse/ warehouse/
COPY load_tests/ load_tests/
COPY avro_schemas/ avro_schemas/
RUN pip install . && rm -rf /src

# Relative state folders (.stack/...) land in the service user's own home.
USER ioc
WORKDIR /home/ioc

ENTRYPOINT ["ioc"]
CMD ["--help"]
