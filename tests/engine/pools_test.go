package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// The user node pools (aks-kubenet:pools): an AgentPool each, in a
// component of its own.
const (
	agentPoolType     = armid.AgentPool
	nodePoolComponent = "aks-kubenet:cluster:NodePool"
	// criticalAddonsOnly is the system pool's taint while user pools exist.
	criticalAddonsOnly = "CriticalAddonsOnly=true:NoSchedule"
)

// prodPools are the user pools of the committed prod stack.
var prodPools = []string{"general", "spot"}

// agentPoolURN is the URN suffix of the AgentPool of the user pool named
// pool.
func agentPoolURN(pool string) string { return agentPoolType + "::pool-" + pool + "-agentpool" }

// TestPoolsAfterTheCluster: prod's up creates the cluster, then each user
// pool as an AgentPool of its own under it, in the node subnet, with the
// pool's settings (prod's general pool autoscaled 3 to 30, its Spot pool
// with its label, the Spot taint and Delete eviction); the system pool
// carries the CriticalAddonsOnly taint in the cloud; the stack's outputs
// sum up the deployed pools; a second preview plans nothing.
func TestPoolsAfterTheCluster(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.up()
	c := w.openCloud()
	cluster, err := c.Cluster(clusterNames["prod"])
	if err != nil {
		t.Fatal(err)
	}
	subnet := subnetOf(c)
	for _, name := range prodPools {
		if first, second := opIndex(t, c.Log, "create", managedCluster), opIndex(t, c.Log, "create", agentPoolURN(name)); first > second {
			t.Errorf("created pool %s (operation %d) before the cluster (operation %d)", name, second, first)
		}
		r := c.Get(cluster.ID + "/agentPools/" + name)
		if r == nil {
			t.Fatalf("no AgentPool %s under the cluster %s", name, cluster.ID)
		}
		pool := resource.PropertyMap(r.Properties)
		if got := stringOf(pool["vnetSubnetID"]); !strings.EqualFold(got, subnet.ID) {
			t.Errorf("pool %s is in subnet %s, want the node subnet %s", name, got, subnet.ID)
		}
		if got := stringOf(pool["mode"]); got != "User" {
			t.Errorf("pool %s is in mode %s, want User", name, got)
		}
	}
	general := resource.PropertyMap(c.Get(cluster.ID + "/agentPools/general").Properties)
	if want := resource.NewPropertyMapFromMap(map[string]any{"enableAutoScaling": true, "minCount": 3, "maxCount": 30}); !hasValues(general, want) {
		t.Errorf("pool general is %v, want it autoscaled 3 to 30", general)
	}
	spot := resource.PropertyMap(c.Get(cluster.ID + "/agentPools/spot").Properties)
	if want := resource.NewPropertyMapFromMap(map[string]any{
		"scaleSetPriority": "Spot", "scaleSetEvictionPolicy": "Delete", "nodeLabels": map[string]any{"workload": "batch"}, "nodeTaints": []any{azuresim.SpotTaint},
	}); !hasValues(spot, want) {
		t.Errorf("pool spot is %v, want Spot priority, Delete eviction, the label workload: batch and the Spot taint", spot)
	}
	system, err := c.Pool(clusterNames["prod"], "system")
	if err != nil {
		t.Fatal(err)
	}
	if got := stringList(system["nodeTaints"]); !slices.Equal(got, []string{criticalAddonsOnly}) {
		t.Errorf("the system pool's taints in the cloud are %v, want [%s]", got, criticalAddonsOnly)
	}

	outs, err := w.stack.Outputs(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	pools, _ := outs["pools"].Value.(map[string]any)
	for _, name := range prodPools {
		if s, _ := pools[name].(string); !strings.Contains(s, "vmSize=Standard_D8s_v5") || !strings.Contains(s, "zones=1,2,3") {
			t.Errorf("output pools[%s] = %q, want the deployed pool's VM size and zones", name, s)
		}
	}
	if s, _ := outs["systemPool"].Value.(string); !strings.Contains(s, "taints="+criticalAddonsOnly) {
		t.Errorf("output systemPool = %q, want the deployed system pool's taint", s)
	}
	w.expectNoChanges("second preview after up")
}

// hasValues reports whether m has every value of want.
func hasValues(m, want resource.PropertyMap) bool {
	for k, v := range want {
		if !m[k].DeepEquals(v) {
			return false
		}
	}
	return true
}

// stringOf is v's string, or "" when v is no string.
func stringOf(v resource.PropertyValue) string {
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

// stringList is the strings in v when v is a list.
func stringList(v resource.PropertyValue) []string {
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, item := range v.ArrayValue() {
		if item.IsString() {
			out = append(out, item.StringValue())
		}
	}
	return out
}

// TestPoolsAKSActivityPassesTheDriftCheck: a day in the life of prod with
// its pools (a node route for every node of every pool, the autoscaler
// moving the system pool, general and spot, AKS marking the Spot pool with
// its label, the cloud provider's tags on the table, and the defaults and a
// version AKS fills in) is no drift: the daily check passes, and after a
// refresh the preview plans nothing, and up changes nothing in the cloud.
// The cluster lists every pool in its agentPoolProfiles, which a refresh
// takes into its inputs: without the cluster's ignoreChanges on
// agentPoolProfiles (cluster.IgnoredChanges with user pools) the preview
// plans an update of the cluster. Each pool's own ignoreChanges (the count
// when autoscaled, the version AKS moves, the Spot label) and the Spot taint
// the program declares are needed too: without one, the preview plans an
// update of a pool.
func TestPoolsAKSActivityPassesTheDriftCheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.up()
	name := clusterNames["prod"]
	counts := map[string]int{"system": 5, "general": 7, "spot": 2}
	var nodeRoutes []string
	w.changeCloud(func(c *azuresim.Cloud) error {
		for pool, n := range counts {
			if err := c.Autoscale(name, pool, n); err != nil {
				return err
			}
		}
		var err error
		if nodeRoutes, err = c.WriteNodeRoutes(name); err != nil {
			return err
		}
		if _, err := c.LabelSpotPools(name); err != nil {
			return err
		}
		if err := c.TagRouteTable(name, cloudProviderTags); err != nil {
			return err
		}
		return c.FillClusterDefaults(name, "1.31.7")
	})
	for pool, n := range counts {
		got := 0
		for _, id := range nodeRoutes {
			if strings.Contains(id, "/routes/aks-"+pool+"-") {
				got++
			}
		}
		if got != n {
			t.Errorf("pool %s: %d node routes, want one for each of its %d nodes", pool, got, n)
		}
	}

	if err := w.driftCheck(); err != nil {
		t.Errorf("the drift check fails on a healthy stack with pools: %v", err)
	}
	w.refresh()
	w.expectNoChanges("preview after AKS's activity on the pools and a refresh")
	before := len(w.openCloud().Log)
	w.up()
	c := w.openCloud()
	if ops := c.Log[before:]; len(ops) != 0 {
		t.Errorf("up after AKS's activity did %v", ops)
	}
	for pool, n := range counts {
		p, err := c.Pool(name, pool)
		if err != nil {
			t.Fatal(err)
		}
		if !p["count"].DeepEquals(resource.NewProperty(float64(n))) {
			t.Errorf("pool %s has %v nodes after up; the autoscaler had %d", pool, p["count"], n)
		}
	}
	for _, id := range nodeRoutes {
		if c.Get(id) == nil {
			t.Errorf("node route %s is gone after up", id)
		}
	}
}

// TestRenamedPoolIsMadeBeforeTheOldIsDeleted: renaming a pool in config
// (general to general2, same settings) on prod is a new pool and the old
// one's delete, never a replacement, and up creates general2 before it
// deletes general, so the workloads always have a pool; the cluster is not
// touched. The old pool is protected, like the cluster: the preview fails on
// its delete, naming pulumi state unprotect; an up that runs without a
// preview first (the Automation API's, which pulumi/actions runs) creates
// general2 and then fails on general, leaving both pools. After pulumi state
// unprotect of the old pool, as the message says, up deletes it.
func TestRenamedPoolIsMadeBeforeTheOldIsDeleted(t *testing.T) {
	t.Parallel()
	rename := func(w *world) {
		w.setConfig("aks-kubenet:pools[0].name", "general2", false)
	}
	t.Run("unprotected first", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "prod")
		w.up()
		w.unprotect(agentPoolType)
		rename(w)
		steps, err := w.previewSteps()
		if err != nil {
			t.Fatalf("preview of the rename: %v", err)
		}
		var poolOps []string
		for _, s := range changedSteps(steps) {
			if s.Type == agentPoolType {
				poolOps = append(poolOps, string(s.Op))
			}
		}
		if slices.Sort(poolOps); !slices.Equal(poolOps, []string{"create", "delete"}) {
			t.Errorf("the rename plans %v for the AgentPools, want a create and a delete, no replacement; all changes: %v", poolOps, changed(steps))
		}
		if s := stepFor(t, steps, typeOf(managedCluster), managedCluster); s.Op != apitype.OpSame {
			t.Errorf("the rename plans %s for the cluster, want no change", s.Op)
		}

		before := len(w.openCloud().Log)
		w.up()
		c := w.openCloud()
		ops := c.Log[before:]
		created, deleted := slices.IndexFunc(ops, poolOp("create", "general2")), slices.IndexFunc(ops, poolOp("delete", "general"))
		if created < 0 || deleted < 0 || created > deleted || len(ops) != 2 {
			t.Errorf("up did %v, want the create of general2, then the delete of general, and nothing else", ops)
		}
		assertPools(t, c, "general2", "spot")
		w.expectNoChanges("preview after the rename")
	})

	t.Run("protected", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "prod")
		w.up()
		before := len(w.openCloud().Log)
		rename(w)
		out, err := w.previewOutput()
		if err == nil {
			t.Fatalf("the rename's preview succeeded with the old pool protected:\n%s", out)
		}
		for _, want := range []string{"pool-general-agentpool\" cannot be deleted", "because it is protected", "pulumi state unprotect"} {
			if !strings.Contains(out, want) {
				t.Errorf("the preview does not say %q:\n%s", want, out)
			}
		}
		if _, err := w.stack.Up(w.ctx); err == nil || !strings.Contains(err.Error(), "because it is protected") {
			t.Errorf("up: error %v, want the old pool's protection", err)
		}
		c := w.openCloud()
		if ops := c.Log[before:]; len(ops) != 1 || ops[0].Op != "create" || !strings.HasSuffix(ops[0].URN, agentPoolURN("general2")) {
			t.Errorf("the up that failed on the protection did %v, want the create of general2 only", ops)
		}
		assertPools(t, c, "general", "spot", "general2")

		w.unprotect(agentPoolURN("general"))
		before = len(c.Log)
		w.up()
		if ops := w.openCloud().Log[before:]; len(ops) != 1 || ops[0].Op != "delete" || !strings.HasSuffix(ops[0].URN, agentPoolURN("general")) {
			t.Errorf("up after unprotecting the old pool did %v, want its delete only", ops)
		}
		assertPools(t, w.openCloud(), "general2", "spot")
		w.expectNoChanges("preview after the rename")
	})
}

// assertPools fails the test unless prod's cluster has exactly the system
// pool and the user pools named, in any order, as its GET lists them, the
// user pools in the node subnet.
func assertPools(t *testing.T, c *azuresim.Cloud, pools ...string) {
	t.Helper()
	cluster, err := c.Cluster(clusterNames["prod"])
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(poolNamesOf(c, cluster)))
	if want := slices.Sorted(slices.Values(append([]string{"system"}, pools...))); !slices.Equal(got, want) {
		t.Errorf("the cluster's pools are %v, want %v", got, want)
	}
	for _, name := range pools {
		p, err := c.Pool(clusterNames["prod"], name)
		if err != nil {
			t.Fatal(err)
		}
		if got := stringOf(p["vnetSubnetID"]); !strings.EqualFold(got, subnetOf(c).ID) {
			t.Errorf("pool %s is in subnet %s, want the node subnet", name, got)
		}
	}
}

// poolOp matches the cloud's operation op on the AgentPool named pool.
func poolOp(op, pool string) func(azuresim.Operation) bool {
	return func(o azuresim.Operation) bool {
		return o.Op == op && o.Type == azuresim.AgentPool && strings.HasSuffix(o.ID, "/agentPools/"+pool)
	}
}

// poolNamesOf are the names of the cluster's pools as its GET lists them.
func poolNamesOf(c *azuresim.Cloud, cluster *azuresim.Resource) []string {
	var names []string
	for _, p := range c.View(cluster)["agentPoolProfiles"].ArrayValue() {
		names = append(names, stringOf(p.ObjectValue()["name"]))
	}
	return names
}

// unprotect runs pulumi state unprotect, as Pulumi's message for a
// protected resource's delete says, on every resource whose URN ends with
// suffix (a type token for all resources of the type).
func (w *world) unprotect(suffix string) {
	w.t.Helper()
	var urns []string
	for _, r := range w.deployment().Resources {
		if strings.HasSuffix(string(r.URN), suffix) || string(r.Type) == suffix {
			urns = append(urns, string(r.URN))
		}
	}
	if len(urns) == 0 {
		w.t.Fatalf("no resource in the state whose URN ends with %s", suffix)
	}
	w.run(append(append([]string{"state", "unprotect"}, urns...), "--yes")...)
}

// addPool adds a user pool to the stack's config with one pulumi config
// set-all --path: poolConfig's keys and values.
func (w *world) addPool(index int, name string, nodeCount string, kv ...string) {
	w.t.Helper()
	w.setConfigs(poolConfig(index, name, nodeCount, kv...)...)
}

// poolConfig are the config keys and values, for setConfigs or newWorld, of
// a user pool named name with nodeCount nodes, as aks-kubenet:pools[index];
// kv are more of the pool's keys and values.
func poolConfig(index int, name string, nodeCount string, kv ...string) []string {
	key := fmt.Sprintf("aks-kubenet:pools[%d].", index)
	cfg := []string{key + "name", name, key + "nodeCount", nodeCount}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg = append(cfg, key+kv[i], kv[i+1])
	}
	return cfg
}

// devPool returns the AgentPool named pool of dev's cluster in the cloud, or
// nil.
func devPool(t *testing.T, c *azuresim.Cloud, pool string) *azuresim.Resource {
	t.Helper()
	cluster, err := c.Cluster(clusterNames["dev"])
	if err != nil {
		t.Fatal(err)
	}
	return c.Get(cluster.ID + "/agentPools/" + pool)
}

// TestPoolChangesAKSCannotMakeInPlace: a pool's VM size is create-only in
// the provider, so a change of it is a replacement: on protected prod the
// preview and up fail with Pulumi's protect message and the cloud is
// untouched; on unprotected dev (with a pool added for the test) the preview
// plans the pool's replacement, and up deletes the pool, then creates it
// anew with the new size, under the same name. The pool's zones are an
// update for the provider that AKS refuses: up fails with Azure's message
// and the pool keeps its zones.
func TestPoolChangesAKSCannotMakeInPlace(t *testing.T) {
	t.Parallel()
	t.Run("prod VM size", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "prod")
		w.up()
		before := len(w.openCloud().Log)
		w.setConfig("aks-kubenet:pools[0].vmSize", "Standard_D16s_v5", false)
		out, err := w.previewOutput()
		if err == nil || !strings.Contains(out, "marked for protection") {
			t.Errorf("preview: error %v, want the pool's protection:\n%s", err, out)
		}
		if _, err := w.stack.Up(w.ctx); err == nil {
			t.Error("up replaced a protected pool")
		}
		if ops := w.openCloud().Log[before:]; len(ops) != 0 {
			t.Errorf("the refused change reached the cloud: %v", ops)
		}
	})

	t.Run("dev VM size", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "dev", poolConfig(0, "batch", "2", "vmSize", "Standard_D4s_v5")...)
		w.up()
		w.setConfig("aks-kubenet:pools[0].vmSize", "Standard_D8s_v5", false)
		steps, err := w.previewSteps()
		if err != nil {
			t.Fatalf("preview: %v", err)
		}
		s := stepFor(t, steps, agentPoolType, agentPoolURN("batch"))
		if !replaces(s.Op) || !slices.Contains(s.Diffs, "vmSize") {
			t.Errorf("a VM size change plans %s of the pool with diffs %v, want a replacement on vmSize", s.Op, s.Diffs)
		}
		before := len(w.openCloud().Log)
		w.up()
		c := w.openCloud()
		ops := c.Log[before:]
		t.Logf("up of the new VM size: %v", ops)
		deleted, created := slices.IndexFunc(ops, poolOp("delete", "batch")), slices.IndexFunc(ops, poolOp("create", "batch"))
		if deleted < 0 || created < 0 || deleted > created || len(ops) != 2 {
			t.Errorf("up did %v, want the pool's delete, then its create, and nothing else", ops)
		}
		if p := devPool(t, c, "batch"); p == nil || stringOf(p.Properties["vmSize"]) != "Standard_D8s_v5" {
			t.Errorf("after up the pool is %v, want it with Standard_D8s_v5", p)
		}
		w.expectNoChanges("preview after the replacement")
	})

	t.Run("dev zones", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "dev", poolConfig(0, "batch", "2")...)
		w.up()
		w.setConfigs("aks-kubenet:pools[0].zones[0]", "1", "aks-kubenet:pools[0].zones[1]", "2", "aks-kubenet:pools[0].zones[2]", "3")
		w.expectOnly("zones added to the pool", map[string]apitype.OpType{agentPoolURN("batch"): apitype.OpUpdate})
		before := len(w.openCloud().Log)
		_, err := w.stack.Up(w.ctx)
		if want := "Changing property 'availabilityZones' is not allowed"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("up: error %v, want Azure's %q", err, want)
		}
		c := w.openCloud()
		if ops := c.Log[before:]; len(ops) != 0 {
			t.Errorf("the refused update reached the cloud: %v", ops)
		}
		if p := devPool(t, c, "batch"); p == nil || p.Properties["availabilityZones"].V != nil {
			t.Errorf("after the refused update the pool is %v, want it without zones", p)
		}
	})
}

// TestFirstPoolOnADeployedStack: adding the first user pool to a running
// dev creates the pool, after the cluster exists, and does not update the
// cluster: with user pools the cluster ignores agentPoolProfiles, so the
// system pool's new CriticalAddonsOnly taint, there alone, does not reach
// the cloud (a system pool counts at creation while user pools exist); a
// second preview plans nothing.
func TestFirstPoolOnADeployedStack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	w.addPool(0, "apps", "2")
	w.expectOnly("the first pool", map[string]apitype.OpType{
		agentPoolURN("apps"): apitype.OpCreate, nodePoolComponent + "::pool-apps": apitype.OpCreate,
	})
	before := len(w.openCloud().Log)
	w.up()
	c := w.openCloud()
	ops := c.Log[before:]
	if len(ops) != 1 || !poolOp("create", "apps")(ops[0]) {
		t.Errorf("up did %v, want the pool's create only", ops)
	}
	system, err := c.Pool(clusterNames["dev"], "system")
	if err != nil {
		t.Fatal(err)
	}
	if taints := stringList(system["nodeTaints"]); len(taints) != 0 {
		t.Errorf("the system pool has taints %v in the cloud; the cluster, which ignores agentPoolProfiles, was not to be updated", taints)
	}
	if p := devPool(t, c, "apps"); p == nil || !strings.EqualFold(stringOf(p.Properties["vnetSubnetID"]), subnetOf(c).ID) {
		t.Errorf("the new pool is %v, want it in the node subnet", p)
	}
	w.expectNoChanges("second preview after the first pool")
}

// TestRemovingEveryPool: removing aks-kubenet:pools from a running prod
// (unprotected for the test) deletes both pools; the cluster, which no
// longer ignores agentPoolProfiles, is updated in the same up, before the
// pools go, to the program's one system pool without the CriticalAddonsOnly
// taint; the next preview plans nothing.
func TestRemovingEveryPool(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod", "aks-kubenet:protect", "false")
	w.up()
	if err := w.stack.RemoveConfig(w.ctx, "aks-kubenet:pools"); err != nil {
		t.Fatal(err)
	}
	want := map[string]apitype.OpType{managedCluster: apitype.OpUpdate}
	for _, pool := range prodPools {
		want[agentPoolURN(pool)] = apitype.OpDelete
		want[nodePoolComponent+"::pool-"+pool] = apitype.OpDelete
	}
	w.expectOnly("every pool removed", want)
	before := len(w.openCloud().Log)
	w.up()
	c := w.openCloud()
	ops := c.Log[before:]
	updated := slices.IndexFunc(ops, func(o azuresim.Operation) bool { return o.Op == "update" && o.Type == azuresim.ManagedCluster })
	for _, pool := range prodPools {
		if deleted := slices.IndexFunc(ops, poolOp("delete", pool)); updated < 0 || deleted < updated {
			t.Errorf("up did %v, want the cluster's update, then the pools' deletes", ops)
		}
	}
	assertPools(t, c)
	system, err := c.Pool(clusterNames["prod"], "system")
	if err != nil {
		t.Fatal(err)
	}
	if taints := stringList(system["nodeTaints"]); len(taints) != 0 {
		t.Errorf("without user pools the system pool keeps taints %v in the cloud", taints)
	}
	w.expectNoChanges("preview after every pool is gone")
}

// TestClusterEditAfterAPoolIsGoneNeedsARefresh: with user pools the cluster
// ignores agentPoolProfiles, so any update of the cluster sends the list the
// state holds. After a refresh that list names every pool; once a pool is
// deleted, an update of the cluster (here its tier) lists a pool the
// cluster no longer has, which AKS refuses ("A new agent pool was
// introduced", pulumi-azure-native#2719), and changes nothing. up --refresh,
// as the deploy workflow runs it, reads the list afresh and goes through.
func TestClusterEditAfterAPoolIsGoneNeedsARefresh(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev", append(poolConfig(0, "apps", "2"), poolConfig(1, "batch", "1")...)...)
	w.up()
	w.refresh()
	if err := w.stack.RemoveConfigWithOptions(w.ctx, "aks-kubenet:pools[1]", &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
	w.up()
	if devPool(t, w.openCloud(), "batch") != nil {
		t.Fatal("up left the removed pool batch")
	}

	w.setConfig("aks-kubenet:cluster.tier", "Standard", false)
	before := len(w.openCloud().Log)
	if _, err := w.stack.Up(w.ctx); err == nil || !strings.Contains(err.Error(), "A new agent pool was introduced") {
		t.Errorf("up of the tier with the state's stale agentPoolProfiles: error %v, want AKS's refusal", err)
	}
	if ops := w.openCloud().Log[before:]; len(ops) != 0 {
		t.Errorf("the refused update reached the cloud: %v", ops)
	}
	if _, err := w.stack.Up(w.unreadCtx(), optup.Refresh()); err != nil {
		t.Fatalf("up --refresh: %v", err)
	}
	if got := clusterValue(t, w.openCloud(), "dev", "sku", "tier"); got != "Standard" {
		t.Errorf("after up --refresh the cluster's tier is %v, want Standard", got)
	}
	w.expectNoChanges("preview after up --refresh")
}
