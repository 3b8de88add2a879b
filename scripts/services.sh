#!/usr/bin/env bash
# Makes sure the system services the integration tests talk to are installed and running:
# Mosquitto (MQTT) and RabbitMQ with its STOMP plugin. Idempotent; safe to run on a machine
# where they already run. The tests start their own TLS brokers on ephemeral ports from
# config files they write; these system services are what those binaries come from.
set -euo pipefail

need=()
command -v mosquitto >/dev/null 2>&1 || need+=(mosquitto)
command -v rabbitmq-server >/dev/null 2>&1 || need+=(rabbitmq-server)
# Software Module Management tests: runc runs the OCI containers, busybox-static is what their images are built from.
command -v runc >/dev/null 2>&1 || need+=(runc)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  echo "services: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! pgrep -x mosquitto >/dev/null; then
  echo "services: starting mosquitto"
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
fi

# RabbitMQ with the STOMP plugin enabled (online when the node runs, else before starting it).
if pgrep -f beam.smp >/dev/null; then
  rabbitmq-plugins -q enable rabbitmq_stomp >/dev/null
else
  rabbitmq-plugins enable --offline rabbitmq_stomp >/dev/null
  echo "services: starting rabbitmq"
  rabbitmq-server -detached
  rabbitmq-diagnostics -q wait --timeout 120 /var/lib/rabbitmq/mnesia/rabbit@$(hostname -s).pid >/dev/null 2>&1 || rabbitmqctl -q await_startup >/dev/null
fi
echo "services: mosquitto and rabbitmq (with rabbitmq_stomp) running"
