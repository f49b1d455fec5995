# syntax=docker/dockerfile:1
# The cxqueues image: `cxqueues run` as a Kubernetes workload (see deploy/README.md).
#
# Build stage: the same `cargo build` as CI, from the locked dependency graph.
# libgit2's https and ssh transports link OpenSSL (libssh2 has no rustls backend), so the
# build needs its headers and the runtime image ships libssl3; the tenant adapters, GitHub and
# webhook delivery use rustls.
FROM rust:1.89-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p runner \
    && install -D -m 0755 target/release/cxqueues /out/cxqueues

# Runtime: distroless "cc" (glibc, libgcc, libssl3, CA roots and the time-zone database that
# change windows need), as the image's non-root user (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/cxqueues /usr/local/bin/cxqueues
# The state directory: the clone of --git-url, the audit log and the webhook outbox.
WORKDIR /var/lib/cxqueues
VOLUME ["/var/lib/cxqueues"]
USER 65532:65532
EXPOSE 9464
ENV CXQUEUES_STATE_DIR=/var/lib/cxqueues
ENTRYPOINT ["cxqueues"]
# The chart passes `run --git-url … --listen 0.0.0.0:9464 …`; alone, the image prints its usage.
CMD ["--help"]
