# Debian packages pgwarden needs, shared by scripts/demo and scripts/test.
# Source this file; it only defines variables and functions.

# To configure and build the program.
PGWARDEN_BUILD_PACKAGES=(
  build-essential cmake pkg-config ccache git
  libpq-dev prometheus-cpp-dev libcivetweb-dev libcurl4-openssl-dev libssh-dev libssl-dev
  libspdlog-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libre2-dev
  libmicrohttpd-dev
)
# To run the demo: a local PostgreSQL, Patroni + etcd, sshd for the host
# probes, and the tools scripts/pgcluster and scripts/demo call.
PGWARDEN_RUNTIME_PACKAGES=(
  postgresql python3 curl procps util-linux gzip
  patroni etcd-server etcd-client openssh-server openssh-client
)
# Only for the test suite and benchmarks.
PGWARDEN_TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus prometheus-alertmanager prometheus-postgres-exporter
  chromium
  time  # /usr/bin/time -v in bench/compare
  clang libclang-rt-14-dev
)

# Prints the given packages that are not installed, one per line.
pgwarden_missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

# Installs the missing ones among the given packages with apt-get (root only).
pgwarden_install_packages() {
  local missing
  missing=$(pgwarden_missing_packages "$@")
  [[ -z "$missing" ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages; run as root: apt-get install -y" $missing >&2
    return 1
  fi
  echo "installing:" $missing >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086  # one word per package
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}
