package azuresim

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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
