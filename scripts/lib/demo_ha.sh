# shellcheck shell=bash
# The demo's Patroni cluster "demo-ha": one etcd and two Patroni 3 members
# (ha1 bootstraps and leads, ha2 replicates synchronously) on loopback ports.
# Sourced by scripts/demo; uses its say, free_port, wait_for, track,
# run_as_postgres, exec_as_postgres and random_secret.
#
#   ha_unavailable          sets HA_WHY to why the cluster cannot run here
#                           (empty: it can) and HA_PGBIN to the PostgreSQL
#                           binaries
#   ha_start DIR            starts etcd, ha1 and (once ha1 holds the bootstrap
#                           lock) ha2; returns non-zero when etcd or ha1 fail
#   ha_toml                 the [[clusters]] block for pgwarden's config
#   ha_stop_leftovers       immediate stop of a PostgreSQL Patroni left behind

HA_WHY="" HA_DIR="" HA_PGBIN="" HA_ETCD_PORT="" HA_REST_PORTS=() HA_PG_PORTS=()
HA_SCOPE=demo-ha
HA_MEMBERS=(ha1 ha2)

ha_unavailable() {
  HA_WHY=""
  local tool d
  for tool in etcd patroni; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      HA_WHY="$tool is not installed (Debian packages etcd-server, patroni)"; return
    fi
  done
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    HA_WHY="there is no postgres user to run PostgreSQL under Patroni"; return
  fi
  # The newest installed server version, as scripts/pgcluster picks it.
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    [[ -x $d/initdb ]] && { HA_PGBIN=$d; return; }
  done
  HA_WHY="no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
}

# 0 when etcd holds Patroni's bootstrap lock of the scope (the /initialize
# key, taken by the member that runs initdb), via etcd's v3 JSON gateway.
ha_bootstrap_lock_taken() {
  local key
  key=$(printf '/service/%s/initialize' "$HA_SCOPE" | base64 -w0)
  curl -fs -X POST "http://127.0.0.1:$HA_ETCD_PORT/v3/kv/range" -d "{\"key\":\"$key\"}" 2>/dev/null |
    grep -q '"count":"1"'
}

ha_write_member_config() {  # INDEX
  local i=$1 name=${HA_MEMBERS[$1]} rest="127.0.0.1:${HA_REST_PORTS[$1]}" pg="127.0.0.1:${HA_PG_PORTS[$1]}"
  run_as_postgres tee "$HA_DIR/$name.yml" >/dev/null <<YAML
# Written by scripts/demo.
scope: $HA_SCOPE
name: $name
restapi:
  listen: $rest
  connect_address: $rest
etcd3:
  hosts: 127.0.0.1:$HA_ETCD_PORT
bootstrap:
  dcs:
    ttl: 20
    loop_wait: 1
    retry_timeout: 5
    synchronous_mode: true
    postgresql:
      use_slots: true
      parameters:
        max_connections: 40
        max_wal_senders: 5
        max_replication_slots: 5
  initdb: [{encoding: UTF8}, no-sync]
  pg_hba:
    - local all all trust
    - host all pgwarden 127.0.0.1/32 scram-sha-256
    - host all postgres 127.0.0.1/32 trust
    - host replication postgres 127.0.0.1/32 trust
  post_bootstrap: $HA_DIR/post_bootstrap.sh
postgresql:
  listen: $pg
  connect_address: $pg
  data_dir: $HA_DIR/$name
  bin_dir: $HA_PGBIN
  pgpass: $HA_DIR/$name.pgpass
  authentication:
    superuser: {username: postgres}
    replication: {username: postgres}
  parameters:
    unix_socket_directories: '$HA_DIR'
    shared_buffers: 16MB
    fsync: 'off'
YAML
}

ha_start_member() {  # INDEX
  local name=${HA_MEMBERS[$1]} pid
  (cd "$HA_DIR" && exec_as_postgres patroni "$HA_DIR/$name.yml") >"$HA_DIR/$name.log" 2>&1 &
  pid=$!
  track "patroni $name" "$pid" 30
}

ha_start() {  # DIR
  HA_DIR=$1
  mkdir -p "$HA_DIR"
  if [[ $(id -u) -eq 0 ]]; then chown postgres "$HA_DIR"; fi

  local peer pid i
  HA_ETCD_PORT=$(free_port) peer=$(free_port)
  # In a session of its own: Ctrl-C in the terminal must not stop etcd before
  # the Patroni members (they need it to shut down); the teardown stops it last.
  setsid etcd --name demo-etcd --data-dir "$HA_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$HA_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$HA_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "demo-etcd=http://127.0.0.1:$peer" >"$HA_DIR/etcd.log" 2>&1 &
  pid=$!
  track etcd "$pid" 10 0  # layer 0: outlives the Patroni members
  if ! wait_for 20 curl -fs -o /dev/null "http://127.0.0.1:$HA_ETCD_PORT/health"; then
    say "etcd did not become healthy within 20 s (log: $HA_DIR/etcd.log)"
    return 1
  fi

  # The monitoring role, made by Patroni's post_bootstrap hook on the leader;
  # the password reaches pgwarden through a 0600 file, never the config.
  (umask 077; random_secret >"$HA_DIR/password")
  run_as_postgres tee "$HA_DIR/bootstrap.sql" >/dev/null <<SQL
CREATE ROLE pgwarden LOGIN PASSWORD '$(cat "$HA_DIR/password")' IN ROLE pg_monitor;
SQL
  run_as_postgres chmod 0600 "$HA_DIR/bootstrap.sql"
  run_as_postgres tee "$HA_DIR/post_bootstrap.sh" >/dev/null <<SH
#!/bin/sh
# Patroni passes the new cluster's superuser connection URL.
exec "$HA_PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -d "\$1" -f "$HA_DIR/bootstrap.sql"
SH
  run_as_postgres chmod 0700 "$HA_DIR/post_bootstrap.sh"

  for i in "${!HA_MEMBERS[@]}"; do
    HA_REST_PORTS[i]=$(free_port)
    HA_PG_PORTS[i]=$(free_port)
    ha_write_member_config "$i"
  done
  # ha1 first, ha2 once ha1 has taken the bootstrap lock: ha1 leads at
  # first (pgwarden follows whichever leads later: role "auto").
  ha_start_member 0
  if ! wait_for 30 ha_bootstrap_lock_taken; then
    say "Patroni ha1 did not start bootstrapping within 30 s (log: $HA_DIR/ha1.log)"
    return 1
  fi
  ha_start_member 1
}

ha_toml() {
  cat <<TOML

# A Patroni-managed pair with etcd: ha1 leads at first, ha2 is its
# synchronous standby. Both are role "auto" and the expectations sit on the
# cluster, checked on whichever member is the primary now (its own name is
# skipped there): a patronictl switchover needs no config change.
[[clusters]]
name = "$HA_SCOPE"
expected_standbys = ["ha1", "ha2"]
expected_slots = ["ha1", "ha2"]
sync_standbys = ["ha1", "ha2"]

[[clusters.nodes]]
name = "ha1"
role = "auto"
conninfo = "host=127.0.0.1 port=${HA_PG_PORTS[0]} dbname=postgres user=pgwarden"
password_file = "$HA_DIR/password"
patroni = { url = "http://127.0.0.1:${HA_REST_PORTS[0]}" }

[[clusters.nodes]]
name = "ha2"
role = "auto"
conninfo = "host=127.0.0.1 port=${HA_PG_PORTS[1]} dbname=postgres user=pgwarden"
password_file = "$HA_DIR/password"
patroni = { url = "http://127.0.0.1:${HA_REST_PORTS[1]}" }

[[clusters.etcd]]
url = "http://127.0.0.1:$HA_ETCD_PORT"
TOML
}

# Patroni stops its PostgreSQL on SIGTERM; one that was killed leaves the
# server running.
ha_stop_leftovers() {
  [[ -n "$HA_DIR" ]] || return 0
  local name
  for name in "${HA_MEMBERS[@]}"; do
    if [[ -f "$HA_DIR/$name/postmaster.pid" ]]; then
      run_as_postgres "$HA_PGBIN/pg_ctl" -D "$HA_DIR/$name" -m immediate -w -t 20 stop >/dev/null 2>&1 || true
    fi
  done
}
