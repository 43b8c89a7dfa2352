package tests

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/pipeline"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// The workflows' promises, checked on the files GitHub runs:
//   - no job that can run outside a deployment environment (a pull request,
//     the drift check, a plan job) reads a deploy identity or a write-capable
//     secret, and none falls back to one; a job that reads them runs in the
//     environment of a committed stack;
//   - no job inherits secrets, and no workflow runs on pull_request_target;
//   - every third-party action is pinned by commit with its version beside
//     it; every job declares its permissions (only those it uses) and a
//     timeout; no checkout keeps the token;
//   - every variable and secret a workflow reads is one the one-time setup
//     (package pipeline) makes or names;
//   - the pulumi CLI version is written once, in tools/go.mod;
//   - a run can be recovered (docs/recovery.md): every up job runs the state
//     doctor before the up and stops, saying why, when the doctor repaired
//     the state after the plan was made; every step whose last command is a
//     long pulumi command (up, preview, refresh, destroy) execs it, so that a
//     cancellation's SIGINT reaches pulumi and not only bash; every up job's
//     timeout exceeds cluster.OperationTimeout with room, so a slow AKS
//     operation ends at the provider's deadline and not in a kill; every job
//     that takes a stack's lock is in that stack's concurrency group and no
//     group it is in cancels a running job (so a lock the doctor finds is
//     stale); PULUMI_SKIP_CHECKPOINTS is never set (a killed run would lose
//     the record of everything it did).

// workflowFiles are the files GitHub reads: the workflows and the local
// composite action.
func workflowFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	paths, err := filepath.Glob(filepath.Join("..", ".github", "workflows", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, filepath.Join("..", ".github", "actions", "pulumi", "action.yml"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(filepath.ToSlash(p), "../")] = b
	}
	if len(files) < 5 {
		t.Fatalf("only %d workflow files: %v", len(files), slices.Sorted(maps.Keys(files)))
	}
	return files
}

// usesLine is a `uses:` with what follows it on its line.
var usesLine = regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*([^\s#]+)[ \t]*(#.*)?$`)

var (
	pinned       = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)
	versionNote  = regexp.MustCompile(`^#\s*v\d+\.\d+\.\d+$`)
	varOrSecret  = regexp.MustCompile(`\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)`)
	varIndexed   = regexp.MustCompile(`\bvars\[format\('([A-Z_]+)\{0\}'`)
	deployVar    = regexp.MustCompile(`\bvars\.` + pipeline.VarDeployClientID + `\b`)
	deploySecret = regexp.MustCompile(`\bsecrets\.` + pipeline.SecretDeployToken + `\b`)
)

// knownSettings are the variables and secrets the one-time setup makes or
// names, for stacks.
func knownSettings(stacks []string) map[string]bool {
	known := map[string]bool{}
	for _, n := range []string{
		pipeline.VarDeployClientID, pipeline.VarPreviewClientID, pipeline.VarTenantID, pipeline.VarBackendURL,
		pipeline.VarStorageAccount, pipeline.VarPulumiOrg, pipeline.SecretPassphrase, pipeline.SecretDeployToken,
		pipeline.SecretPreviewToken,
	} {
		known[n] = true
	}
	for _, s := range stacks {
		known[pipeline.SubscriptionVariable(s)] = true
	}
	return known
}

// jobPermissions are what each thing a job does needs, beyond contents: read.
var jobPermissions = []struct {
	marker, permission string
}{
	{"./.github/actions/pulumi", "id-token: write"},
	{"--comment", "pull-requests: write"},
	{"drift.sh", "issues: write"},
	{"drift.sh", "actions: read"},
}

// upJobRoom is what an up job needs beyond one AKS operation: the setup, the
// state doctor, and the resources before and after the cluster.
const upJobRoom = 30 * time.Minute

var (
	// longPulumi is a command line that runs a long pulumi command, after
	// any variable assignments.
	longPulumi = regexp.MustCompile(`^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(exec\s+)?pulumi\s+(up|preview|refresh|destroy)\b`)
	// takesLock is a command that takes, or deletes, a stack's lock, where
	// a command starts (not in a message or a comment that names it); a
	// preview takes none.
	takesLock = regexp.MustCompile(`(?m)(?:^|[;&|(]|\b(?:if|then|do|else|exec|!)\s)\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*` +
		`(?:pulumi\s+(?:up|refresh|destroy|import|cancel|state|stack\s+import)\b|go\s+run\s+\./cmd/doctor\b|\S*/doctor"?\s+-stack\b)`)
	skipCheckpts = regexp.MustCompile(`\bPULUMI_SKIP_CHECKPOINTS\b`)
	pulumiUp     = regexp.MustCompile(`\bpulumi\s+up\b`)
)

// lastCommand is the last command of a step's script: its last line that is
// neither empty nor a comment, with the lines it continues (a trailing \).
func lastCommand(script string) string {
	lines := strings.Split(script, "\n")
	var cmd []string
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if len(cmd) == 0 && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if len(cmd) > 0 && !strings.HasSuffix(l, "\\") {
			break
		}
		cmd = append([]string{strings.TrimSuffix(l, "\\")}, cmd...)
	}
	return strings.Join(cmd, " ")
}

// checkExec checks that a step whose last command is a long pulumi command
// execs it: GitHub's cancellation sends SIGINT to the step's entry process
// only (then SIGTERM 7.5 s later, then kills the tree), and bash neither
// passes it on nor lets pulumi record what it did
// (https://docs.github.com/actions/reference/workflow-cancellation-reference).
func checkExec(where string, step map[string]any) []string {
	run, _ := step["run"].(string)
	m := longPulumi.FindStringSubmatch(lastCommand(run))
	if m == nil || m[1] != "" {
		return nil
	}
	return []string{fmt.Sprintf("%s: the step ends in pulumi %s without exec: a cancellation's SIGINT reaches bash and not pulumi, which is killed with a pending operation and a stale lock", where, m[2])}
}

// checkUpJob checks a job that deploys stack env: the doctor before the up,
// its exit 3 and 1 explained, and a timeout above the cluster's operations.
func checkUpJob(where, env string, job map[string]any, steps []map[string]any) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, where+": "+fmt.Sprintf(format, args...)) }
	up, doctor := -1, -1
	for i, step := range steps {
		run, _ := step["run"].(string)
		if up < 0 && pulumiUp.MatchString(run) {
			up = i
		}
		if doctor < 0 && strings.Contains(run, `/doctor" -stack `+env+" -fix -cancel-stale-lock") {
			doctor = i
			if !strings.Contains(run, "go build -o") || !strings.Contains(run, "&\n") || !regexp.MustCompile(`trap '[^']*kill -TERM[^']*' INT TERM`).MatchString(run) {
				bad("the state doctor does not get a cancellation's signal: build it, run it in the background and pass INT and TERM on to it as TERM with trap (bash and go run keep the signal, and bash starts a background job with INT ignored)")
			}
			if !regexp.MustCompile(`(?m)^\s*3\)`).MatchString(run) || !regexp.MustCompile(`::error[^\n]*stale`).MatchString(run) {
				bad("the state doctor's exit 3 (it repaired the state after the plan was made) does not stop the job with an ::error saying the plan is stale")
			}
			if !strings.Contains(run, "docs/recovery.md") {
				bad("the state doctor's failure does not point to the runbook docs/recovery.md")
			}
		}
	}
	switch {
	case up < 0:
		bad("deploys stack %s without pulumi up", env)
	case doctor < 0:
		bad("runs pulumi up without the state doctor before it (the built cmd/doctor, -stack %s -fix -cancel-stale-lock)", env)
	case doctor > up:
		bad("runs the state doctor after pulumi up; it must run before")
	}
	minutes, err := strconv.Atoi(fmt.Sprint(job["timeout-minutes"]))
	if limit := cluster.OperationTimeout + upJobRoom; err != nil || time.Duration(minutes)*time.Minute <= limit {
		bad("timeout-minutes %v is not above cluster.OperationTimeout (%s) plus %s: the runner would kill pulumi before the provider's deadline records the operation", job["timeout-minutes"], cluster.OperationTimeout, upJobRoom)
	}
	return problems
}

// checkLockGroup checks a job that takes stack env's lock: it is in the
// stack's own concurrency group, which never cancels it.
func checkLockGroup(where, env string, job map[string]any) []string {
	c, _ := job["concurrency"].(map[string]any)
	group, _ := c["group"].(string)
	cancel, isBool := c["cancel-in-progress"].(bool)
	if env == "" || !regexp.MustCompile(`\b`+regexp.QuoteMeta(env)+`\b`).MatchString(group) || !isBool || cancel {
		return []string{fmt.Sprintf("%s: takes a stack's lock outside that stack's concurrency group with cancel-in-progress: false (concurrency %v): the state doctor could cancel a live run's lock, or a newer run cancel this one", where, job["concurrency"])}
	}
	return nil
}

// scripts are the run scripts of a job's steps, one after the other.
func scripts(job map[string]any) string {
	var b strings.Builder
	steps, _ := job["steps"].([]any)
	for _, s := range steps {
		if step, ok := s.(map[string]any); ok {
			run, _ := step["run"].(string)
			b.WriteString(run + "\n")
		}
	}
	return b.String()
}

// checkWorkflow returns every broken promise in the workflow file name.
func checkWorkflow(name string, raw []byte, stacks []string) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, name+": "+fmt.Sprintf(format, args...)) }

	for _, m := range usesLine.FindAllSubmatch(raw, -1) {
		ref, note := string(m[1]), strings.TrimSpace(string(m[2]))
		if strings.HasPrefix(ref, "./") {
			continue
		}
		if !pinned.MatchString(ref) {
			bad("%s is not pinned by a full commit", ref)
		} else if !versionNote.MatchString(note) {
			bad("%s has no version comment (# vX.Y.Z)", ref)
		}
	}
	if regexp.MustCompile(`(?m)^\s*secrets:\s*inherit\b`).Match(raw) {
		bad("a job inherits every secret (secrets: inherit)")
	}
	if skipCheckpts.Match(raw) {
		bad("sets PULUMI_SKIP_CHECKPOINTS: a killed run would leave no record of what it did")
	}
	if regexp.MustCompile(`pulumi-version`).Match(raw) {
		bad("names a pulumi CLI version; the one place is tools/go.mod (.github/scripts/pulumi-version.sh)")
	}
	known := knownSettings(stacks)
	for _, v := range varOrSecret.FindAllSubmatch(raw, -1) {
		if kind, n := string(v[1]), string(v[2]); !known[n] {
			bad("reads %s.%s, which the one-time setup (package pipeline) neither makes nor names", kind, n)
		}
	}
	for _, v := range varIndexed.FindAllSubmatch(raw, -1) {
		if string(v[1]) != pipeline.VarSubscriptionPrefix {
			bad("reads vars[format('%s{0}', …)], which the one-time setup does not make", v[1])
		}
	}

	var doc struct {
		On          map[string]any `yaml:"on"`
		Permissions any            `yaml:"permissions"`
		Concurrency any            `yaml:"concurrency"`
		Jobs        map[string]map[string]any
		Runs        struct {
			Steps []map[string]any
		}
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		bad("%v", err)
		return problems
	}
	if _, ok := doc.On["pull_request_target"]; ok {
		bad("runs on pull_request_target, which gives a pull request's code the repository's secrets")
	}
	if doc.Jobs != nil {
		if p, ok := doc.Permissions.(map[string]any); !ok || len(p) != 0 {
			bad("the workflow's default permissions are %v, want {} (each job asks for its own)", doc.Permissions)
		}
	}
	for _, step := range doc.Runs.Steps {
		problems = append(problems, checkStep(name+" (composite)", step)...)
		problems = append(problems, checkExec(name+" (composite)", step)...)
	}
	if c, ok := doc.Concurrency.(map[string]any); ok && c["cancel-in-progress"] != false {
		for _, job := range doc.Jobs {
			if takesLock.MatchString(scripts(job)) {
				bad("the workflow's concurrency group may cancel a running job (cancel-in-progress: %v), and a job takes a stack's lock", c["cancel-in-progress"])
				break
			}
		}
	}
	for _, jobName := range slices.Sorted(maps.Keys(doc.Jobs)) {
		job := doc.Jobs[jobName]
		text, _ := yaml.Marshal(job)
		where := fmt.Sprintf("job %s", jobName)
		perms, hasPerms := job["permissions"]
		if !hasPerms {
			bad("%s declares no permissions", where)
		}
		if _, reusable := job["uses"]; !reusable {
			if _, ok := job["timeout-minutes"]; !ok {
				bad("%s has no timeout-minutes", where)
			}
		}
		granted := map[string]bool{}
		if pm, ok := perms.(map[string]any); ok {
			for k, v := range pm {
				granted[fmt.Sprintf("%s: %v", k, v)] = true
			}
		}
		needed := map[string]bool{}
		if strings.Contains(string(text), "actions/checkout@") {
			needed["contents: read"] = true
		}
		for _, jp := range jobPermissions {
			if strings.Contains(string(text), jp.marker) {
				needed[jp.permission] = true
			}
		}
		for p := range granted {
			if !needed[p] {
				bad("%s asks for %s, which it does not use", where, p)
			}
		}
		for p := range needed {
			if !granted[p] {
				bad("%s needs %s", where, p)
			}
		}
		env, _ := job["environment"].(string)
		if env != "" && !slices.Contains(stacks, env) {
			bad("%s runs in environment %q, which is no committed stack's", where, env)
		}
		if env == "" && (deployVar.Match(text) || deploySecret.Match(text)) {
			bad("%s runs outside a deployment environment and reads a deploy identity or write-capable secret (vars.%s, secrets.%s)", where, pipeline.VarDeployClientID, pipeline.SecretDeployToken)
		}
		if env != "" && strings.Contains(string(text), pipeline.VarPreviewClientID) {
			bad("%s deploys in environment %s with the read-only identity", where, env)
		}
		if env != "" {
			if _, onPR := doc.On["pull_request"]; onPR {
				bad("%s runs in environment %s on a pull request", where, env)
			}
		}
		var steps []map[string]any
		if list, ok := job["steps"].([]any); ok {
			for _, s := range list {
				if step, ok := s.(map[string]any); ok {
					steps = append(steps, step)
					problems = append(problems, checkStep(name+" "+where, step)...)
					problems = append(problems, checkExec(name+" "+where, step)...)
				}
			}
		}
		if env != "" {
			for _, p := range checkUpJob(where, env, job, steps) {
				bad("%s", p)
			}
		}
		if takesLock.MatchString(scripts(job)) {
			for _, p := range checkLockGroup(where, env, job) {
				bad("%s", p)
			}
		}
	}
	return problems
}

// checkStep checks one step: a checkout keeps no token.
func checkStep(where string, step map[string]any) []string {
	uses, _ := step["uses"].(string)
	if !strings.HasPrefix(uses, "actions/checkout@") {
		return nil
	}
	with, _ := step["with"].(map[string]any)
	if v, ok := with["persist-credentials"].(bool); !ok || v {
		return []string{where + ": a checkout keeps the token in .git/config (persist-credentials: false)"}
	}
	return nil
}

func committedStacks(t *testing.T) []string {
	t.Helper()
	stacks, err := stackfile.Stacks("..")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(stacks)
	return stacks
}

// The committed workflows keep every promise.
func TestWorkflowsKeepTheirPromises(t *testing.T) {
	stacks := committedStacks(t)
	files := workflowFiles(t)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		for _, p := range checkWorkflow(name, files[name], stacks) {
			t.Error(p)
		}
	}
}

// The checks fail on what they are for: each broken workflow below is
// caught, with its reason.
func TestWorkflowChecksCatchBrokenPromises(t *testing.T) {
	const good = `
on:
  pull_request:
permissions: {}
jobs:
  preview:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      contents: read
      id-token: write
    env:
      ARM_CLIENT_ID: ${{ vars.AZURE_PREVIEW_CLIENT_ID }}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - uses: ./.github/actions/pulumi
      - run: exec pulumi preview --stack dev --diff
`
	stacks := []string{"dev", "prod"}
	if got := checkWorkflow("good.yml", []byte(good), stacks); len(got) > 0 {
		t.Fatalf("the good workflow is refused: %v", got)
	}
	if got := checkWorkflow("good-deploy.yml", []byte(goodDeploy), stacks); len(got) > 0 {
		t.Fatalf("the good deploy workflow is refused: %v", got)
	}
	checkBrokenCopies(t, good, stacks, []brokenCopy{
		{"fallback to the deploy identity", "vars.AZURE_PREVIEW_CLIENT_ID }}", "vars.AZURE_PREVIEW_CLIENT_ID || vars.AZURE_CLIENT_ID }}", "reads a deploy identity"},
		{"deploy token in a preview", "    steps:", "      PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n    steps:", "write-capable secret"},
		{"tag pin", "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@v4", "not pinned by a full commit"},
		{"pin without version", "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "3d3c42e5aac5ba805825da76410c181273ba90b1", "no version comment"},
		{"no permissions", "    permissions:\n      contents: read\n      id-token: write\n", "", "declares no permissions"},
		{"unused permission", "      id-token: write\n", "      id-token: write\n      pull-requests: write\n", "asks for pull-requests: write"},
		{"missing permission", "      id-token: write\n", "", "needs id-token: write"},
		{"no timeout", "    timeout-minutes: 5\n", "", "no timeout-minutes"},
		{"inherited secrets", "    steps:", "    secrets: inherit\n    steps:", "inherits every secret"},
		{"kept token", "          persist-credentials: false\n", "          fetch-depth: 0\n", "persist-credentials: false"},
		{"environment not a stack", "    runs-on:", "    environment: qa\n    runs-on:", `environment "qa"`},
		{"deploy environment on a pull request", "    runs-on:", "    environment: prod\n    runs-on:", "on a pull request"},
		{"unknown variable", "vars.AZURE_PREVIEW_CLIENT_ID }}", "vars.AZURE_PREVIEW_ID }}", "reads vars.AZURE_PREVIEW_ID"},
		{"CLI version", "      - uses: ./.github/actions/pulumi\n", "      - uses: ./.github/actions/pulumi\n        with:\n          pulumi-version: 3.274.1\n", "names a pulumi CLI version"},
		{"pull_request_target", "  pull_request:\n", "  pull_request_target:\n", "pull_request_target"},
		{"default permissions", "permissions: {}\n", "permissions: write-all\n", "default permissions"},
		{"preview without exec", "exec pulumi preview", "pulumi preview", "ends in pulumi preview without exec"},
		{"refresh without exec", "exec pulumi preview --stack dev --diff", "pulumi refresh --stack dev --yes \\\n          --color never\n        # done", "ends in pulumi refresh without exec"},
		{"refresh outside the lock group", "exec pulumi preview --stack dev --diff", "exec pulumi refresh --stack dev --yes", "outside that stack's concurrency group"},
		{"skipped checkpoints", "    steps:", "      PULUMI_SKIP_CHECKPOINTS: \"true\"\n    steps:", "PULUMI_SKIP_CHECKPOINTS"},
	})
	checkBrokenCopies(t, goodDeploy, stacks, []brokenCopy{
		{"up without exec", "exec pulumi up", "pulumi up", "ends in pulumi up without exec"},
		{"up with a variable, without exec", "exec pulumi up", "PULUMI_DEBUG_COMMANDS=1 pulumi up", "ends in pulumi up without exec"},
		{"no doctor", doctorStep, "", "without the state doctor before it"},
		{"doctor for another stack", "-stack dev -fix", "-stack prod -fix", "without the state doctor before it"},
		{"doctor without -cancel-stale-lock", " -cancel-stale-lock", "", "without the state doctor before it"},
		{"doctor after the up", doctorStep + upStep, upStep + doctorStep, "runs the state doctor after pulumi up"},
		{"doctor in the foreground", `-org "$PULUMI_ORG" &`, `-org "$PULUMI_ORG"`, "does not get a cancellation's signal"},
		{"doctor's signals not passed on", "          trap 'kill -TERM \"$doctor\" 2>/dev/null || true' INT TERM\n", "", "does not get a cancellation's signal"},
		{"exit 3 not explained", "            3) echo \"::error title=repaired::the saved plan is stale: run the deploy again\"; exit 3 ;;\n", "", "does not stop the job with an ::error saying the plan is stale"},
		{"no runbook", "docs/recovery.md", "the log", "does not point to the runbook"},
		{"timeout of the old job", "timeout-minutes: 180", "timeout-minutes: 120", "is not above cluster.OperationTimeout"},
		{"timeout below the cluster's", "timeout-minutes: 180", "timeout-minutes: 60", "is not above cluster.OperationTimeout"},
		{"timeout an expression", "timeout-minutes: 180", "timeout-minutes: ${{ vars.TIMEOUT }}", "is not above cluster.OperationTimeout"},
		{"no lock group", "    concurrency:\n      group: stack-dev\n      cancel-in-progress: false\n", "", "outside that stack's concurrency group"},
		{"another stack's lock group", "group: stack-dev", "group: stack-prod", "outside that stack's concurrency group"},
		{"lock group cancels", "      cancel-in-progress: false\n", "      cancel-in-progress: true\n", "outside that stack's concurrency group"},
		{"workflow group cancels", "  group: deploy\n  cancel-in-progress: false\n", "  group: deploy\n  cancel-in-progress: true\n", "may cancel a running job"},
		{"skipped checkpoints in a step", "          exec pulumi up", "          export PULUMI_SKIP_CHECKPOINTS=true\n          exec pulumi up", "PULUMI_SKIP_CHECKPOINTS"},
	})
	composite := "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: pulumi up --yes\n"
	if got := strings.Join(checkWorkflow("action.yml", []byte(composite), stacks), "\n"); !strings.Contains(got, "without exec") {
		t.Errorf("a composite action's pulumi up without exec is not caught; findings:\n%s", got)
	}
}

// brokenCopy breaks a good workflow: from replaced by to, which the checks
// must catch with a finding that says want.
type brokenCopy struct {
	name, from, to, want string
}

// checkBrokenCopies checks that each broken copy of good is caught.
func checkBrokenCopies(t *testing.T, good string, stacks []string, cases []brokenCopy) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.from) {
				t.Fatalf("the good workflow has no %q", tc.from)
			}
			got := strings.Join(checkWorkflow("bad.yml", []byte(strings.Replace(good, tc.from, tc.to, 1)), stacks), "\n")
			if !strings.Contains(got, tc.want) {
				t.Errorf("not caught (want %q); findings:\n%s", tc.want, got)
			}
		})
	}
}

// A deploy workflow that keeps every promise, built from its steps so that
// a broken copy can reorder them.
const (
	doctorStep = `      - name: doctor
        run: |
          go build -o "$RUNNER_TEMP/doctor" ./cmd/doctor
          "$RUNNER_TEMP/doctor" -stack dev -fix -cancel-stale-lock -org "$PULUMI_ORG" &
          doctor=$!
          trap 'kill -TERM "$doctor" 2>/dev/null || true' INT TERM
          status=0
          wait "$doctor" || status=$?
          case $status in
            0) ;;
            3) echo "::error title=repaired::the saved plan is stale: run the deploy again"; exit 3 ;;
            *) echo "::error title=doctor::see docs/recovery.md"; exit "$status" ;;
          esac
`
	upStep = `      - name: up
        run: |
          printf '%s' "$PLAN" > plan.json
          exec pulumi up --stack dev --plan plan.json \
            --yes
          # the end
`
	goodDeploy = `
on:
  push:
permissions: {}
concurrency:
  group: deploy
  cancel-in-progress: false
jobs:
  up-dev:
    runs-on: ubuntu-latest
    timeout-minutes: 180
    environment: dev
    concurrency:
      group: stack-dev
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    env:
      ARM_CLIENT_ID: ${{ vars.AZURE_CLIENT_ID }}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - uses: ./.github/actions/pulumi
` + doctorStep + upStep
)

// The scripts the workflows run take no stack lock (they preview; the jobs
// that run them are in no stack's lock group), never skip checkpoints, and
// exec pulumi when it is their last command.
func TestScriptsTakeNoLock(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", ".github", "scripts", "*.sh"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := takesLock.Find(b); m != nil {
			t.Errorf("%s runs %q, which takes a stack's lock: run it in a deploy job, in the stack's concurrency group", p, m)
		}
		if skipCheckpts.Match(b) {
			t.Errorf("%s sets PULUMI_SKIP_CHECKPOINTS", p)
		}
		if got := checkExec(p, map[string]any{"run": string(b)}); len(got) > 0 {
			t.Error(got)
		}
	}
}

func TestLastCommand(t *testing.T) {
	for script, want := range map[string]string{
		"a\nb\n":                       "b",
		"a\nb \\\n  c\n\n# note\n":     "b  c",
		"exec pulumi up \\\n  --yes":   "exec pulumi up  --yes",
		"":                             "",
		"pulumi up\n  # comment\n  \n": "pulumi up",
	} {
		if got := lastCommand(script); got != want {
			t.Errorf("lastCommand(%q) = %q, want %q", script, got, want)
		}
	}
}

// The pulumi CLI version is written once, in tools/go.mod: the workflows
// install what .github/scripts/pulumi-version.sh reads there, the engine
// tests build that module, and nothing else names a version.
func TestPulumiCLIVersionIsWrittenOnce(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/pulumi/pulumi/pkg/v3 (v\d+\.\d+\.\d+)\b`).FindSubmatch(b)
	if m == nil {
		t.Fatal("tools/go.mod requires no github.com/pulumi/pulumi/pkg/v3")
	}
	want := string(m[1])
	out, err := exec.Command("bash", filepath.Join("..", ".github", "scripts", "pulumi-version.sh")).Output()
	if err != nil {
		t.Fatalf("pulumi-version.sh: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("pulumi-version.sh says %s, tools/go.mod requires %s", got, want)
	}
	// Any other place that names a CLI version must name this one, and the
	// workflows and the engine tests name none.
	literal := regexp.MustCompile(`\bv?3\.2\d\d\.\d+\b`)
	for _, glob := range []string{"../.github/workflows/*.yml", "../.github/actions/*/action.yml", "../.github/scripts/*.sh", "../tests/engine/*.go"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if v := literal.Find(b); v != nil {
				t.Errorf("%s names the pulumi CLI version %s; read it from tools/go.mod (.github/scripts/pulumi-version.sh)", p, v)
			}
		}
	}
	docs, _ := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	for _, p := range append([]string{filepath.Join("..", "README.md")}, docs...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`pulumi CLI \(?(v\d+\.\d+\.\d+)`).FindAllSubmatch(b, -1) {
			if string(m[1]) != want {
				t.Errorf("%s names the pulumi CLI %s; tools/go.mod requires %s", p, m[1], want)
			}
		}
	}
}

// workflow is the part of a GitHub Actions workflow that names stacks.
type workflow struct {
	On struct {
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Options []string `yaml:"options"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Jobs map[string]struct {
		Environment string `yaml:"environment"`
		Strategy    struct {
			Matrix struct {
				Stack []string `yaml:"stack"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

// The preview, deploy and drift workflows name every committed stack, and
// only those: a Pulumi.<stack>.yaml added without them fails here. Each
// stack deploys in its own environment after a plan job of its own.
func TestWorkflowsCoverEveryStack(t *testing.T) {
	stacks := committedStacks(t)
	deploy := readWorkflow(t, "deploy.yml")
	var deployed []string
	for name, job := range deploy.Jobs {
		if job.Environment == "" {
			continue
		}
		deployed = append(deployed, job.Environment)
		if name != "up-"+job.Environment {
			t.Errorf("deploy.yml: job %s deploys %s; name it up-%s", name, job.Environment, job.Environment)
		}
		if _, ok := deploy.Jobs["plan-"+job.Environment]; !ok {
			t.Errorf("deploy.yml: %s deploys without a plan job plan-%s (the reviewed plan)", name, job.Environment)
		}
	}
	// The plan job saves the plan and the up job applies it, both without the
	// preview-only read an update plan cannot hold
	// (tests/engine TestDeployAppliesTheReviewedPlan).
	var jobs struct {
		Jobs map[string]any `yaml:"jobs"`
	}
	raw, err := os.ReadFile(filepath.Join("..", ".github", "workflows", "deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &jobs); err != nil {
		t.Fatal(err)
	}
	for _, stack := range stacks {
		plan, _ := yaml.Marshal(jobs.Jobs["plan-"+stack])
		up, _ := yaml.Marshal(jobs.Jobs["up-"+stack])
		if !strings.Contains(string(plan), "preview.sh "+stack+" --save-plan") {
			t.Errorf("deploy.yml: plan-%s saves no plan with preview.sh", stack)
		}
		for _, flag := range []string{"pulumi up ", "--refresh", "--plan ", "--config " + spec.KeyReadLastDeployment + "=false", "needs.plan-" + stack + ".outputs.plan"} {
			if !strings.Contains(string(up), flag) {
				t.Errorf("deploy.yml: up-%s does not apply the reviewed plan as the engine test does: no %q", stack, flag)
			}
		}
	}
	// On a push every stack deploys, one after the other, prod (the stack
	// whose environment waits for a reviewer) last: each plan job but the
	// first needs the up job before it, and runs only once that succeeded.
	var order []string
	for job, next := "", "plan-dev"; next != ""; {
		job, next = next, ""
		stack := strings.TrimPrefix(job, "plan-")
		order = append(order, stack)
		for name, j := range jobs.Jobs {
			m, _ := j.(map[string]any)
			if needs, _ := m["needs"].(string); needs == "up-"+stack && strings.HasPrefix(name, "plan-") {
				if cond, _ := m["if"].(string); !strings.Contains(cond, "needs.up-"+stack+".result == 'success'") {
					t.Errorf("deploy.yml: %s runs on a push without up-%s having succeeded: if %q", name, stack, cond)
				}
				next = name
			}
		}
		if len(order) > len(stacks) {
			break
		}
	}
	if want := []string{"dev", "staging", "prod"}; !slices.Equal(order, want) {
		t.Errorf("deploy.yml deploys on a push in the order %v, want %v", order, want)
	}
	script, err := os.ReadFile(filepath.Join("..", ".github", "scripts", "preview.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), `--save-plan "$2" --config `+spec.KeyReadLastDeployment+`=false`) {
		t.Error("preview.sh saves a plan with the preview-only read of the last deployment, which the up would refuse")
	}
	for what, got := range map[string][]string{
		"pull-request.yml preview matrix":    readWorkflow(t, "pull-request.yml").Jobs["preview"].Strategy.Matrix.Stack,
		"preview-command.yml matrix":         readWorkflow(t, "preview-command.yml").Jobs["preview"].Strategy.Matrix.Stack,
		"drift.yml drift matrix":             readWorkflow(t, "drift.yml").Jobs["drift"].Strategy.Matrix.Stack,
		"deploy.yml environments":            deployed,
		"deploy.yml workflow_dispatch stack": deploy.On.WorkflowDispatch.Inputs["stack"].Options,
	} {
		got = slices.Sorted(slices.Values(got))
		if !slices.Equal(got, stacks) {
			t.Errorf("%s lists stacks %v; the stack files are %v", what, got, stacks)
		}
	}
}

// The rights table of docs/pipelines.md names every identity, subject and
// role the one-time setup makes for the committed stacks, and each workflow.
func TestReadmeRightsTableMatchesTheSetup(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "pipelines.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "# Pull requests and deployment")
	end := strings.Index(readme, "## One-time setup")
	if start < 0 || end < start {
		t.Fatal("docs/pipelines.md has no Pull requests and deployment section before One-time setup")
	}
	section := readme[start:end]
	stacks, err := pipeline.LoadStacks("..")
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.Derive(pipeline.Options{Repo: "OWNER/REPO", Project: spec.Project, Stacks: stacks,
		StateContainer: "/subscriptions/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/state"})
	if err != nil {
		t.Fatal(err)
	}
	named := func(what, s, stack string) {
		if !strings.Contains(section, s) && (stack == "" || !strings.Contains(section, strings.ReplaceAll(s, stack, "<stack>"))) {
			t.Errorf("the rights table of docs/pipelines.md does not name the %s %q", what, s)
		}
	}
	for _, app := range p.Apps {
		named("identity", app.Name, app.Stack)
		named("variable", app.Variable, "")
		for _, s := range app.Subjects {
			named("subject", s, app.Stack)
		}
		for _, g := range app.Grants {
			named("role", g.Role, "")
		}
	}
	for _, a := range pipeline.HubPeeringActions {
		named("hub action", strings.TrimPrefix(a, "Microsoft.Network/virtualNetworks/"), "")
	}
	for name := range workflowFiles(t) {
		named("workflow", filepath.Base(name), "")
	}
}
