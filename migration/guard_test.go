package migration

import (
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// CheckNetwork refuses exactly the configs that ask for another network mode
// than the deployed cluster's, on the key that differs, with what to do
// (aks-rules 11.1: the move is one way and in place; aks-rules 11.6: Cilium is
// a step of its own, one way too).
func TestCheckNetwork(t *testing.T) {
	t.Parallel()
	kubenet := Network{Plugin: "kubenet", Policy: "calico", PodCIDR: "10.244.0.0/16"}
	overlayAzure := Network{Plugin: "azure", Mode: "overlay", Policy: "none", PodCIDR: "10.244.0.0/16"}
	overlayCilium := Network{Plugin: "Azure", Mode: "Overlay", Dataplane: "Cilium", Policy: "cilium", PodCIDR: "10.244.0.0/16"}
	wantKubenet := Network{Plugin: "kubenet", Policy: "calico"}
	wantCilium := Network{Plugin: "azure", Mode: "overlay", Dataplane: "cilium", Policy: "cilium"}
	wantAzure := Network{Plugin: "azure", Mode: "overlay", Dataplane: "azure", Policy: "none"}
	for _, tc := range []struct {
		name           string
		want, deployed Network
		key, message   string // "" for no refusal
	}{
		{"nothing deployed", wantCilium, Network{}, "", ""},
		{"kubenet as deployed", wantKubenet, kubenet, "", ""},
		{"kubenet deployed with another policy", Network{Plugin: "kubenet", Policy: "none"}, kubenet, "", ""},
		{"Overlay asked over kubenet", wantCilium, kubenet, spec.PathClusterNetworkPlugin, "Move it in place with go run ./cmd/migrate -stack dev"},
		{"Overlay as deployed, case aside", wantCilium, overlayCilium, "", ""},
		{"Overlay, no dataplane reported: azure", wantAzure, overlayAzure, "", ""},
		{"Cilium asked over azure", wantCilium, overlayAzure, spec.PathClusterNetworkDataplane, "take it in place with go run ./cmd/migrate -stack dev"},
		{"off Cilium", wantAzure, overlayCilium, spec.PathClusterNetworkDataplane, "AKS cannot take a cluster off the Cilium dataplane"},
		{"back to kubenet", wantKubenet, overlayCilium, spec.PathClusterNetworkPlugin, "AKS cannot take a cluster back to kubenet (aks-rules 11.1); set cluster.networkPlugin to overlay, cluster.networkDataplane to cilium and cluster.networkPolicy to cilium, as deployed"},
	} {
		f := CheckNetwork("dev", "aks-dev", tc.want, tc.deployed)
		switch {
		case tc.key == "" && f != nil:
			t.Errorf("%s: refused: %s", tc.name, f)
		case tc.key != "" && f == nil:
			t.Errorf("%s: accepted, want a refusal on %s", tc.name, tc.key)
		case tc.key != "" && (f.Keys[0] != tc.key || !strings.Contains(f.Message, tc.message) || !strings.Contains(f.Message, "aks-dev")):
			t.Errorf("%s: refusal %v %q, want it on %s naming the cluster and saying %q", tc.name, f.Keys, f.Message, tc.key, tc.message)
		}
	}
}

// ConfigNetwork says a config's network mode in AKS's words, so that a
// deployed cluster made from the same config agrees with it.
func TestConfigNetwork(t *testing.T) {
	t.Parallel()
	kubenet := spec.Cluster{NetworkPlugin: spec.NetworkPluginKubenet, NetworkPolicy: spec.NetworkPolicyCalico, PodCidr: "10.244.0.0/16"}
	overlay := spec.Cluster{NetworkPlugin: spec.NetworkPluginOverlay, NetworkDataplane: spec.DataplaneCilium, NetworkPolicy: spec.NetworkPolicyCilium, PodCidr: "100.64.0.0/16"}
	if n := ConfigNetwork(kubenet); !n.Kubenet() || n.Overlay() || n.Policy != "calico" {
		t.Errorf("kubenet config: %+v", n)
	}
	if n := ConfigNetwork(overlay); !n.Overlay() || n.Dataplane != "cilium" || n.PodCIDR != "100.64.0.0/16" {
		t.Errorf("Overlay config: %+v", n)
	}
}

// CheckMaxPods refuses a pool whose deployed pods a node differ from the
// config's (aks-rules 11.15), names the key to set, and leaves alone what it
// cannot compare.
func TestCheckMaxPods(t *testing.T) {
	t.Parallel()
	s := spec.Stack{
		Cluster: spec.Cluster{NodePoolName: "system", MaxPods: spec.Int(250)},
		Pools:   []spec.Pool{{Name: "general", MaxPods: spec.Int(110)}, {Name: "batch", MaxPods: spec.Int(250)}},
	}
	live := Live{Pools: []LivePool{
		{Name: "system", MaxPods: 110},  // differs: refused on cluster.maxPods
		{Name: "General", MaxPods: 110}, // same, in another case
		{Name: "batch", MaxPods: 0},     // not reported
		{Name: "other", MaxPods: 30},    // not in the config
	}}
	got := CheckMaxPods(s, live)
	if len(got) != 1 || got[0].Keys[0] != spec.PathClusterMaxPods ||
		!strings.Contains(got[0].Message, "cluster.maxPods is 250 but the deployed pool system runs 110 pods a node") ||
		!strings.Contains(got[0].Message, "set cluster.maxPods to 110") {
		t.Errorf("CheckMaxPods = %v, want one refusal of cluster.maxPods 250 against 110", got)
	}
	s.Pools[0].MaxPods = spec.Int(30)
	if got := CheckMaxPods(s, live); len(got) != 2 || got[1].Keys[0] != "pools[0].maxPods" {
		t.Errorf("CheckMaxPods with pools[0].maxPods 30 = %v, want it refused too", got)
	}
}
