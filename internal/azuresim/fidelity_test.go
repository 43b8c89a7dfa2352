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

// Rules of the simulated provider that copy azure-native v2.82
// (azure-native-replace.md §5, §6), each pinned here.

// diffOf runs the simulated provider's Diff of a resource of type typ from
// old inputs and old outputs to new inputs.
func diffOf(t *testing.T, typ string, oldInputs, oldOutputs, news resource.PropertyMap) *pulumirpc.DiffResponse {
	t.Helper()
	req := &pulumirpc.DiffRequest{Urn: "urn:pulumi:dev::aks-kubenet::" + typ + "::r"}
	var err error
	if req.OldInputs, err = marshal(oldInputs); err != nil {
		t.Fatal(err)
	}
	if req.Olds, err = marshal(oldOutputs); err != nil {
		t.Fatal(err)
	}
	if req.News, err = marshal(news); err != nil {
		t.Fatal(err)
	}
	resp, err := NewProvider("").Diff(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// snapshot is a deep copy of m, through the wire form.
func snapshot(t *testing.T, m resource.PropertyMap) resource.PropertyMap {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := unmarshal(s, true)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// with is m copied, with key set to v.
func with(m resource.PropertyMap, key string, v any) resource.PropertyMap {
	out := m.Copy()
	out[resource.PropertyKey(key)] = resource.NewPropertyValue(v)
	return out
}

func list(items ...any) []resource.PropertyValue {
	var out []resource.PropertyValue
	for _, i := range items {
		out = append(out, resource.NewPropertyValue(i))
	}
	return out
}

// The replace keys are the real provider's (provider/pkg/gen/replacement.go
// forceNewMap, diff.go): the nested name-collision keys of a cluster's
// agentPoolProfiles (§6.1), no location on the network types outside
// forceNewMap (§6.3), a public IP's sku, version and prefix (§6.4), a role
// assignment's principal and scope but not its role (§6.5), a create-only
// key added with the live value (§6.2), location without case and spaces
// (§6.6), and any leaf under the networkProfile.
func TestDiffReplacesAsTheRealProvider(t *testing.T) {
	pool := props("name", "system", "count", 3.0, "vmSize", "Standard_D4s_v5")
	cluster := props("resourceGroupName", "rg", "resourceName", "aks", "location", "eastus", "dnsPrefix", "aks",
		"agentPoolProfiles", list(pool),
		"networkProfile", props("networkPlugin", "kubenet", "podCidr", "10.244.0.0/16"))
	clusterOut := with(cluster, "nodeResourceGroup", "MC_rg_aks_eastus")
	table := props("resourceGroupName", "rg", "routeTableName", "rt", "location", "eastus")
	pip := props("resourceGroupName", "rg", "publicIpAddressName", "pip", "location", "eastus", "sku", props("name", "Standard"))
	ra := props("scope", "/subscriptions/s/resourceGroups/rg", "roleAssignmentName", "ra", "principalId", "p1",
		"roleDefinitionId", "/providers/Microsoft.Authorization/roleDefinitions/r1")
	for _, tc := range []struct {
		name             string
		typ              string
		old, outs, news  resource.PropertyMap
		wantDiffs, wantR []string
	}{
		{"pool networkProfile added", ManagedCluster, cluster, clusterOut,
			with(cluster, "agentPoolProfiles", list(with(pool, "networkProfile", props("allowedHostPorts", list())))),
			[]string{"agentPoolProfiles"}, []string{"agentPoolProfiles[0].networkProfile"}},
		{"pool windowsProfile removed", ManagedCluster, with(cluster, "agentPoolProfiles", list(with(pool, "windowsProfile", props("disableOutboundNat", true)))), clusterOut,
			cluster, []string{"agentPoolProfiles"}, []string{"agentPoolProfiles[0].windowsProfile"}},
		{"pool count", ManagedCluster, cluster, clusterOut, with(cluster, "agentPoolProfiles", list(with(pool, "count", 5.0))),
			[]string{"agentPoolProfiles"}, nil},
		{"a pool more, with a networkProfile", ManagedCluster, cluster, clusterOut,
			with(cluster, "agentPoolProfiles", list(pool, with(pool, "networkProfile", props("allowedHostPorts", list())))),
			[]string{"agentPoolProfiles"}, nil},
		{"nodeResourceGroup added, the live one", ManagedCluster, cluster, clusterOut, with(cluster, "nodeResourceGroup", "MC_rg_aks_eastus"),
			[]string{"nodeResourceGroup"}, nil},
		{"nodeResourceGroup added, another", ManagedCluster, cluster, clusterOut, with(cluster, "nodeResourceGroup", "nodes-rg"),
			[]string{"nodeResourceGroup"}, []string{"nodeResourceGroup"}},
		{"networkProfile leaf the program lacks", ManagedCluster,
			with(cluster, "networkProfile", props("networkPlugin", "kubenet", "podCidr", "10.244.0.0/16", "podCidrs", list("10.245.0.0/16"))), clusterOut,
			cluster, []string{"networkProfile"}, []string{"networkProfile"}},
		{"cluster location", ManagedCluster, cluster, clusterOut, with(cluster, "location", "westeurope"), []string{"location"}, []string{"location"}},
		{"cluster location, case and spaces", ManagedCluster, cluster, clusterOut, with(cluster, "location", "East US"), nil, nil},
		{"route table location", RouteTable, table, table, with(table, "location", "westeurope"), []string{"location"}, nil},
		{"route table location, case and spaces", RouteTable, table, table, with(table, "location", "East US"), nil, nil},
		{"firewall policy location", FirewallPolicy, props("resourceGroupName", "rg", "firewallPolicyName", "fp", "location", "eastus"), nil,
			props("resourceGroupName", "rg", "firewallPolicyName", "fp", "location", "westeurope"), []string{"location"}, nil},
		{"VNet location", VirtualNetwork, props("resourceGroupName", "rg", "virtualNetworkName", "v", "location", "eastus"), nil,
			props("resourceGroupName", "rg", "virtualNetworkName", "v", "location", "westeurope"), []string{"location"}, []string{"location"}},
		{"public IP sku", PublicIPAddress, pip, pip, with(pip, "sku", props("name", "Basic")), []string{"sku"}, []string{"sku"}},
		{"public IP version", PublicIPAddress, pip, pip, with(pip, "publicIPAddressVersion", "IPv6"),
			[]string{"publicIPAddressVersion"}, []string{"publicIPAddressVersion"}},
		{"public IP prefix", PublicIPAddress, pip, pip, with(pip, "publicIPPrefix", props("id", "x")), []string{"publicIPPrefix"}, []string{"publicIPPrefix"}},
		{"public IP location", PublicIPAddress, pip, pip, with(pip, "location", "westeurope"), []string{"location"}, []string{"location"}},
		{"role definition", RoleAssignment, ra, ra, with(ra, "roleDefinitionId", "/providers/Microsoft.Authorization/roleDefinitions/r2"),
			[]string{"roleDefinitionId"}, nil},
		{"role principal", RoleAssignment, ra, ra, with(ra, "principalId", "p2"), []string{"principalId"}, []string{"principalId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := diffOf(t, tc.typ, tc.old, tc.outs, tc.news)
			if !slices.Equal(resp.Diffs, tc.wantDiffs) || !slices.Equal(resp.Replaces, tc.wantR) {
				t.Errorf("diffs %v replaces %v, want %v and %v", resp.Diffs, resp.Replaces, tc.wantDiffs, tc.wantR)
			}
			if resp.DeleteBeforeReplace != (len(tc.wantR) > 0) {
				t.Errorf("deleteBeforeReplace %v with replaces %v", resp.DeleteBeforeReplace, resp.Replaces)
			}
		})
	}
}

// The top-level replace keys the engine tests compare with aksfacts: a
// network type without forceNewMap's location has none but its names.
func TestReplaceKeysLeaveLocationToForceNewMap(t *testing.T) {
	for typ, want := range map[string]bool{
		RouteTable: false, AzureFirewall: false, FirewallPolicy: false, NetworkSecurityGroup: false,
		VirtualNetwork: true, PublicIPAddress: true, ManagedCluster: true, ResourceGroup: true, UserAssignedIdentity: true,
	} {
		if got := slices.Contains(ReplaceKeys(typ), "location"); got != want {
			t.Errorf("%s: location a replace key %v, want %v", typ, got, want)
		}
	}
	if slices.Contains(ReplaceKeys(RoleAssignment), "roleDefinitionId") {
		t.Error("a role assignment's roleDefinitionId is a replace key; forceNewMap has principalId and scope only")
	}
}

// A location change of a network resource that does not replace is an update
// ARM refuses (InvalidResourceLocation); the same region spelt otherwise is
// no move.
func TestLocationChangeRefused(t *testing.T) {
	c := cloudWithNetwork(t)
	moved := props("resourceGroupName", "rg", "routeTableName", "rt", "location", "westeurope")
	before := len(c.Log)
	_, err := c.Put(RouteTable, "urn", moved, false)
	var armErr *Error
	if !errors.As(err, &armErr) || armErr.Code != "InvalidResourceLocation" || !strings.Contains(err.Error(), "already exists in location 'eastus'") {
		t.Errorf("moving a route table: %v, want InvalidResourceLocation", err)
	}
	if len(c.Log) != before {
		t.Error("the refused move was logged as an operation")
	}
	if _, err := c.Put(RouteTable, "urn", props("resourceGroupName", "rg", "routeTableName", "rt", "location", "East US"), false); err != nil {
		t.Errorf("East US for eastus: %v", err)
	}
}

// A role assignment's new role is an update in azure-native v2, which ARM
// refuses: RoleAssignmentUpdateNotPermitted.
func TestRoleAssignmentRoleChangeRefused(t *testing.T) {
	c, _ := cloudWithCluster(t)
	ra := c.Find(RoleAssignment)[0]
	in := resource.PropertyMap(ra.Properties).Copy()
	if _, err := c.Put(RoleAssignment, "urn", in, false); err != nil {
		t.Fatalf("a PUT of the same assignment: %v", err)
	}
	in["roleDefinitionId"] = resource.NewProperty("/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7")
	var armErr *Error
	if _, err := c.Put(RoleAssignment, "urn", in, false); !errors.As(err, &armErr) || armErr.Code != "RoleAssignmentUpdateNotPermitted" {
		t.Errorf("a new role on an existing assignment: %v, want RoleAssignmentUpdateNotPermitted", err)
	}
}

// AKS's network profile comes back with what AKS fills in (podCidrs,
// serviceCidrs, ipFamilies; on Overlay the azure data plane), in the
// outputs; a refresh takes only what changed in Azure since into the inputs,
// leaf by leaf (azure-native's applyDiff), a changed object the program never
// set as a whole, and a changed entry of an array by its changed keys.
func TestRefreshCopiesChangedLeaves(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	outs := snapshot(t, c.outputs(cluster)) // as the state holds them
	for path, want := range map[string]resource.PropertyValue{
		"podCidrs":   resource.NewProperty(list("10.244.0.0/16")),
		"ipFamilies": resource.NewProperty(list("IPv4")),
	} {
		if got := valueAt(outs, "networkProfile", path); !got.DeepEquals(want) {
			t.Errorf("the outputs' networkProfile.%s is %v, want %v", path, got, want)
		}
	}
	if v := valueAt(outs, "networkProfile", "networkDataplane"); !v.IsNull() {
		t.Errorf("a kubenet cluster's networkDataplane %v; AKS fills it in on Overlay", v)
	}
	if got := refreshedInputs(postureCluster(), outs, c.View(cluster), cluster); !got.DeepEquals(postureCluster()) {
		t.Errorf("a refresh of an untouched cluster changed its inputs to %v", got["networkProfile"])
	}

	// Behind Pulumi's back: the pod ranges, the load balancer profile, the
	// autoscaler.
	np := cluster.Properties["networkProfile"].ObjectValue()
	np["podCidrs"] = resource.NewProperty(list("10.245.0.0/16"))
	if err := c.FillClusterDefaults("aks", ""); err != nil {
		t.Fatal(err)
	}
	if err := c.Autoscale("aks", "system", 5); err != nil {
		t.Fatal(err)
	}
	got := refreshedInputs(postureCluster(), outs, c.View(cluster), cluster)
	want := postureCluster()["networkProfile"].ObjectValue().Copy()
	want["podCidrs"] = resource.NewProperty(list("10.245.0.0/16"))
	want["loadBalancerProfile"] = resource.NewProperty(props("backendPoolType", "nodeIPConfiguration"))
	if !got["networkProfile"].DeepEquals(resource.NewProperty(want)) {
		t.Errorf("refreshed networkProfile %v, want %v (the changed leaves only, ipFamilies left out)", got["networkProfile"], want)
	}
	wantPool := profiles(postureCluster())[0].Copy()
	wantPool["count"] = resource.NewProperty(5.0)
	if pools := profiles(got); len(pools) != 1 || !pools[0].DeepEquals(wantPool) {
		t.Errorf("refreshed agentPoolProfiles %v, want the program's pool with count 5", pools)
	}
	if got["windowsProfile"].IsNull() {
		t.Error("AKS's new windowsProfile is not in the refreshed inputs")
	}

	// A leaf Azure dropped leaves the inputs; an import (no old inputs)
	// reads everything.
	delete(np, "outboundType")
	if got := refreshedInputs(postureCluster(), outs, c.View(cluster), cluster); !valueAt(got, "networkProfile", "outboundType").IsNull() {
		t.Error("a leaf Azure no longer has stays in the inputs")
	}
}

// overlayCluster is postureCluster on Azure CNI Overlay with the pod range
// podCidr.
func overlayCluster(podCidr string) resource.PropertyMap {
	in := postureCluster()
	in["networkProfile"] = resource.NewProperty(props("networkPlugin", "azure", "networkPluginMode", "overlay",
		"podCidr", podCidr, "serviceCidr", "10.0.4.0/24", "outboundType", "userDefinedRouting"))
	return in
}

// On Overlay AKS returns its default data plane (azure) when the program
// sets none, writes no node routes, and refuses a pod range that overlaps a
// range it reserves, on create and on update.
func TestOverlayCluster(t *testing.T) {
	c, _ := cloudWithCluster(t)
	if err := c.Delete(ManagedCluster, "urn", c.Find(ManagedCluster)[0].ID); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"172.31.0.0/16", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/16"} {
		_, err := c.Put(ManagedCluster, "urn", overlayCluster(bad), true)
		var armErr *Error
		if !errors.As(err, &armErr) || armErr.Status != 400 || !strings.Contains(err.Error(), "overlaps with reserved") {
			t.Errorf("an Overlay pod range %s: %v, want refused", bad, err)
		}
	}
	cluster, err := c.Put(ManagedCluster, "urn", overlayCluster("10.244.0.0/16"), true)
	if err != nil {
		t.Fatal(err)
	}
	np := resource.PropertyMap(cluster.Properties)["networkProfile"].ObjectValue()
	if got := str(np, "networkDataplane"); got != "azure" {
		t.Errorf("an Overlay cluster's networkDataplane %q, want AKS's default azure", got)
	}
	if got := np["serviceCidrs"]; !got.DeepEquals(resource.NewProperty(list("10.0.4.0/24"))) {
		t.Errorf("serviceCidrs %v", got)
	}
	if _, err := c.Put(ManagedCluster, "urn", overlayCluster("172.30.0.0/16"), false); err == nil {
		t.Error("an update to a reserved Overlay pod range is accepted")
	}
	if routes, err := c.WriteNodeRoutes("aks"); err != nil || len(routes) != 0 {
		t.Errorf("an Overlay cluster's node routes %v (%v), want none", routes, err)
	}
	cilium := overlayCluster("10.244.0.0/16")
	cilium["networkProfile"].ObjectValue()["networkDataplane"] = resource.NewProperty("cilium")
	cilium["networkProfile"].ObjectValue()["networkPolicy"] = resource.NewProperty("cilium")
	if cluster, err = c.Put(ManagedCluster, "urn", cilium, false); err != nil || valueAt(resource.PropertyMap(cluster.Properties), "networkProfile", "networkDataplane").StringValue() != "cilium" {
		t.Errorf("the program's data plane: %v", err)
	}
	// A kubenet cluster writes its node routes (Overlay is one way: a new
	// cluster).
	if err := c.Delete(ManagedCluster, "urn", cluster.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ManagedCluster, "urn", postureCluster(), true); err != nil {
		t.Fatal(err)
	}
	if routes, err := c.WriteNodeRoutes("aks"); err != nil || len(routes) != 3 {
		t.Errorf("a kubenet cluster's node routes %v (%v), want 3", routes, err)
	}
}
