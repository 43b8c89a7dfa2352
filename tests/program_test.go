package tests

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/iam"
	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/internal/configtest"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Resource types the program registers (package armid).
const (
	tResourceGroup  = armid.ResourceGroup
	tVnet           = armid.VirtualNetwork
	tSubnet         = armid.Subnet
	tRouteTable     = armid.RouteTable
	tRoute          = armid.Route
	tIdentity       = armid.UserAssignedIdentity
	tRoleAssignment = armid.RoleAssignment
	tCluster        = armid.ManagedCluster
	tMaintenance    = armid.MaintenanceConfig
	tWorkspace      = armid.Workspace
	tDeployment     = armid.Deployment

	tPublicIP       = armid.PublicIPAddress
	tFirewallPolicy = armid.FirewallPolicy
	tRuleGroup      = armid.RuleCollectionGroup
	tFirewall       = armid.AzureFirewall
	tPeering        = armid.VirtualNetworkPeering

	cVirtualNetwork  = "aks-kubenet:network:VirtualNetwork"
	cFirewall        = "aks-kubenet:network:Firewall"
	cHubPeering      = "aks-kubenet:network:HubPeering"
	cRouteTable      = "aks-kubenet:network:RouteTable"
	cClusterIdentity = "aks-kubenet:iam:ClusterIdentity"
	cAKSCluster      = cluster.ComponentType
	cClusterAdmins   = "aks-kubenet:iam:ClusterAdmins"
	cLogAnalytics    = "aks-kubenet:monitoring:LogAnalytics"
	cInsights        = "aks-kubenet:monitoring:ContainerInsights"
)

func mustSucceed(t *testing.T, r run) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("program failed: %v", r.err)
	}
}

// The committed dev stack is the reference article's plan; it must deploy every
// resource the article creates by hand, with the article's values, and the
// firewall the article assumes at 10.0.2.4 (egress mode 2).
func TestDevStackDeploysTheArticlePlan(t *testing.T) {
	r := runStackFile(t, "dev")
	mustSucceed(t, r)

	counts := map[string]int{}
	for _, res := range r.resources {
		counts[res.Type]++
	}
	want := map[string]int{
		tResourceGroup: 1, tVnet: 1, tSubnet: 2, tRouteTable: 1, tRoute: 2, tIdentity: 1, tRoleAssignment: 3, tCluster: 1,
		tPublicIP: 1, tFirewallPolicy: 1, tRuleGroup: 1, tFirewall: 1,
		cVirtualNetwork: 1, cRouteTable: 1, cClusterIdentity: 1, cAKSCluster: 1, cFirewall: 1, cClusterAdmins: 1,
	}
	for typ, n := range want {
		if counts[typ] != n {
			t.Errorf("%s: want %d, got %d", typ, n, counts[typ])
		}
	}
	if len(counts) != len(want) {
		t.Errorf("unexpected resource types: %v", counts)
	}

	rg := r.one(t, tResourceGroup)
	if got := str(rg.Inputs, "resourceGroupName"); got != "aks-kubenet-rg" {
		t.Errorf("resource group name = %q, want aks-kubenet-rg", got)
	}
	if got := str(rg.Inputs, "location"); got != "eastus" {
		t.Errorf("resource group location = %q, want eastus", got)
	}

	vnet := r.one(t, tVnet)
	if got := prop(vnet.Inputs, "addressSpace.addressPrefixes[0]").StringValue(); got != "10.0.0.0/16" {
		t.Errorf("VNet address space = %q", got)
	}
	if n := len(prop(vnet.Inputs, "addressSpace.addressPrefixes").ArrayValue()); n != 1 {
		t.Errorf("VNet has %d address prefixes, want 1", n)
	}
	if _, inline := vnet.Inputs["subnets"]; inline {
		t.Error("VNet declares inline subnets; an update would replace the node subnet")
	}

	table := r.one(t, tRouteTable)
	if got := str(table.Inputs, "routeTableName"); got != "aks-route-table" {
		t.Errorf("route table name = %q", got)
	}
	if _, inline := table.Inputs["routes"]; inline {
		t.Error("route table declares inline routes; an update would delete the routes AKS writes")
	}
	if !slices.Contains(table.IgnoreChanges, "tags") {
		t.Errorf("route table must ignore tag changes (AKS tags it), ignoreChanges = %v", table.IgnoreChanges)
	}

	// The default route is generated: its next hop is the firewall's output.
	route := r.named(t, "egress-default-route")
	for path, want := range map[string]string{
		"routeName": "default-route", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
		"nextHopIpAddress": mockFirewallIP, "routeTableName": "aks-route-table", "resourceGroupName": "aks-kubenet-rg",
	} {
		if got := str(route.Inputs, path); got != want {
			t.Errorf("route %s = %q, want %q", path, got, want)
		}
	}

	subnet := r.named(t, "network-node-subnet")
	for path, want := range map[string]string{
		"subnetName": "aks-subnet", "addressPrefix": "10.0.1.0/24", "virtualNetworkName": "aks-vnet",
		"routeTable.id": table.ID,
	} {
		if got := str(subnet.Inputs, path); got != want {
			t.Errorf("subnet %s = %q, want %q", path, got, want)
		}
	}

	identity := r.one(t, tIdentity)
	scopes := map[string]bool{}
	for _, ra := range r.byType(tRoleAssignment) {
		if strings.HasPrefix(ra.Name, "cluster-admins-") {
			continue // the admin's grant: TestClusterAdminGrants
		}
		scope := str(ra.Inputs, "scope")
		scopes[scope] = true
		roleDef := "/subscriptions/" + subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + roles.NetworkContributor
		for path, want := range map[string]string{
			"principalType":      "ServicePrincipal",
			"principalId":        "principal-" + str(identity.Inputs, "resourceName"),
			"roleDefinitionId":   roleDef,
			"roleAssignmentName": iam.AssignmentName(scope, "principal-aks-kubenet-cluster-identity", roleDef),
		} {
			if got := str(ra.Inputs, path); got != want {
				t.Errorf("role assignment %s %s = %q, want %q", ra.Name, path, got, want)
			}
		}
	}
	if !scopes[subnet.ID] || !scopes[table.ID] || len(scopes) != 2 {
		t.Errorf("Network Contributor scopes = %v, want exactly the subnet %s and the route table %s", scopes, subnet.ID, table.ID)
	}

	aks := r.one(t, tCluster)
	for path, want := range map[string]string{
		"resourceName":                                  "aks-kubenet-cluster",
		"networkProfile.networkPlugin":                  "kubenet",
		"networkProfile.podCidr":                        "10.244.0.0/16",
		"networkProfile.serviceCidr":                    "10.0.4.0/24",
		"networkProfile.dnsServiceIP":                   "10.0.4.10",
		"networkProfile.outboundType":                   "userDefinedRouting",
		"networkProfile.loadBalancerSku":                "standard",
		"identity.type":                                 "UserAssigned",
		"identity.userAssignedIdentities[0]":            identity.ID,
		"agentPoolProfiles[0].vnetSubnetID":             subnet.ID,
		"agentPoolProfiles[0].mode":                     "System",
		"agentPoolProfiles[0].vmSize":                   "Standard_D4s_v5",
		"agentPoolProfiles[0].type":                     "VirtualMachineScaleSets",
		"agentPoolProfiles[0].upgradeSettings.maxSurge": "1",
	} {
		if got := str(aks.Inputs, path); got != want {
			t.Errorf("cluster %s = %q, want %q", path, got, want)
		}
	}
	for path, want := range map[string]float64{"agentPoolProfiles[0].count": 3, "agentPoolProfiles[0].maxPods": 110} {
		if got := prop(aks.Inputs, path); !got.IsNumber() || got.NumberValue() != want {
			t.Errorf("cluster %s = %v, want %v", path, got, want)
		}
	}
	if v := prop(aks.Inputs, "agentPoolProfiles[0].enableAutoScaling"); v.IsBool() && v.BoolValue() {
		t.Error("dev pool must not autoscale")
	}
	if _, set := aks.Inputs["linuxProfile"]; set {
		t.Error("linuxProfile set without aks-kubenet:sshPublicKey")
	}

	// The cluster waits for both grants, the default route and the subnet.
	for _, dep := range []registered{r.named(t, "identity-subnet-network-contributor"), r.named(t, "identity-route-table-network-contributor"), route, subnet} {
		if !dependsOn(aks, dep) {
			t.Errorf("cluster does not depend on %s %s", dep.Type, dep.Name)
		}
	}

	if len(r.warnings) != 1 || !strings.Contains(r.warnings[0], "cluster.serviceCidr 10.0.4.0/24") {
		t.Errorf("want one warning about the service CIDR inside the VNet, got %q", r.warnings)
	}
}

// Every cloud resource but the resource group lives in the component that owns
// it, and children are named after their component.
func TestResourcesLiveInTheirComponents(t *testing.T) {
	// dev with monitoring and prod's maintenance window: every component.
	cfg := ownStack(t, "dev")
	setJSON(t, cfg, spec.KeyCluster, "monitoring", map[string]any{"enabled": true})
	setJSON(t, cfg, spec.KeyCluster, "maintenanceWindow", map[string]any{"day": "Sunday", "startTime": "02:00", "durationHours": 4})
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	if len(r.byType(tMaintenance)) != 2 || len(r.byType(tWorkspace)) != 1 || len(r.byType(tDeployment)) != 1 {
		t.Fatal("want the two maintenance configurations and the monitoring resources")
	}
	wantParent := map[string]string{
		tVnet: cVirtualNetwork, tSubnet: cVirtualNetwork,
		tRouteTable: cRouteTable, tRoute: cRouteTable,
		tIdentity: cClusterIdentity, tRoleAssignment: cClusterIdentity,
		tCluster: cAKSCluster, tMaintenance: cAKSCluster,
		tWorkspace: cLogAnalytics, tDeployment: cInsights,
		tPublicIP: cFirewall, tFirewallPolicy: cFirewall, tRuleGroup: cFirewall, tFirewall: cFirewall,
	}
	for _, res := range r.resources {
		if !res.Custom {
			continue
		}
		parent, ok := r.byURN(res.Parent)
		if res.Type == tResourceGroup {
			if ok {
				t.Errorf("resource group is parented to %s; it belongs to the stack", parent.Type)
			}
			continue
		}
		want := wantParent[res.Type]
		switch {
		case res.Name == "firewall-subnet":
			want = cFirewall // the AzureFirewallSubnet belongs to the firewall
		case strings.HasPrefix(res.Name, "cluster-admins-"):
			want = cClusterAdmins
		}
		if !ok || parent.Type != want {
			t.Errorf("%s %s: parent %q, want a %s", res.Type, res.Name, res.Parent, want)
			continue
		}
		if !strings.HasPrefix(res.Name, parent.Name) {
			t.Errorf("%s %s is not named after its component %s", res.Type, res.Name, parent.Name)
		}
	}
}

// The longest chain of cloud resources is resource group -> {VNet, route table,
// identity} -> {subnet, routes} -> grants -> cluster -> admin grants: six steps
// (prod, egress through the hub); with a firewall in the VNet (dev) it is
// resource group -> VNet -> firewall subnet -> firewall -> default route ->
// cluster -> admin grants: seven. The admins' grants are scoped to the cluster,
// so they come last. Prod's user pools add one step: AKS takes one pool
// operation at a time, so the second pool waits for the first (seven). The three independent resources in the second step wait
// only for the resource group.
func TestDependencyChainDepth(t *testing.T) {
	for stackName, want := range map[string]struct{ steps, cluster int }{"dev": {7, 6}, "prod": {7, 5}} {
		steps := want.steps
		t.Run(stackName, func(t *testing.T) {
			r := runStackFile(t, stackName)
			mustSucceed(t, r)
			depth := map[string]int{}
			var visit func(res registered) int
			visit = func(res registered) int {
				if d, ok := depth[res.URN]; ok {
					return d
				}
				d := 1
				for _, u := range res.Deps {
					if dep, ok := r.byURN(u); ok && dep.Custom {
						d = max(d, visit(dep)+1)
					}
				}
				depth[res.URN] = d
				return d
			}
			longest := 0
			for _, res := range r.resources {
				if res.Custom {
					longest = max(longest, visit(res))
				}
			}
			if longest != steps {
				t.Errorf("longest dependency chain = %d steps, want %d", longest, steps)
			}
			rg := r.one(t, tResourceGroup)
			for _, typ := range []string{tVnet, tRouteTable, tIdentity} {
				res := r.one(t, typ)
				if depth[res.URN] != 2 || !dependsOn(res, rg) {
					t.Errorf("%s should wait only for the resource group (depth %d)", typ, depth[res.URN])
				}
			}
			if d := depth[r.one(t, tCluster).URN]; d != want.cluster {
				t.Errorf("cluster at step %d, want %d", d, want.cluster)
			}
		})
	}
}

// The prod stack is the per-region example: its own VNet, egress through the
// hub's firewall (mode 3), a UDR to on-premises and an autoscaled pool whose
// node count the autoscaler owns.
func TestProdStackAutoscalesAndRoutesThroughTheHub(t *testing.T) {
	r := runStackFile(t, "prod")
	mustSucceed(t, r)
	if len(r.warnings) != 0 {
		t.Errorf("prod stack should be clean, got warnings %q", r.warnings)
	}
	if got := str(r.one(t, tResourceGroup).Inputs, "location"); got != "westeurope" {
		t.Errorf("location = %q, want westeurope", got)
	}
	routes := map[string]registered{}
	for _, route := range r.byType(tRoute) {
		routes[str(route.Inputs, "routeName")] = route
	}
	if len(routes) != 2 {
		t.Fatalf("want 2 routes, got %d", len(routes))
	}
	def := routes["default-via-firewall"]
	if str(def.Inputs, "addressPrefix") != "0.0.0.0/0" || str(def.Inputs, "nextHopIpAddress") != "10.100.0.4" {
		t.Errorf("generated default route = %v, want 0.0.0.0/0 to the hub firewall 10.100.0.4", def.Inputs)
	}
	gw := routes["on-premises"]
	if str(gw.Inputs, "nextHopType") != "VirtualNetworkGateway" || str(gw.Inputs, "addressPrefix") != "192.168.0.0/16" {
		t.Errorf("on-premises route = %v", gw.Inputs)
	}
	if _, set := gw.Inputs["nextHopIpAddress"]; set {
		t.Error("a VirtualNetworkGateway route must not carry a next hop IP")
	}
	aks := r.one(t, tCluster)
	for _, route := range routes {
		if !dependsOn(aks, route) {
			t.Errorf("cluster does not depend on route %s", route.Name)
		}
	}
	for path, want := range map[string]float64{
		"agentPoolProfiles[0].count": 3, "agentPoolProfiles[0].minCount": 3, "agentPoolProfiles[0].maxCount": 20,
	} {
		if got := prop(aks.Inputs, path); !got.IsNumber() || got.NumberValue() != want {
			t.Errorf("cluster %s = %v, want %v", path, got, want)
		}
	}
	if v := prop(aks.Inputs, "agentPoolProfiles[0].enableAutoScaling"); !v.IsBool() || !v.BoolValue() {
		t.Error("prod pool must autoscale")
	}
	if got := str(aks.Inputs, "agentPoolProfiles[0].upgradeSettings.maxSurge"); got != "33%" {
		t.Errorf("maxSurge = %q, want 33%%", got)
	}
	// With user pools the cluster ignores its whole agentPoolProfiles
	// (TestSystemPoolWithUserPools), the autoscaled count among it.
	if !slices.Contains(aks.IgnoreChanges, "agentPoolProfiles") {
		t.Errorf("an autoscaled pool must ignore count changes, ignoreChanges = %v", aks.IgnoreChanges)
	}
}

// The stack exports what platform teams look up after a deploy, and the
// kubeconfig only when asked to, as a secret.
func TestOutputs(t *testing.T) {
	r := runStackFile(t, "dev")
	mustSucceed(t, r)
	want := map[string]string{
		"resourceGroupName": "aks-kubenet-rg",
		"vnetName":          "aks-vnet",
		"vnetId":            r.one(t, tVnet).ID,
		"subnetName":        "aks-subnet",
		"subnetId":          r.named(t, "network-node-subnet").ID,
		"routeTableName":    "aks-route-table",
		"routeTableId":      r.one(t, tRouteTable).ID,
		"identityName":      "aks-kubenet-cluster-identity",
		"identityClientId":  "client-aks-kubenet-cluster-identity",
		"clusterName":       "aks-kubenet-cluster",
		"dnsPrefix":         "aks-kubenet-cluster",
		"nodeResourceGroup": "MC_aks-kubenet-rg_aks-kubenet-cluster_eastus",
		"oidcIssuerUrl":     "https://eastus.oic.prod-aks.azure.com/tenant/aks-kubenet-cluster/",
		"networkPolicy":     "calico",
		"networkPlugin":     "kubenet",
		"privateCluster":    "false",
		"systemPool":        "vmSize=Standard_D4s_v5 count=3 maxPods=110 maxSurge=1 zones= taints=",
	}
	for name, value := range want {
		out, ok := r.outputs[name]
		if !ok {
			t.Errorf("output %s missing", name)
			continue
		}
		var got string
		switch v := out.Value.(type) {
		case string:
			got = v
		case pulumi.ID:
			got = string(v)
		case *string:
			if v != nil {
				got = *v
			}
		case bool:
			got = strconv.FormatBool(v)
		case *bool:
			if v != nil {
				got = strconv.FormatBool(*v)
			}
		}
		if got != value || out.Secret {
			t.Errorf("output %s = %q (secret %v), want %q in plain text", name, got, out.Secret, value)
		}
	}
	if pools, ok := r.outputs["pools"].Value.(map[string]string); !ok || len(pools) != 0 {
		t.Errorf("output pools = %#v, want an empty map for dev, which has no user pools", r.outputs["pools"].Value)
	}
	if len(r.outputs) != len(want)+1 {
		t.Errorf("unexpected outputs: %d, want %d", len(r.outputs), len(want)+1)
	}
	if slices.Contains(r.calls, armid.ListUserCredentials) {
		t.Error("the program read the cluster's credentials without aks-kubenet:exportKubeconfig")
	}

	cfg := devConfig(t)
	cfg[spec.KeyExportKubeconfig] = "true"
	r = runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	kube, ok := r.outputs["kubeconfig"]
	if !ok {
		t.Fatal("output kubeconfig missing with aks-kubenet:exportKubeconfig true")
	}
	if !kube.Secret {
		t.Error("kubeconfig output is not a secret")
	}
	if got, _ := kube.Value.(string); !strings.Contains(got, "kind: Config") || !strings.Contains(got, "aks-kubenet-cluster") {
		t.Errorf("kubeconfig = %q, want the decoded kubeconfig of aks-kubenet-cluster", got)
	}
	if len(r.outputs) != len(want)+2 {
		t.Errorf("unexpected outputs: %d, want %d", len(r.outputs), len(want)+2)
	}
}

// The node SSH key comes from a secret and stays one.
func TestSSHPublicKeyIsASecretInput(t *testing.T) {
	cfg := devConfig(t)
	cfg["aks-kubenet:sshPublicKey"] = rsaPublicKey(t, 2048)
	r := runProgram(t, "dev", cfg, "aks-kubenet:sshPublicKey")
	mustSucceed(t, r)
	aks := r.one(t, tCluster)
	key := aks.Inputs["linuxProfile"]
	if !key.ContainsSecrets() {
		t.Error("linuxProfile does not carry the SSH key as a secret")
	}
	if got := str(aks.Inputs, "linuxProfile.ssh.publicKeys[0].keyData"); got != cfg["aks-kubenet:sshPublicKey"] {
		t.Errorf("keyData = %q", got)
	}
	if got := str(aks.Inputs, "linuxProfile.adminUsername"); got != "azureuser" {
		t.Errorf("adminUsername = %q", got)
	}
}

// Role assignment names derive from scope, principal and role only, so a
// second run asks for the same assignments: the identity's two and the
// admin's one.
func TestRoleAssignmentNamesAreStableAcrossRuns(t *testing.T) {
	names := func() []string {
		r := runStackFile(t, "dev")
		mustSucceed(t, r)
		var out []string
		for _, ra := range r.byType(tRoleAssignment) {
			out = append(out, str(ra.Inputs, "roleAssignmentName"))
		}
		slices.Sort(out)
		return out
	}
	first, second := names(), names()
	if !slices.Equal(first, second) || len(slices.Compact(slices.Clone(first))) != 3 {
		t.Errorf("assignment names %v then %v: want three distinct names, the same each run", first, second)
	}
}

// Names not set in config derive from the stack name.
func TestDefaultNamesDeriveFromTheStack(t *testing.T) {
	cfg := map[string]string{
		"azure-native:location": "northeurope",
		"aks-kubenet:network":   `{"vnetCidr":"10.30.0.0/16","nodeSubnetCidr":"10.30.0.0/24","routes":[{"name":"default","addressPrefix":"0.0.0.0/0","nextHopType":"VirtualNetworkGateway"}]}`,
		"aks-kubenet:cluster":   `{"nodeCount":2,"podCidr":"10.244.0.0/16","serviceCidr":"10.31.0.0/24","dnsServiceIP":"10.31.0.10"}`,
	}
	r := runProgram(t, "staging", cfg)
	mustSucceed(t, r)
	for typ, want := range map[string]string{
		tResourceGroup: "aks-kubenet-staging-rg", tVnet: "aks-kubenet-staging-vnet", tSubnet: "aks-kubenet-staging-nodes",
		tRouteTable: "aks-kubenet-staging-rt", tCluster: "aks-kubenet-staging-aks", tIdentity: "aks-kubenet-staging-aks-identity",
	} {
		if got := str(r.one(t, typ).Inputs, armid.Types[typ].NameKey); got != want {
			t.Errorf("%s name = %q, want %q", typ, got, want)
		}
	}
	aks := r.one(t, tCluster)
	for path, want := range map[string]string{
		"dnsPrefix": "aks-kubenet-staging-aks", "agentPoolProfiles[0].name": "system",
		"networkProfile.outboundType": "userDefinedRouting",
	} {
		if got := str(aks.Inputs, path); got != want {
			t.Errorf("cluster %s = %q, want %q", path, got, want)
		}
	}
}

// devConfig is the committed dev stack's config, to mutate in a test.
func devConfig(t *testing.T) map[string]string {
	t.Helper()
	return ownStack(t, "dev")
}

// setJSON replaces one field of a JSON config object.
var setJSON = configtest.SetField
