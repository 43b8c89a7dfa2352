package engine

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/armid"
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
	managedCluster = armid.ManagedCluster + "::aks-cluster"

	// dev's egress (mode 2): an Azure Firewall in the VNet.
	firewallSubnet = "azure-native:network:Subnet::firewall-subnet"
	firewallPIP    = "azure-native:network:PublicIPAddress::firewall-pip-1"
	firewallPolicy = "azure-native:network:FirewallPolicy::firewall-policy"
	firewallRules  = "azure-native:network:FirewallPolicyRuleCollectionGroup::firewall-rules"
	azureFirewall  = "azure-native:network:AzureFirewall::firewall-firewall"
	// prod's egress (mode 3): peering with the hub both ways, the hub's half
	// through an explicit provider for the hub's subscription.
	spokeToHub  = "azure-native:network:VirtualNetworkPeering::hub-spoke-to-hub"
	hubToSpoke  = "azure-native:network:VirtualNetworkPeering::hub-hub-to-spoke"
	hubProvider = "pulumi:providers:azure-native::hub-hub-subscription"
)

// udrs are the URN suffixes of each committed stack's user-defined routes,
// the default route first: dev's are generated (the 0.0.0.0/0 route to the
// firewall, under the name of the hand-written route it took over, and a /32
// to Internet for the firewall's public IP), prod's the generated route to the
// hub's firewall and the hand-written on-premises route.
var udrs = map[string][]string{
	"dev":  {"azure-native:network:Route::egress-default-route", "azure-native:network:Route::egress-aks-kubenet-dev-fw-pip-1-internet"},
	"prod": {"azure-native:network:Route::egress-default-via-firewall", "azure-native:network:Route::egress-on-premises"},
}

// egress are the URN suffixes of each committed stack's egress resources.
var egress = map[string][]string{
	"dev":  {firewallSubnet, firewallPIP, firewallPolicy, firewallRules, azureFirewall},
	"prod": {spokeToHub, hubToSpoke},
}

// egressBefore are the create orders each stack's egress mode promises: the
// cluster after the firewall, its rules and the default route to it (and that
// route after the firewall), or after both halves of the peering.
var egressBefore = map[string][][2]string{
	"dev": {
		{vnet, firewallSubnet}, {firewallSubnet, azureFirewall}, {firewallPIP, azureFirewall},
		{firewallPolicy, firewallRules}, {firewallRules, azureFirewall},
		{azureFirewall, udrs["dev"][0]}, {firewallPIP, udrs["dev"][1]},
		{azureFirewall, managedCluster}, {firewallRules, managedCluster}, {udrs["dev"][0], managedCluster},
	},
	"prod": {
		{vnet, spokeToHub}, {vnet, hubToSpoke},
		{spokeToHub, managedCluster}, {hubToSpoke, managedCluster},
	},
}

// clusterNames are the AKS cluster names of the committed stacks.
var clusterNames = map[string]string{"dev": "aks-kubenet-cluster", "prod": "aks-prod-weu", "staging": "aks-staging-neu"}

// TestPreviewThenUp: on each committed stack, preview plans a create of every
// resource and changes nothing in the cloud; up creates them in an order that
// keeps every promise of the README (the grants, the subnet, every
// user-defined route and the egress mode's resources exist before the
// cluster); a second preview plans no change.
func TestPreviewThenUp(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, name)
			steps, err := w.previewSteps()
			if err != nil {
				t.Fatalf("preview: %v", err)
			}
			all := []string{resourceGroup, routeTable, vnet, nodeSubnet, identity, subnetGrant, routeTabGrant, managedCluster}
			for _, suffix := range append(append(all, udrs[name]...), egress[name]...) {
				if s := stepFor(t, steps, typeOf(suffix), suffix); s.Op != apitype.OpCreate {
					t.Errorf("preview plans %s for %s, want create", s.Op, suffix)
				}
			}
			if c := w.openCloud(); len(c.Log) != 0 || c.PulumiResources() != 0 {
				t.Fatalf("preview changed the cloud: %d operations, %d resources", len(c.Log), c.PulumiResources())
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
			before = append(before, egressBefore[name]...)
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
	t.Parallel()
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

// TestDestroyInReverseOrder: destroy removes everything the stack made, each
// resource after the ones that depend on it, the cluster before its grants,
// its routes, and the firewall (dev) or the peerings (prod, unprotected for
// the test); AKS's node routes go with their table; the hub's VNet, which
// another team owns, stays, without the stack's peering.
func TestDestroyInReverseOrder(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var cfg []string
			if name == "prod" {
				cfg = []string{"aks-kubenet:protect", "false"}
			}
			w := newWorld(t, name, cfg...)
			w.up()
			w.changeCloud(func(c *azuresim.Cloud) error {
				_, err := c.WriteNodeRoutes(clusterNames[name])
				return err
			})
			if _, err := w.stack.Destroy(w.unreadCtx()); err != nil {
				t.Fatalf("destroy: %v", err)
			}
			c := w.openCloud()
			for _, r := range c.Resources {
				if r.By != "hub team" {
					t.Errorf("still in the cloud after destroy: %s", r.ID)
				}
			}
			if name == "prod" && c.Get(hubVnetID) == nil {
				t.Errorf("destroy deleted the hub's VNet")
			}
			dependents := [][2]string{ // {deleted first, deleted after}
				{managedCluster, subnetGrant}, {managedCluster, routeTabGrant}, {managedCluster, nodeSubnet},
				{managedCluster, identity},
				{subnetGrant, nodeSubnet}, {subnetGrant, identity}, {routeTabGrant, routeTable}, {routeTabGrant, identity},
				{nodeSubnet, vnet}, {nodeSubnet, routeTable},
				{routeTable, resourceGroup}, {vnet, resourceGroup}, {identity, resourceGroup},
			}
			for _, udr := range udrs[name] {
				dependents = append(dependents, [2]string{managedCluster, udr}, [2]string{udr, routeTable})
			}
			for _, e := range egress[name] {
				dependents = append(dependents, [2]string{managedCluster, e})
			}
			switch name {
			case "dev":
				dependents = append(dependents,
					[2]string{udrs["dev"][0], azureFirewall}, [2]string{azureFirewall, firewallSubnet}, [2]string{azureFirewall, firewallPIP},
					[2]string{azureFirewall, firewallRules}, [2]string{firewallRules, firewallPolicy}, [2]string{firewallSubnet, vnet})
			case "prod":
				dependents = append(dependents, [2]string{spokeToHub, vnet}, [2]string{hubToSpoke, vnet})
			}
			for _, pair := range dependents {
				first, second := opIndex(t, c.Log, "delete", pair[0]), opIndex(t, c.Log, "delete", pair[1])
				if first > second {
					t.Errorf("deleted %s (operation %d) after %s (operation %d); want it before", pair[0], first, pair[1], second)
				}
			}
		})
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
