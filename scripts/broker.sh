#!/bin/sh
# A private RabbitMQ node for the broker tests: scripts/broker.sh start|stop|status|ctl <rabbitmqctl args...>
#
# The node listens on 127.0.0.1:${OAUTH2_REST_AMQP_PORT:-5673} only, is named
# ${OAUTH2_REST_BROKER_NODE:-oauth2rest-test@localhost}, and keeps every file (config, mnesia,
# logs, Erlang cookie) under ${OAUTH2_REST_BROKER_DIR:-/tmp/oauth2-rest-broker}. It never touches
# the system node that Debian's postinst may have started (rabbit@<host> on 5672, cookie in
# /var/lib/rabbitmq): we call the scripts in /usr/lib/rabbitmq/bin directly, not the /usr/sbin
# wrappers, because those `su rabbitmq` (whose HOME holds the system cookie) and cd to
# /var/lib/rabbitmq. Our node and our rabbitmqctl share HOME=$dir, hence one private cookie.
#
# A second, independent node (another checkout or build running its tests at the same time) needs
# all three of OAUTH2_REST_AMQP_PORT, OAUTH2_REST_BROKER_NODE and OAUTH2_REST_BROKER_DIR set.
#
# `start` is idempotent (a running node is left alone) and starts from an empty database
# otherwise, so test runs never see queues left over by an earlier run.
#
# TLS (optional, off unless asked for): with OAUTH2_REST_AMQPS_PORT set, or OAUTH2_REST_BROKER_TLS=1
# (then on the AMQP port + 1), the node also listens for amqps on 127.0.0.1 at that port. `start`
# makes a fresh CA and server certificate with openssl in $dir/tls (ca.pem: what clients trust,
# via SSL_CERT_FILE; server.pem / server.key). The server certificate names DNS:localhost only, no
# IP address, so that amqps://localhost verifies and amqps://127.0.0.1 does not. Client
# certificates are not asked for. With neither variable set nothing of this happens. (Like the
# rest of rabbitmq.conf, the TLS lines are written from the environment of each command; the node
# reads the file when it boots only.)
set -eu

port=${OAUTH2_REST_AMQP_PORT:-5673}
dir=${OAUTH2_REST_BROKER_DIR:-/tmp/oauth2-rest-broker}
node=${OAUTH2_REST_BROKER_NODE:-oauth2rest-test@localhost}
# Erlang distribution: fixed, derived from the AMQP port, so two checkouts with different ports
# do not clash (RabbitMQ's own default is the same rule: AMQP port + 20000).
dist_port=${OAUTH2_REST_BROKER_DIST_PORT:-$((port + 20000))}
bin=${OAUTH2_REST_RABBITMQ_BIN:-/usr/lib/rabbitmq/bin}
timeout=${OAUTH2_REST_BROKER_TIMEOUT:-60}
amqps_port=${OAUTH2_REST_AMQPS_PORT:-}
if [ -z "$amqps_port" ] && [ "${OAUTH2_REST_BROKER_TLS:-}" = 1 ]; then amqps_port=$((port + 1)); fi
tls_dir="$dir/tls"

die() { echo "broker.sh: $*" >&2; exit 1; }

[ -x "$bin/rabbitmq-server" ] || die "$bin/rabbitmq-server not found: apt-get install rabbitmq-server"

setup_env() {
  mkdir -p "$dir/mnesia" "$dir/log"
  # Our own cookie: written once, readable by us only (Erlang refuses a cookie others can read).
  if [ ! -s "$dir/.erlang.cookie" ]; then
    (umask 077 && od -An -N20 -tx1 /dev/urandom | tr -d ' \n' >"$dir/.erlang.cookie")
    chmod 400 "$dir/.erlang.cookie"
  fi
  # No plugins (no management UI): an empty list.
  printf '[].\n' >"$dir/enabled_plugins"
  : >"$dir/rabbitmq-env.conf"
  cat >"$dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$port
loopback_users.guest = true
log.console = false
log.file.level = info
EOF
  if [ -n "$amqps_port" ]; then
    cat >>"$dir/rabbitmq.conf" <<EOF
listeners.ssl.1 = 127.0.0.1:$amqps_port
ssl_options.cacertfile = $tls_dir/ca.pem
ssl_options.certfile = $tls_dir/server.pem
ssl_options.keyfile = $tls_dir/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
EOF
  fi
  export HOME="$dir"
  export RABBITMQ_NODENAME="$node"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$port"
  export RABBITMQ_DIST_PORT="$dist_port"
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_MNESIA_DIR="$dir/mnesia/$node"
  export RABBITMQ_LOG_BASE="$dir/log"
  export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
  export RABBITMQ_PLUGINS_EXPAND_DIR="$dir/plugins-expand"
  # Erlang distribution on loopback too (epmd only if this node is the one that starts it).
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_EPMD_ADDRESS=127.0.0.1
}

ctl() { "$bin/rabbitmqctl" -n "$node" "$@"; }

running() { ctl -q ping >/dev/null 2>&1; }

port_taken() {
  # Someone else (not our node) listens on our port: fail early with a message, not a timeout.
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
  else
    return 1
  fi
}

# A CA and a server certificate for localhost (EC P-256, valid 7 days), made afresh for each start.
make_certs() {
  command -v openssl >/dev/null 2>&1 || die "openssl not found (needed for the TLS listener): apt-get install openssl"
  rm -rf "$tls_dir"
  mkdir -p "$tls_dir"
  cat >"$tls_dir/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
O = oauth2-rest tests
CN = oauth2-rest broker test CA
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost
EOF
  if ! (
    cd "$tls_dir" &&
      openssl req -x509 -config openssl.cnf -extensions ca -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout ca.key -out ca.pem -days 7 &&
      openssl req -new -config openssl.cnf -subj "/O=oauth2-rest tests/CN=localhost" -newkey ec \
        -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr &&
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 7 \
        -extfile openssl.cnf -extensions server -out server.pem
  ) >"$dir/log/tls.log" 2>&1; then
    cat "$dir/log/tls.log" >&2
    die "could not make the TLS certificates in $tls_dir"
  fi
}

start() {
  if running; then
    # Same node name, different port: someone set OAUTH2_REST_AMQP_PORT alone. Say so rather
    # than let tests time out against a port nobody listens on.
    port_taken "$port" || die "$node is running but not listening on $port; to run a second node set OAUTH2_REST_AMQP_PORT, OAUTH2_REST_BROKER_NODE and OAUTH2_REST_BROKER_DIR together"
    # Started earlier without TLS: left alone (the tests that need no TLS still run), but say why
    # the amqps tests will not connect.
    if [ -n "$amqps_port" ] && command -v ss >/dev/null 2>&1 && ! port_taken "$amqps_port"; then
      echo "broker.sh: warning: $node is running without a TLS listener on $amqps_port; 'scripts/broker.sh stop' and start again to add it" >&2
    fi
    echo "broker.sh: $node already running on 127.0.0.1:$port"
    return 0
  fi
  port_taken "$port" && die "port $port is in use by another process (set OAUTH2_REST_AMQP_PORT)"
  port_taken "$dist_port" && die "Erlang distribution port $dist_port is in use (set OAUTH2_REST_BROKER_DIST_PORT)"
  if [ -n "$amqps_port" ]; then
    port_taken "$amqps_port" && die "TLS port $amqps_port is in use by another process (set OAUTH2_REST_AMQPS_PORT)"
    make_certs
  fi
  rm -rf "$dir/mnesia/$node" "$dir/mnesia/$node-plugins-expand" "$dir/mnesia/$node-feature_flags"
  # -detached forks away from our process group, so a CTest fixture can return while it runs.
  "$bin/rabbitmq-server" -detached >"$dir/log/startup.log" 2>&1 \
    || { cat "$dir/log/startup.log" >&2; die "rabbitmq-server failed to start"; }
  # await_startup fails at once while the node is not yet reachable: ping until it is.
  i=0
  until running; do
    i=$((i + 1))
    if [ "$i" -gt $((timeout * 10)) ]; then
      tail -n 40 "$dir/log/startup.log" "$dir/log/$node.log" >&2 2>/dev/null || true
      die "$node did not come up within ${timeout}s"
    fi
    sleep 0.1
  done
  if ! ctl -q await_startup --timeout "$timeout" >/dev/null 2>&1; then
    tail -n 40 "$dir/log/startup.log" "$dir/log/$node.log" >&2 2>/dev/null || true
    die "$node did not finish booting within ${timeout}s"
  fi
  if [ -n "$amqps_port" ]; then
    # The TLS listener starts with the node; make sure it is there (ss permitting).
    i=0
    until ! command -v ss >/dev/null 2>&1 || port_taken "$amqps_port"; do
      i=$((i + 1))
      if [ "$i" -gt $((timeout * 10)) ]; then
        tail -n 40 "$dir/log/$node.log" >&2 2>/dev/null || true
        die "$node does not listen for TLS on $amqps_port"
      fi
      sleep 0.1
    done
    echo "broker.sh: $node running on 127.0.0.1:$port, TLS on 127.0.0.1:$amqps_port (CA $tls_dir/ca.pem; files in $dir)"
  else
    echo "broker.sh: $node running on 127.0.0.1:$port (files in $dir)"
  fi
}

stop() {
  if ! running; then
    echo "broker.sh: $node not running"
    return 0
  fi
  # With the pid file argument rabbitmqctl waits until the OS process has exited.
  if [ -s "$RABBITMQ_PID_FILE" ]; then
    ctl -q stop "$RABBITMQ_PID_FILE" >/dev/null
  else
    ctl -q stop >/dev/null
  fi
  i=0
  while running || port_taken "$port"; do
    i=$((i + 1))
    [ "$i" -le $((timeout * 10)) ] || die "$node did not stop within ${timeout}s"
    sleep 0.1
  done
  echo "broker.sh: $node stopped"
}

setup_env
cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo running; else echo stopped; exit 1; fi ;;
  ctl) ctl "$@" ;;
  *) die "usage: broker.sh start|stop|status|ctl <rabbitmqctl args...>" ;;
esac
