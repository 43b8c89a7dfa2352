package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// ruleNames are the names of every rule in a rule collection group's
// collections, by collection.
func ruleNames(group registered) map[string][]string {
	out := map[string][]string{}
	for _, c := range prop(group.Inputs, "ruleCollections").ArrayValue() {
		collection := c.ObjectValue()
		for _, r := range collection["rules"].ArrayValue() {
			name := collection["name"].StringValue()
			out[name] = append(out[name], r.ObjectValue()["name"].StringValue())
		}
	}
	return out
}

// In egress mode 2 (dev) the program builds the firewall the article assumes:
// its subnet without a route table, a Standard static public IP, a policy
// with exactly the documented rules, and the firewall in its subnet; the
// default route goes to the firewall's own output, and a /32 route sends its
// public IP to the Internet.
func TestFirewallMode(t *testing.T) {
	r := runStackFile(t, "dev")
	mustSucceed(t, r)

	subnet := r.named(t, "firewall-subnet")
	for path, want := range map[string]string{"subnetName": "AzureFirewallSubnet", "addressPrefix": "10.0.2.0/26", "virtualNetworkName": "aks-vnet"} {
		if got := str(subnet.Inputs, path); got != want {
			t.Errorf("firewall subnet %s = %q, want %q", path, got, want)
		}
	}
	if _, ok := subnet.Inputs["routeTable"]; ok {
		t.Error("the firewall subnet has a route table: the firewall needs direct internet")
	}
	pip := r.one(t, tPublicIP)
	for path, want := range map[string]string{"sku.name": "Standard", "publicIPAllocationMethod": "Static", "publicIpAddressName": "aks-kubenet-dev-fw-pip-1"} {
		if got := str(pip.Inputs, path); got != want {
			t.Errorf("public IP %s = %q, want %q", path, got, want)
		}
	}
	policy := r.one(t, tFirewallPolicy)
	for path, want := range map[string]string{"sku.tier": "Standard", "threatIntelMode": "Alert"} {
		if got := str(policy.Inputs, path); got != want {
			t.Errorf("policy %s = %q, want %q", path, got, want)
		}
	}
	if v := prop(policy.Inputs, "dnsSettings.enableProxy"); !v.IsBool() || !v.BoolValue() {
		t.Error("the DNS proxy is off")
	}
	fw := r.one(t, tFirewall)
	for path, want := range map[string]string{
		"sku.name": "AZFW_VNet", "sku.tier": "Standard", "firewallPolicy.id": policy.ID,
		"ipConfigurations[0].subnet.id": subnet.ID, "ipConfigurations[0].publicIPAddress.id": pip.ID,
	} {
		if got := str(fw.Inputs, path); got != want {
			t.Errorf("firewall %s = %q, want %q", path, got, want)
		}
	}
	group := r.one(t, tRuleGroup)
	if !dependsOn(fw, group) {
		t.Error("the firewall does not wait for its rules")
	}

	route := r.named(t, "egress-default-route")
	if got := str(route.Inputs, "nextHopIpAddress"); got != mockFirewallIP {
		t.Errorf("default route next hop %q, want the firewall's output %s", got, mockFirewallIP)
	}
	if !dependsOn(route, fw) {
		t.Error("the default route does not depend on the firewall")
	}
	pipRoute := r.named(t, "egress-aks-kubenet-dev-fw-pip-1-internet")
	if got, want := str(pipRoute.Inputs, "addressPrefix"), "20.0.0.24/32"; got != want || str(pipRoute.Inputs, "nextHopType") != "Internet" {
		t.Errorf("public IP route %s -> %s, want %s -> Internet", got, str(pipRoute.Inputs, "nextHopType"), want)
	}

	aks := r.one(t, tCluster)
	for _, dep := range []registered{fw, group, route, pipRoute} {
		if !dependsOn(aks, dep) {
			t.Errorf("the cluster does not wait for %s %s", dep.Type, dep.Name)
		}
	}
}

// The rule collection group holds exactly the rules Microsoft documents as
// required for AKS and its add-ons that are on (Azure Policy by default),
// and the stack's own only when configured.
func TestFirewallRules(t *testing.T) {
	dev := runStackFile(t, "dev")
	mustSucceed(t, dev)
	got := ruleNames(dev.one(t, tRuleGroup))
	want := map[string][]string{"aks-network": {"aks-apiserver-udp-1194", "aks-apiserver-tcp-9000"}, "aks-application": {"aks-fqdn-tag", "aks-azure-policy"}}
	for collection, names := range want {
		if !slices.Equal(got[collection], names) {
			t.Errorf("collection %s has rules %v, want exactly %v", collection, got[collection], names)
		}
	}
	var rules []resource.PropertyValue
	for _, c := range prop(dev.one(t, tRuleGroup).Inputs, "ruleCollections").ArrayValue() {
		rules = append(rules, c.ObjectValue()["rules"].ArrayValue()...)
	}
	for _, r := range rules {
		m := r.ObjectValue()
		switch m["name"].StringValue() {
		case "aks-apiserver-udp-1194", "aks-apiserver-tcp-9000":
			if got := m["destinationAddresses"].ArrayValue()[0].StringValue(); got != "AzureCloud.eastus" {
				t.Errorf("%s goes to %s, want AzureCloud.eastus", m["name"].StringValue(), got)
			}
		case "aks-fqdn-tag":
			if got := m["fqdnTags"].ArrayValue()[0].StringValue(); got != "AzureKubernetesService" {
				t.Errorf("the application rule's FQDN tag is %s", got)
			}
		case "aks-azure-policy":
			fqdns := stringList(m["targetFqdns"])
			protocols := m["protocols"].ArrayValue()
			if !slices.Equal(fqdns, []string{"data.policy.core.windows.net", "store.policy.core.windows.net", "dc.services.visualstudio.com"}) ||
				len(protocols) != 1 || protocols[0].ObjectValue()["port"].NumberValue() != 443 {
				t.Errorf("the Azure Policy rule allows %v on %v", fqdns, protocols)
			}
		}
		if src := m["sourceAddresses"].ArrayValue(); len(src) != 1 || src[0].StringValue() != "10.0.1.0/24" {
			t.Errorf("rule %s comes from %v, want the node subnet", m["name"].StringValue(), src)
		}
	}
	if len(aksfacts.RequiredRules("eastus", aksfacts.Addons{})) != 3 {
		t.Errorf("required rules: %v", aksfacts.RequiredRules("eastus", aksfacts.Addons{}))
	}

	cfg := devConfig(t)
	cfg[spec.KeyFirewall] = `{"subnetCidr":"10.0.2.0/26","allowFqdns":["ghcr.io"],"networkRules":[{"name":"ntp","protocols":["UDP"],"destinationFqdns":["ntp.ubuntu.com"],"destinationPorts":[123]}]}`
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	got = ruleNames(r.one(t, tRuleGroup))
	if !slices.Contains(got["aks-network"], "ntp") || !slices.Contains(got["aks-application"], "allow-fqdns") {
		t.Errorf("configured rules missing: %v", got)
	}

	// The add-ons' rules follow the add-ons.
	addons := devConfig(t)
	setJSON(t, addons, spec.KeyCluster, "azurePolicy", false)
	setJSON(t, addons, spec.KeyCluster, "monitoring", map[string]any{"enabled": true})
	r = runProgram(t, "dev", addons)
	mustSucceed(t, r)
	if got := ruleNames(r.one(t, tRuleGroup))["aks-application"]; !slices.Equal(got, []string{"aks-fqdn-tag", "aks-container-insights"}) {
		t.Errorf("without Azure Policy, with monitoring: application rules %v, want aks-fqdn-tag and aks-container-insights", got)
	}
}

// In egress mode 3 (prod) the VNet is peered with the hub both ways: the
// spoke's half in the stack's group, the hub's half in the hub's group and
// subscription through an explicit provider; the cluster waits for both and
// for the default route to the hub's firewall.
func TestHubMode(t *testing.T) {
	r := runStackFile(t, "prod")
	mustSucceed(t, r)
	hubID := "/subscriptions/" + hubSubscription + "/resourceGroups/hub-weu-rg/providers/Microsoft.Network/virtualNetworks/hub-weu-vnet"
	spoke, hubSide := r.named(t, "hub-spoke-to-hub"), r.named(t, "hub-hub-to-spoke")
	vnet := r.one(t, tVnet)
	for path, want := range map[string]string{
		"resourceGroupName": "aks-kubenet-prod-weu-rg", "virtualNetworkName": "aks-prod-weu-vnet", "remoteVirtualNetwork.id": hubID,
	} {
		if got := str(spoke.Inputs, path); got != want {
			t.Errorf("spoke-to-hub %s = %q, want %q", path, got, want)
		}
	}
	for path, want := range map[string]string{
		"resourceGroupName": "hub-weu-rg", "virtualNetworkName": "hub-weu-vnet", "remoteVirtualNetwork.id": vnet.ID,
	} {
		if got := str(hubSide.Inputs, path); got != want {
			t.Errorf("hub-to-spoke %s = %q, want %q", path, got, want)
		}
	}
	for _, flag := range []string{"allowVirtualNetworkAccess", "allowForwardedTraffic", "useRemoteGateways"} {
		if v := prop(spoke.Inputs, flag); !v.IsBool() || !v.BoolValue() {
			t.Errorf("spoke-to-hub %s is not true", flag)
		}
	}
	provider := r.one(t, "pulumi:providers:azure-native")
	if got := str(provider.Inputs, "subscriptionId"); got != hubSubscription {
		t.Errorf("the hub provider's subscription is %q, want %s", got, hubSubscription)
	}
	if !strings.HasPrefix(hubSide.Provider, provider.URN+"::") || !strings.HasPrefix(hubSide.ID, "/subscriptions/"+hubSubscription+"/") {
		t.Errorf("hub-to-spoke is created through %q as %s; want the hub's provider and subscription", hubSide.Provider, hubSide.ID)
	}
	if spoke.Provider != "" && strings.HasPrefix(spoke.Provider, provider.URN) {
		t.Error("spoke-to-hub goes through the hub's provider")
	}
	aks := r.one(t, tCluster)
	for _, dep := range []registered{spoke, hubSide, r.named(t, "egress-default-via-firewall")} {
		if !dependsOn(aks, dep) {
			t.Errorf("the cluster does not wait for %s", dep.Name)
		}
	}
}

// The generated default route takes over the hand-written one it replaces:
// same logical name (so the same URN) and the same Azure name, so switching a
// running stack from its own 0.0.0.0/0 route to a firewall updates the route
// in place. Under another name Pulumi would create the new route before
// deleting the old, and Azure refuses a second route for 0.0.0.0/0.
func TestGeneratedDefaultRouteTakesOverTheHandWrittenOne(t *testing.T) {
	handWritten := devConfig(t)
	delete(handWritten, spec.KeyFirewall)
	setJSON(t, handWritten, spec.KeyNetwork, "routes", []any{map[string]any{
		"name": "default-route", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.2.4",
	}})
	mode1 := runProgram(t, "dev", handWritten)
	mustSucceed(t, mode1)
	mode2 := runStackFile(t, "dev")
	for _, r := range []run{mode1, mode2} {
		var defaults []registered
		for _, route := range r.byType(tRoute) {
			if str(route.Inputs, "addressPrefix") == "0.0.0.0/0" {
				defaults = append(defaults, route)
			}
		}
		if len(defaults) != 1 {
			t.Fatalf("want one 0.0.0.0/0 route, got %d", len(defaults))
		}
		if defaults[0].URN != mode1.named(t, "egress-default-route").URN || str(defaults[0].Inputs, "routeName") != "default-route" {
			t.Errorf("the 0.0.0.0/0 route is %s named %q, want %s named default-route",
				defaults[0].URN, str(defaults[0].Inputs, "routeName"), mode1.named(t, "egress-default-route").URN)
		}
	}
}

// A bad firewall or hub config is refused with its keys before anything is
// registered.
func TestBadEgressConfigRegistersNothing(t *testing.T) {
	cfg := devConfig(t)
	cfg[spec.KeyFirewall] = `{"subnetCidr":"10.0.1.0/27","tier":"Basic","publicIpCount":0}`
	cfg[spec.KeyHub] = `{"vnetId":"hub","addressSpace":["10.0.0.0/8"],"firewallPrivateIp":"172.16.0.4"}`
	r := runProgram(t, "dev", cfg)
	if r.err == nil {
		t.Fatal("program accepted the config")
	}
	for _, want := range []string{
		"aks-kubenet:firewall and aks-kubenet:hub are both set",
		"firewall.subnetCidr 10.0.1.0/27 is smaller than /26",
		"firewall.subnetCidr 10.0.1.0/27 overlaps network.nodeSubnetCidr 10.0.1.0/24",
		`firewall.tier "Basic"`,
		"firewall.publicIpCount 0 is outside 1-250",
		`hub.vnetId "hub" is not a VNet's resource id`,
		"hub.addressSpace[0] 10.0.0.0/8 overlaps network.vnetCidr 10.0.0.0/16",
		"hub.firewallPrivateIp 172.16.0.4 is not inside hub.addressSpace 10.0.0.0/8",
	} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, r.err)
		}
	}
	if len(r.resources) != 0 {
		t.Errorf("a refused config registered %d resources", len(r.resources))
	}
}
