#!/usr/bin/env bash
# tools/s3a-jars.sh DIR: put Spark's S3A connector (hadoop-aws and the AWS SDK bundle) into DIR,
# fetched by its Maven coordinates with `mvn dependency:copy` (from the repositories Maven is
# configured with) and checked against the sha256 pinned in tools/versions.env. A jar already in
# DIR with its pinned sha256 is kept. Needs mvn, unless every jar is there already.
# tools/s3a-jars.sh --check DIR: exit 0 when every jar is in DIR with its pinned sha256, 1 otherwise.
# Used by tools/setup.sh and by the ingest image's build.
set -euo pipefail

# shellcheck source=tools/versions.env
source "$(dirname "${BASH_SOURCE[0]}")/versions.env"
CHECK=false
if [ "${1:-}" = "--check" ]; then CHECK=true; shift; fi
DIR=$1

jar() {  # jar GROUP ARTIFACT VERSION SHA256
  local file="$DIR/$2-$3.jar"
  if [ -f "$file" ] && echo "$4  $file" | sha256sum -c --status; then return 0; fi
  if $CHECK; then exit 1; fi
  local work
  work=$(mktemp -d "$DIR/.fetch.XXXXXX")
  echo "fetching $1:$2:$3"
  # A local repository of its own, removed afterwards: the jar is kept once, in DIR.
  if ! mvn -B -q -ntp -Dstyle.color=never "-Dmaven.repo.local=$work/repository" \
      "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN_VERSION:copy" \
      "-Dartifact=$1:$2:$3" "-DoutputDirectory=$work/out" >&2; then
    rm -rf "$work"
    echo "s3a-jars: mvn could not fetch $1:$2:$3 (see its output above)" >&2
    exit 1
  fi
  if ! echo "$4  $work/out/$2-$3.jar" | sha256sum -c --status; then
    rm -rf "$work"
    echo "s3a-jars: $1:$2:$3 does not match its pinned sha256" >&2
    exit 1
  fi
  mv "$work/out/$2-$3.jar" "$file"
  rm -rf "$work"
}

$CHECK || mkdir -p "$DIR"
jar org.apache.hadoop hadoop-aws "$HADOOP_AWS_VERSION" "$HADOOP_AWS_SHA256"
jar software.amazon.awssdk bundle "$AWS_SDK_BUNDLE_VERSION" "$AWS_SDK_BUNDLE_SHA256"
