package engine

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
	"github.com/aks-kubenet/aks-kubenet/pipeline"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// The claims the workflows rest on, proven here on the pinned CLI:
//   - a preview (plain or --refresh) neither takes the state lock nor writes
//     anything to the backend, so previews and drift need only read access to
//     the state (Storage Blob Data Reader on a self-managed container);
//   - the deploy applies exactly the plan the approver reviewed (preview
//     --save-plan, then up --plan), and refuses when Azure changed between the
//     two;
//   - the drift job tells drift (the CLI's exit code for --expect-no-changes)
//     from a check that could not run.

// stringLike is Azure ABAC's StringLike: '*' matches any run of characters
// ('/' included), '?' one character, case-sensitively.
func stringLike(pattern, s string) bool {
	expr := regexp.QuoteMeta(pattern)
	expr = strings.ReplaceAll(expr, `\*`, ".*")
	expr = strings.ReplaceAll(expr, `\?`, ".")
	return regexp.MustCompile("^" + expr + "$").MatchString(s)
}

// TestStackWritesOnlyItsOwnStateBlobs: every blob an up writes to a DIY
// backend of the pinned CLI (state, backups, history; the lock while it
// runs) is one the condition on the stack's deploy identity lets it write
// (pipeline.StateBlobs), and none is one another stack's may write, except
// .pulumi/meta.yaml, which the first `pulumi login` writes (the README's
// one-time setup runs it from a workstation).
func TestStackWritesOnlyItsOwnStateBlobs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	w.setConfig("aks-kubenet:tags.costCenter", "cc-4711", false)
	w.up()
	files := w.backendFiles()
	if len(files) < 4 {
		t.Fatalf("the backend holds only %v", files)
	}
	for path := range files {
		rel, err := filepath.Rel(w.backend, path)
		if err != nil {
			t.Fatal(err)
		}
		rel = filepath.ToSlash(rel)
		// meta.yaml: see above. A .attrs file is the file:// driver's sidecar
		// of a blob's attributes; azblob keeps them on the blob.
		if rel == ".pulumi/meta.yaml" || strings.HasSuffix(rel, ".attrs") {
			continue
		}
		own, other := false, false
		for _, p := range pipeline.StateBlobs(spec.Project, "dev") {
			own = own || stringLike(p, rel)
		}
		for _, p := range pipeline.StateBlobs(spec.Project, "prod") {
			other = other || stringLike(p, rel)
		}
		if !own || other {
			t.Errorf("dev's up wrote %s, which dev's deploy identity may write: %v, prod's: %v", rel, own, other)
		}
	}
	lock := filepath.ToSlash(filepath.Join(".pulumi", "locks", "organization", spec.Project, "dev", "0f6e1c1e.json"))
	if !stringLike(pipeline.StateBlobs(spec.Project, "dev")[1], lock) {
		t.Errorf("dev's deploy identity may not write its lock %s", lock)
	}
}

// TestPreviewNeedsOnlyReadAccessToTheState: while another run holds the
// stack's lock (a running up), a preview and a preview --refresh (the drift
// job's, with real drift to record) both succeed, and the backend is byte
// for byte and time for time what it was. up, which does take the lock, is
// refused by the same lock, which shows the lock is where the CLI looks.
func TestPreviewNeedsOnlyReadAccessToTheState(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	// Drift: a refresh would have something to write.
	w.changeCloud(func(c *azuresim.Cloud) error { return c.Dissociate(subnetOf(c).ID) })

	// The lock a running `pulumi up` holds in a DIY backend:
	// .pulumi/locks/<organization>/<project>/<stack>/<lock id>.json.
	lockDir := filepath.Join(w.backend, ".pulumi", "locks", "organization", spec.Project, "dev")
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock := `{"pid":4242,"username":"runner","hostname":"deploy-runner","timestamp":"2026-12-07T05:17:00Z"}`
	if err := os.WriteFile(filepath.Join(lockDir, "0f6e1c1e-5d4a-4a57-9d57-4c7d2f1b9a11.json"), []byte(lock), 0o644); err != nil {
		t.Fatal(err)
	}
	// Let a write in the same clock tick show as a new modification time.
	time.Sleep(20 * time.Millisecond)
	before := w.backendFiles()

	if out, err := w.previewOutput(); err != nil {
		t.Errorf("a preview fails while another run holds the lock: %v\n%s", err, out)
	}
	steps, err := w.previewSteps(optpreview.Refresh())
	if err != nil {
		t.Errorf("a preview --refresh fails while another run holds the lock: %v", err)
	}
	if s := stepFor(t, steps, typeOf(nodeSubnet), nodeSubnet); s.Op != apitype.OpUpdate {
		t.Errorf("the preview --refresh plans %s for the subnet whose route table was removed, want update: the refresh saw no drift, and this test would prove nothing", s.Op)
	}

	after := w.backendFiles()
	for path, b := range before {
		a, ok := after[path]
		switch {
		case !ok:
			t.Errorf("a preview deleted %s from the backend", path)
		case a != b:
			t.Errorf("a preview rewrote %s in the backend", path)
		}
	}
	for path := range after {
		if _, ok := before[path]; !ok {
			t.Errorf("a preview wrote %s to the backend", path)
		}
	}

	var out bytes.Buffer
	_, err = w.stack.Up(w.ctx, optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	if err == nil || !strings.Contains(err.Error()+out.String(), "locked") {
		t.Errorf("pulumi up ran while another run held the lock (err %v): the lock file is not where the CLI looks, and the preview proved nothing\n%s", err, out.String())
	}
}

// planOutputScript hands the plan from deploy.yml's plan job to its up job,
// up to its PLAN_OUTPUT_LIMIT bytes.
const planOutputScript = ".github/scripts/plan-output.sh"

var planLimitDecl = regexp.MustCompile(`(?m)^readonly PLAN_OUTPUT_LIMIT=(\d+)$`)

// scriptConstant reads the readonly constant decl declares in a script of
// the repository.
func scriptConstant(t *testing.T, script string, decl *regexp.Regexp) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, script))
	if err != nil {
		t.Fatal(err)
	}
	m := decl.FindSubmatch(b)
	if m == nil {
		t.Fatalf("%s declares no %s", script, decl)
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// encodedPlanSize is the size of the plan file at path as deploy.yml carries
// it: gzip, then base64.
func encodedPlanSize(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodedLen(z.Len())
}

// TestDeployAppliesTheReviewedPlan is the deploy workflow on prod: the plan
// job's preview --refresh --save-plan (what the approver reads), then, after
// the approval, up --refresh --plan with that file. The pinned CLI does it
// without PULUMI_EXPERIMENTAL, the up changes exactly what the preview
// showed, and the plan fits in half of what the workflow hands from job to
// job. When Azure changes between the review and the up (here the subnet
// loses its route table, which the up's refresh sees), the up refuses the
// plan at the subnet: it changes nothing the approver did not see (the
// engine checks each step against the plan as it goes, so reviewed changes
// that do not wait for the subnet may be made before it stops).
func TestDeployAppliesTheReviewedPlan(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.up()
	// As deploy.yml's plan and up jobs do (--config): the preview-only read
	// of the last deployment would register a provider the up never does.
	w.setConfig(spec.KeyReadLastDeployment, "false", false)

	// A reviewed change: a new tag on every resource.
	w.setConfig("aks-kubenet:tags.costCenter", "cc-4711", false)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	steps, err := w.previewSteps(optpreview.Refresh(), optpreview.Plan(planFile))
	if err != nil {
		t.Fatalf("preview --refresh --save-plan: %v", err)
	}
	reviewed := changed(steps)
	if len(reviewed) == 0 {
		t.Fatal("the preview of a new tag plans no change: this test would prove nothing")
	}
	limit := scriptConstant(t, planOutputScript, planLimitDecl)
	n := encodedPlanSize(t, planFile)
	t.Logf("prod's plan: %d bytes as gzip and base64 (%s allows %d)", n, planOutputScript, limit)
	if n > limit/2 {
		t.Errorf("prod's plan is %d bytes as gzip and base64, more than half the %d %s hands from job to job", n, limit, planOutputScript)
	}

	var out bytes.Buffer
	res, err := w.stack.Up(w.ctx, optup.Refresh(), optup.Plan(planFile), optup.ShowSecrets(false), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	if err != nil {
		t.Fatalf("up --refresh --plan with the reviewed plan: %v\n%s", err, out.String())
	}
	if res.Summary.ResourceChanges != nil {
		var ops int
		for op, n := range *res.Summary.ResourceChanges {
			if op != string(apitype.OpSame) {
				ops += n
			}
		}
		if ops != len(reviewed) {
			t.Errorf("up --plan made %d changes, the reviewed preview showed %d: %v", ops, len(reviewed), reviewed)
		}
	}
	w.expectNoChanges("after the reviewed plan was applied")

	// The next reviewed change, and Azure changes before the approval.
	w.setConfig("aks-kubenet:tags.costCenter", "cc-4712", false)
	planFile = filepath.Join(t.TempDir(), "plan.json")
	steps, err = w.previewSteps(optpreview.Refresh(), optpreview.Plan(planFile))
	if err != nil {
		t.Fatalf("preview --refresh --save-plan: %v", err)
	}
	w.changeCloud(func(c *azuresim.Cloud) error { return c.Dissociate(subnetOf(c).ID) })
	logBefore := len(w.openCloud().Log)
	out.Reset()
	_, err = w.stack.Up(w.ctx, optup.Refresh(), optup.Plan(planFile), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	if err == nil {
		t.Fatalf("up --plan applied a plan that no longer matches Azure (the subnet lost its route table after the review)\n%s", out.String())
	}
	if !strings.Contains(out.String()+err.Error(), "plan") {
		t.Errorf("up --plan failed, but not on the plan: %v\n%s", err, out.String())
	}
	for _, op := range w.openCloud().Log[logBefore:] {
		if s, ok := steps[op.URN]; !ok || s.Op != apitype.OpUpdate || op.Op != "update" {
			t.Errorf("the refused up --plan made a change the approver did not see: %s %s", op.Op, op.URN)
		}
		if strings.HasSuffix(op.URN, nodeSubnet) {
			t.Error("the refused up --plan changed the subnet, which changed in Azure after the review")
		}
	}
}

// driftScript is the drift job's script; driftExit is the exit code of the
// pinned CLI's preview --expect-no-changes when the preview plans changes,
// as the script declares it.
const driftScript = ".github/scripts/drift.sh"

var driftExitDecl = regexp.MustCompile(`(?m)^readonly DRIFT_EXIT=(\d+)$`)

// exitCode is the pulumi CLI's exit code in an Automation API error.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		return exit.ExitCode()
	}
	m := regexp.MustCompile(`\ncode: (-?\d+)\n`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("no exit code in the Automation API's error: %v", err)
	}
	code, _ := strconv.Atoi(m[1])
	return code
}

// TestDriftJobTellsDriftFromFailure: the drift job opens an issue only for
// real drift, which it recognizes by the CLI's exit code; the pinned CLI
// exits with exactly the script's DRIFT_EXIT on drift, 0 on a healthy stack,
// and another code when the check cannot run (a wrong passphrase, as a
// missing secret would give; the simulated cloud unreachable, as a failed
// Azure login would).
func TestDriftJobTellsDriftFromFailure(t *testing.T) {
	t.Parallel()
	driftExit := scriptConstant(t, driftScript, driftExitDecl)

	w := newWorld(t, "dev")
	w.up()
	if code := exitCode(t, w.driftCheck()); code != 0 {
		t.Errorf("the drift check exits %d on a healthy stack, want 0", code)
	}
	w.changeCloud(func(c *azuresim.Cloud) error { return c.Dissociate(subnetOf(c).ID) })
	if code := exitCode(t, w.driftCheck()); code != driftExit {
		t.Errorf("the drift check exits %d on real drift; %s opens an issue on %d", code, driftScript, driftExit)
	}

	// The simulated Azure out of reach, as with a login that failed.
	moved := w.cloud + ".away"
	if err := os.Rename(w.cloud, moved); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, w.driftCheck()); code == 0 || code == driftExit {
		t.Errorf("the drift check exits %d when Azure cannot be reached; the script would call that %s", code, map[bool]string{true: "drift", false: "healthy"}[code == driftExit])
	}
	if err := os.Rename(moved, w.cloud); err != nil {
		t.Fatal(err)
	}

	// A wrong passphrase for the stack's secrets.
	w.stack.Workspace().SetEnvVar("PULUMI_CONFIG_PASSPHRASE", "not-the-passphrase")
	if code := exitCode(t, w.driftCheck()); code == 0 || code == driftExit {
		t.Errorf("the drift check exits %d with a wrong passphrase; the script would call that %s", code, map[bool]string{true: "drift", false: "healthy"}[code == driftExit])
	}
}
