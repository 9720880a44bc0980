#!/usr/bin/env bash
# Install everything musicrec needs, idempotently: Python venv + pinned packages, Redis,
# MinIO built from source, the S3A jars for Spark (with Maven) and Debian's chromium for the
# browser tests. A second run is instant. Each step prints one line with its progress and
# time; the tools' own output (apt, go, mvn, pip) goes to .local/logs/setup.log, and its end
# is shown when a step fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=tools/versions.env
source tools/versions.env
CACHE=${MUSICREC_CACHE:-$HOME/.cache/musicrec}
VENV=${MUSICREC_VENV:-$ROOT/.venv}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

LOG_DIR=${MUSICREC_HOME:-$ROOT/.local}/logs
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/setup.log"
LOG_SHOWN=${LOG#"$ROOT"/}
if [ -t 1 ]; then BOLD=$'\033[1m' RED=$'\033[31m' RESET=$'\033[0m' CLEAR=$'\r\033[K'; else BOLD="" RED="" RESET="" CLEAR=""; fi

die() { printf '%ssetup: %s%s\n' "$RED" "$*" "$RESET" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

run_step() {  # run_step "what it does" COMMAND... : the command's output goes to $LOG; one line here
  local what=$1 started=$SECONDS before lines pid status=0
  shift
  printf '\n==> %s (%s)\n' "$what" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$LOG"
  before=$(wc -l <"$LOG")
  "$@" >>"$LOG" 2>&1 &
  pid=$!
  if [ -t 1 ]; then  # the progress: seconds so far and lines of tool output, on one line that fits
    local cols line
    cols=$( (tput cols || echo 100) 2>/dev/null)
    while kill -0 "$pid" 2>/dev/null; do
      lines=$(( $(wc -l <"$LOG") - before ))
      line="==> $what … $((SECONDS - started))s, $lines lines of output in $LOG_SHOWN"
      printf '%s%s%.*s%s' "$CLEAR" "$BOLD" "$((cols - 1))" "$line" "$RESET"
      sleep 1
    done
  fi
  wait "$pid" || status=$?
  lines=$(( $(wc -l <"$LOG") - before ))
  if [ "$status" -ne 0 ]; then
    printf '%s%s==> %s failed after %ds (exit %d); the end of %s:%s\n' "$CLEAR" "$RED" "$what" $((SECONDS - started)) "$status" "$LOG" "$RESET" >&2
    tail -n +"$((before + 1))" "$LOG" | tail -n 40 | sed 's/^/    /' >&2
    return "$status"
  fi
  printf '%s%s==> %s%s: done in %ds (%d lines of output in %s)\n' "$CLEAR" "$BOLD" "$what" "$RESET" $((SECONDS - started)) "$lines" "$LOG_SHOWN"
}

apt_install() {  # apt_install "what" PACKAGE... ; only where apt-get exists
  local what=$1
  shift
  have apt-get || return 1
  if [ ! -f /tmp/.musicrec-apt-updated ]; then
    run_step "updating the apt package lists" $SUDO apt-get update -qq || return 1
    touch /tmp/.musicrec-apt-updated
  fi
  run_step "$what" env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@"
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
  apt_install "installing Java 17 (Spark needs it)" openjdk-17-jre-headless || die "Java 17+ is required for Spark and was not found: install openjdk-17-jre-headless (or any JDK 17+)."
fi

# --- Redis --------------------------------------------------------------------------------
if ! have redis-server; then
  apt_install "installing redis-server" redis-server || die "redis-server was not found: install Debian's redis-server (apt-get install redis-server)."
  # Debian starts a system Redis on 6379; musicrec runs its own, so leave the port free.
  if have systemctl; then $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
  if have service; then $SUDO service redis-server stop >/dev/null 2>&1 || true; fi
fi

# --- MinIO, built from source and cached ---------------------------------------------------
MINIO_BIN="$CACHE/minio/$MINIO_VERSION/minio"
if [ ! -x "$MINIO_BIN" ]; then
  have go || die "Go 1.24+ is required once to build MinIO ($MINIO_MODULE@$MINIO_VERSION): install Go from your distribution or go.dev."
  tmp=$(mktemp -d)
  run_step "building MinIO $MINIO_VERSION from source (once; a few minutes)" \
    env GOBIN="$tmp" GOFLAGS=-trimpath go install "$MINIO_MODULE@$MINIO_VERSION" || die "building MinIO failed (see the go output above)"
  mkdir -p "$(dirname "$MINIO_BIN")"
  mv "$tmp/minio" "$MINIO_BIN"
  rm -rf "$tmp"
fi

# --- S3A connector for Spark, by its Maven coordinates --------------------------------------
JARS="$CACHE/jars"
if ! bash tools/s3a-jars.sh --check "$JARS"; then
  if ! have mvn; then
    apt_install "installing Maven (it fetches the S3A jars)" maven || die "Maven (mvn) is required to fetch Spark's S3A jars by their coordinates and was not found: install Debian's maven (apt-get install maven)."
  fi
  run_step "fetching hadoop-aws $HADOOP_AWS_VERSION and the AWS SDK bundle $AWS_SDK_BUNDLE_VERSION with Maven (once)" \
    bash tools/s3a-jars.sh "$JARS" || die "fetching the S3A jars failed (see above)"
fi

# --- Chromium, for the dashboard's browser tests --------------------------------------------
CHROMIUM=/usr/bin/chromium  # Debian's package; the tests never use a browser a tool downloads itself
if [ ! -x "$CHROMIUM" ]; then
  if ! apt_install "installing Debian's chromium (the dashboard's browser tests drive it)" chromium; then
    message="Debian's chromium was not found at $CHROMIUM: install it (apt-get install chromium) for the browser tests"
    [ "${CI:-}" = "true" ] && die "$message"
    printf '%ssetup: %s; continuing without it%s\n' "$RED" "$message" "$RESET" >&2
  fi
fi

# --- Python environment ---------------------------------------------------------------------
stamp="$VENV/.musicrec-installed"
want=$( (cat pyproject.toml; "$PYTHON" --version) | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  run_step "creating the virtualenv $VENV" "$PYTHON" -m venv "$VENV" || die "could not create a virtualenv with $PYTHON (install python3-venv)"
  run_step "installing pip 26.3" "$VENV/bin/python" -m pip install --upgrade pip==26.3 || die "installing pip failed (see above)"
  run_step "installing the pinned Python packages (pyproject.toml)" "$VENV/bin/python" -m pip install -e ".[dev]" \
    || die "pip install failed (see above)"
  echo "$want" > "$stamp"
fi

chromium_version=$([ -x "$CHROMIUM" ] && "$CHROMIUM" --version 2>/dev/null | awk '{print $2}' || echo "absent")
printf '%s==> setup complete%s: %s, %s, MinIO %s, hadoop-aws %s, chromium %s\n' "$BOLD" "$RESET" "$("$VENV/bin/python" --version)" \
  "$(redis-server --version | cut -d' ' -f3)" "$MINIO_VERSION" "$HADOOP_AWS_VERSION" "$chromium_version"
