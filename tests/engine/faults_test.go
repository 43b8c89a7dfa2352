package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/doctor"
	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// The faults of faults.md §6, each ending with nothingLost: the program and
// the pipeline act on them, and the simulated azure-native provider fails as
// the real one does (partial state, Cancel, AKS's 409, propagation delays).

// arm arms faults in the simulated cloud.
func (w *world) arm(faults ...azuresim.Fault) {
	w.t.Helper()
	w.changeCloud(func(c *azuresim.Cloud) error {
		for _, f := range faults {
			c.Arm(f)
		}
		return nil
	})
}

// upOutput runs pulumi up and returns what it printed and its error.
func (w *world) upOutput() (string, map[string]int, error) {
	w.t.Helper()
	var out bytes.Buffer
	res, err := w.stack.Up(w.ctx, optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out))
	if err != nil {
		return out.String() + "\n" + err.Error(), nil, err
	}
	changes := map[string]int{}
	if res.Summary.ResourceChanges != nil {
		changes = *res.Summary.ResourceChanges
	}
	return out.String(), changes, nil
}

// upFails runs pulumi up, which must fail, and returns what it printed.
func (w *world) upFails(when string) string {
	w.t.Helper()
	out, _, err := w.upOutput()
	if err == nil {
		w.t.Fatalf("%s: pulumi up succeeded, want it to fail", when)
	}
	return out
}

// upSucceeds runs pulumi up, which must succeed, and returns what it
// printed and its changes.
func (w *world) upSucceeds(when string) (string, map[string]int) {
	w.t.Helper()
	out, changes, err := w.upOutput()
	if err != nil {
		w.t.Fatalf("%s: pulumi up: %s", when, out)
	}
	return out, changes
}

// deployment is the stack's state, as pulumi stack export gives it.
func (w *world) deployment() apitype.DeploymentV3 {
	w.t.Helper()
	exported, err := w.stack.Export(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &d); err != nil {
		w.t.Fatal(err)
	}
	return d
}

// stateResource is the resource of type typ in the state, and whether there
// is one.
func stateResource(d apitype.DeploymentV3, typ string) (apitype.ResourceV3, bool) {
	for _, r := range d.Resources {
		if string(r.Type) == typ {
			return r, true
		}
	}
	return apitype.ResourceV3{}, false
}

// nothingLost is faults.md's "nothing lost": every object Pulumi created in
// the simulated Azure is in the state exactly once, every Azure resource in
// the state exists, no operation is pending, and a preview plans no change.
func (w *world) nothingLost(when string) {
	w.t.Helper()
	d := w.deployment()
	if len(d.PendingOperations) > 0 {
		w.t.Errorf("%s: pending operations %v", when, d.PendingOperations)
	}
	inState := map[string]int{}
	for _, r := range d.Resources {
		if r.Custom && strings.HasPrefix(string(r.Type), "azure-native:") {
			inState[strings.ToLower(string(r.ID))]++
		}
	}
	c := w.openCloud()
	for key, r := range c.Resources {
		if r.By == "pulumi" && r.URN != "" && inState[key] != 1 {
			w.t.Errorf("%s: %s is in Azure and %d times in the state", when, r.ID, inState[key])
		}
	}
	for id, n := range inState {
		if n != 1 || c.Get(id) == nil {
			w.t.Errorf("%s: %s is %d times in the state, in Azure: %v", when, id, n, c.Get(id) != nil)
		}
	}
	w.expectNoChanges(when)
}

// operations are the cloud's logged operations of type typ, "create",
// "update", "delete" or "refused", in order.
func (w *world) operations(typ string) []string {
	var ops []string
	for _, op := range w.openCloud().Log {
		if op.Type == typ {
			ops = append(ops, op.Op)
		}
	}
	return ops
}

// waitFired waits until an armed fault of kind has fired and returns the pid
// of the engine it fired in.
func (w *world) waitFired(kind azuresim.FaultKind) int {
	w.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		for _, f := range w.openCloud().FiredFaults() {
			if f.Kind == kind && f.EnginePID > 0 {
				return f.EnginePID
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.t.Fatalf("the %s fault never fired", kind)
	return 0
}

// interruptedUp runs pulumi up, which must fail, sends sig to its engine
// once the armed Hang fault fired (the provider is then polling), and
// returns what the up printed.
func (w *world) interruptedUp(sig syscall.Signal) string {
	w.t.Helper()
	done := make(chan string, 1)
	go func() {
		out, _, err := w.upOutput()
		if err == nil {
			out = "pulumi up succeeded, want it interrupted\n" + out
		}
		done <- out
	}()
	if err := syscall.Kill(w.waitFired(azuresim.Hang), sig); err != nil {
		w.t.Fatal(err)
	}
	return <-done
}

// locks are the lock files of the stack in the local backend.
func (w *world) locks() []string {
	w.t.Helper()
	matches, err := filepath.Glob(filepath.Join(w.backend, ".pulumi", "locks", "organization", spec.Project, w.name, "*.json"))
	if err != nil {
		w.t.Fatal(err)
	}
	return matches
}

// clusterCreate fails: F1, a long-running create that ends Failed in Azure
// (quota, or a node that cannot reach the API server), and F2, the same
// with the GET after it failing too. The engine records the cluster with
// its init errors; the next up updates it (no second create, no "already
// exists"), and the stack is whole.
func TestFailedClusterCreateIsUpdatedByTheNextUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind       azuresim.FaultKind
		wantReason string
		wantOuts   bool
	}{
		{azuresim.Fail, `Code="QuotaExceeded"`, true},
		{azuresim.FailUnread, "resource created but read failed", false},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "dev")
			w.arm(azuresim.Fault{Op: "create", Type: azuresim.ManagedCluster, Kind: tc.kind, Code: "QuotaExceeded",
				Message: "Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota"})
			out := w.upFails("the cluster's create fails in Azure")
			if !strings.Contains(out, tc.wantReason) {
				t.Errorf("the failed up does not say %q:\n%s", tc.wantReason, out)
			}
			cluster, ok := stateResource(w.deployment(), azuresim.ManagedCluster)
			if !ok || cluster.ID == "" || len(cluster.InitErrors) == 0 || !strings.Contains(cluster.InitErrors[0], tc.wantReason) {
				t.Fatalf("the state's cluster: present %v, id %q, init errors %v; want the id and the reason", ok, cluster.ID, cluster.InitErrors)
			}
			if state, _ := cluster.Outputs["provisioningState"].(string); tc.wantOuts != (state == "Failed") {
				t.Errorf("the state's cluster is %q; want Failed with the outputs (%v)", state, tc.wantOuts)
			}
			_, changes := w.upSucceeds("the cause fixed")
			if got := w.operations(azuresim.ManagedCluster); strings.Join(got, ",") != "create,update" {
				t.Errorf("the cluster's operations %v, want create then update (the next up reconciles it in place)", got)
			}
			if changes["update"] < 1 {
				t.Errorf("changes %v, want the cluster updated", changes)
			}
			if cluster := w.stateOf(azuresim.ManagedCluster); len(cluster.InitErrors) > 0 {
				t.Errorf("init errors %v after the update", cluster.InitErrors)
			}
			w.nothingLost("after the update")
		})
	}
}

// F5: a deploy canceled once (GitHub's SIGINT reaching pulumi, as
// deploy.yml's exec makes sure) while the cluster is being created. The
// provider's Cancel ends its polling; the cluster is recorded with the init
// error "context canceled" and the lock released. AKS's create runs on: the
// next up's update is refused (409 OperationNotAllowed) until it ends, and
// the retry hook waits for it instead of failing.
func TestCancelledDeployIsPickedUpByTheNextUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.arm(azuresim.Fault{Op: "create", Type: azuresim.ManagedCluster, Kind: azuresim.Hang, Busy: time.Hour})
	if out := w.interruptedUp(syscall.SIGINT); !strings.Contains(out, "context canceled") {
		t.Fatalf("the canceled up:\n%s", out)
	}
	cluster, ok := stateResource(w.deployment(), azuresim.ManagedCluster)
	if !ok || cluster.ID == "" || len(cluster.InitErrors) == 0 || !strings.Contains(cluster.InitErrors[0], "context canceled") {
		t.Fatalf("the state's cluster after the cancel: %v %q %v; want its id and the init error", ok, cluster.ID, cluster.InitErrors)
	}
	if locks := w.locks(); len(locks) > 0 {
		t.Errorf("a canceled up left its lock: %v", locks)
	}

	// The next up, while AKS's create still runs: refused, retried, and
	// through once AKS is done.
	type result struct {
		out string
		err error
	}
	next := make(chan result, 1)
	go func() {
		out, _, err := w.upOutput()
		next <- result{out, err}
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for len(w.openCloud().Refused()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	w.changeCloud(func(c *azuresim.Cloud) error { c.FinishOperations(); return nil })
	r := <-next
	if r.err != nil {
		t.Fatalf("the up after the cancel: %s", r.out)
	}
	for _, want := range []string{"refused with OperationNotAllowed: retrying", "retrying update due to on-error hook request"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the up after the cancel does not say %q:\n%s", want, r.out)
		}
	}
	if got := strings.Join(w.operations(azuresim.ManagedCluster), ","); !strings.HasPrefix(got, "create,refused") || !strings.HasSuffix(got, "update") || strings.Count(got, "create") != 1 {
		t.Errorf("the cluster's operations %s, want one create, refusals while AKS ran, then the update", got)
	}
	w.nothingLost("after the canceled deploy")
}

// F6 and F25: a deploy killed (the runner lost, or a cancel that never
// reached pulumi) while the cluster is created leaves a stale lock and a
// pending create; the next up fails on the lock. The state doctor, with
// leave to cancel the lock, looks the cluster up in Azure by its id and
// adopts it through the import option; the next up creates what the killed
// run never reached, and the stack is whole. A foreign lock on a sound
// stack is canceled the same way, and the up after it changes nothing.
func TestStateDoctorRecoversAKilledDeploy(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.arm(azuresim.Fault{Op: "create", Type: azuresim.ManagedCluster, Kind: azuresim.Hang, Busy: time.Millisecond})
	w.interruptedUp(syscall.SIGKILL)
	d := w.deployment()
	if len(d.PendingOperations) != 1 || d.PendingOperations[0].Type != apitype.OperationTypeCreating {
		t.Fatalf("pending operations after the kill: %v, want the cluster's create", d.PendingOperations)
	}
	if len(w.locks()) != 1 {
		t.Fatalf("locks after the kill: %v, want the killed run's", w.locks())
	}
	if out := w.upFails("the stale lock"); !strings.Contains(out, "the stack is currently locked by 1 lock(s)") {
		t.Fatalf("the up after the kill does not name the lock:\n%s", out)
	}

	report := w.doctor(true)
	if !report.Canceled || !report.Repaired || len(report.Pending) != 1 || !report.Pending[0].Exists {
		t.Fatalf("the doctor's report: %+v", report)
	}
	if got := w.stateOf(azuresim.ManagedCluster); !strings.EqualFold(string(got.ID), report.Pending[0].ID) {
		t.Errorf("the adopted cluster is %s, want %s", got.ID, report.Pending[0].ID)
	}
	if _, changes := w.upSucceeds("after the doctor"); changes["create"] == 0 {
		t.Errorf("changes %v: the up after the adoption creates what the killed run never reached", changes)
	}
	if got := w.operations(azuresim.ManagedCluster); len(got) != 1 || got[0] != "create" {
		t.Errorf("the cluster's operations %v, want its one create: adopted, never created again", got)
	}
	w.nothingLost("after the doctor")

	// F25: a lock nobody holds on a sound stack.
	dir := filepath.Join(w.backend, ".pulumi", "locks", "organization", spec.Project, w.name)
	lock := `{"pid": 999999, "username": "runner", "hostname": "lost-runner", "timestamp": "2026-12-07T13:43:23Z"}`
	if err := os.WriteFile(filepath.Join(dir, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.json"), []byte(lock), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := w.upFails("a foreign lock"); !strings.Contains(out, "created by runner@lost-runner (pid 999999)") {
		t.Fatalf("the up does not name the foreign lock:\n%s", out)
	}
	if report := w.doctor(true); !report.Canceled || report.Repaired {
		t.Fatalf("the doctor's report on a locked, sound stack: %+v", report)
	}
	if _, changes := w.upSucceeds("after the lock was canceled"); changes["create"]+changes["update"]+changes["delete"]+changes["replace"] > 0 {
		t.Errorf("changes %v after the lock was canceled, want none", changes)
	}
}

// doctor runs the state doctor with -fix, canceling locks when
// cancelLocks, against the world's backend and simulated Azure.
func (w *world) doctor(cancelLocks bool) doctor.Report {
	w.t.Helper()
	locks, err := doctor.LocksOf("file://"+w.backend, spec.Project, w.name, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	report, err := doctor.Examine(w.ctx, doctor.AutoStack{Stack: w.stack}, locks, simulatedAzure{w}, doctor.Options{
		Fix: true, CancelStaleLock: cancelLocks, Subscription: subscription,
	})
	if err != nil {
		w.t.Fatalf("the doctor: %v\n%s", err, report)
	}
	return report
}

// simulatedAzure looks resources up in the world's simulated cloud.
type simulatedAzure struct{ w *world }

// Exists reports whether the cloud holds id.
func (a simulatedAzure) Exists(_ context.Context, id string) (bool, error) {
	return a.w.openCloud().Get(id) != nil, nil
}

// The committed prod stack's first up on a subscription that behaves like
// Azure: a new identity's principal unknown to ARM's lookup for seconds
// (its grants carry principalType, so they pass at once: F16), the grants
// not in effect for AKS until seconds after they are made (F17: the
// cluster's create is refused, then retried), a grant refused twice with
// PrincipalNotFound (F15), AKS busy when the first pool comes
// (F18: the refusal is retried, and the second pool waits for the first:
// AKS never refuses it) and ARM throttling a subnet within the provider's
// retries (F19). One up, and nothing lost.
func TestProdFirstUpRidesOutAzuresFaults(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	inProgress := "Operation is not allowed: Another operation (Updating) is in progress, please wait for it to finish before starting a new operation. " +
		"See https://aka.ms/aks-pending-operation for more details"
	w.changeCloud(func(c *azuresim.Cloud) error {
		c.Delays = azuresim.Delays{PrincipalReplication: 10 * time.Second, RoleAssignmentPropagation: 2 * time.Second}
		// The first pool refused once, as if an operation of AKS's own ran:
		// retried; meanwhile the second pool must wait, or AKS refuses it.
		c.Arm(azuresim.Fault{Op: "create", Type: azuresim.AgentPool, Name: "general", Kind: azuresim.Refuse, Code: "OperationNotAllowed", Message: inProgress})
		// Both Network Contributor grants refused, and the first to retry
		// refused again.
		c.Arm(azuresim.Fault{Op: "create", Type: azuresim.RoleAssignment, Kind: azuresim.Refuse, Code: "PrincipalNotFound", Times: 3,
			Message: "Principal does not exist in the directory. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay"})
		c.Arm(azuresim.Fault{Op: "create", Type: azuresim.Subnet, Kind: azuresim.Throttle, Times: 3, RetryAfter: 30 * time.Second})
		return nil
	})
	out, _ := w.upSucceeds("the first up")
	for _, want := range []string{
		"refused with CustomRouteTableMissingPermission: retrying",
		"refused with PrincipalNotFound: retrying",
		"refused with OperationNotAllowed: retrying",
		"retrying create due to on-error hook request (1/100)",
		"retrying create due to on-error hook request (2/100)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the first up does not say %q", want)
		}
	}
	retriedTwice := false
	for _, line := range strings.Split(out, "\n") {
		retriedTwice = retriedTwice || strings.Contains(line, "RoleAssignment") && strings.Contains(line, "on-error hook request (2/100)")
	}
	if !retriedTwice {
		t.Error("no grant was retried twice")
	}
	c := w.openCloud()
	pools := c.Find(azuresim.AgentPool)
	if len(pools) != 2 {
		t.Errorf("%d pools in Azure, want prod's 2", len(pools))
	}
	if refused := c.Refused(); len(refused) > 0 {
		t.Errorf("AKS refused %v: an operation ran while another did", refused)
	}
	if t.Failed() || os.Getenv("DEBUG_FAULTS") != "" {
		t.Logf("the first up:\n%s", out)
	}
	w.nothingLost("after prod's first up")
}

// F21 and F22: updates of the cluster that fail. A refused update (one the
// retry hook does not take: the cluster stopped) changes nothing, and the
// state keeps the old inputs; the next up updates. An update whose
// operation fails in Azure leaves the old inputs with the new outputs and
// the init error; the next up issues the update again with the new inputs.
func TestFailedClusterUpdatesAreIssuedAgain(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	// count is the system pool's node count in a cluster's inputs or outputs.
	count := func(m map[string]any) any {
		if pools, _ := m["agentPoolProfiles"].([]any); len(pools) > 0 {
			if pool, ok := pools[0].(map[string]any); ok {
				return pool["count"]
			}
		}
		return nil
	}
	w.arm(azuresim.Fault{Op: "update", Type: azuresim.ManagedCluster, Kind: azuresim.Refuse, Code: "OperationNotAllowed",
		Message: "Operation is not allowed while cluster is being stopped or is stopped. See https://aka.ms/aks-stopped-cluster"})
	w.setConfig("aks-kubenet:cluster.nodeCount", "4", false)
	if out := w.upFails("a refused update"); !strings.Contains(out, `Code="OperationNotAllowed"`) || strings.Contains(out, "retrying update") {
		t.Errorf("the refused update was retried, or is not named:\n%s", out)
	}
	if got := count(w.stateOf(azuresim.ManagedCluster).Inputs); got != float64(3) {
		t.Errorf("the state's node count after a refused update: %v, want the old 3", got)
	}
	if _, changes := w.upSucceeds("the refusal gone"); changes["update"] != 1 {
		t.Errorf("changes %v, want the cluster's update", changes)
	}

	w.arm(azuresim.Fault{Op: "update", Type: azuresim.ManagedCluster, Kind: azuresim.Fail, Code: "ReconcileVMSSAgentPoolFailed", Message: "the scale set failed"})
	w.setConfig("aks-kubenet:cluster.nodeCount", "5", false)
	if out := w.upFails("an update that fails in Azure"); !strings.Contains(out, `Code="ReconcileVMSSAgentPoolFailed"`) {
		t.Errorf("the failed update is not named:\n%s", out)
	}
	cluster := w.stateOf(azuresim.ManagedCluster)
	if len(cluster.InitErrors) == 0 || count(cluster.Inputs) != float64(4) || count(cluster.Outputs) != float64(5) {
		t.Errorf("after a failed update the state holds init errors %v, node count %v in, %v out; want the error, the old inputs (4) and the new outputs (5)",
			cluster.InitErrors, count(cluster.Inputs), count(cluster.Outputs))
	}
	if _, changes := w.upSucceeds("the failure's cause gone"); changes["update"] != 1 {
		t.Errorf("changes %v, want the cluster's update issued again", changes)
	}
	w.nothingLost("after the failed updates")
}

// routeProgram is a program of one route table and its 0.0.0.0/0 route
// named routeName, protected or not, in group rg: the smallest stack that
// shows what a delete-first replacement does to egress.
func routeProgram(routeName string, protect bool) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		table, err := network.NewRouteTable(ctx, "table", &network.RouteTableArgs{
			ResourceGroupName: pulumi.String("rg"), RouteTableName: pulumi.String("rt"), Location: pulumi.String("eastus"),
		})
		if err != nil {
			return err
		}
		_, err = network.NewRoute(ctx, "default", &network.RouteArgs{
			ResourceGroupName: pulumi.String("rg"), RouteTableName: table.Name, RouteName: pulumi.String(routeName),
			AddressPrefix: pulumi.String("0.0.0.0/0"), NextHopType: pulumi.String("VirtualAppliance"), NextHopIpAddress: pulumi.String("10.0.2.4"),
		}, pulumi.Protect(protect))
		return err
	}
}

// programWorld is a world whose stack runs program instead of the
// project's, in a cloud with the resource group rg.
func programWorld(t *testing.T, program pulumi.RunFunc) *world {
	t.Helper()
	w := newWorld(t, "dev")
	w.changeCloud(func(c *azuresim.Cloud) error { c.CreateGroup(subscription, "rg", "eastus"); return nil })
	w.stack.Workspace().SetProgram(program)
	return w
}

// defaultRoutes are the cloud's routes to 0.0.0.0/0.
func (w *world) defaultRoutes() []string {
	var names []string
	for _, r := range w.openCloud().Find(azuresim.Route) {
		if str, _ := r.Properties["addressPrefix"].V.(string); str == "0.0.0.0/0" {
			names = append(names, r.ID[strings.LastIndex(r.ID, "/")+1:])
		}
	}
	return names
}

// F11: azure-native replaces a named resource by deleting it first. A
// replacement of the default route whose create then fails leaves the
// nodes without egress until the next up: the old entry stays in the state
// as pendingReplacement, the route is gone from Azure, and the next up
// creates it without deleting anything again. Protected, as the program
// protects it, the replacement is refused before any step, and the route
// never leaves Azure.
func TestDefaultRouteReplacementAndProtect(t *testing.T) {
	t.Parallel()
	w := programWorld(t, routeProgram("default", false))
	w.upSucceeds("the route")

	w.stack.Workspace().SetProgram(routeProgram("default-2", false))
	w.arm(azuresim.Fault{Op: "create", Type: azuresim.Route, Name: "default-2", Kind: azuresim.Refuse, Code: "InternalServerError", Message: "ARM had a bad moment"})
	w.upFails("the replacement's create refused")
	if got := w.defaultRoutes(); len(got) != 0 {
		t.Errorf("0.0.0.0/0 routes in Azure after the delete-first replacement failed: %v, want none (the outage)", got)
	}
	if r, ok := stateResource(w.deployment(), azuresim.Route); !ok || !r.PendingReplacement {
		t.Errorf("the route in the state: %v, pendingReplacement %v; want it kept, pending replacement", ok, r.PendingReplacement)
	}
	w.upSucceeds("the fault gone")
	if got := w.defaultRoutes(); len(got) != 1 || got[0] != "default-2" {
		t.Errorf("0.0.0.0/0 routes in Azure: %v, want default-2 alone", got)
	}
	w.nothingLost("after the replacement")

	w.stack.Workspace().SetProgram(routeProgram("default-2", true))
	w.upSucceeds("protected")
	w.stack.Workspace().SetProgram(routeProgram("default-3", true))
	if out := w.upFails("a protected route's replacement"); !strings.Contains(out, "unable to replace resource") {
		t.Errorf("the protected route's replacement is not refused by protect:\n%s", out)
	}
	if got := w.defaultRoutes(); len(got) != 1 || got[0] != "default-2" {
		t.Errorf("0.0.0.0/0 routes in Azure after the refusal: %v, want default-2, untouched", got)
	}
}

// F13: retainOnDelete on a resource with a fixed name makes a replacement
// stuck for good: the delete is skipped, the create finds the resource
// ("cannot create already existing resource"), and every later up fails
// the same way. The program never sets it (TestRecoveryOptions).
func TestRetainOnDeleteMakesAReplacementStuck(t *testing.T) {
	t.Parallel()
	var readers, writers string
	w := newWorld(t, "dev")
	w.changeCloud(func(c *azuresim.Cloud) error {
		c.CreateGroup(subscription, "rg", "eastus")
		var err error
		if readers, err = c.CreatePrincipal(azuresim.Group, "readers"); err != nil {
			return err
		}
		writers, err = c.CreatePrincipal(azuresim.Group, "writers")
		return err
	})
	// A new principal replaces a role assignment (the provider's forceNewMap:
	// principalId and scope); its name stays.
	grant := func(principal string) pulumi.RunFunc {
		return func(ctx *pulumi.Context) error {
			_, err := authorization.NewRoleAssignment(ctx, "grant", &authorization.RoleAssignmentArgs{
				RoleAssignmentName: pulumi.String("0b9c3c5e-0f6a-4b8e-9a43-9b1c2d3e4f50"),
				Scope:              pulumi.String("/subscriptions/" + subscription + "/resourceGroups/rg"),
				PrincipalId:        pulumi.String(principal), PrincipalType: pulumi.String(azuresim.Group),
				RoleDefinitionId: pulumi.String("/subscriptions/" + subscription + "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"),
			}, pulumi.RetainOnDelete(true))
			return err
		}
	}
	w.stack.Workspace().SetProgram(grant(readers))
	w.upSucceeds("the grant")
	w.stack.Workspace().SetProgram(grant(writers))
	for _, when := range []string{"the replacement", "the next up"} {
		if out := w.upFails(when); !strings.Contains(out, "cannot create already existing resource") {
			t.Fatalf("%s does not fail on the retained resource:\n%s", when, out)
		}
	}
}
