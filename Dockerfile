# VoucherBridge API / outbox worker image (docs/production.md).
#   docker build -t voucherbridge .
#   docker run --env-file .env voucherbridge                      # the API on :8000
#   docker run --env-file .env voucherbridge voucherbridge worker # the outbox worker
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONUTF8=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VOUCHERBRIDGE_ENVIRONMENT=production \
    VOUCHERBRIDGE_HOST=0.0.0.0 \
    VOUCHERBRIDGE_PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/vb-metrics \
    FORWARDED_ALLOW_IPS=*

WORKDIR /app

# The pinned versions of requirements.lock, for the runtime dependencies only (the lock also
# pins the test tools, which the image does not need).
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
RUN pip install --constraint requirements.lock . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin voucherbridge

USER voucherbridge
EXPOSE 8000

# Ready = database answers, schema at head, outbox keeping up (GET /readyz, 503 otherwise).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]

STOPSIGNAL SIGTERM
CMD ["voucherbridge", "serve", "--workers", "2"]
