#!/usr/bin/env bash
# Install everything musicrec needs, idempotently: Python venv + pinned packages, Redis,
# MinIO built from source, and the S3A jars for Spark (with Maven). A second run is instant.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/versions.env
source tools/versions.env
CACHE=${MUSICREC_CACHE:-$HOME/.cache/musicrec}
VENV=${MUSICREC_VENV:-$ROOT/.venv}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31msetup: %s\033[0m\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

apt_install() {  # apt_install PACKAGE... ; only where apt-get exists
  have apt-get || return 1
  if [ ! -f /tmp/.musicrec-apt-updated ]; then $SUDO apt-get update -qq && touch /tmp/.musicrec-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# --- Python -------------------------------------------------------------------------------
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if have "$candidate" && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON=$candidate; break
    fi
  done
fi
[ -n "$PYTHON" ] || die "Python 3.11 or newer is required and was not found: install python3.11 (e.g. apt-get install python3.11 python3.11-venv)."

# --- Java (Spark) -------------------------------------------------------------------------
java_major() { java -version 2>&1 | sed -nE 's/.*version "([0-9]+).*/\1/p' | head -1; }
if ! have java || [ "$(java_major)" -lt 17 ]; then
  step "installing Java 17 (Spark needs it)"
  apt_install openjdk-17-jre-headless || die "Java 17+ is required for Spark and was not found: install openjdk-17-jre-headless (or any JDK 17+)."
fi

# --- Redis --------------------------------------------------------------------------------
if ! have redis-server; then
  step "installing redis-server"
  apt_install redis-server || die "redis-server was not found: install Debian's redis-server (apt-get install redis-server)."
  # Debian starts a system Redis on 6379; musicrec runs its own, so leave the port free.
  if have systemctl; then $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
  if have service; then $SUDO service redis-server stop >/dev/null 2>&1 || true; fi
fi

# --- MinIO, built from source and cached ---------------------------------------------------
MINIO_BIN="$CACHE/minio/$MINIO_VERSION/minio"
if [ ! -x "$MINIO_BIN" ]; then
  have go || die "Go 1.24+ is required once to build MinIO ($MINIO_MODULE@$MINIO_VERSION): install Go from your distribution or go.dev."
  step "building MinIO $MINIO_VERSION from source (once; a few minutes)"
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-trimpath go install "$MINIO_MODULE@$MINIO_VERSION" || die "building MinIO failed (see the go output above)"
  mkdir -p "$(dirname "$MINIO_BIN")"
  mv "$tmp/minio" "$MINIO_BIN"
  rm -rf "$tmp"
fi

# --- S3A connector for Spark, by its Maven coordinates --------------------------------------
JARS="$CACHE/jars"
if ! bash tools/s3a-jars.sh --check "$JARS"; then
  if ! have mvn; then
    step "installing Maven (it fetches the S3A jars)"
    apt_install maven || die "Maven (mvn) is required to fetch Spark's S3A jars by their coordinates and was not found: install Debian's maven (apt-get install maven)."
  fi
  step "fetching hadoop-aws $HADOOP_AWS_VERSION and the AWS SDK bundle $AWS_SDK_BUNDLE_VERSION with Maven (once)"
  bash tools/s3a-jars.sh "$JARS" || die "fetching the S3A jars failed (see above)"
fi

# --- Python environment ---------------------------------------------------------------------
stamp="$VENV/.musicrec-installed"
want=$( (cat pyproject.toml; "$PYTHON" --version) | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "installing Python packages into $VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create a virtualenv with $PYTHON (install python3-venv)"
  "$VENV/bin/python" -m pip install -q --upgrade pip==26.3
  "$VENV/bin/python" -m pip install -q -e ".[dev]" || die "pip install failed (see above)"
  echo "$want" > "$stamp"
fi

step "setup complete: $("$VENV/bin/python" --version), $(redis-server --version | cut -d' ' -f3), MinIO $MINIO_VERSION, hadoop-aws $HADOOP_AWS_VERSION"
