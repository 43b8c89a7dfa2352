package engine

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// URN suffixes of the program's resources (type, then name).
const (
	resourceGroup  = "azure-native:resources:ResourceGroup::resource-group"
	routeTable     = "azure-native:network:RouteTable::egress-table"
	vnet           = "azure-native:network:VirtualNetwork::network-vnet"
	nodeSubnet     = "azure-native:network:Subnet::network-node-subnet"
	identity       = "azure-native:managedidentity:UserAssignedIdentity::identity-uami"
	subnetGrant    = "azure-native:authorization:RoleAssignment::identity-subnet-network-contributor"
	routeTabGrant  = "azure-native:authorization:RoleAssignment::identity-route-table-network-contributor"
	managedCluster = "azure-native:containerservice:ManagedCluster::aks-cluster"
)

// udrs are the URN suffixes of each committed stack's user-defined routes.
var udrs = map[string][]string{
	"dev":  {"azure-native:network:Route::egress-default-route"},
	"prod": {"azure-native:network:Route::egress-default-via-firewall", "azure-native:network:Route::egress-on-premises"},
}

// clusterNames are the AKS cluster names of the committed stacks.
var clusterNames = map[string]string{"dev": "aks-kubenet-cluster", "prod": "aks-prod-weu"}

// TestPreviewThenUp: on each committed stack, preview plans a create of every
// resource and changes nothing in the cloud; up creates them in an order that
// keeps every promise of the README (the grants, the subnet and every
// user-defined route exist before the cluster); a second preview plans no
// change.
func TestPreviewThenUp(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, name)
			steps, err := w.previewSteps()
			if err != nil {
				t.Fatalf("preview: %v", err)
			}
			for _, suffix := range append([]string{resourceGroup, routeTable, vnet, nodeSubnet, identity, subnetGrant, routeTabGrant, managedCluster}, udrs[name]...) {
				if s := stepFor(t, steps, typeOf(suffix), suffix); s.Op != apitype.OpCreate {
					t.Errorf("preview plans %s for %s, want create", s.Op, suffix)
				}
			}
			if c := w.openCloud(); len(c.Log) != 0 || len(c.Resources) != 0 {
				t.Fatalf("preview changed the cloud: %d operations, %d resources", len(c.Log), len(c.Resources))
			}

			w.up()
			log := w.openCloud().Log
			before := [][2]string{
				{resourceGroup, routeTable}, {resourceGroup, vnet}, {resourceGroup, identity},
				{vnet, nodeSubnet}, {routeTable, nodeSubnet},
				{identity, subnetGrant}, {nodeSubnet, subnetGrant},
				{identity, routeTabGrant}, {routeTable, routeTabGrant},
				{subnetGrant, managedCluster}, {routeTabGrant, managedCluster},
				{nodeSubnet, managedCluster}, {identity, managedCluster},
			}
			for _, udr := range udrs[name] {
				before = append(before, [2]string{routeTable, udr}, [2]string{udr, managedCluster})
			}
			for _, pair := range before {
				first, second := opIndex(t, log, "create", pair[0]), opIndex(t, log, "create", pair[1])
				if first > second {
					t.Errorf("created %s (operation %d) after %s (operation %d); want it before", pair[0], first, pair[1], second)
				}
			}

			outs, err := w.stack.Outputs(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := outs["clusterName"].Value; got != clusterNames[name] {
				t.Errorf("output clusterName = %v, want %s", got, clusterNames[name])
			}
			if got := outs["subnetId"].Value; !strings.HasPrefix(got.(string), "/subscriptions/"+subscription+"/resourceGroups/") ||
				!strings.Contains(got.(string), "/providers/Microsoft.Network/virtualNetworks/") {
				t.Errorf("output subnetId = %v, want an ARM id in subscription %s", got, subscription)
			}
			w.expectNoChanges("second preview after up")
		})
	}
}

// TestCLIConfigSetUpdatesTheClusterInPlace: a nodeCount the CLI writes with
// `pulumi config set --path` reaches the program, and the engine plans it as
// an update of the cluster, not a replacement, touching nothing else.
func TestCLIConfigSetUpdatesTheClusterInPlace(t *testing.T) {
	w := newWorld(t, "dev")
	w.up()
	if err := w.stack.SetConfigWithOptions(w.ctx, "aks-kubenet:cluster.nodeCount", auto.ConfigValue{Value: "5"}, &auto.ConfigOptions{Path: true}); err != nil {
		t.Fatal(err)
	}
	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	s := stepFor(t, steps, typeOf(managedCluster), managedCluster)
	if s.Op != apitype.OpUpdate {
		t.Errorf("preview plans %s for the cluster, want update; all changes: %v", s.Op, changed(steps))
	}
	for _, c := range changed(steps) {
		if !strings.Contains(c, managedCluster) {
			t.Errorf("preview plans a change besides the cluster's update: %s", c)
		}
	}
	w.up()
	cluster, err := w.openCloud().Cluster("aks-kubenet-cluster")
	if err != nil {
		t.Fatal(err)
	}
	if got := poolCount(cluster); got != 5 {
		t.Errorf("the cloud's system pool has %d nodes after up, want 5", got)
	}
	for _, op := range w.openCloud().Log {
		if op.Op == "delete" {
			t.Errorf("up deleted %s", op.ID)
		}
	}
}

// TestDestroyInReverseOrder: destroy removes everything, each resource after
// the ones that depend on it, the cluster before its grants; AKS's node routes
// go with their table.
func TestDestroyInReverseOrder(t *testing.T) {
	w := newWorld(t, "dev")
	w.up()
	w.changeCloud(func(c *azuresim.Cloud) error {
		_, err := c.WriteNodeRoutes("aks-kubenet-cluster")
		return err
	})
	if _, err := w.stack.Destroy(w.ctx); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	c := w.openCloud()
	if len(c.Resources) != 0 {
		for _, r := range c.Resources {
			t.Errorf("still in the cloud after destroy: %s", r.ID)
		}
	}
	dependents := [][2]string{ // {deleted first, deleted after}
		{managedCluster, subnetGrant}, {managedCluster, routeTabGrant}, {managedCluster, nodeSubnet},
		{managedCluster, identity}, {managedCluster, udrs["dev"][0]},
		{subnetGrant, nodeSubnet}, {subnetGrant, identity}, {routeTabGrant, routeTable}, {routeTabGrant, identity},
		{nodeSubnet, vnet}, {nodeSubnet, routeTable}, {udrs["dev"][0], routeTable},
		{routeTable, resourceGroup}, {vnet, resourceGroup}, {identity, resourceGroup},
	}
	for _, pair := range dependents {
		first, second := opIndex(t, c.Log, "delete", pair[0]), opIndex(t, c.Log, "delete", pair[1])
		if first > second {
			t.Errorf("deleted %s (operation %d) after %s (operation %d); want it before", pair[0], first, pair[1], second)
		}
	}
}

// opIndex is the index in log of the op on the resource whose URN ends with
// suffix.
func opIndex(t *testing.T, log []azuresim.Operation, op, suffix string) int {
	t.Helper()
	for i, o := range log {
		if o.Op == op && strings.HasSuffix(o.URN, suffix) {
			return i
		}
	}
	t.Fatalf("the simulated cloud logged no %s of %s", op, suffix)
	return -1
}

// typeOf is the type token of a URN suffix "type::name".
func typeOf(suffix string) string {
	return suffix[:strings.Index(suffix, "::")]
}

// poolCount is the node count of the cluster's first pool in the cloud.
func poolCount(cluster *azuresim.Resource) int {
	pools := cluster.Properties["agentPoolProfiles"].ArrayValue()
	return int(pools[0].ObjectValue()["count"].NumberValue())
}
