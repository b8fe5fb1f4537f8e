# syntax=docker/dockerfile:1
# gatehouse in a container: the release binary on distroless (glibc, no shell), as a non-root
# user, serving /data/gatehouse.db on port 7420.
#
#   docker build -t gatehouse --build-arg GATEHOUSE_COMMIT=$(git rev-parse --short=12 HEAD) .
#   docker volume create gatehouse-data
#   # once: create the store and its owner (serve never creates a store)
#   docker run --rm -v gatehouse-data:/data gatehouse init --db /data/gatehouse.db --admin admin
#   docker run --rm -v gatehouse-data:/data gatehouse keys create admin --db /data/gatehouse.db
#   docker run -d --name gatehouse -p 127.0.0.1:7420:7420 -v gatehouse-data:/data gatehouse
#
# TLS: mount the PEM files read-only and add the flags, e.g. `-v /etc/gatehouse/tls:/tls:ro …
# gatehouse serve --listen 0.0.0.0:7420 --db /data/gatehouse.db --tls-cert /tls/cert.pem
# --tls-key /tls/key.pem`; `docker kill --signal HUP gatehouse` reloads them.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# `--version` names the commit: there is no .git in the build context (.dockerignore).
ARG GATEHOUSE_COMMIT=unknown
ENV GATEHOUSE_COMMIT=${GATEHOUSE_COMMIT}
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY assets ./assets
# Cargo.toml declares the benchmarks: their sources must exist to read the manifest.
COPY benches ./benches
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin gatehouse \
    && install -D -m 0755 target/release/gatehouse /out/gatehouse \
    && install -d -m 0700 /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/gatehouse /usr/local/bin/gatehouse
# The store's directory, owned by the image's non-root user (65532): a new volume copies it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 7420
ENTRYPOINT ["/usr/local/bin/gatehouse"]
CMD ["serve", "--listen", "0.0.0.0:7420", "--db", "/data/gatehouse.db"]
