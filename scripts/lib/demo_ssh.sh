# shellcheck shell=bash
# The demo's sshd: its own config, host key and authorized client key, on a
# loopback port, so pgwarden's host check can log in (as the invoking user)
# and measure disks, backups and the data directory's mode. The known_hosts
# file holds the host key generated here, and the demo confirms with
# ssh-keyscan that the server on the port presents exactly that key: pgwarden
# verifies it and never trusts a key blindly.
# Sourced by scripts/demo; uses its say, free_port, wait_for and track.
#
#   ssh_unavailable     sets SSH_WHY to why sshd cannot run here (empty: it can)
#   ssh_start DIR       starts sshd; non-zero (after saying why) on failure
#   ssh_toml            the node's `ssh = { ... }` line

SSH_WHY="" SSH_DIR="" SSH_PORT="" SSH_USER=""
SSHD_BIN=/usr/sbin/sshd

ssh_unavailable() {
  SSH_WHY=""
  if [[ $(id -u) -ne 0 ]]; then
    SSH_WHY="not running as root (sshd must be root to switch to the login user)"
  elif [[ ! -x $SSHD_BIN ]]; then
    SSH_WHY="$SSHD_BIN is not installed (Debian package openssh-server)"
  elif ! command -v ssh-keygen >/dev/null 2>&1 || ! command -v ssh-keyscan >/dev/null 2>&1; then
    SSH_WHY="ssh-keygen/ssh-keyscan are not installed (Debian package openssh-client)"
  fi
}

# 0 when the server on SSH_PORT presents the host key made in SSH_DIR.
ssh_presents_our_key() {
  local ours
  ours=$(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")
  ssh-keyscan -T 2 -t ed25519 -p "$SSH_PORT" 127.0.0.1 2>/dev/null | cut -d' ' -f2,3 | grep -qxF "$ours"
}

ssh_start() {  # DIR
  SSH_DIR=$1
  SSH_USER=$(id -un)
  mkdir -p "$SSH_DIR" /run/sshd
  chmod 0700 "$SSH_DIR"
  ssh-keygen -q -t ed25519 -N '' -C pgwarden-demo-host -f "$SSH_DIR/host_key" || return 1
  ssh-keygen -q -t ed25519 -N '' -C pgwarden-demo-client -f "$SSH_DIR/client_key" || return 1
  cp "$SSH_DIR/client_key.pub" "$SSH_DIR/authorized_keys"
  SSH_PORT=$(free_port)
  cat >"$SSH_DIR/sshd_config" <<EOF
# Written by scripts/demo.
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SSH_DIR/host_key
AuthorizedKeysFile $SSH_DIR/authorized_keys
PidFile $SSH_DIR/sshd.pid
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $SSH_USER
UseDNS no
EOF
  local pid
  "$SSHD_BIN" -D -e -f "$SSH_DIR/sshd_config" >"$SSH_DIR/sshd.log" 2>&1 &
  pid=$!
  track sshd "$pid" 5
  if ! wait_for 10 ssh_presents_our_key; then
    say "sshd on 127.0.0.1:$SSH_PORT did not present the demo's host key within 10 s (log: $SSH_DIR/sshd.log)"
    return 1
  fi
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")" >"$SSH_DIR/known_hosts"
}

ssh_toml() {
  echo "ssh = { host = \"127.0.0.1\", port = $SSH_PORT, user = \"$SSH_USER\", key_file = \"$SSH_DIR/client_key\", known_hosts = \"$SSH_DIR/known_hosts\" }"
}
