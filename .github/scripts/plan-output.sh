#!/usr/bin/env bash
# Hands an update plan from the plan job to the approved up job as a step
# output (gzip, then base64), so that the up applies exactly the reviewed
# plan without an artifact store. The up job reads it from an environment
# variable, which Linux limits to 128 KiB (MAX_ARG_STRLEN); a plan over
# PLAN_OUTPUT_LIMIT fails here, before anyone approves it. Prod's plan is a
# few KiB (tests/engine TestDeployAppliesTheReviewedPlan measures it).
#
# Usage: plan-output.sh <plan file>
# Env: GITHUB_OUTPUT.
set -euo pipefail

readonly PLAN_OUTPUT_LIMIT=120000

encoded=$(gzip -9c "$1" | base64 -w0)
if ((${#encoded} > PLAN_OUTPUT_LIMIT)); then
  echo "::error title=plan too large::the plan is ${#encoded} bytes as gzip and base64, more than the $PLAN_OUTPUT_LIMIT a job can hand to the next; apply this change by hand (docs/operations.md: Deploy for real)"
  exit 1
fi
echo "plan=$encoded" >>"$GITHUB_OUTPUT"
