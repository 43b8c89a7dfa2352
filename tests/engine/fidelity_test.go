package engine

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// The refresh is not optimistic: it plays azure-native v2.82's Read
// (azure-native-replace.md §5, §6.7), which copies into the state's inputs
// only the leaves that changed in Azure since the last read, a changed leaf
// the program never sends included, and AKS returns the networkProfile
// leaves it fills in (podCidrs, ipFamilies, ...). On a deployed dev stack
// (unprotected, Pulumi.dev.yaml):
//
//   - untouched, AKS's filled-in leaves are outputs only: a refresh leaves
//     them out of the inputs, and the preview plans nothing;
//   - a leaf the program ignores (networkProfile.loadBalancerProfile, in
//     cluster.IgnoredChanges) changed by AKS is read in, and the preview
//     plans nothing;
//   - AKS's derived lists (networkProfile.podCidrs), changed, are read in,
//     that leaf alone, and ignored by the program;
//   - a leaf the program neither sends nor ignores
//     (networkProfile.networkMode) changed by AKS is read in, and the
//     preview plans what the real provider plans: the cluster replaced, the
//     whole networkProfile being create-only in v2.
func TestRefreshReadsChangedLeavesAsTheProviderDoes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	networkProfile := func(which string) map[string]any {
		t.Helper()
		r := w.stateOf(azuresim.ManagedCluster)
		m := r.Inputs
		if which == "outputs" {
			m = r.Outputs
		}
		np, _ := m["networkProfile"].(map[string]any)
		return np
	}
	changeNetworkProfile := func(key string, v resource.PropertyValue) {
		t.Helper()
		w.changeCloud(func(c *azuresim.Cloud) error {
			cl, err := c.Cluster(clusterNames["dev"])
			if err != nil {
				return err
			}
			cl.Properties["networkProfile"].ObjectValue()[resource.PropertyKey(key)] = v
			return nil
		})
	}

	w.refresh()
	for _, leaf := range []string{"podCidrs", "serviceCidrs", "ipFamilies"} {
		if _, ok := networkProfile("outputs")[leaf]; !ok {
			t.Errorf("the cluster's outputs have no networkProfile.%s, which AKS returns", leaf)
		}
		if v, ok := networkProfile("inputs")[leaf]; ok {
			t.Errorf("an unchanged networkProfile.%s (%v) the program never set is in the inputs after a refresh", leaf, v)
		}
	}
	w.expectNoChanges("a refresh of the untouched stack")

	changeNetworkProfile("loadBalancerProfile", resource.NewProperty(resource.PropertyMap{
		"backendPoolType":    resource.NewProperty("nodeIPConfiguration"),
		"managedOutboundIPs": resource.NewProperty(resource.PropertyMap{"count": resource.NewProperty(2.0)}),
	}))
	w.refresh()
	if _, ok := networkProfile("inputs")["loadBalancerProfile"]; !ok {
		t.Error("AKS's changed networkProfile.loadBalancerProfile is not in the inputs after a refresh")
	}
	w.expectNoChanges("AKS changed the ignored networkProfile.loadBalancerProfile")

	// The lists AKS derives from the ranges (podCidrs, ...) are the
	// program's to ignore: they are read in when they change, and when the
	// state doctor imports the cluster, and would replace it otherwise.
	changeNetworkProfile("podCidrs", resource.NewProperty([]resource.PropertyValue{resource.NewProperty("10.244.0.0/16"), resource.NewProperty("10.246.0.0/16")}))
	w.refresh()
	in := networkProfile("inputs")
	if got, _ := in["podCidrs"].([]any); len(got) != 2 {
		t.Errorf("the refreshed networkProfile.podCidrs %v, want AKS's changed list", in["podCidrs"])
	}
	for _, leaf := range []string{"serviceCidrs", "ipFamilies"} {
		if _, ok := in[leaf]; ok {
			t.Errorf("the refresh copied the whole networkProfile: the unchanged %s is in the inputs", leaf)
		}
	}
	w.expectNoChanges("AKS changed the ignored networkProfile.podCidrs")

	// A leaf the program neither sends nor ignores (networkMode, set in
	// Azure) is read in, and the preview plans what the real provider
	// plans: the cluster replaced, the whole networkProfile being
	// create-only in v2. (The network plugin, its mode and the dataplane
	// are ignored: AKS changes them in place, and the program compares
	// them with its config itself; TestMigrationToOverlay.)
	changeNetworkProfile("networkMode", resource.NewProperty("transparent"))
	w.refresh()
	if got := networkProfile("inputs")["networkMode"]; got != "transparent" {
		t.Errorf("the refreshed networkProfile.networkMode %v, want AKS's transparent", got)
	}
	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview after AKS changed networkProfile.networkMode: %v", err)
	}
	s := stepFor(t, steps, azuresim.ManagedCluster, managedCluster)
	if !replaces(s.Op) ||
		!slices.Contains(s.Diffs, "networkProfile") {
		t.Errorf("the cluster's step after AKS changed networkProfile.networkMode: %s %v, want a replacement on networkProfile", s.Op, s.Diffs)
	}
}
