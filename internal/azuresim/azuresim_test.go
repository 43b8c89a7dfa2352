package azuresim

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

const sub = "11111111-2222-3333-4444-555555555555"

func props(kv ...any) resource.PropertyMap {
	m := resource.PropertyMap{}
	for i := 0; i < len(kv); i += 2 {
		m[resource.PropertyKey(kv[i].(string))] = resource.NewPropertyValue(kv[i+1])
	}
	return m
}

func ref(id string) resource.PropertyMap { return props("id", id) }

// cloudWithNetwork is a cloud holding a group, a VNet, a route table with a
// default route, a subnet associated with it and an identity.
func cloudWithNetwork(t *testing.T) *Cloud {
	t.Helper()
	c, err := Create(filepath.Join(t.TempDir(), "cloud.json"), sub)
	if err != nil {
		t.Fatal(err)
	}
	rg := "/subscriptions/" + sub + "/resourceGroups/rg"
	for _, p := range []struct {
		typ string
		in  resource.PropertyMap
	}{
		{ResourceGroup, props("resourceGroupName", "rg", "location", "eastus")},
		{VirtualNetwork, props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "location", "eastus")},
		{RouteTable, props("resourceGroupName", "rg", "routeTableName", "rt", "location", "eastus")},
		{Route, props("resourceGroupName", "rg", "routeTableName", "rt", "routeName", "default", "addressPrefix", "0.0.0.0/0",
			"nextHopType", "VirtualAppliance", "nextHopIpAddress", "10.0.2.4")},
		{Subnet, props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "subnetName", "nodes", "addressPrefix", "10.0.1.0/24",
			"routeTable", ref(rg+"/providers/Microsoft.Network/routeTables/rt"))},
		{UserAssignedIdentity, props("resourceGroupName", "rg", "resourceName", "uami", "location", "eastus")},
	} {
		if _, err := c.Put(p.typ, "urn:"+p.typ, p.in, true); err != nil {
			t.Fatalf("creating %s: %v", p.typ, err)
		}
	}
	return c
}

// The simulated ARM holds the resource types the program creates, each with
// its id made as package armid makes it, and no other.
func TestKindsAreArmidTypes(t *testing.T) {
	for typ, want := range armid.Types {
		if k, ok := kinds[typ]; !ok {
			t.Errorf("%s: no simulated kind", typ)
		} else if !reflect.DeepEqual(k.Type, want) {
			t.Errorf("%s: kind's type %+v, want armid's %+v", typ, k.Type, want)
		}
	}
	for typ := range kinds {
		if _, ok := armid.Types[typ]; !ok {
			t.Errorf("%s: a simulated kind, but not a type in armid", typ)
		}
	}
}

func TestIDsAreInAzuresShape(t *testing.T) {
	c := cloudWithNetwork(t)
	rg := "/subscriptions/" + sub + "/resourceGroups/rg"
	for _, want := range []string{
		rg,
		rg + "/providers/Microsoft.Network/virtualNetworks/vnet",
		rg + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes",
		rg + "/providers/Microsoft.Network/routeTables/rt",
		rg + "/providers/Microsoft.Network/routeTables/rt/routes/default",
		rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami",
	} {
		if r := c.Get(strings.ToUpper(want)); r == nil || r.ID != want {
			t.Errorf("no resource %s (ids compare without case, keep their spelling)", want)
		}
	}
}

func TestRouteTablePutKeepsOrReplacesRoutes(t *testing.T) {
	table := props("resourceGroupName", "rg", "routeTableName", "rt", "location", "eastus")
	c := cloudWithNetwork(t)
	tableID, _ := c.ID(RouteTable, table)
	if _, err := c.Put(RouteTable, "urn", table, false); err != nil {
		t.Fatal(err)
	}
	if got := len(c.RoutesOf(tableID)); got != 1 {
		t.Errorf("a table PUT without routes left %d routes, want the 1 it had", got)
	}
	inline := table.Copy()
	inline["routes"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(props(
		"name", "other", "addressPrefix", "192.168.0.0/16", "nextHopType", "VirtualNetworkGateway"))})
	if _, err := c.Put(RouteTable, "urn", inline, false); err != nil {
		t.Fatal(err)
	}
	routes := c.RoutesOf(tableID)
	if len(routes) != 1 || !strings.HasSuffix(routes[0].ID, "/routes/other") {
		t.Errorf("a table PUT with routes left %d routes, want exactly the declared one", len(routes))
	}
	if got := c.View(c.Get(tableID))["routes"].ArrayValue(); len(got) != 1 || got[0].ObjectValue()["name"].StringValue() != "other" {
		t.Errorf("the table's view lists routes %v, want [other]", got)
	}
}

func TestAzureRefusals(t *testing.T) {
	rg := "/subscriptions/" + sub + "/resourceGroups/rg"
	subnetID := rg + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"
	tableID := rg + "/providers/Microsoft.Network/routeTables/rt"
	c := cloudWithNetwork(t)
	uamiID := rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"
	principal := str(resource.PropertyMap(c.Get(uamiID).Computed), "principalId")
	aks := props("resourceGroupName", "rg", "resourceName", "aks", "location", "eastus",
		"identity", props("type", "UserAssigned", "userAssignedIdentities", []resource.PropertyValue{resource.NewProperty(uamiID)}),
		"networkProfile", props("networkPlugin", "kubenet", "outboundType", "userDefinedRouting"),
		"agentPoolProfiles", []resource.PropertyValue{resource.NewProperty(props("name", "system", "count", 3.0, "vnetSubnetID", subnetID))})
	grant := func(scope, name string) resource.PropertyMap {
		return props("scope", scope, "roleAssignmentName", name, "principalId", principal,
			"roleDefinitionId", "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/"+networkContributor)
	}

	steps := []struct {
		typ     string
		in      resource.PropertyMap
		wantErr string
	}{
		{ManagedCluster, aks, "CustomRouteTableMissingPermission"},
		{RoleAssignment, grant(tableID, "g1"), ""},
		{ManagedCluster, aks, "LinkedAuthorizationFailed"},
		{RoleAssignment, props("scope", subnetID, "roleAssignmentName", "g0", "principalId", "nobody", "roleDefinitionId", "x"), "PrincipalNotFound"},
		{RoleAssignment, grant(subnetID, "g2"), ""},
		{Route, props("resourceGroupName", "rg", "routeTableName", "missing", "routeName", "r", "addressPrefix", "0.0.0.0/0"), "ParentResourceNotFound"},
		{VirtualNetwork, props("resourceGroupName", "nogroup", "virtualNetworkName", "v"), "ResourceGroupNotFound"},
		{RouteTable, props("resourceGroupName", "rg", "routeTableName", "rt", "location", "eastus"), "cannot create already existing resource"},
	}
	for _, s := range steps {
		_, err := c.Put(s.typ, "urn", s.in, true)
		switch {
		case s.wantErr == "" && err != nil:
			t.Errorf("creating %s: %v", s.typ, err)
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Errorf("creating %s: error %v, want %s", s.typ, err, s.wantErr)
		}
	}

	if err := c.Remove(c.Get(tableID).ID + "/routes/default"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ManagedCluster, "urn", aks, true); err == nil || !strings.Contains(err.Error(), "RouteTableMissingDefaultRouteError") {
		t.Errorf("a cluster whose table has no default route: error %v, want RouteTableMissingDefaultRouteError", err)
	}
	if err := c.Delete(RouteTable, "urn", tableID); err == nil || !strings.Contains(err.Error(), "InUseRouteTableCannotBeDeleted") {
		t.Errorf("deleting a table a subnet uses: error %v, want InUseRouteTableCannotBeDeleted", err)
	}
	if err := c.Dissociate(subnetID); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(RouteTable, "urn", tableID); err != nil {
		t.Errorf("deleting a table no subnet uses: %v", err)
	}
}

const hubSub = "99999999-2222-3333-4444-555555555555"

// cloudWithFirewall is cloudWithNetwork with an AzureFirewallSubnet
// 10.0.2.0/26, two public IPs, a policy with a rule collection group, a
// firewall, and a hub VNet in subscription hubSub peered with the VNet both
// ways, the hub's half made in the hub's subscription.
func cloudWithFirewall(t *testing.T) *Cloud {
	t.Helper()
	c := cloudWithNetwork(t)
	rg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/"
	hub := c.CreateHubNetwork(hubSub, "hub-rg", "hub-vnet", "eastus", "10.100.0.0/16")
	ipConfig := func(name, pip, subnet string) resource.PropertyValue {
		m := props("name", name, "publicIPAddress", ref(rg+"Microsoft.Network/publicIPAddresses/"+pip))
		if subnet != "" {
			m["subnet"] = resource.NewProperty(ref(subnet))
		}
		return resource.NewProperty(m)
	}
	for _, p := range []struct {
		typ string
		in  resource.PropertyMap
	}{
		{Subnet, props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "subnetName", FirewallSubnetName, "addressPrefix", "10.0.2.0/26")},
		{PublicIPAddress, props("resourceGroupName", "rg", "publicIpAddressName", "pip-1", "location", "eastus")},
		{PublicIPAddress, props("resourceGroupName", "rg", "publicIpAddressName", "pip-2", "location", "eastus")},
		{FirewallPolicy, props("resourceGroupName", "rg", "firewallPolicyName", "policy", "location", "eastus")},
		{RuleCollectionGroup, props("resourceGroupName", "rg", "firewallPolicyName", "policy", "ruleCollectionGroupName", "aks-egress", "priority", 200.0)},
		{AzureFirewall, props("resourceGroupName", "rg", "azureFirewallName", "fw", "location", "eastus",
			"firewallPolicy", ref(rg+"Microsoft.Network/firewallPolicies/policy"),
			"ipConfigurations", []resource.PropertyValue{
				ipConfig("ipconfig-1", "pip-1", rg+"Microsoft.Network/virtualNetworks/vnet/subnets/"+FirewallSubnetName),
				ipConfig("ipconfig-2", "pip-2", ""),
			})},
		{VirtualNetworkPeering, props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "virtualNetworkPeeringName", "vnet-to-hub",
			"remoteVirtualNetwork", ref(hub.ID))},
	} {
		if _, err := c.Put(p.typ, "urn:"+p.typ, p.in, true); err != nil {
			t.Fatalf("creating %s: %v", p.typ, err)
		}
	}
	c.Subscription = hubSub // as the hub's explicit provider instance
	if _, err := c.Put(VirtualNetworkPeering, "urn:hub", props("resourceGroupName", "hub-rg", "virtualNetworkName", "hub-vnet",
		"virtualNetworkPeeringName", "hub-to-vnet", "remoteVirtualNetwork", ref(rg+"Microsoft.Network/virtualNetworks/vnet")), true); err != nil {
		t.Fatalf("creating the hub's peering: %v", err)
	}
	c.Subscription = sub
	return c
}

func TestEgressIDsAreInAzuresShape(t *testing.T) {
	c := cloudWithFirewall(t)
	rg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/"
	hub := "/subscriptions/" + hubSub + "/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet"
	for _, want := range []string{
		rg + "virtualNetworks/vnet/subnets/AzureFirewallSubnet",
		rg + "publicIPAddresses/pip-1",
		rg + "firewallPolicies/policy",
		rg + "firewallPolicies/policy/ruleCollectionGroups/aks-egress",
		rg + "azureFirewalls/fw",
		rg + "virtualNetworks/vnet/virtualNetworkPeerings/vnet-to-hub",
		"/subscriptions/" + hubSub + "/resourceGroups/hub-rg",
		hub,
		hub + "/virtualNetworkPeerings/hub-to-vnet",
	} {
		if r := c.Get(strings.ToUpper(want)); r == nil || r.ID != want {
			t.Errorf("no resource %s", want)
		}
	}
	for _, p := range c.Find(VirtualNetworkPeering) {
		if got := str(resource.PropertyMap(p.Computed), "peeringState"); got != "Connected" {
			t.Errorf("peering %s: state %q, want Connected", p.ID, got)
		}
	}
	if by := c.Get(hub).By; by != "hub team" {
		t.Errorf("the hub VNet was made by %q, want the hub team", by)
	}
}

// The firewall's private IP is its subnet's network address + 4, on the
// configuration that names the subnet only; it and the public IPs' addresses
// stay the same across an update and across reads.
func TestFirewallAndPublicIPAddresses(t *testing.T) {
	c := cloudWithFirewall(t)
	rg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/"
	fw := c.Get(rg + "azureFirewalls/fw")
	configs := c.outputs(fw)["ipConfigurations"].ArrayValue()
	if len(configs) != 2 {
		t.Fatalf("the firewall's output lists %d ipConfigurations, want 2", len(configs))
	}
	if got := str(configs[0].ObjectValue(), "privateIPAddress"); got != "10.0.2.4" {
		t.Errorf("the firewall's private IP is %q, want 10.0.2.4 (10.0.2.0/26 + 4)", got)
	}
	if _, ok := configs[1].ObjectValue()["privateIPAddress"]; ok {
		t.Errorf("the second ipConfiguration, without a subnet, has a private IP")
	}
	pip := c.Get(rg + "publicIPAddresses/pip-1")
	addr := str(c.outputs(pip), "ipAddress")
	if !strings.HasPrefix(addr, "20.") || addr == str(c.outputs(c.Get(rg+"publicIPAddresses/pip-2")), "ipAddress") {
		t.Errorf("public IP pip-1 has address %q: want one in 20.0.0.0/8, its own", addr)
	}

	if _, err := c.Put(AzureFirewall, "urn", resource.PropertyMap(fw.Properties).Copy(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(PublicIPAddress, "urn", resource.PropertyMap(pip.Properties).Copy(), false); err != nil {
		t.Fatal(err)
	}
	if got := str(c.outputs(c.Get(fw.ID))["ipConfigurations"].ArrayValue()[0].ObjectValue(), "privateIPAddress"); got != "10.0.2.4" {
		t.Errorf("after an update the firewall's private IP is %q, want 10.0.2.4", got)
	}
	if got := str(c.outputs(c.Get(pip.ID)), "ipAddress"); got != addr {
		t.Errorf("after an update public IP pip-1 has address %q, want %q", got, addr)
	}
}

// Azure refuses a route for a prefix another route of the table has, naming
// both; the route that holds it may change its next hop.
func TestRouteConflict(t *testing.T) {
	c := cloudWithNetwork(t)
	route := func(name, prefix, hop string) resource.PropertyMap {
		return props("resourceGroupName", "rg", "routeTableName", "rt", "routeName", name, "addressPrefix", prefix,
			"nextHopType", "VirtualAppliance", "nextHopIpAddress", hop)
	}
	_, err := c.Put(Route, "urn", route("to-firewall", "0.0.0.0/0", "10.0.2.4"), true)
	if err == nil || !strings.Contains(err.Error(), "RouteConflict") ||
		!strings.Contains(err.Error(), "Route: to-firewall conflicts with Route: default") {
		t.Errorf("a second 0.0.0.0/0 route: error %v, want RouteConflict naming to-firewall and default", err)
	}
	if _, err := c.Put(Route, "urn", route("default", "0.0.0.0/0", "10.0.2.5"), false); err != nil {
		t.Errorf("changing the default route's next hop: %v", err)
	}
	if _, err := c.Put(Route, "urn", route("other", "10.9.0.0/16", "10.0.2.4"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(Route, "urn", route("other", "0.0.0.0/0", "10.0.2.4"), false); err == nil || !strings.Contains(err.Error(), "RouteConflict") {
		t.Errorf("moving a route onto 0.0.0.0/0: error %v, want RouteConflict", err)
	}
	table := props("resourceGroupName", "rg", "routeTableName", "rt", "location", "eastus", "routes", []resource.PropertyValue{
		resource.NewProperty(props("name", "a", "addressPrefix", "0.0.0.0/0", "nextHopType", "Internet")),
		resource.NewProperty(props("name", "b", "addressPrefix", "0.0.0.0/0", "nextHopType", "Internet")),
	})
	if _, err := c.Put(RouteTable, "urn", table, false); err == nil || !strings.Contains(err.Error(), "RouteConflict") {
		t.Errorf("a table PUT listing two 0.0.0.0/0 routes: error %v, want RouteConflict", err)
	}
}

func TestEgressRefusals(t *testing.T) {
	c := cloudWithFirewall(t)
	rg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.Network/"
	firewall := func(subnet, pip string) resource.PropertyMap {
		return props("resourceGroupName", "rg", "azureFirewallName", "fw2", "location", "eastus",
			"ipConfigurations", []resource.PropertyValue{resource.NewProperty(props("name", "ipconfig-1",
				"subnet", ref(rg+"virtualNetworks/vnet/subnets/"+subnet), "publicIPAddress", ref(rg+"publicIPAddresses/"+pip)))})
	}
	for _, s := range []struct {
		typ     string
		in      resource.PropertyMap
		wantErr string
	}{
		{AzureFirewall, firewall("nodes", "pip-1"), "must be placed in a subnet named AzureFirewallSubnet"},
		{AzureFirewall, firewall("missing", "pip-1"), "InvalidResourceReference"},
		{AzureFirewall, firewall(FirewallSubnetName, "missing"), "InvalidResourceReference"},
		{VirtualNetworkPeering, props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "virtualNetworkPeeringName", "p",
			"remoteVirtualNetwork", ref("/subscriptions/"+hubSub+"/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/nowhere")),
			"InvalidGlobalResourceReference"},
	} {
		if _, err := c.Put(s.typ, "urn", s.in, true); err == nil || !strings.Contains(err.Error(), s.wantErr) {
			t.Errorf("creating %s: error %v, want %s", s.typ, err, s.wantErr)
		}
	}
	for _, d := range []struct{ typ, id, wantErr string }{
		{Subnet, rg + "virtualNetworks/vnet/subnets/AzureFirewallSubnet", "InUseSubnetCannotBeDeleted"},
		{PublicIPAddress, rg + "publicIPAddresses/pip-2", "PublicIPAddressCannotBeDeleted"},
	} {
		if err := c.Delete(d.typ, "urn", d.id); err == nil || !strings.Contains(err.Error(), d.wantErr) {
			t.Errorf("deleting %s while the firewall uses it: error %v, want %s", d.id, err, d.wantErr)
		}
	}
	if err := c.Delete(AzureFirewall, "urn", rg+"azureFirewalls/fw"); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(Subnet, "urn", rg+"virtualNetworks/vnet/subnets/AzureFirewallSubnet"); err != nil {
		t.Errorf("deleting the firewall's subnet after the firewall: %v", err)
	}
}

// Two provider instances, configured with two subscriptions, create in one
// cloud each in its own subscription.
func TestEachProviderInstanceDeploysInItsSubscription(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cloud.json")
	if _, err := Create(path, "ffffffff-2222-3333-4444-555555555555"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{sub, hubSub} {
		p := NewProvider(path)
		args, err := marshal(props("subscriptionId", s))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Configure(context.Background(), &pulumirpc.ConfigureRequest{Args: args}); err != nil {
			t.Fatal(err)
		}
		in, err := marshal(props("resourceGroupName", "rg", "location", "eastus"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: "urn:pulumi:s::p::" + ResourceGroup + "::rg", Properties: in})
		if err != nil {
			t.Fatal(err)
		}
		if want := "/subscriptions/" + s + "/resourceGroups/rg"; resp.GetId() != want {
			t.Errorf("the instance for subscription %s created %s, want %s", s, resp.GetId(), want)
		}
	}
}

// postureCluster is the inputs of a cluster in cloudWithNetwork's subnet with
// the program's security posture: managed Entra ID with Azure RBAC, no local
// accounts, a public API server limited to one range, the OIDC issuer, and
// the Azure Policy add-on on and Container insights off.
func postureCluster() resource.PropertyMap {
	rg := "/subscriptions/" + sub + "/resourceGroups/rg"
	return props("resourceGroupName", "rg", "resourceName", "aks", "location", "eastus", "dnsPrefix", "aks",
		"identity", props("type", "UserAssigned", "userAssignedIdentities", []resource.PropertyValue{
			resource.NewProperty(rg + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami")}),
		"networkProfile", props("networkPlugin", "kubenet", "podCidr", "10.244.0.0/16", "outboundType", "userDefinedRouting"),
		"agentPoolProfiles", []resource.PropertyValue{resource.NewProperty(props("name", "system", "count", 3.0,
			"vnetSubnetID", rg+"/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"))},
		"aadProfile", props("managed", true, "enableAzureRBAC", true),
		"disableLocalAccounts", true,
		"apiServerAccessProfile", props("enablePrivateCluster", false, "authorizedIPRanges", []resource.PropertyValue{resource.NewProperty("203.0.113.0/24")}),
		"oidcIssuerProfile", props("enabled", true),
		"addonProfiles", props("azurepolicy", props("enabled", true), "omsagent", props("enabled", false)),
		"kubernetesVersion", "1.30.6")
}

// cloudWithCluster is cloudWithNetwork with the identity's grants and
// postureCluster.
func cloudWithCluster(t *testing.T) (*Cloud, *Resource) {
	t.Helper()
	c := cloudWithNetwork(t)
	rg := "/subscriptions/" + sub + "/resourceGroups/rg"
	principal := str(resource.PropertyMap(c.Get(rg+"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami").Computed), "principalId")
	for i, scope := range []string{rg + "/providers/Microsoft.Network/routeTables/rt", rg + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"} {
		if _, err := c.Put(RoleAssignment, "urn", props("scope", scope, "roleAssignmentName", fmt.Sprintf("g%d", i), "principalId", principal,
			"principalType", "ServicePrincipal",
			"roleDefinitionId", "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/"+networkContributor), true); err != nil {
			t.Fatal(err)
		}
	}
	cluster, err := c.Put(ManagedCluster, "urn", postureCluster(), true)
	if err != nil {
		t.Fatal(err)
	}
	return c, cluster
}

// AKS refuses local accounts off without managed Entra ID, and the changes it
// cannot make to a running cluster: the API server made private or public,
// Entra ID or the OIDC issuer turned off. A refused PUT changes nothing.
func TestClusterRefusals(t *testing.T) {
	c, _ := cloudWithCluster(t)
	noAAD := postureCluster()
	delete(noAAD, "aadProfile")
	noAAD["resourceName"] = resource.NewProperty("aks2")
	noAAD["dnsPrefix"] = resource.NewProperty("aks2")
	if _, err := c.Put(ManagedCluster, "urn", noAAD, true); err == nil || !strings.Contains(err.Error(), "disableLocalAccounts can only be set on Azure AD integration enabled cluster") {
		t.Errorf("a cluster without Entra ID and with local accounts disabled: error %v, want BadRequest", err)
	}

	edit := func(change func(in resource.PropertyMap)) resource.PropertyMap {
		in := postureCluster()
		change(in)
		return in
	}
	for _, tc := range []struct {
		name    string
		in      resource.PropertyMap
		wantErr string
	}{
		{"made private", edit(func(in resource.PropertyMap) {
			in["apiServerAccessProfile"] = resource.NewProperty(props("enablePrivateCluster", true))
		}), "Changing enablePrivateCluster is not allowed"},
		{"Entra ID turned off", edit(func(in resource.PropertyMap) {
			delete(in, "aadProfile")
			in["disableLocalAccounts"] = resource.NewProperty(false)
		}), "Changing property 'aadProfile.managed' is not allowed"},
		{"Entra ID unmanaged", edit(func(in resource.PropertyMap) {
			in["aadProfile"] = resource.NewProperty(props("managed", false))
			in["disableLocalAccounts"] = resource.NewProperty(false)
		}), "Changing property 'aadProfile.managed' is not allowed"},
		{"OIDC issuer turned off", edit(func(in resource.PropertyMap) {
			in["oidcIssuerProfile"] = resource.NewProperty(props("enabled", false))
		}), "OIDC issuer of cluster"},
		{"local accounts off without Entra ID", edit(func(in resource.PropertyMap) {
			delete(in, "aadProfile")
		}), "disableLocalAccounts can only be set"},
	} {
		before := len(c.Log)
		if _, err := c.Put(ManagedCluster, "urn", tc.in, false); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
		if len(c.Log) != before {
			t.Errorf("%s: the refused update was logged", tc.name)
		}
	}
	cluster, err := c.Cluster("aks")
	if err != nil {
		t.Fatal(err)
	}
	want := postureCluster()
	fillNetworkProfile(want) // what AKS fills in at the create
	if got := resource.PropertyMap(cluster.Properties); !got.DeepEquals(want) {
		t.Errorf("refused updates changed the cluster: %v", got)
	}

	// A cluster is made private when it is created; the tier, the ranges
	// of a public API server and the add-ons change in place.
	private := postureCluster()
	private["apiServerAccessProfile"] = resource.NewProperty(props("enablePrivateCluster", true))
	private["resourceName"] = resource.NewProperty("aks3")
	if _, err := c.Put(ManagedCluster, "urn", private, true); err != nil {
		t.Errorf("creating a private cluster: %v", err)
	}
	for _, change := range []func(in resource.PropertyMap){
		func(in resource.PropertyMap) {
			in["sku"] = resource.NewProperty(props("name", "Base", "tier", "Premium"))
		},
		func(in resource.PropertyMap) {
			in["apiServerAccessProfile"] = resource.NewProperty(props("enablePrivateCluster", false,
				"authorizedIPRanges", []resource.PropertyValue{resource.NewProperty("198.51.100.0/24")}))
		},
		func(in resource.PropertyMap) {
			in["addonProfiles"] = resource.NewProperty(props("azurepolicy", props("enabled", false), "omsagent", props("enabled", false)))
		},
	} {
		if _, err := c.Put(ManagedCluster, "urn", edit(change), false); err != nil {
			t.Errorf("an update AKS makes in place: %v", err)
		}
	}
}

// Role assignments name principals of the directory or managed identities;
// ARM refuses an unknown principal, a principal type that is not the
// principal's, and a scope that does not exist.
func TestRoleAssignmentPrincipals(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	group, err := c.CreatePrincipal(Group, "aks-admins")
	if err != nil {
		t.Fatal(err)
	}
	user, err := c.CreatePrincipal(User, "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := c.CreatePrincipal(Group, "aks-admins"); again != group {
		t.Errorf("creating the group again gave object id %s, want %s", again, group)
	}
	if _, err := c.CreatePrincipal("Robot", "r2"); err == nil {
		t.Error("created a principal of type Robot")
	}
	uami := str(resource.PropertyMap(c.Get("/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami").Computed), "principalId")
	admin := func(name, principal, typ, scope string) resource.PropertyMap {
		in := props("scope", scope, "roleAssignmentName", name, "principalId", principal,
			"roleDefinitionId", "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")
		if typ != "" {
			in["principalType"] = resource.NewProperty(typ)
		}
		return in
	}
	for _, tc := range []struct {
		name    string
		in      resource.PropertyMap
		wantErr string
	}{
		{"group as Group", admin("a1", group, Group, cluster.ID), ""},
		{"user without a type", admin("a2", user, "", cluster.ID), ""},
		{"group in upper case", admin("a3", strings.ToUpper(group), "", cluster.ID), ""},
		{"identity as ServicePrincipal", admin("a4", uami, ServicePrincipal, cluster.ID), ""},
		{"group as User", admin("a5", group, User, cluster.ID), "Code=\"UnmatchedPrincipalType\" Message=\"The PrincipalId '" + group + "' has type 'Group'"},
		{"user as Group", admin("a6", user, Group, cluster.ID), "UnmatchedPrincipalType"},
		{"identity as User", admin("a7", uami, User, cluster.ID), "has type 'ServicePrincipal'"},
		{"unknown principal", admin("a8", "00000000-0000-0000-0000-000000000000", Group, cluster.ID), "PrincipalNotFound"},
		{"missing cluster", admin("a9", group, Group, cluster.ID+"x"), "InvalidScope"},
	} {
		_, err := c.Put(RoleAssignment, "urn", tc.in, true)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
	}
	if want := cluster.ID + "/providers/Microsoft.Authorization/roleAssignments/a1"; c.Get(want) == nil {
		t.Errorf("no role assignment %s", want)
	}
}

// A maintenance configuration lives under its cluster, which must exist; a
// workspace and a deployment are plain resources of their group.
func TestSecurityResourceIDs(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	window := props("schedule", props("weekly", props("dayOfWeek", "Sunday", "intervalWeeks", 1.0)), "startTime", "02:00", "durationHours", 4.0)
	config := func(clusterName string) resource.PropertyMap {
		return props("resourceGroupName", "rg", "resourceName", clusterName, "configName", "aksManagedAutoUpgradeSchedule", "maintenanceWindow", window)
	}
	if _, err := c.Put(MaintenanceConfig, "urn", config("missing"), true); err == nil || !strings.Contains(err.Error(), "ParentResourceNotFound") {
		t.Errorf("a maintenance configuration of a missing cluster: error %v, want ParentResourceNotFound", err)
	}
	mc, err := c.Put(MaintenanceConfig, "urn", config("aks"), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := cluster.ID + "/maintenanceConfigurations/aksManagedAutoUpgradeSchedule"; mc.ID != want {
		t.Errorf("the maintenance configuration's id is %s, want %s", mc.ID, want)
	}
	rg := "/subscriptions/" + sub + "/resourceGroups/rg/providers/"
	ws, err := c.Put(Workspace, "urn", props("resourceGroupName", "rg", "workspaceName", "logs", "location", "eastus"), true)
	if err != nil {
		t.Fatal(err)
	}
	if ws.ID != rg+"Microsoft.OperationalInsights/workspaces/logs" || str(c.outputs(ws), "customerId") == "" {
		t.Errorf("workspace %s, customerId %q: want its id in Azure's shape and a customer id", ws.ID, str(c.outputs(ws), "customerId"))
	}
	d, err := c.Put(Deployment, "urn", props("resourceGroupName", "rg", "deploymentName", "ci", "properties", props("mode", "Incremental")), true)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != rg+"Microsoft.Resources/deployments/ci" {
		t.Errorf("the deployment's id is %s", d.ID)
	}
}

// What AKS adds inside the cluster's profiles (the tenant, the OIDC issuer's
// URL, each enabled add-on's identity) is in the outputs from the create on,
// follows an update, and never enters the inputs on a refresh; a change the
// program did not make does.
func TestClusterFilledValuesAreOutputsOnly(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	outs := c.outputs(cluster)
	for _, path := range [][]string{
		{"aadProfile", "tenantID"}, {"aadProfile", "managed"}, {"oidcIssuerProfile", "issuerURL"},
		{"addonProfiles", "azurepolicy", "identity", "objectId"}, {"addonProfiles", "azurepolicy", "enabled"},
	} {
		if v := valueAt(outs, path...); v.IsNull() {
			t.Errorf("the cluster's outputs have no %s", strings.Join(path, "."))
		}
	}
	if v := valueAt(outs, "addonProfiles", "omsagent", "identity"); !v.IsNull() {
		t.Errorf("the disabled omsagent add-on has an identity: %v", v)
	}

	refreshed := refreshedInputs(postureCluster(), outs, c.View(cluster), cluster)
	if !refreshed.DeepEquals(postureCluster()) {
		t.Errorf("a refresh of an untouched cluster changed its inputs to %v", refreshed)
	}
	if err := c.AutoUpgrade("aks", "1.30.7"); err != nil {
		t.Fatal(err)
	}
	refreshed = refreshedInputs(postureCluster(), outs, c.View(cluster), cluster)
	if got := str(refreshed, "kubernetesVersion"); got != "1.30.7" {
		t.Errorf("after AKS's upgrade a refresh reads kubernetesVersion %q, want 1.30.7", got)
	}
	if !refreshed["aadProfile"].DeepEquals(postureCluster()["aadProfile"]) || !refreshed["addonProfiles"].DeepEquals(postureCluster()["addonProfiles"]) {
		t.Errorf("a refresh took what AKS fills in into the inputs: %v, %v", refreshed["aadProfile"], refreshed["addonProfiles"])
	}

	insights := postureCluster()
	insights["addonProfiles"] = resource.NewProperty(props("azurepolicy", props("enabled", true), "omsagent", props("enabled", true)))
	updated, err := c.Put(ManagedCluster, "urn", insights, false)
	if err != nil {
		t.Fatal(err)
	}
	if v := valueAt(c.outputs(updated), "addonProfiles", "omsagent", "identity", "resourceId"); !v.IsString() ||
		!strings.HasSuffix(v.StringValue(), "/resourcegroups/MC_rg_aks_eastus/providers/Microsoft.ManagedIdentity/userAssignedIdentities/omsagent-aks") {
		t.Errorf("omsagent turned on: its identity is %v, want one in the node resource group", v)
	}
}

// The patch channel moves the cluster and its pools to a later patch of the
// same minor version, never to another minor version or back.
func TestAutoUpgrade(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	for _, bad := range []string{"1.31.1", "1.30.6", "1.30.5", "1.30", "v1.30.7"} {
		if err := c.AutoUpgrade("aks", bad); err == nil {
			t.Errorf("the patch channel moved 1.30.6 to %s", bad)
		}
	}
	if err := c.AutoUpgrade("aks", "1.30.9"); err != nil {
		t.Fatal(err)
	}
	p := resource.PropertyMap(cluster.Properties)
	pool := p["agentPoolProfiles"].ArrayValue()[0].ObjectValue()
	if str(p, "kubernetesVersion") != "1.30.9" || str(pool, "orchestratorVersion") != "1.30.9" {
		t.Errorf("after the upgrade the cluster is at %q, its pool at %q; want 1.30.9", str(p, "kubernetesVersion"), str(pool, "orchestratorVersion"))
	}
}

// listClusterUserCredential with format exec gives an Entra ID cluster's
// kubeconfig for kubelogin; an unknown format is refused.
func TestUserKubeconfigFormats(t *testing.T) {
	c, cluster := cloudWithCluster(t)
	for format, want := range map[string]string{"exec": "command: kubelogin", "": "name: azure", "azure": "name: azure"} {
		encoded, err := c.ListUserCredentials("rg", "aks", format)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), want) || !strings.Contains(string(raw), ClusterCA(cluster)) {
			t.Errorf("format %q: the kubeconfig does not hold %q and the cluster's CA:\n%s", format, want, raw)
		}
	}
	if _, err := c.ListUserCredentials("rg", "aks", "yaml"); err == nil {
		t.Error("format yaml was not refused")
	}
}
