package engine

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// handWrittenEgress puts the stack in egress mode 1, as it was before the
// program built its egress: no aks-kubenet:firewall, aks-kubenet:hub or
// network.defaultRouteName, and the egress a user types by hand, the 0.0.0.0/0
// route name to the appliance at hop, as network.routes[index].
func (w *world) handWrittenEgress(index int, name, hop string) {
	w.t.Helper()
	cfg, err := w.stack.GetAllConfig(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	var remove []string
	for _, key := range []string{"aks-kubenet:firewall", "aks-kubenet:hub"} {
		if _, ok := cfg[key]; ok {
			remove = append(remove, key)
		}
	}
	if strings.Contains(cfg["aks-kubenet:network"].Value, `"defaultRouteName"`) {
		remove = append(remove, "aks-kubenet:network.defaultRouteName")
	}
	if len(remove) > 0 { // one pulumi config rm-all --path
		if err := w.stack.RemoveAllConfigWithOptions(w.ctx, remove, &auto.ConfigOptions{Path: true}); err != nil {
			w.t.Fatal(err)
		}
	}
	route := "aks-kubenet:network.routes[" + strconv.Itoa(index) + "]."
	w.setConfigs(route+"name", name, route+"addressPrefix", "0.0.0.0/0", route+"nextHopType", "VirtualAppliance", route+"nextHopIpAddress", hop)
}

// removeConfig removes one config value with the CLI (pulumi config rm --path).
func (w *world) removeConfig(key string) {
	w.t.Helper()
	if err := w.stack.RemoveConfigWithOptions(w.ctx, key, &auto.ConfigOptions{Path: true}); err != nil {
		w.t.Fatal(err)
	}
}

// TestFirewallEgress: dev in egress mode 2. The generated default route's next
// hop in the cloud is the firewall's private IP as the simulated Azure gave
// it (10.0.2.4 in 10.0.2.0/26), never a typed address; every public IP of the
// firewall has its /32 route to Internet; the firewall's subnet has no route
// table (the firewall needs direct internet, aks-rules 7.2); the rule
// collection group exists before the firewall, so the firewall never runs
// without AKS's rules; a second preview plans nothing.
func TestFirewallEgress(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	c := w.openCloud()

	fwIP := firewallPrivateIP(t, c)
	if fwIP != "10.0.2.4" {
		t.Errorf("the simulated firewall's private IP is %s, want 10.0.2.4 (10.0.2.0/26 + 4)", fwIP)
	}
	table := tableOf(t, c)
	def := defaultRoute(c)
	if def == nil {
		t.Fatal("no 0.0.0.0/0 route in the cloud")
	}
	if got := def.Properties["nextHopIpAddress"].StringValue(); got != fwIP || def.Properties["nextHopType"].StringValue() != "VirtualAppliance" {
		t.Errorf("the default route goes to %s %s, want VirtualAppliance %s, the firewall's private IP",
			def.Properties["nextHopType"].StringValue(), got, fwIP)
	}
	if !strings.HasSuffix(def.ID, "/routes/default-route") || !strings.HasSuffix(def.URN, udrs["dev"][0]) {
		t.Errorf("the default route is %s (%s), want default-route, %s", def.ID, def.URN, udrs["dev"][0])
	}

	pips := c.Find(azuresim.PublicIPAddress)
	if len(pips) == 0 {
		t.Fatal("the firewall has no public IP in the cloud")
	}
	for _, pip := range pips {
		addr := pip.Computed["ipAddress"].StringValue()
		found := false
		for _, r := range c.RoutesOf(table.ID) {
			if r.Properties["addressPrefix"].StringValue() == addr+"/32" && r.Properties["nextHopType"].StringValue() == "Internet" {
				found = true
			}
		}
		if !found {
			t.Errorf("no route %s/32 to Internet for the firewall's public IP %s", addr, pip.ID)
		}
	}

	for _, s := range c.Find(azuresim.Subnet) {
		if strings.HasSuffix(s.ID, "/subnets/"+azuresim.FirewallSubnetName) {
			if _, ok := s.Properties["routeTable"]; ok {
				t.Errorf("the firewall's subnet %s has a route table", s.ID)
			}
		} else if ref, ok := s.Properties["routeTable"]; !ok || !strings.EqualFold(ref.ObjectValue()["id"].StringValue(), table.ID) {
			t.Errorf("the node subnet %s is not associated with the route table", s.ID)
		}
	}

	if rules, fw := opIndex(t, c.Log, "create", firewallRules), opIndex(t, c.Log, "create", azureFirewall); rules > fw {
		t.Errorf("created the firewall (operation %d) before its rule collection group (operation %d)", fw, rules)
	}
	w.expectNoChanges("second preview in firewall mode")
}

// TestHubEgress: prod in egress mode 3, peered with a hub VNet another team
// owns in another subscription. Both halves of the peering exist and are
// Connected; the hub's half is in the hub's subscription and group, under the
// hub VNet, made by the explicit provider for the hub's subscription (its
// state says so); nothing else lands in the hub's subscription or the login's.
func TestHubEgress(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.up()
	c := w.openCloud()

	spokeVnet := "/subscriptions/" + subscription + "/resourceGroups/aks-kubenet-prod-weu-rg/providers/Microsoft.Network/virtualNetworks/aks-prod-weu-vnet"
	want := map[string]struct{ id, remote string }{
		spokeToHub: {spokeVnet + "/virtualNetworkPeerings/aks-prod-weu-vnet-to-hub-weu-vnet", hubVnetID},
		hubToSpoke: {hubVnetID + "/virtualNetworkPeerings/hub-weu-vnet-to-aks-prod-weu-vnet", spokeVnet},
	}
	for suffix, p := range want {
		r := c.Get(p.id)
		if r == nil || r.ID != p.id {
			t.Errorf("no peering %s in the cloud", p.id)
			continue
		}
		if !strings.HasSuffix(r.URN, suffix) {
			t.Errorf("peering %s was made by %s, want %s", r.ID, r.URN, suffix)
		}
		if got := r.Properties["remoteVirtualNetwork"].ObjectValue()["id"].StringValue(); !strings.EqualFold(got, p.remote) {
			t.Errorf("peering %s peers with %s, want %s", r.ID, got, p.remote)
		}
		if got := r.Computed["peeringState"].StringValue(); got != "Connected" {
			t.Errorf("peering %s is %s, want Connected", r.ID, got)
		}
	}
	for _, r := range c.Resources {
		switch {
		case strings.HasPrefix(r.ID, "/subscriptions/"+loginSubscription+"/"):
			t.Errorf("%s is in the login's subscription", r.ID)
		case strings.HasPrefix(r.ID, "/subscriptions/"+hubSubscription+"/") && r.By == "pulumi" && r.ID != want[hubToSpoke].id:
			t.Errorf("the stack made %s in the hub's subscription", r.ID)
		}
	}

	// In the state: the hub's half is the explicit provider's, configured
	// for the hub's subscription; the spoke's half is the default provider's.
	exported, err := w.stack.Export(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var state apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &state); err != nil {
		t.Fatal(err)
	}
	byURN := map[string]apitype.ResourceV3{}
	var provider apitype.ResourceV3
	for _, r := range state.Resources {
		byURN[string(r.URN)] = r
		if strings.HasSuffix(string(r.URN), hubProvider) {
			provider = r
		}
	}
	if provider.URN == "" {
		t.Fatalf("no provider %s in the state", hubProvider)
	}
	if got := provider.Inputs["subscriptionId"]; got != hubSubscription {
		t.Errorf("the hub's provider has subscriptionId %v, want %s", got, hubSubscription)
	}
	for urn, r := range byURN {
		if r.Type != azuresim.VirtualNetworkPeering {
			continue
		}
		explicit := strings.HasPrefix(r.Provider, string(provider.URN)+"::")
		if hub := strings.HasSuffix(urn, hubToSpoke); hub != explicit {
			t.Errorf("peering %s has provider %s: want the hub's provider for the hub's half only", urn, r.Provider)
		}
	}
	w.expectNoChanges("second preview in hub mode")
}

// TestModeSwitchUpdatesTheDefaultRouteInPlace: dev deployed in egress mode 1
// (the article's hand-written default-route to 10.0.2.4), AKS's node routes
// written, then switched to mode 2 (the firewall config back, the
// hand-written route dropped): the generated route has the hand-written one's
// name and logical name, so the preview plans an update of
// azure-native:network:Route::egress-default-route, not a create, delete or
// replace; up succeeds; the 0.0.0.0/0 route is never absent from the table
// (the cloud logs no delete of it, and it is the same route, never made
// anew) and ends up at the firewall's private IP; AKS's node routes survive.
func TestModeSwitchUpdatesTheDefaultRouteInPlace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	nodeRoutes := w.deployHandWrittenEgress()
	routeID, seq := defaultRoute(w.openCloud()).ID, defaultRoute(w.openCloud()).Seq

	w.setConfig("aks-kubenet:firewall.subnetCidr", "10.0.2.0/26", false)
	w.removeConfig("aks-kubenet:network.routes")
	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview of the switch: %v", err)
	}
	if s := stepFor(t, steps, typeOf(udrs["dev"][0]), udrs["dev"][0]); s.Op != apitype.OpUpdate {
		t.Errorf("the switch plans %s for %s, want update; all changes: %v", s.Op, udrs["dev"][0], changed(steps))
	}
	for urn, s := range steps {
		if s.Type == typeOf(udrs["dev"][0]) && s.Op != apitype.OpSame && s.Op != apitype.OpUpdate && s.Op != apitype.OpCreate {
			t.Errorf("the switch plans %s for route %s", s.Op, urn)
		}
	}
	w.up()

	c := w.openCloud()
	for _, op := range c.Log {
		if op.Op == "delete" && strings.EqualFold(op.ID, routeID) {
			t.Errorf("the switch deleted the default route %s: egress was cut", routeID)
		}
	}
	// The same route, never made anew. (Its next hop, 10.0.2.4 by hand,
	// is 10.0.2.4 from the firewall too: up finds nothing to PUT.)
	def := defaultRoute(c)
	if def == nil || !strings.EqualFold(def.ID, routeID) || def.Seq != seq {
		t.Fatalf("the 0.0.0.0/0 route after the switch is %v, want %s as it was (seq %d)", def, routeID, seq)
	}
	if got, fwIP := def.Properties["nextHopIpAddress"].StringValue(), firewallPrivateIP(t, c); got != fwIP {
		t.Errorf("after the switch the default route goes to %s, want the firewall's private IP %s", got, fwIP)
	}
	for _, id := range nodeRoutes {
		if c.Get(id) == nil {
			t.Errorf("node route %s is gone after the switch", id)
		}
	}
	w.expectNoChanges("preview after the switch")
}

// TestModeSwitchUnderAnotherRouteNameFails: the same switch with
// network.defaultRouteName set to another name (to-firewall) is the trap the
// name exists for: Pulumi creates the new route before it deletes the old
// one, and Azure refuses a second 0.0.0.0/0 route in the table
// (RouteConflict, aks-rules 6.4), so up fails. The old default route is still
// in place (egress never stopped, and AKS's node routes are untouched), but
// the stack must be fixed: with defaultRouteName taken back, up succeeds.
func TestModeSwitchUnderAnotherRouteNameFails(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	nodeRoutes := w.deployHandWrittenEgress()
	old := defaultRoute(w.openCloud())

	w.setConfigs("aks-kubenet:firewall.subnetCidr", "10.0.2.0/26", "aks-kubenet:network.defaultRouteName", "to-firewall")
	w.removeConfig("aks-kubenet:network.routes")
	_, err := w.stack.Up(w.ctx)
	if err == nil {
		t.Fatal("up succeeded with a second 0.0.0.0/0 route under another name")
	}
	for _, want := range []string{"RouteConflict", "Route: to-firewall conflicts with Route: default-route"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("up's error does not say %q:\n%v", want, err)
		}
	}

	c := w.openCloud()
	def := defaultRoute(c)
	if def == nil || def.ID != old.ID || !def.Properties["nextHopIpAddress"].DeepEquals(old.Properties["nextHopIpAddress"]) {
		t.Errorf("after the failed up the 0.0.0.0/0 route is %v, want the old %s to %s untouched", def, old.ID, old.Properties["nextHopIpAddress"].StringValue())
	}
	for _, op := range c.Log {
		if op.Op == "delete" && op.Type == azuresim.Route {
			t.Errorf("the failed up deleted route %s", op.ID)
		}
	}
	for _, r := range c.Find(azuresim.Route) {
		if strings.HasSuffix(r.ID, "/routes/to-firewall") {
			t.Errorf("Azure holds %s beside %s", r.ID, old.ID)
		}
	}
	for _, id := range nodeRoutes {
		if c.Get(id) == nil {
			t.Errorf("node route %s is gone after the failed up", id)
		}
	}

	w.removeConfig("aks-kubenet:network.defaultRouteName")
	w.up()
	c = w.openCloud()
	if def := defaultRoute(c); def == nil || def.ID != old.ID || def.Properties["nextHopIpAddress"].StringValue() != firewallPrivateIP(t, c) {
		t.Errorf("after the fix the 0.0.0.0/0 route is %v, want %s to the firewall", def, old.ID)
	}
}

// deployHandWrittenEgress deploys dev in egress mode 1, checks that the
// hand-written default route is in place and no firewall exists, writes AKS's
// node routes, and returns their ids.
func (w *world) deployHandWrittenEgress() []string {
	w.t.Helper()
	w.handWrittenEgress(0, "default-route", "10.0.2.4")
	w.up()
	c := w.openCloud()
	if n := len(c.Find(azuresim.AzureFirewall)); n != 0 {
		w.t.Fatalf("egress mode 1 made %d firewalls", n)
	}
	def := defaultRoute(c)
	if def == nil || !strings.HasSuffix(def.URN, udrs["dev"][0]) || def.Properties["nextHopIpAddress"].StringValue() != "10.0.2.4" {
		w.t.Fatalf("egress mode 1: the 0.0.0.0/0 route is %v, want %s to 10.0.2.4", def, udrs["dev"][0])
	}
	var nodeRoutes []string
	w.changeCloud(func(c *azuresim.Cloud) error {
		var err error
		nodeRoutes, err = c.WriteNodeRoutes(clusterNames["dev"])
		return err
	})
	return nodeRoutes
}
