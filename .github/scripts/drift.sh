#!/usr/bin/env bash
# The daily drift check of one stack: pulumi preview --refresh
# --expect-no-changes, with the read-only identity (a preview takes no lock
# and writes no state).
#   - Real drift, and only that, opens the stack's drift issue with the diff,
#     or updates it: the CLI exits DRIFT_EXIT when a preview with
#     --expect-no-changes plans changes (tests/engine
#     TestDriftJobTellsDriftFromFailure proves the code on the pinned CLI).
#   - A clean check closes the issue, saying so.
#   - Anything else (the Azure login, a plugin download, the passphrase, the
#     program) fails the job as "could not run", and touches no issue.
#   - While a deploy runs (not while it waits for an approval), the check is
#     skipped: a half-applied update is not drift.
#
# Usage: drift.sh <stack>
# Env: PULUMI_ORG (Pulumi Cloud), GH_TOKEN (issues: write, actions: read),
# GITHUB_REPOSITORY, GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_STEP_SUMMARY.
set -euo pipefail

readonly DRIFT_EXIT=7

stack=$1
ref="${PULUMI_ORG:+$PULUMI_ORG/}$stack"
run_url="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
title="Drift in stack $stack"
label=drift

# In progress only: a deploy that waits for prod's approval (status waiting)
# changes nothing until approved, and may wait for days.
deploying=$(gh run list --repo "$GITHUB_REPOSITORY" --workflow deploy.yml --status in_progress --limit 20 --json status \
  --jq 'length')
if ((deploying > 0)); then
  echo "::notice title=drift check of $stack skipped::a deploy is running; the next check runs tomorrow, or start this workflow by hand"
  exit 0
fi

out=$(mktemp)
set +e
pulumi preview --stack "$ref" --refresh --diff --expect-no-changes --non-interactive --color never >"$out" 2>&1
status=$?
set -e
cat "$out"

issue=$(gh issue list --repo "$GITHUB_REPOSITORY" --label "$label" --state open --search "\"$title\" in:title" \
  --json number,title --jq ".[] | select(.title == \"$title\") | .number" | head -n 1)

case $status in
  0)
    echo "No drift in stack $stack." >>"$GITHUB_STEP_SUMMARY"
    if [[ -n $issue ]]; then
      gh issue close "$issue" --repo "$GITHUB_REPOSITORY" --comment "No drift in stack \`$stack\` any more: $run_url"
    fi
    ;;
  "$DRIFT_EXIT")
    body=$(mktemp)
    {
      echo "Stack \`$stack\` changed outside Pulumi: \`pulumi preview --refresh --expect-no-changes\` plans the changes below ([run]($run_url))."
      echo
      echo "What to do: read the diff. If the change in Azure was wanted, put it in the stack's config (or in \`aks-kubenet:tags\` for tags a policy adds) and merge; if not, the next deploy (\`up --refresh\`) puts the program's settings back. The Drift section of docs/pipelines.md says which changes are expected and ignored."
      echo
      echo '```'
      tail -c 60000 "$out"
      echo '```'
    } >"$body"
    gh label create "$label" --repo "$GITHUB_REPOSITORY" --color D93F0B --description "A stack changed outside Pulumi" --force >/dev/null
    if [[ -n $issue ]]; then
      gh issue edit "$issue" --repo "$GITHUB_REPOSITORY" --body-file "$body" >/dev/null
      gh issue comment "$issue" --repo "$GITHUB_REPOSITORY" --body "Still drifting: $run_url" >/dev/null
    else
      gh issue create --repo "$GITHUB_REPOSITORY" --title "$title" --label "$label" --body-file "$body" >/dev/null
    fi
    echo "### Drift in stack \`$stack\`: see the issue \"$title\"" >>"$GITHUB_STEP_SUMMARY"
    echo "::error title=drift in stack $stack::stack $stack changed outside Pulumi; the issue \"$title\" has the diff"
    exit 1
    ;;
  *)
    echo "### The drift check of \`$stack\` could not run (exit $status): not drift; see the log" >>"$GITHUB_STEP_SUMMARY"
    echo "::error title=drift check of $stack could not run::pulumi preview exited $status: a login, plugin, passphrase or program error, not drift (no issue opened); see the log"
    exit "$status"
    ;;
esac
