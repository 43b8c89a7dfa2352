package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/migration/live"
	"github.com/aks-kubenet/aks-kubenet/migration/workflow"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// migrate runs cmd/migrate's body on the world's stack, against the
// simulated cloud through the Azure SDK's own clients, and returns what it
// printed with its result. With a hook, the hook runs once, as soon as the
// command has printed its text.
func (w *world) migrate(ctx context.Context, o workflow.Options, hooks ...hook) (string, workflow.Result, error) {
	w.t.Helper()
	o.Stack, o.Dir = w.name, w.stack.Workspace().WorkDir()
	out := &hooked{hooks: hooks}
	res, err := workflow.Migrate(ctx, o, workflow.Deps{
		Out: out,
		Azure: func(sub string) (*live.Azure, error) {
			a, err := live.New(sub, &azfake.TokenCredential{}, azuresim.ClientOptions(w.cloud))
			if a != nil {
				a.PollEvery = 10 * time.Millisecond
			}
			return a, err
		},
		Stack: func() (workflow.Stack, error) { return &w.stack, nil },
	})
	return out.String(), res, err
}

// hook is something to do once the command has printed a text.
type hook struct {
	after string
	do    func()
}

// hooked is the command's output, which runs its hooks as it is written.
type hooked struct {
	bytes.Buffer
	hooks []hook
}

func (h *hooked) Write(p []byte) (int, error) {
	n, err := h.Buffer.Write(p)
	for i := range h.hooks {
		if h.hooks[i].do != nil && strings.Contains(h.String(), h.hooks[i].after) {
			h.hooks[i].do()
			h.hooks[i].do = nil
		}
	}
	return n, err
}

// snapshot is what the move must leave as it was: every resource the program
// made but the cluster, by id, in the cloud's JSON.
func snapshot(t *testing.T, c *azuresim.Cloud) map[string]string {
	t.Helper()
	out := map[string]string{}
	for id, r := range c.Resources {
		if r.By != "pulumi" || r.Type == armid.ManagedCluster {
			continue
		}
		b, err := json.Marshal(r.Properties)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = r.Type + " " + string(b)
	}
	return out
}

// TestMigrationToOverlay: a deployed kubenet stack with a firewall, Calico
// and a user pool (dev) moves to Azure CNI Overlay with the Cilium dataplane
// in place. First the ways it must not: the stack file edited to Overlay
// alone is refused by the preview, naming the command, and nothing is
// replaced. The command then takes that file as its target: it refuses the
// file's Overlay default of 250 pods a node for pools that run 110, and
// once they are pinned, a dry run and a live check that refuses (the route
// table shared with the firewall's subnet) change nothing. Then the move,
// stopped in its second step (the update hangs, the command is canceled)
// and run again: it resumes from the live cluster, finds the move taken,
// takes Cilium, refreshes the stack and previews no change. The route table
// keeps its user routes and loses AKS's; the grants, the subnets, the pools
// and the identity are as they were; a preview and an up after it change
// nothing.
func TestMigrationToOverlay(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev", poolConfig(0, "general", "2", "vmSize", "Standard_D4s_v5")...)
	m := w.deployForTheMove()

	// The config alone: refused, naming the command; nothing replaced.
	w.setConfig("aks-kubenet:cluster.networkPlugin", "overlay", false)
	steps, err := w.previewSteps()
	if err == nil || !strings.Contains(err.Error(), "go run ./cmd/migrate -stack dev") {
		t.Errorf("preview of the config edited to Overlay: error %v, want the refusal naming go run ./cmd/migrate -stack dev", err)
	}
	noneReplaced(t, steps, "preview of the config edited to Overlay")

	// The command takes the stack file's target; first it refuses the
	// file's default of 250 pods a node for pools that run 110.
	logged := len(w.openCloud().Log)
	out, _, err := w.migrate(w.ctx, workflow.Options{})
	if !errors.Is(err, workflow.ErrRefused) || !strings.Contains(out, "cluster.maxPods is 250 but the deployed pool") || !strings.Contains(out, "pools[0].maxPods is 250") {
		t.Errorf("a stack file saying Overlay with 250 pods a node: error %v, want the refusal of both pools' maxPods:\n%s", err, out)
	}
	w.setConfigs("aks-kubenet:cluster.maxPods", "110", "aks-kubenet:pools[0].maxPods", "110")

	// A dry run, and a live check that refuses: nothing changes.
	out, res, err := w.migrate(w.ctx, workflow.Options{})
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if len(res.Steps) != 3 || !strings.Contains(out, "Dry run: nothing was changed") {
		t.Errorf("dry run planned %d steps, want 3 (policy none, the move, Cilium):\n%s", len(res.Steps), out)
	}
	firewallSubnet := ""
	w.changeCloud(func(c *azuresim.Cloud) error {
		for _, s := range c.Find(armid.Subnet) {
			if strings.HasSuffix(s.ID, "/AzureFirewallSubnet") {
				firewallSubnet = s.ID
				s.Properties["routeTable"] = resource.NewProperty(resource.PropertyMap{"id": resource.NewProperty(m.table)})
			}
		}
		return nil
	})
	if out, _, err := w.migrate(w.ctx, workflow.Options{Apply: true}); !errors.Is(err, workflow.ErrRefused) || !strings.Contains(out, "AzureFirewallSubnet") {
		t.Errorf("a route table shared with the firewall's subnet: error %v, want a refusal naming the subnet:\n%s", err, out)
	}
	w.changeCloud(func(c *azuresim.Cloud) error {
		delete(c.Get(firewallSubnet).Properties, "routeTable")
		return nil
	})
	if c := w.openCloud(); len(c.Log) != logged || clusterValue(t, c, w.name, "networkProfile", "networkPlugin") != "kubenet" {
		t.Fatalf("the dry run or the refused run changed the cloud: %v", c.Log[logged:])
	}

	// Stopped in the second step (its update hangs, and the command is
	// canceled), then run again.
	ctx, cancel := context.WithCancel(w.ctx)
	go func() {
		for ctx.Err() == nil {
			if c, err := azuresim.Open(w.cloud); err == nil && len(c.FiredFaults()) > 0 {
				cancel()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out, res, err = w.migrate(ctx, workflow.Options{Apply: true}, hook{after: ": done in ", do: func() {
		if err := azuresim.WithCloud(w.cloud, func(c *azuresim.Cloud) error {
			c.Arm(azuresim.Fault{Op: "update", Type: azuresim.ManagedCluster, Kind: azuresim.Hang, Busy: time.Millisecond})
			return nil
		}); err != nil {
			t.Error(err)
		}
	}})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "-apply again") {
		t.Fatalf("the stopped run: error %v, want one that says how to resume\n%s", err, out)
	}
	if len(res.Taken) != 1 {
		t.Errorf("the stopped run took %d steps, want 1 (policy none)", len(res.Taken))
	}
	time.Sleep(50 * time.Millisecond) // the hung operation's end in Azure
	out, res, err = w.migrate(w.ctx, workflow.Options{Apply: true})
	if err != nil {
		t.Fatalf("the resumed run: %v\n%s", err, out)
	}
	if len(res.Taken) == 0 || slices.ContainsFunc(res.Taken, func(r live.StepResult) bool { return r.Step.Name == "policy-none" }) {
		t.Errorf("the resumed run took %+v, want the steps left after policy none, and not that one again", res.Taken)
	}
	for _, r := range res.Taken {
		t.Logf("step %q: skipped %t, %s in the simulator", r.Step.Name, r.Skipped, r.Took)
	}
	t.Logf("refresh %s, preview %s", res.Refresh, res.Preview)

	m.dataplane, m.policy, m.podCIDR = spec.DataplaneCilium, spec.NetworkPolicyCilium, "10.244.0.0/16"
	w.movedAsPromised(m)
}

// TestMigrationWithoutPolicy: a deployed kubenet stack with a firewall and a
// user pool but no network policy moves in two steps (the move, Cilium), to
// a pod CIDR expanded from a /16 to a /15, its stack file rewritten by the
// command; the refresh reads the new pod CIDRs into the state, and still
// the preview and an up after the move change nothing. The stack file set
// back to kubenet then is refused: there is no way back.
func TestMigrationWithoutPolicy(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev", append(poolConfig(0, "general", "2", "vmSize", "Standard_D4s_v5"), "aks-kubenet:cluster.networkPolicy", "none")...)
	m := w.deployForTheMove()
	out, res, err := w.migrate(w.ctx, workflow.Options{Apply: true, PodCIDR: "10.244.0.0/15"})
	if err != nil {
		t.Fatalf("the move: %v\n%s", err, out)
	}
	if len(res.Taken) != 2 {
		t.Errorf("the move took %d steps, want 2 (the move, Cilium):\n%s", len(res.Taken), out)
	}
	for _, r := range res.Taken {
		t.Logf("step %q: %s in the simulator", r.Step.Name, r.Took)
	}
	m.dataplane, m.policy, m.podCIDR = spec.DataplaneCilium, spec.NetworkPolicyCilium, "10.244.0.0/15"
	w.movedAsPromised(m)

	// There is no way back: the stack file set back to kubenet is refused,
	// and nothing is replaced.
	w.removeConfig("aks-kubenet:cluster.networkDataplane")
	w.setConfigs("aks-kubenet:cluster.networkPlugin", "kubenet", "aks-kubenet:cluster.networkPolicy", "calico")
	steps, err := w.previewSteps()
	if err == nil || !strings.Contains(err.Error(), "the move to Azure CNI Overlay is one way") {
		t.Errorf("preview of the stack file set back to kubenet: error %v, want the refusal", err)
	}
	noneReplaced(t, steps, "preview of the stack file set back to kubenet")
}

// deployForTheMove deploys the world's kubenet stack, plays AKS writing its
// node routes, and returns what the move must leave as it is.
func (w *world) deployForTheMove() moved {
	w.t.Helper()
	w.up()
	w.changeCloud(func(c *azuresim.Cloud) error {
		_, err := c.WriteNodeRoutes(clusterNames[w.name])
		return err
	})
	c := w.openCloud()
	m := moved{kept: snapshot(w.t, c), table: c.Find(armid.RouteTable)[0].ID}
	for _, r := range c.RoutesOf(m.table) {
		if r.By == "pulumi" {
			m.userRoutes = append(m.userRoutes, r.ID)
		}
	}
	return m
}

// moved is what a move must have left.
type moved struct {
	table                      string
	userRoutes                 []string
	kept                       map[string]string
	dataplane, policy, podCIDR string
}

// movedAsPromised checks the cloud and the stack after a move: the cluster
// on Overlay with m's dataplane, policy and pod CIDR; the route table with
// the user routes only; every other resource as it was; the stack file
// saying Overlay; a preview and an up that change nothing.
func (w *world) movedAsPromised(m moved) {
	t := w.t
	t.Helper()
	c := w.openCloud()
	for key, want := range map[string]string{
		"networkPlugin": aksfacts.NetworkPluginAzure, "networkPluginMode": aksfacts.NetworkPluginModeOverlay,
		"networkDataplane": m.dataplane, "networkPolicy": m.policy, "podCidr": m.podCIDR,
	} {
		if got := clusterValue(t, c, w.name, "networkProfile", key); got != want {
			t.Errorf("after the move the cluster's networkProfile.%s = %q, want %q", key, got, want)
		}
	}
	var routes []string
	for _, r := range c.RoutesOf(m.table) {
		routes = append(routes, r.ID)
		if r.By != "pulumi" {
			t.Errorf("after the move the table keeps AKS's route %s", r.ID)
		}
	}
	if !slices.Equal(routes, m.userRoutes) {
		t.Errorf("after the move the table routes %v, want the user routes %v", routes, m.userRoutes)
	}
	after := snapshot(t, c)
	for id, was := range m.kept {
		if after[id] != was {
			t.Errorf("the move changed %s:\n was %s\n now %s", id, was, after[id])
		}
	}
	cfg, err := stackfile.Read(w.stack.Workspace().WorkDir(), w.name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(w.name, cfg.Get)
	if err != nil || !s.Cluster.Overlay() || s.Cluster.NetworkDataplane != m.dataplane || s.Cluster.PodCidr != m.podCIDR {
		t.Errorf("the rewritten stack file: %v, Overlay %t, dataplane %s, pod CIDR %s", err, s.Cluster.Overlay(), s.Cluster.NetworkDataplane, s.Cluster.PodCidr)
	}
	w.expectNoChanges("preview after the move")
	logged := len(c.Log)
	w.up()
	if ops := w.openCloud().Log[logged:]; len(ops) != 0 {
		t.Errorf("up after the move did %v, want nothing", ops)
	}
}
