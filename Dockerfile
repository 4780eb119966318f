# niolb in a container, for users: the distribution archive on a JRE 25. Building it needs a registry that serves
# eclipse-temurin (Docker Hub or a mirror), so it is not part of the tests here (no registry is reachable):
#
#   mvn -B -DskipTests -pl lb-cli -am package           # lb-cli/target/niolb-VERSION.tar.gz
#   docker build -t niolb .
#   docker run --rm -p 8080:8080 -v "$PWD/niolb.yaml:/etc/niolb/niolb.yaml:ro" niolb
#   docker run --rm -p 8080:8080 niolb run --listen 0.0.0.0:8080 --server 10.0.0.1:80 --server 10.0.0.2:80
#
# Single stage: a multi-stage build would need a Maven image from a registry too. BASE lets a mirror or a locally
# built JRE 25 image stand in for eclipse-temurin:25-jre (it needs bash, and java on JAVA_HOME or PATH).
ARG BASE=eclipse-temurin:25-jre
FROM ${BASE}

# bin/ lib/ conf/ systemd/ README.md docs/; ADD unpacks the archive (the one niolb-*.tar.gz that package built)
ADD lb-cli/target/niolb-*.tar.gz /opt/
RUN mv /opt/niolb-* /opt/niolb \
    && mkdir -p /etc/niolb \
    && cp /opt/niolb/conf/niolb.yaml /etc/niolb/niolb.yaml

# Not root. A numeric user needs no passwd entry; Docker 20.10+ lets it bind ports below 1024 in the container's
# own network namespace.
USER 10001:10001

# bin/niolb's JVM defaults: -Xmx512m, -XX:MaxDirectMemorySize=512m, ZGC, exit on OutOfMemoryError. Size them to the
# container's memory limit with JAVA_OPTS (docker run -e JAVA_OPTS="-Xmx256m -XX:MaxDirectMemorySize=256m").
ENV NIOLB_HEALTH_PORT=8080

# The example config's TCP listener: publish the ports your config listens on (TCP and UDP).
EXPOSE 8080

# Healthy while niolb accepts on NIOLB_HEALTH_PORT (one of its TCP listeners): a connect from bash, no JVM started.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${NIOLB_HEALTH_PORT}"]

# docker stop sends SIGTERM: niolb stops accepting and lets sessions finish for the config's grace (30s by
# default) before it closes them; give docker stop that long: docker stop -t 35.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/niolb/bin/niolb"]
CMD ["run", "--config", "/etc/niolb/niolb.yaml"]
