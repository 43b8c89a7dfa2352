package engine

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// cloudProviderTags are tags the Kubernetes cloud provider puts on the route
// table it routes through (aks-rules 1.9).
var cloudProviderTags = map[string]string{
	"aks-managed-cluster-name": "set-by-aks",
	"aks-managed-cluster-rg":   "set-by-aks",
}

// TestAKSActivityIsNoChange: what AKS does to a running cluster (one route
// per node in the route table, its tags on the table, the autoscaler moving
// an autoscaled pool's count) is no change for the program: after a refresh
// the preview plans nothing, and one more up leaves the node routes, the tags
// and the count where AKS put them. prod runs twice: with its user pools (the
// cluster then ignores its whole agentPoolProfiles) and without them (the
// cluster ignores the autoscaled system pool's count only).
func TestAKSActivityIsNoChange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ test, name string }{{"dev", "dev"}, {"prod", "prod"}, {"prod without user pools", "prod"}} {
		name := tc.name
		t.Run(tc.test, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, name)
			if tc.test == "prod without user pools" {
				w.removeConfig("aks-kubenet:pools")
			}
			w.up()
			autoscaled := name == "prod" // prod's system pool is autoscaled (minCount 3, maxCount 20)
			var nodeRoutes []string
			w.changeCloud(func(c *azuresim.Cloud) error {
				if autoscaled {
					if err := c.Autoscale(clusterNames[name], "system", 7); err != nil {
						return err
					}
				}
				var err error
				if nodeRoutes, err = c.WriteNodeRoutes(clusterNames[name]); err != nil {
					return err
				}
				return c.TagRouteTable(clusterNames[name], cloudProviderTags)
			})

			w.refresh()
			w.expectNoChanges("preview after AKS's routes, tags and autoscaling and a refresh")
			w.up()

			c := w.openCloud()
			for _, id := range nodeRoutes {
				if c.Get(id) == nil {
					t.Errorf("node route %s is gone after up", id)
				}
			}
			table := tableOf(t, c)
			tags := table.Properties["tags"].ObjectValue()
			for k := range cloudProviderTags {
				if _, ok := tags[resource.PropertyKey(k)]; !ok {
					t.Errorf("the cloud provider's tag %s is gone from the route table after up", k)
				}
			}
			if autoscaled {
				cluster, err := c.Cluster(clusterNames[name])
				if err != nil {
					t.Fatal(err)
				}
				if got := poolCount(cluster); got != 7 {
					t.Errorf("up set the autoscaled pool to %d nodes; the autoscaler had 7", got)
				}
			}
			w.expectNoChanges("preview after the next up")
		})
	}
}

// TestDriftIsRepaired: changes to what the program owns are drift that a
// refresh shows and up repairs, without touching AKS's node routes: the
// subnet's route table association removed, and the default route deleted.
func TestDriftIsRepaired(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		drift  func(c *azuresim.Cloud) error
		suffix string         // the resource the preview must change
		op     apitype.OpType // and how
		check  func(t *testing.T, c *azuresim.Cloud)
	}{
		{
			name: "subnet's route table association removed",
			drift: func(c *azuresim.Cloud) error {
				return c.Dissociate(subnetOf(c).ID)
			},
			suffix: nodeSubnet, op: apitype.OpUpdate,
			check: func(t *testing.T, c *azuresim.Cloud) {
				ref, ok := subnetOf(c).Properties["routeTable"]
				if !ok || !strings.EqualFold(ref.ObjectValue()["id"].StringValue(), tableOf(t, c).ID) {
					t.Errorf("the node subnet is not associated with the route table after up")
				}
			},
		},
		{
			name: "default route deleted",
			drift: func(c *azuresim.Cloud) error {
				return c.Remove(defaultRoute(c).ID)
			},
			suffix: udrs["dev"][0], op: apitype.OpCreate,
			check: func(t *testing.T, c *azuresim.Cloud) {
				r := defaultRoute(c)
				if r == nil {
					t.Fatal("the default route is not back after up")
				}
				// The firewall's private IP as the simulated Azure gave it:
				// 10.0.2.4 in dev's 10.0.2.0/26.
				fwIP := firewallPrivateIP(t, c)
				if got := r.Properties["nextHopIpAddress"].StringValue(); got != fwIP || got != "10.0.2.4" {
					t.Errorf("the default route's next hop is %s after up, want the firewall's private IP %s (10.0.2.4)", got, fwIP)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "dev")
			w.up()
			var nodeRoutes []string
			w.changeCloud(func(c *azuresim.Cloud) error {
				var err error
				nodeRoutes, err = c.WriteNodeRoutes("aks-kubenet-cluster")
				return err
			})
			w.changeCloud(tc.drift)

			w.refresh()
			steps, err := w.previewSteps()
			if err != nil {
				t.Fatalf("preview: %v", err)
			}
			if s := stepFor(t, steps, typeOf(tc.suffix), tc.suffix); s.Op != tc.op {
				t.Errorf("after the drift, preview plans %s for %s, want %s; all changes: %v", s.Op, tc.suffix, tc.op, changed(steps))
			}
			w.up()
			c := w.openCloud()
			tc.check(t, c)
			for _, id := range nodeRoutes {
				if c.Get(id) == nil {
					t.Errorf("node route %s is gone after the repair", id)
				}
			}
			w.expectNoChanges("preview after the repair")
		})
	}
}

// tableOf is the stack's one route table in the cloud.
func tableOf(t *testing.T, c *azuresim.Cloud) *azuresim.Resource {
	t.Helper()
	tables := c.Find(azuresim.RouteTable)
	if len(tables) != 1 {
		t.Fatalf("the cloud holds %d route tables, want 1", len(tables))
	}
	return tables[0]
}

// subnetOf is the stack's one node subnet in the cloud (any subnet but the
// firewall's), or nil.
func subnetOf(c *azuresim.Cloud) *azuresim.Resource {
	var nodes []*azuresim.Resource
	for _, s := range c.Find(azuresim.Subnet) {
		if !strings.HasSuffix(s.ID, "/subnets/"+azuresim.FirewallSubnetName) {
			nodes = append(nodes, s)
		}
	}
	if len(nodes) == 1 {
		return nodes[0]
	}
	return nil
}

// firewallPrivateIP is the private IP of the stack's one Azure Firewall, as
// the simulated Azure computed it and returns it in the firewall's
// ipConfigurations.
func firewallPrivateIP(t *testing.T, c *azuresim.Cloud) string {
	t.Helper()
	fws := c.Find(azuresim.AzureFirewall)
	if len(fws) != 1 {
		t.Fatalf("the cloud holds %d firewalls, want 1", len(fws))
	}
	configs := fws[0].Computed["ipConfigurations"].ArrayValue()
	ip := configs[0].ObjectValue()["privateIPAddress"]
	if !ip.IsString() || ip.StringValue() == "" {
		t.Fatalf("the firewall %s has no private IP", fws[0].ID)
	}
	return ip.StringValue()
}

// defaultRoute is the 0.0.0.0/0 route in the cloud, or nil.
func defaultRoute(c *azuresim.Cloud) *azuresim.Resource {
	for _, r := range c.Find(azuresim.Route) {
		if r.Properties["addressPrefix"].StringValue() == "0.0.0.0/0" {
			return r
		}
	}
	return nil
}
