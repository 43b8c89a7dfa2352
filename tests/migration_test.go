package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// kubenetState and the overlay states are deployed clusters' network
// profiles, as their state holds them after an up or a refresh.
var (
	kubenetState = map[string]any{
		"networkPlugin": "kubenet", "networkPolicy": "calico", "podCidr": "10.244.0.0/16",
		"serviceCidr": "10.0.4.0/24", "dnsServiceIP": "10.0.4.10", "outboundType": "userDefinedRouting",
	}
	overlayAzureState  = overlayState("azure", "none")
	overlayCiliumState = overlayState("cilium", "cilium")
)

func overlayState(dataplane, policy string) map[string]any {
	out := map[string]any{}
	for k, v := range kubenetState {
		out[k] = v
	}
	out["networkPlugin"], out["networkPluginMode"], out["networkDataplane"], out["networkPolicy"] = "azure", "overlay", dataplane, policy
	return out
}

// The program never changes a deployed cluster's network mode: the cluster
// ignores it, and a config that asks for another mode than the deployed
// cluster's (its state, as last refreshed) is refused, in a preview and in an
// up, naming the key, both modes and what to do: the move for kubenet to
// Overlay or to Cilium, nothing for the way back. A config that agrees is
// accepted, and records the deployed mode in the networkPlugin output.
func TestNetworkModeFollowsTheDeployedCluster(t *testing.T) {
	t.Parallel()
	overlay := func(dataplane, policy string) map[string]string {
		cfg := devConfig(t)
		setJSON(t, cfg, spec.KeyCluster, "networkPlugin", "overlay")
		setJSON(t, cfg, spec.KeyCluster, "networkDataplane", dataplane)
		setJSON(t, cfg, spec.KeyCluster, "networkPolicy", policy)
		return cfg
	}
	for _, tc := range []struct {
		name     string
		cfg      map[string]string
		deployed map[string]any
		want     string // the refusal, "" for none
		output   string // the networkPlugin output when accepted
	}{
		{"kubenet as deployed", devConfig(t), kubenetState, "", "kubenet"},
		{"a new stack", devConfig(t), nil, "", "kubenet"},
		{"a new Overlay stack", overlay("cilium", "cilium"), nil, "", "overlay"},
		{"Overlay over kubenet, not moved", overlay("cilium", "cilium"), kubenetState,
			"cluster.networkPlugin is overlay but the deployed cluster aks-kubenet-cluster is kubenet, policy calico, pod CIDR 10.244.0.0/16: azure-native would replace the cluster (deleting it first) to change its network plugin, so the program leaves it as it is. " +
				"Move it in place with go run ./cmd/migrate -stack dev (a dry run; -apply runs it), which ends with a refresh of the stack; if az aks update moved the cluster already, run pulumi refresh --stack dev", ""},
		{"Overlay as moved and refreshed", overlay("cilium", "cilium"), overlayCiliumState, "", "overlay"},
		{"Overlay on the azure dataplane as moved", overlay("azure", "none"), overlayAzureState, "", "overlay"},
		{"Cilium asked, the move's last step not taken", overlay("cilium", "cilium"), overlayAzureState,
			"cluster.networkDataplane is cilium but the deployed cluster aks-kubenet-cluster is Azure CNI Overlay, dataplane azure, policy none, pod CIDR 10.244.0.0/16: the Cilium dataplane is an update of its own, which azure-native would make a replacement of the cluster; take it in place with go run ./cmd/migrate -stack dev", ""},
		{"off Cilium", overlay("azure", "none"), overlayCiliumState,
			"cluster.networkDataplane is azure but the deployed cluster aks-kubenet-cluster is Azure CNI Overlay, dataplane cilium, policy cilium, pod CIDR 10.244.0.0/16: AKS cannot take a cluster off the Cilium dataplane", ""},
		{"back to kubenet", devConfig(t), overlayCiliumState,
			"cluster.networkPlugin is kubenet but the deployed cluster aks-kubenet-cluster is Azure CNI Overlay, dataplane cilium, policy cilium, pod CIDR 10.244.0.0/16: the move to Azure CNI Overlay is one way, AKS cannot take a cluster back to kubenet", ""},
	} {
		for _, preview := range []bool{true, false} {
			r := runProgramIn(t, surroundings{preview: preview, network: tc.deployed}, "dev", tc.cfg)
			what := tc.name + map[bool]string{true: " (preview)", false: " (up)"}[preview]
			if tc.want == "" {
				mustSucceed(t, r)
				if got := r.outputs["networkPlugin"].Value; got != tc.output && (preview || got != nil) {
					t.Errorf("%s: networkPlugin output %v, want %s", what, got, tc.output)
				}
				continue
			}
			if r.err == nil || !strings.Contains(r.err.Error(), "Nothing was changed") {
				t.Errorf("%s: program error %v, want the refusal", what, r.err)
			}
			if !slices.ContainsFunc(r.errors, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("%s: no error %q in %q", what, tc.want, r.errors)
			}
		}
	}
}
