# tipbot: build the wheel's environment in one stage, run it from a slim stage as a non-root user.
#   docker build -t tipbot .          podman build --format docker -t tipbot .
# (--format docker keeps HEALTHCHECK under podman/buildah; plain Dockerfile syntax, no BuildKit.)

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
# A venv without pip: only tipbot and its runtime dependencies (textstat pulls in setuptools) end up in /opt/venv.
RUN python -m venv --without-pip /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tipbot ./tipbot
COPY tips ./tips
# Builds the wheel (hatchling; tips/ is force-included as tipbot/bank) and installs it non-editable.
RUN pip --python /opt/venv/bin/python install --no-cache-dir . \
 && cd / && /opt/venv/bin/python -c "import tipbot.content.loader as l; print('bundled bank:', l.bundled_bank_dir())"

FROM python:3.11-slim
LABEL org.opencontainers.image.title="tipbot" \
      org.opencontainers.image.description="Telegram bot: one evidence-cited tip a day about magnesium and bone health"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TIPBOT_DATA_DIR=/data \
    TIPBOT_HEALTH_PORT=8080
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin tipbot \
 && mkdir /data && chown tipbot:tipbot /data
COPY --from=build /opt/venv /opt/venv
USER tipbot
WORKDIR /home/tipbot
# SQLite database (when TIPBOT_DATABASE_URL is unset): /data/tipbot.sqlite3
VOLUME /data
# 8080: /healthz and /metrics in polling mode; 8443: webhook (+ /healthz, /metrics) when TIPBOT_WEBHOOK_URL is set
EXPOSE 8080 8443
# stdlib only (no curl in slim). Webhook mode (TIPBOT_WEBHOOK_URL set, role "updates") serves /healthz on
# TIPBOT_PORT, otherwise on TIPBOT_HEALTH_PORT. Any non-200 answer (503 = DB down or sweep stalled) fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request as u; e = os.environ.get; hook = e('TIPBOT_WEBHOOK_URL') and 'updates' in e('TIPBOT_ROLES', 'updates'); port = e('TIPBOT_PORT', '8443') if hook else e('TIPBOT_HEALTH_PORT', '8080'); u.urlopen('http://127.0.0.1:%s/healthz' % port, timeout=4)"]
# tipbot handles SIGTERM itself (stops polling, finishes in-flight sends, exits 0), so no init is needed.
ENTRYPOINT ["tipbot"]
CMD ["run"]
