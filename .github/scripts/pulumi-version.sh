#!/usr/bin/env bash
# Prints the pulumi CLI version every workflow installs and the engine tests
# build: the github.com/pulumi/pulumi/pkg/v3 requirement of tools/go.mod, the
# one place it is written (tests/workflows_test.go checks nothing else names
# another).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$root/tools/go.mod")
if [[ ! $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "pulumi-version.sh: no github.com/pulumi/pulumi/pkg/v3 vX.Y.Z requirement in tools/go.mod" >&2
  exit 1
fi
echo "$version"
