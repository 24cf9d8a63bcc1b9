# syntax=docker/dockerfile:1
# Multi-stage build of Airlock, plus a Postfix image wired to its milter
# (used by docker-compose.yml). No Docker engine runs on the development
# machine: the compose wiring is checked by internal/deploy's tests.
#
#   docker build --target airlock -t airlock .
#   docker build --target postfix -t airlock-postfix .

# --- build: one static binary ------------------------------------------------
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/airlock ./cmd/airlock

# --- airlock: every role of the one binary ------------------------------------
FROM debian:trixie-slim AS airlock
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/airlock --shell /usr/sbin/nologin airlock \
 && install -d -o airlock -g airlock -m 0700 /var/lib/airlock \
 && install -d -m 0755 /etc/airlock
COPY --from=build /out/airlock /usr/local/bin/airlock
COPY configs/compose.yaml /etc/airlock/airlock.yaml
USER airlock
VOLUME /var/lib/airlock
# milter, proxy, sandboxd API, web, ops (/metrics /healthz /readyz)
EXPOSE 7357 2525 8025 8080 9357
ENTRYPOINT ["/usr/local/bin/airlock"]
CMD ["all", "--config", "/etc/airlock/airlock.yaml"]

# --- postfix: the MTA in front, calling the milter ----------------------------
FROM debian:trixie-slim AS postfix
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Port 25: the public smtpd, every message through the Airlock milter; the
# milter answers within milter_content_timeout because it sends progress
# while waiting for a verdict. tempfail when the milter is away: senders
# retry, nothing passes unscanned.
# Port 10026: where Airlock re-injects released mail: no milter, reachable
# only from the compose network.
RUN postconf -e \
      'maillog_file = /dev/stdout' \
      'inet_interfaces = all' \
      'myhostname = mx.example.org' \
      'mydestination =' \
      'relay_domains = example.org' \
      'mynetworks = 127.0.0.0/8 [::1]/128' \
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination' \
      'smtpd_milters = inet:milter:7357' \
      'non_smtpd_milters =' \
      'milter_protocol = 6' \
      'milter_default_action = tempfail' \
      'milter_connect_timeout = 10s' \
      'milter_command_timeout = 60s' \
      'milter_content_timeout = 300s' \
 && printf '%s\n' \
      '10026 inet n - n - - smtpd' \
      '  -o syslog_name=postfix/reinject' \
      '  -o smtpd_milters=' \
      '  -o mynetworks=172.16.0.0/12,192.168.0.0/16,10.0.0.0/8' \
      '  -o smtpd_relay_restrictions=permit_mynetworks,reject' \
      >> /etc/postfix/master.cf
EXPOSE 25 10026
# RELAYHOST (compose environment) is where accepted mail for example.org
# goes next, e.g. [mail.example.org]:25.
CMD ["sh", "-c", "postconf -e \"relayhost = ${RELAYHOST}\" && exec postfix start-fg"]
