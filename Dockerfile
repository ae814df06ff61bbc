# Vigie in a container: the one `vigie` binary on a slim Debian.
#
#   docker build -t vigie .
#   docker run --rm vigie --help
#
# The production stack (PostgreSQL, Redis, NATS JetStream, S3-compatible
# storage, the HTTP service and several scorer workers) is deploy/compose.yaml;
# docs/deployment.md walks through it. Nothing in the test suite needs Docker.

# --- build: the toolchain pinned by rust-toolchain.toml ---------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
# The cache mounts keep the crate registry and the compiled dependencies
# between builds, so a source change recompiles only Vigie's crates.
COPY Cargo.toml Cargo.lock rust-toolchain.toml ./
COPY crates crates
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p vigie-cli \
 && cp target/release/vigie /usr/local/bin/vigie

# --- run: the binary, CA certificates (S3 over TLS), an unprivileged user ---
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/vigie --create-home vigie
COPY --from=build /usr/local/bin/vigie /usr/local/bin/vigie
USER vigie
WORKDIR /var/lib/vigie
# The data directory (embedded mode: SQLite, files, the token key if none is
# given). In production the token key comes from VIGIE_TOKEN_KEY_FILE.
ENV VIGIE_HOME=/var/lib/vigie
VOLUME ["/var/lib/vigie"]
EXPOSE 8080 9464
ENTRYPOINT ["vigie"]
CMD ["--help"]
