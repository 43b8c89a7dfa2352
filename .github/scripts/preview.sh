#!/usr/bin/env bash
# pulumi preview --refresh --diff of one stack, for a person to read: in the
# job's summary and, with --comment, in one comment per stack on a pull
# request, made once and then edited on every run. A failed preview edits the
# comment to say so, so that an earlier green preview never stands for the
# current code. With --save-plan, the plan a later `pulumi up --plan` applies,
# made with aks-kubenet:readLastDeployment false, as that up runs: an update
# plan cannot hold the preview-only read of the last deployment.
# The preview takes no lock and writes nothing to the state (tests/engine
# TestPreviewNeedsOnlyReadAccessToTheState): the read-only identity runs it.
#
# Usage: preview.sh <stack> [--comment <pull request number>] [--save-plan <file>]
# Env: PULUMI_ORG (Pulumi Cloud), GH_TOKEN (pull-requests: write, with
# --comment), GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_RUN_ID,
# GITHUB_STEP_SUMMARY, and HEAD_SHA (the commit previewed; GITHUB_SHA when unset).
set -euo pipefail

stack=$1
shift
pr=""
plan=()
while (($#)); do
  case $1 in
    --comment) pr=$2; shift 2 ;;
    --save-plan) plan=(--save-plan "$2" --config aks-kubenet:readLastDeployment=false); shift 2 ;;
    *) echo "preview.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
ref="${PULUMI_ORG:+$PULUMI_ORG/}$stack"
run_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
sha=${HEAD_SHA:-$GITHUB_SHA}
out=$(mktemp)

set +e
pulumi preview --stack "$ref" --refresh --diff --non-interactive --color never "${plan[@]}" >"$out" 2>&1
status=$?
set -e
cat "$out"

if ((status == 0)); then
  verdict="what \`pulumi up\` will do to stack \`$stack\` at ${sha:0:12}"
else
  verdict=":x: **the preview of stack \`$stack\` failed** at ${sha:0:12} (exit $status): nothing below is a plan; see [the run]($run_url)"
fi
{
  echo "### Preview of \`$stack\`"
  echo "$verdict"
  echo '```'
  tail -c 60000 "$out"
  echo '```'
} >>"$GITHUB_STEP_SUMMARY"

if [[ -n $pr ]]; then
  marker="<!-- aks-kubenet preview: $stack -->"
  body=$(mktemp)
  {
    echo "$marker"
    echo "#### Preview of \`$stack\`: $verdict"
    echo
    echo "<details><summary>pulumi preview --refresh --diff</summary>"
    echo
    echo '```'
    tail -c 60000 "$out"
    echo '```'
    echo "</details>"
  } >"$body"
  id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
    | jq -r --arg m "$marker" '.[] | select(.body | startswith($m)) | .id' | tail -n 1)
  if [[ -n $id ]]; then
    gh api -X PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$body" >/dev/null
  else
    gh api -X POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$body" >/dev/null
  fi
fi
exit "$status"
