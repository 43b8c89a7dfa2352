package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// The committed Overlay stack (staging) builds what a kubenet stack builds
// but for the pod routes: the cluster is networkPlugin azure in overlay mode
// with the Cilium dataplane and policy and every range set; the route table
// is on the node subnet with no inline routes (it carries the egress routes,
// AKS writes none there), its default route to the firewall; the identity
// holds Network Contributor on the subnet and the table, each grant with its
// principal type; the pools default to 250 pods a node.
func TestOverlayStackBuildsTheSameNetworkWithoutPodRoutes(t *testing.T) {
	r := runStackFile(t, "staging")
	mustSucceed(t, r)

	aks := r.one(t, tCluster)
	for path, want := range map[string]string{
		"networkProfile.networkPlugin":     aksfacts.NetworkPluginAzure,
		"networkProfile.networkPluginMode": aksfacts.NetworkPluginModeOverlay,
		"networkProfile.networkDataplane":  spec.DataplaneCilium,
		"networkProfile.networkPolicy":     spec.NetworkPolicyCilium,
		"networkProfile.podCidr":           "100.64.0.0/16",
		"networkProfile.serviceCidr":       "10.31.0.0/24",
		"networkProfile.dnsServiceIP":      "10.31.0.10",
		"networkProfile.outboundType":      spec.OutboundUserDefinedRouting,
	} {
		if got := str(aks.Inputs, path); got != want {
			t.Errorf("cluster %s = %q, want %q", path, got, want)
		}
	}
	if got := prop(aks.Inputs, "agentPoolProfiles[0].maxPods"); !got.IsNumber() || got.NumberValue() != spec.DefaultOverlayMaxPods {
		t.Errorf("the system pool's maxPods = %v, want %d (Overlay's default)", got, spec.DefaultOverlayMaxPods)
	}

	table := r.one(t, tRouteTable)
	if _, inline := table.Inputs["routes"]; inline {
		t.Error("the route table declares inline routes")
	}
	subnet := r.named(t, "network-node-subnet")
	if got := str(subnet.Inputs, "routeTable.id"); got != table.ID {
		t.Errorf("the node subnet's route table = %q, want %s", got, table.ID)
	}
	if got := str(r.named(t, "egress-default-route").Inputs, "nextHopType"); got != spec.NextHopVirtualAppliance {
		t.Errorf("the default route's next hop = %q, want the firewall", got)
	}

	scopes := map[string]bool{}
	for _, ra := range r.byType(tRoleAssignment) {
		if !strings.HasSuffix(str(ra.Inputs, "roleDefinitionId"), roles.NetworkContributor) {
			continue
		}
		scopes[str(ra.Inputs, "scope")] = true
		if got := str(ra.Inputs, "principalType"); got != "ServicePrincipal" {
			t.Errorf("grant %s: principalType %q", ra.Name, got)
		}
	}
	if !scopes[subnet.ID] || !scopes[table.ID] || len(scopes) != 2 {
		t.Errorf("Network Contributor on %v, want the node subnet and the route table", scopes)
	}

	pools := r.byType(armid.AgentPool)
	if len(pools) != 1 {
		t.Fatalf("%d user pools, want 1", len(pools))
	}
	if got := prop(pools[0].Inputs, "maxPods"); !got.IsNumber() || got.NumberValue() != spec.DefaultOverlayMaxPods {
		t.Errorf("the user pool's maxPods = %v, want %d (Overlay's default)", got, spec.DefaultOverlayMaxPods)
	}
}

// A kubenet stack's network profile is what deployed stacks hold: no
// plugin mode, no dataplane (a new key under networkProfile would replace
// the cluster, aksfacts.ClusterCreateOnlyInputs).
func TestKubenetNetworkProfileIsUnchanged(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		r := runStackFile(t, name)
		mustSucceed(t, r)
		profile := prop(r.one(t, tCluster).Inputs, "networkProfile").ObjectValue()
		var keys []string
		for k := range profile {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		want := []string{"dnsServiceIP", "loadBalancerSku", "networkPlugin", "networkPolicy", "outboundType", "podCidr", "serviceCidr"}
		if !slices.Equal(keys, want) {
			t.Errorf("%s: networkProfile keys %v, want %v", name, keys, want)
		}
		if got := str(r.one(t, tCluster).Inputs, "networkProfile.networkPlugin"); got != spec.NetworkPluginKubenet {
			t.Errorf("%s: networkPlugin %q", name, got)
		}
	}
}

// The preview of a kubenet stack says, once, that AKS retires kubenet and
// how many days are left; an Overlay stack's preview, and pulumi up, say
// nothing of it. None of it is a warning: the stack is not wrong.
func TestPreviewCountsKubenetsDaysLeft(t *testing.T) {
	notices := func(r run) []string {
		var out []string
		for _, m := range r.infos {
			if strings.Contains(m, "AKS retires kubenet on 2028-03-31") {
				out = append(out, m)
			}
		}
		return out
	}
	dev := runProgramIn(t, surroundings{preview: true}, "dev", devConfig(t))
	mustSucceed(t, dev)
	if got := notices(dev); len(got) != 1 || !strings.HasPrefix(got[0], spec.PathClusterNetworkPlugin+" is kubenet: ") || !strings.Contains(got[0], "docs/overlay.md") {
		t.Errorf("dev's preview: %q, want one notice of kubenet's retirement", got)
	}
	if slices.ContainsFunc(dev.warnings, func(w string) bool { return strings.Contains(w, "retires kubenet") }) {
		t.Errorf("the retirement notice is a warning: %q", dev.warnings)
	}
	staging := runProgramIn(t, surroundings{preview: true}, "staging", ownStack(t, "staging"))
	mustSucceed(t, staging)
	up := runProgramIn(t, surroundings{}, "dev", devConfig(t))
	mustSucceed(t, up)
	if got := append(notices(staging), notices(up)...); len(got) != 0 {
		t.Errorf("the Overlay preview or pulumi up gave a retirement notice: %q", got)
	}
}
