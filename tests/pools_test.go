package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

const (
	tAgentPool = armid.AgentPool
	cNodePool  = "aks-kubenet:cluster:NodePool"
)

// Each user pool of prod is an AgentPool of its own, in a NodePool
// component, in the node subnet, after the cluster, protected like it.
func TestUserPools(t *testing.T) {
	r := runStackFile(t, "prod")
	mustSucceed(t, r)
	aks, subnet := r.one(t, tCluster), r.named(t, "network-node-subnet")
	if n := len(r.byType(tAgentPool)); n != 2 {
		t.Fatalf("prod has %d agent pools, want general and spot", n)
	}
	general, spot := r.named(t, "pool-general-agentpool"), r.named(t, "pool-spot-agentpool")
	wantInputs(t, "general", general.Inputs, map[string]string{
		"resourceName": "aks-prod-weu", "resourceGroupName": "aks-kubenet-prod-weu-rg", "agentPoolName": "general",
		"mode": "User", "osType": "Linux", "osSKU": "Ubuntu", "type": "VirtualMachineScaleSets", "vmSize": "Standard_D8s_v5",
		"count": "3", "enableAutoScaling": "true", "minCount": "3", "maxCount": "30", "maxPods": "110",
		"upgradeSettings.maxSurge": "33%", "vnetSubnetID": subnet.ID, "scaleSetPriority": "<absent>", "nodeTaints": "<absent>",
	})
	if got := stringList(prop(general.Inputs, "availabilityZones")); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("general's zones = %v", got)
	}
	wantInputs(t, "spot", spot.Inputs, map[string]string{
		"agentPoolName": "spot", "scaleSetPriority": "Spot", "scaleSetEvictionPolicy": "Delete", "spotMaxPrice": "-1",
		"count": "0", "minCount": "0", "maxCount": "20", "nodeLabels.workload": "batch", "vnetSubnetID": subnet.ID,
	})
	if got := stringList(prop(spot.Inputs, "nodeTaints")); !slices.Equal(got, []string{spec.SpotTaint}) {
		t.Errorf("spot's taints = %v, want AKS's own Spot taint, so that the pool as AKS returns it matches", got)
	}
	for _, tc := range []struct {
		pool   registered
		ignore []string
	}{
		{general, []string{"count", "orchestratorVersion"}},
		{spot, []string{"count", "orchestratorVersion", `nodeLabels["kubernetes.azure.com/scalesetpriority"]`}},
	} {
		if !dependsOn(tc.pool, aks) {
			t.Errorf("%s does not wait for the cluster", tc.pool.Name)
		}
		if parent, ok := r.byURN(tc.pool.Parent); !ok || parent.Type != cNodePool || !strings.HasPrefix(tc.pool.Name, parent.Name) {
			t.Errorf("%s is not in its %s component", tc.pool.Name, cNodePool)
		}
		if !tc.pool.Protect {
			t.Errorf("%s is not protected in prod", tc.pool.Name)
		}
		if !slices.Equal(tc.pool.IgnoreChanges, tc.ignore) {
			t.Errorf("%s ignores %v, want %v", tc.pool.Name, tc.pool.IgnoreChanges, tc.ignore)
		}
	}

	// A pool of fixed size with a pinned version and no upgrade channel:
	// the program owns its count and version.
	cfg := ownStack(t, "prod")
	setJSON(t, cfg, spec.KeyCluster, "kubernetesVersion", "1.31.2")
	setJSON(t, cfg, spec.KeyCluster, "upgradeChannel", "none")
	cfg[spec.KeyPools] = `[{"name":"fixed","nodeCount":4}]`
	fixed := runProgram(t, "prod", cfg)
	mustSucceed(t, fixed)
	pool := fixed.named(t, "pool-fixed-agentpool")
	wantInputs(t, "fixed", pool.Inputs, map[string]string{
		"orchestratorVersion": "1.31.2", "count": "4", "enableAutoScaling": "<absent>", "vmSize": "Standard_D8s_v5", "maxPods": "110", "upgradeSettings.maxSurge": "1",
	})
	if len(pool.IgnoreChanges) != 0 {
		t.Errorf("a fixed pool with a pinned version ignores %v", pool.IgnoreChanges)
	}
}

// While user pools exist the system pool is tainted CriticalAddonsOnly, so
// that workloads land on the user pools, unless cluster.criticalAddonsOnly
// is false; and the cluster ignores its agentPoolProfiles, which AKS fills
// with every pool.
func TestSystemPoolWithUserPools(t *testing.T) {
	prod := runStackFile(t, "prod")
	mustSucceed(t, prod)
	aks := prod.one(t, tCluster)
	if got := stringList(prop(aks.Inputs, "agentPoolProfiles[0].nodeTaints")); !slices.Equal(got, []string{spec.CriticalAddonsOnly}) {
		t.Errorf("prod's system pool taints = %v, want %s", got, spec.CriticalAddonsOnly)
	}
	if !slices.Contains(aks.IgnoreChanges, "agentPoolProfiles") {
		t.Errorf("with user pools the cluster ignores %v, want agentPoolProfiles among them", aks.IgnoreChanges)
	}

	off := ownStack(t, "prod")
	setJSON(t, off, spec.KeyCluster, "criticalAddonsOnly", false)
	r := runProgram(t, "prod", off)
	mustSucceed(t, r)
	if got := prop(r.one(t, tCluster).Inputs, "agentPoolProfiles[0].nodeTaints"); !got.IsNull() {
		t.Errorf("with criticalAddonsOnly false the system pool is tainted %v", got)
	}

	dev := runStackFile(t, "dev")
	mustSucceed(t, dev)
	devCluster := dev.one(t, tCluster)
	if got := prop(devCluster.Inputs, "agentPoolProfiles[0].nodeTaints"); !got.IsNull() {
		t.Errorf("dev, without user pools, taints its system pool %v", got)
	}
	if slices.Contains(devCluster.IgnoreChanges, "agentPoolProfiles") {
		t.Error("dev, without user pools, ignores its agentPoolProfiles")
	}
}

// Pools that together exceed kubenet's 400 nodes are refused before any
// resource is registered, though no pool exceeds it alone, and the error
// names every pool and its share.
func TestPoolsBeyondKubenetTogetherAreRefused(t *testing.T) {
	cfg := ownStack(t, "prod")
	setJSON(t, cfg, spec.KeyCluster, "podCidr", "10.244.0.0/15") // room for 512 nodes: kubenet binds first
	cfg[spec.KeyPools] = `[{"name":"web","nodeCount":224},{"name":"batch","minCount":0,"maxCount":150,"priority":"Spot"}]`
	r := runProgram(t, "prod", cfg)
	want := "the node pools reach 403 nodes at their upgrade peak (system: cluster.maxCount 20 + 7 surge; web: pools[0].nodeCount 224 + 1 surge; " +
		"batch: pools[1].maxCount 150 + 1 surge), more than the 400 nodes a kubenet cluster can have"
	if r.err == nil || !strings.Contains(r.err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", r.err, want)
	}
	if len(r.resources) != 0 {
		t.Errorf("a refused config registered %d resources", len(r.resources))
	}
}

// A pool's logical names hold its name: renaming a pool in config is a new
// AgentPool (and the old one's deletion), never a replacement in place.
func TestPoolRenameIsANewResource(t *testing.T) {
	cfg := ownStack(t, "prod")
	cfg[spec.KeyPools] = strings.Replace(cfg[spec.KeyPools], `"name":"general"`, `"name":"general2"`, 1)
	before, after := runStackFile(t, "prod"), runProgram(t, "prod", cfg)
	mustSucceed(t, after)
	old, renamed := before.named(t, "pool-general-agentpool"), after.named(t, "pool-general2-agentpool")
	if old.URN == renamed.URN {
		t.Fatalf("the renamed pool kept the URN %s", old.URN)
	}
	if _, ok := after.byURN(old.URN); ok {
		t.Errorf("the old pool %s is still registered after the rename", old.URN)
	}
	if got := str(renamed.Inputs, "agentPoolName"); got != "general2" {
		t.Errorf("renamed pool's Azure name = %q", got)
	}
}

// On a deployed stack the preview calls out a pool setting AKS cannot change
// in place, and a system pool setting the cluster ignores while user pools
// exist.
func TestPoolChangesAreCalledOut(t *testing.T) {
	prod := ownStack(t, "prod")
	s, err := spec.Load("prod", func(key string) (string, bool) { v, ok := prod[key]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	pools := s.Pools
	deployed := map[string]any{
		"clusterName": "aks-prod-weu", "networkPolicy": "calico", "privateCluster": true,
		"systemPool": cluster.ConfigSystemPool(s.Cluster, s.SystemPoolTaints()),
		"pools":      map[string]any{"general": aksfacts.PoolSummary(pools[0]), "spot": aksfacts.PoolSummary(pools[1])},
	}
	for _, tc := range []struct {
		name string
		edit func(cfg map[string]string)
		want string // "" for no pool warning
	}{
		{"nothing changed", func(map[string]string) {}, ""},
		{"a pool's VM size", func(cfg map[string]string) {
			cfg[spec.KeyPools] = strings.Replace(cfg[spec.KeyPools], `"vmSize":"Standard_D8s_v5"`, `"vmSize":"Standard_D16s_v5"`, 1)
		}, "pools[0] general changes vmSize Standard_D8s_v5 -> Standard_D16s_v5: AKS cannot change these on a pool, so Pulumi would delete the pool and create it anew for a VM size (refused while protected)"},
		{"a pool's zones and maxPods", func(cfg map[string]string) {
			cfg[spec.KeyPools] = strings.Replace(cfg[spec.KeyPools], `"zones":[1,2,3]`, `"zones":[1],"maxPods":60`, 1)
		}, "pools[0] general changes zones 1,2,3 -> 1, maxPods 110 -> 60"},
		{"a pool renamed", func(cfg map[string]string) {
			cfg[spec.KeyPools] = strings.Replace(cfg[spec.KeyPools], `"name":"general"`, `"name":"general2"`, 1)
		}, ""},
		{"the system pool's bounds", func(cfg map[string]string) { setJSON(t, cfg, spec.KeyCluster, "maxCount", 25) },
			"the system pool system changes maxCount 20 -> 25, but while aks-kubenet:pools lists pools the cluster ignores its inline pool"},
	} {
		cfg := ownStack(t, "prod")
		tc.edit(cfg)
		r := runProgramIn(t, surroundings{preview: true, deployed: deployed}, "prod", cfg)
		mustSucceed(t, r)
		var got []string
		for _, w := range r.warnings {
			if strings.HasPrefix(w, "pools[") || strings.HasPrefix(w, "the system pool") {
				got = append(got, w)
			}
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s: unexpected pool warnings %q", tc.name, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s: pool warnings %q, want one containing %q", tc.name, got, tc.want)
		}
	}
}
