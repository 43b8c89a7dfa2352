package azuresim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	rgID       = "/subscriptions/" + sub + "/resourceGroups/rg"
	clusterID  = rgID + "/providers/Microsoft.ContainerService/managedClusters/aks"
	nodesID    = rgID + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"
	otherID    = rgID + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/other"
	tableIDRef = rgID + "/providers/Microsoft.Network/routeTables/rt"
)

// agentPool is the inputs of a user pool named name of cloudWithCluster's
// cluster in its node subnet, with kv on top.
func agentPool(name string, kv ...any) resource.PropertyMap {
	p := props("resourceGroupName", "rg", "resourceName", "aks", "agentPoolName", name, "mode", "User",
		"vmSize", "Standard_D4s_v5", "count", 2.0, "vnetSubnetID", nodesID)
	for k, v := range props(kv...) {
		p[k] = v
	}
	return p
}

// poolNames are the names in the cluster's agentPoolProfiles as its GET
// returns them.
func poolNames(c *Cloud) []string {
	var names []string
	for _, p := range c.View(c.Get(clusterID))["agentPoolProfiles"].ArrayValue() {
		names = append(names, str(p.ObjectValue(), "name"))
	}
	return names
}

// An AgentPool is a resource under its cluster, and one of the cluster's
// pools: the cluster's GET lists it in agentPoolProfiles, in the shape of the
// cluster's own pools, so a refresh of the cluster reads it into the
// cluster's inputs; deleting it takes it out of the list, and deleting the
// cluster deletes its pools.
func TestAgentPoolsAreTheClustersPools(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	before := c.outputs(cluster)
	r, err := c.Put(AgentPool, "urn:pool", agentPool("user1"), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := clusterID + "/agentPools/user1"; r.ID != want {
		t.Errorf("the pool's id is %s, want %s", r.ID, want)
	}
	if got := poolNames(c); !slices.Equal(got, []string{"system", "user1"}) {
		t.Errorf("the cluster lists pools %v, want [system user1]", got)
	}
	pool, err := c.Pool("aks", "user1")
	if err != nil {
		t.Fatal(err)
	}
	if str(pool, "name") != "user1" || str(pool, "vmSize") != "Standard_D4s_v5" || pool.HasValue("agentPoolName") || pool.HasValue("resourceName") {
		t.Errorf("the cluster lists the AgentPool as %v, want a profile: its name and settings, without its id's keys", pool)
	}

	refreshed := refreshedInputs(postureCluster(), before, c.View(c.Get(clusterID)), cluster)
	if got := len(refreshed["agentPoolProfiles"].ArrayValue()); got != 2 {
		t.Errorf("a refresh of the cluster after the AgentPool's create reads %d pools into its inputs, want 2 (azure-native's Read rule)", got)
	}

	if err := c.Delete(AgentPool, "urn:pool", r.ID); err != nil {
		t.Fatal(err)
	}
	if got := poolNames(c); !slices.Equal(got, []string{"system"}) {
		t.Errorf("after the pool's delete the cluster lists pools %v, want [system]", got)
	}
	if last := c.Log[len(c.Log)-1]; last.Op != "delete" || last.ID != r.ID {
		t.Errorf("the pool's delete was logged as %v", last)
	}

	if _, err := c.Put(AgentPool, "urn:pool", agentPool("user2"), true); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ManagedCluster, "urn", clusterID); err != nil {
		t.Fatal(err)
	}
	if pools := c.Find(AgentPool); len(pools) != 0 {
		t.Errorf("deleting the cluster left its pool %s", pools[0].ID)
	}
}

// AKS refuses a pool without its cluster or subnet, in a subnet the
// cluster's identity may not join, or under the name of a pool made with the
// cluster, and an in-place change of what it cannot change on a pool; a
// refused PUT changes nothing. The count, labels, taints and a value AKS
// takes anyway (maxPods 110, zones in another order) change in place.
func TestAgentPoolRefusals(t *testing.T) {
	c, _ := cloudWithCluster(t)
	if _, err := c.Put(Subnet, "urn", props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "subnetName", "other",
		"addressPrefix", "10.0.3.0/24", "routeTable", ref(tableIDRef)), true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		in      resource.PropertyMap
		wantErr string
	}{
		{"no cluster", agentPool("user1", "resourceName", "nocluster"), "ParentResourceNotFound"},
		{"no subnet", agentPool("user1", "vnetSubnetID", nodesID+"x"), "Code=\"InvalidParameter\" Message=\"subnet"},
		{"a subnet the identity may not join", agentPool("user1", "vnetSubnetID", otherID), "LinkedAuthorizationFailed"},
		{"the system pool's name", agentPool("system"), "cannot create already existing resource"},
	} {
		if _, err := c.Put(AgentPool, "urn", tc.in, true); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %s", tc.name, err, tc.wantErr)
		}
	}
	if pools := c.Find(AgentPool); len(pools) != 0 {
		t.Fatalf("a refused pool is in the cloud: %s", pools[0].ID)
	}

	principal := str(resource.PropertyMap(c.Get(rgID+"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami").Computed), "principalId")
	if _, err := c.Put(RoleAssignment, "urn", props("scope", otherID, "roleAssignmentName", "g-other", "principalId", principal,
		"roleDefinitionId", "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/"+networkContributor), true); err != nil {
		t.Fatal(err)
	}
	zones := []resource.PropertyValue{resource.NewProperty("1"), resource.NewProperty("2"), resource.NewProperty("3")}
	original := agentPool("user1", "availabilityZones", zones, "osSKU", "Ubuntu")
	if _, err := c.Put(AgentPool, "urn", original, true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key string
		to  any
	}{
		{"vmSize", "Standard_D8s_v5"},
		{"availabilityZones", []resource.PropertyValue{resource.NewProperty("1")}},
		{"maxPods", 30.0},
		{"osSKU", "AzureLinux"},
		{"osType", "Windows"},
		{"scaleSetPriority", "Spot"},
		{"scaleSetEvictionPolicy", "Deallocate"},
		{"vnetSubnetID", otherID},
	} {
		before := len(c.Log)
		_, err := c.Put(AgentPool, "urn", agentPool("user1", "availabilityZones", zones, "osSKU", "Ubuntu", tc.key, tc.to), false)
		if want := "Code=\"PropertyChangeNotAllowed\" Message=\"Changing property '" + tc.key + "' is not allowed"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("changing %s: error %v, want %q", tc.key, err, want)
		}
		if len(c.Log) != before {
			t.Errorf("changing %s: the refused update was logged", tc.key)
		}
	}
	if got := resource.PropertyMap(c.Get(clusterID + "/agentPools/user1").Properties); !got.DeepEquals(original) {
		t.Errorf("refused updates changed the pool: %v", got)
	}
	reversed := []resource.PropertyValue{resource.NewProperty("3"), resource.NewProperty("2"), resource.NewProperty("1")}
	if _, err := c.Put(AgentPool, "urn", agentPool("user1", "availabilityZones", reversed, "osSKU", "Ubuntu", "count", 5.0, "maxPods", 110.0,
		"nodeLabels", props("workload", "batch"), "nodeTaints", []resource.PropertyValue{resource.NewProperty("a=b:NoSchedule")}), false); err != nil {
		t.Errorf("an update AKS makes in place: %v", err)
	}
}

// A cluster PUT updates the pools it lists, AgentPools included, and leaves
// the ones it does not list; it cannot add a pool to a running cluster, nor
// change what AKS cannot change on a pool.
func TestClusterUpdatesAndItsPools(t *testing.T) {
	c, _ := cloudWithCluster(t)
	if _, err := c.Put(AgentPool, "urn", agentPool("user1"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ManagedCluster, "urn", postureCluster(), false); err != nil {
		t.Fatal(err)
	}
	if got := poolNames(c); !slices.Equal(got, []string{"system", "user1"}) {
		t.Errorf("after a cluster PUT listing the system pool only the cluster has pools %v, want [system user1]", got)
	}

	withPools := func(extra ...resource.PropertyMap) resource.PropertyMap {
		in := postureCluster()
		list := in["agentPoolProfiles"].ArrayValue()
		for _, p := range extra {
			list = append(list, resource.NewProperty(p))
		}
		in["agentPoolProfiles"] = resource.NewProperty(list)
		return in
	}
	listed := props("name", "user1", "mode", "User", "vmSize", "Standard_D4s_v5", "count", 4.0, "vnetSubnetID", nodesID)
	if _, err := c.Put(ManagedCluster, "urn", withPools(listed), false); err != nil {
		t.Fatal(err)
	}
	pool := c.Get(clusterID + "/agentPools/user1")
	if pool == nil || str(resource.PropertyMap(pool.Properties), "agentPoolName") != "user1" || pool.Properties["count"].NumberValue() != 4 {
		t.Errorf("a cluster PUT listing the AgentPool with 4 nodes left it as %v", pool)
	}
	if got := len(c.Get(clusterID).Properties["agentPoolProfiles"].ArrayValue()); got != 1 {
		t.Errorf("the cluster holds %d pools of its own, want 1: the AgentPool stays a resource of its own", got)
	}

	systemResized := postureCluster()
	systemResized["agentPoolProfiles"].ArrayValue()[0].ObjectValue()["vmSize"] = resource.NewProperty("Standard_D8s_v5")
	for _, tc := range []struct {
		name    string
		in      resource.PropertyMap
		wantErr string
	}{
		{"a new pool", withPools(props("name", "ghost", "count", 1.0, "vnetSubnetID", nodesID)), "A new agent pool was introduced"},
		{"the system pool's VM size", systemResized, "Changing property 'vmSize' is not allowed"},
	} {
		before := len(c.Log)
		if _, err := c.Put(ManagedCluster, "urn", tc.in, false); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
		if len(c.Log) != before {
			t.Errorf("%s: the refused update was logged", tc.name)
		}
	}
}

// The provider replaces an AgentPool on its VM size, GPU instance profile and
// names, deleted first, as azure-native v2 does; any other change, zones
// included (which AKS then refuses), is an update.
func TestAgentPoolDiff(t *testing.T) {
	p := NewProvider("unused")
	urn := "urn:pulumi:prod::aks-kubenet::aks-kubenet:cluster:NodePool$" + AgentPool + "::pool-general-agentpool"
	olds := agentPool("general")
	for _, tc := range []struct {
		key     string
		to      any
		replace bool
	}{
		{"vmSize", "Standard_D8s_v5", true},
		{"gpuInstanceProfile", "MIG1g", true},
		{"agentPoolName", "general2", true},
		{"resourceName", "aks2", true},
		{"count", 5.0, false},
		{"availabilityZones", []resource.PropertyValue{resource.NewProperty("1")}, false},
		{"maxPods", 30.0, false},
	} {
		news := olds.Copy()
		news[resource.PropertyKey(tc.key)] = resource.NewPropertyValue(tc.to)
		o, err := marshal(olds)
		if err != nil {
			t.Fatal(err)
		}
		n, err := marshal(news)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, OldInputs: o, Olds: o, News: n})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(resp.GetDiffs(), []string{tc.key}) {
			t.Errorf("%s: diffs %v", tc.key, resp.GetDiffs())
		}
		if replaced := slices.Contains(resp.GetReplaces(), tc.key); replaced != tc.replace || resp.GetDeleteBeforeReplace() != tc.replace {
			t.Errorf("%s: replaces %v, delete first %t; want a replacement deleted first: %t", tc.key, resp.GetReplaces(), resp.GetDeleteBeforeReplace(), tc.replace)
		}
	}
}

// AKS on a cluster with AgentPools: the autoscaler moves a user pool's count;
// AKS marks a Spot pool with its label and taint; the patch channel moves
// every pool's version; the cloud provider writes one route per node of
// every pool, each node with an address of its own in the shared subnet and
// a /24 of its own, and removes the routes of a deleted pool's nodes.
func TestAKSActivityOnPools(t *testing.T) {
	c, _ := cloudWithCluster(t)
	if _, err := c.Put(AgentPool, "urn", agentPool("user1"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.LabelSpotPools("aks"); !errors.Is(err, ErrNotFound) {
		t.Errorf("marking the Spot pools of a cluster without one: error %v, want ErrNotFound", err)
	}
	if _, err := c.Put(AgentPool, "urn", agentPool("spot", "count", 1.0, "scaleSetPriority", "Spot", "scaleSetEvictionPolicy", "Delete",
		"nodeLabels", props("workload", "batch")), true); err != nil {
		t.Fatal(err)
	}

	if err := c.Autoscale("aks", "user1", 4); err != nil {
		t.Fatal(err)
	}
	if pool, _ := c.Pool("aks", "user1"); pool["count"].NumberValue() != 4 {
		t.Errorf("after the autoscaler the pool has %v nodes, want 4", pool["count"])
	}
	if err := c.Autoscale("aks", "ghost", 4); !errors.Is(err, ErrNotFound) {
		t.Errorf("autoscaling a pool the cluster lacks: error %v, want ErrNotFound", err)
	}

	for range 2 {
		spot, err := c.LabelSpotPools("aks")
		if err != nil || !slices.Equal(spot, []string{"spot"}) {
			t.Fatalf("marked Spot pools %v, %v; want [spot]", spot, err)
		}
	}
	pool, _ := c.Pool("aks", "spot")
	labels := pool["nodeLabels"].ObjectValue()
	if str(labels, SpotLabel) != "spot" || str(labels, "workload") != "batch" {
		t.Errorf("the Spot pool's labels are %v, want the pool's and %s: spot", labels, SpotLabel)
	}
	if taints := pool["nodeTaints"].ArrayValue(); len(taints) != 1 || taints[0].StringValue() != SpotTaint {
		t.Errorf("the Spot pool's taints are %v, want [%s] once", taints, SpotTaint)
	}

	if err := c.AutoUpgrade("aks", "1.30.9"); err != nil {
		t.Fatal(err)
	}
	if pool, _ := c.Pool("aks", "user1"); str(pool, "orchestratorVersion") != "1.30.9" {
		t.Errorf("after the patch upgrade the AgentPool is at %q, want 1.30.9", str(pool, "orchestratorVersion"))
	}

	ids, err := c.WriteNodeRoutes("aks")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3+4+1 {
		t.Fatalf("%d node routes, want 8: one per node of the system pool (3), user1 (4) and spot (1)", len(ids))
	}
	prefixes, hops := map[string]bool{}, map[string]bool{}
	for _, id := range ids {
		p := resource.PropertyMap(c.Get(id).Properties)
		prefixes[str(p, "addressPrefix")] = true
		hops[str(p, "nextHopIpAddress")] = true
	}
	if len(prefixes) != len(ids) || len(hops) != len(ids) || !prefixes["10.244.7.0/24"] || !hops["10.0.1.11"] {
		t.Errorf("the nodes' routes have prefixes %v and next hops %v: want one /24 and one address each, 10.244.0-7.0/24 and 10.0.1.4-11", prefixes, hops)
	}

	if err := c.Delete(AgentPool, "urn", clusterID+"/agentPools/user1"); err != nil {
		t.Fatal(err)
	}
	if ids, err = c.WriteNodeRoutes("aks"); err != nil {
		t.Fatal(err)
	}
	aks := 0
	for _, r := range c.RoutesOf(tableIDRef) {
		if r.By == "aks" {
			aks++
			if strings.Contains(r.ID, "/aks-user1-") {
				t.Errorf("the deleted pool's node route %s is still in the table", r.ID)
			}
		}
	}
	if aks != 4 || len(ids) != 4 {
		t.Errorf("after the pool's delete the table holds %d node routes (%d written), want 4", aks, len(ids))
	}
}
