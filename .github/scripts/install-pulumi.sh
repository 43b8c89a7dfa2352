#!/usr/bin/env bash
# Installs the pulumi CLI of tools/go.mod (pulumi-version.sh) from the
# project's GitHub release, checked against the release's checksums, and puts
# it on the job's PATH. The download is authenticated (GH_TOKEN), so it never
# meets the anonymous rate limit.
# Env: GH_TOKEN, RUNNER_TEMP, GITHUB_PATH.
set -euo pipefail
version=$(bash "$(dirname "${BASH_SOURCE[0]}")/pulumi-version.sh")
dir="$RUNNER_TEMP/pulumi-$version"
archive="pulumi-$version-linux-x64.tar.gz"
checksums="pulumi-${version#v}-checksums.txt"
mkdir -p "$dir"
gh release download "$version" --repo pulumi/pulumi --dir "$dir" --pattern "$archive" --pattern "$checksums" --clobber
(cd "$dir" && sha256sum --check --ignore-missing --strict "$checksums")
tar -xzf "$dir/$archive" -C "$dir"
echo "$dir/pulumi" >>"$GITHUB_PATH"
"$dir/pulumi/pulumi" version
