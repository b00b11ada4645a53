# hookline in a container: `docker build -t hookline .`, then
# `docker run -p 3001:3001 -v hookline-data:/var/lib/hookline/data hookline`.
# SQLite under the volume by default; set HOOKLINE_DATABASE_URL for PostgreSQL.
FROM python:3.11-slim

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY receiver ./receiver
# The receiver kit too, for `hookline listen`.
RUN pip install --no-cache-dir . ./receiver && rm -rf /src

# A user of its own: the database holds signing keys. Its data directory exists before the
# volume is mounted, so that a new volume takes its owner.
RUN useradd --system --home-dir /var/lib/hookline --shell /usr/sbin/nologin hookline \
    && mkdir -p /var/lib/hookline/data \
    && chown -R hookline:hookline /var/lib/hookline \
    && chmod 0700 /var/lib/hookline/data
USER hookline
# The defaults (./data/hookline.db, ./data/messages.jsonl) land in the volume.
WORKDIR /var/lib/hookline
VOLUME /var/lib/hookline/data

EXPOSE 3001
CMD ["hookline", "serve", "--host", "0.0.0.0"]
