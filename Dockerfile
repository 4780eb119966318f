# niolb in a container: the files of the .deb (niolb with its own jlink'd Java runtime, so the base needs no Java)
# on a Debian base, run as a user that is not root.
#
#   mvn -B -DskipTests -pl lb-cli -am package           # lb-cli/target/niolb_VERSION_ARCH.deb
#   docker build -t niolb .
#   docker run --rm -m 512m -p 8080:8080 -v "$PWD/conf:/etc/niolb:ro" niolb      # conf/niolb.yaml
#   docker run --rm -p 8080:8080 niolb run --listen 0.0.0.0:8080 --server 10.0.0.1:80 --server 10.0.0.2:80
#   docker kill -s HUP CONTAINER                          # re-reads /etc/niolb/niolb.yaml (as systemctl reload)
#
# BASE: any Debian or Ubuntu image with bash and the C library the runtime was linked against (the .deb's own
# Depends: libc6 >= 2.17). The tests build it from a base made locally with debootstrap (.ci/debian-images), since
# no registry is reachable there (lb-cli ContainerImageIT).
ARG BASE=debian:bookworm-slim

# The package unpacked, not installed: the image gets its files, not its maintainer scripts or the .deb itself.
FROM ${BASE} AS package
COPY lb-cli/target/niolb_*.deb /tmp/
RUN dpkg-deb -x /tmp/niolb_*.deb /pkg

FROM ${BASE}
COPY --from=package /pkg/opt/niolb /opt/niolb
COPY --from=package /pkg/etc/niolb /etc/niolb
RUN ln -s /opt/niolb/bin/niolb /usr/bin/niolb

# Not root. A numeric user needs no passwd entry; Docker 20.10+ lets it bind ports below 1024 in the container's
# own network namespace.
USER 10001:10001

# The heap is a share of the container's memory limit (of the host's memory without one), not bin/niolb's fixed
# -Xmx512m: with MaxRAMPercentage the launcher leaves out its fixed heap and direct memory sizes, and the JVM's
# default for direct memory (niolb's relay buffers) is the heap's maximum: 40 % + 40 %, and a fifth of the limit
# for the rest of the JVM (code, metaspace, thread stacks). MinRAMPercentage too: despite its name it is the share
# the JVM takes instead under a small limit (about 250 MB and below; 48 % of 256 MB). A JAVA_OPTS of your own
# replaces this one.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=40 -XX:MinRAMPercentage=40"

# The example config's TCP listener and admin API: publish the ports your config listens on (TCP and UDP).
EXPOSE 8080 9900

# Healthy while GET /ready on the admin API answers 200: every listener is bound and every group has a server
# taking sessions (503 otherwise). An HTTP/1.0 request from bash: no curl in the image, no JVM started per check.
# NIOLB_ADMIN_PORT is the port of the config's admin address (127.0.0.1:9900 in the example); with admin: none
# there is nothing to ask, so the container stays unhealthy.
ENV NIOLB_ADMIN_PORT=9900
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${NIOLB_ADMIN_PORT} && printf 'GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ code _ <&3 && [ \"$code\" = 200 ]"]

# docker stop sends SIGTERM: niolb stops accepting and lets sessions finish for the config's grace (30s by
# default) before it closes them; give docker stop that long and a margin: docker stop -t 35.
# SIGHUP (docker kill -s HUP) re-reads the config file; one that does not validate is refused and the running
# one stays.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/niolb/bin/niolb"]
CMD ["run", "--config", "/etc/niolb/niolb.yaml"]
