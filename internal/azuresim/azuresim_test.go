package azuresim

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
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
		{RouteTable, props("resourceGroupName", "rg", "routeTableName", "rt", "location", "eastus"), "already exists"},
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
