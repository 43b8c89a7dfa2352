package migration

import (
	"fmt"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// ConfigNetwork is the network mode a stack's cluster config asks for, in
// the words AKS reports it with.
func ConfigNetwork(c spec.Cluster) Network {
	if !c.Overlay() {
		return Network{Plugin: spec.NetworkPluginKubenet, Policy: c.NetworkPolicy, PodCIDR: c.PodCidr}
	}
	return Network{
		Plugin: aksfacts.NetworkPluginAzure, Mode: aksfacts.NetworkPluginModeOverlay,
		Dataplane: c.NetworkDataplane, Policy: c.NetworkPolicy, PodCIDR: c.PodCidr,
	}
}

// Command is the command that moves the deployed cluster of stack, a dry run.
func Command(stack string) string {
	return "go run ./cmd/migrate -stack " + stack
}

// CheckNetwork compares the network mode the config asks for (want, from
// ConfigNetwork) with the deployed cluster's (deployed, from its state) and
// returns the refusal, or nil when they agree or nothing is deployed. The
// program never changes the mode itself: azure-native replaces a cluster on
// any change under its network profile, deleting it first, while AKS makes
// these moves in place and one way (aks-rules 11.1). So:
//
//   - a stack whose config says Overlay over a deployed kubenet cluster is
//     told to run the move (cmd/migrate), or to refresh when az aks update
//     moved the cluster already;
//   - a config back to kubenet over an Overlay cluster is refused: there is
//     no way back;
//   - on Overlay, the Cilium dataplane the config asks for over a cluster on
//     Azure's is the move's last step, and the way back is refused the same.
//
// The network policy is not compared here: it counts at creation, and the
// preview warns about it (creationSettings).
func CheckNetwork(stack, cluster string, want, deployed Network) *rules.Finding {
	switch {
	case deployed.Plugin == "" && deployed.Mode == "":
		return nil
	case want.Overlay() && !deployed.Overlay():
		return &rules.Finding{Keys: []string{spec.PathClusterNetworkPlugin}, Message: fmt.Sprintf(
			"%s is %s but the deployed cluster %s is %s: azure-native would replace the cluster (deleting it first) to change its network plugin, so the program leaves it as it is. "+
				"Move it in place with %s (a dry run; -apply runs it), which ends with a refresh of the stack; if az aks update moved the cluster already, run pulumi refresh --stack %s. See docs/migration.md (aks-rules 11.1)",
			spec.PathClusterNetworkPlugin, spec.NetworkPluginOverlay, cluster, deployed, Command(stack), stack)}
	case !want.Overlay() && deployed.Overlay():
		return &rules.Finding{Keys: []string{spec.PathClusterNetworkPlugin}, Message: fmt.Sprintf(
			"%s is %s but the deployed cluster %s is %s: the move to Azure CNI Overlay is one way, AKS cannot take a cluster back to kubenet (aks-rules 11.1); set %s to %s, %s to %s and %s to %s, as deployed",
			spec.PathClusterNetworkPlugin, spec.NetworkPluginKubenet, cluster, deployed,
			spec.PathClusterNetworkPlugin, spec.NetworkPluginOverlay, spec.PathClusterNetworkDataplane, dataplaneOf(deployed.Dataplane),
			spec.PathClusterNetworkPolicy, policyOf(deployed.Policy))}
	case want.Overlay() && !strings.EqualFold(want.Dataplane, dataplaneOf(deployed.Dataplane)):
		if strings.EqualFold(want.Dataplane, spec.DataplaneCilium) {
			return &rules.Finding{Keys: []string{spec.PathClusterNetworkDataplane}, Message: fmt.Sprintf(
				"%s is %s but the deployed cluster %s is %s: the Cilium dataplane is an update of its own, which azure-native would make a replacement of the cluster; take it in place with %s, or set %s to %s, as deployed (aks-rules 11.6)",
				spec.PathClusterNetworkDataplane, want.Dataplane, cluster, deployed, Command(stack), spec.PathClusterNetworkDataplane, dataplaneOf(deployed.Dataplane))}
		}
		return &rules.Finding{Keys: []string{spec.PathClusterNetworkDataplane}, Message: fmt.Sprintf(
			"%s is %s but the deployed cluster %s is %s: AKS cannot take a cluster off the Cilium dataplane (aks-rules 11.6); set %s to %s, as deployed",
			spec.PathClusterNetworkDataplane, want.Dataplane, cluster, deployed, spec.PathClusterNetworkDataplane, dataplaneOf(deployed.Dataplane))}
	}
	return nil
}

// CheckMaxPods compares the pods per node of every deployed pool with the
// config's, for a stack whose file says Overlay before its cluster moved:
// AKS cannot change maxPods on a pool, and the move keeps it (aks-rules
// 11.15), while an Overlay stack's pools default to 250. A pool the config
// does not name, or whose count AKS does not report, is not compared.
func CheckMaxPods(s spec.Stack, live Live) []rules.Finding {
	want := map[string]struct {
		key     string
		maxPods *int
	}{strings.ToLower(s.Cluster.NodePoolName): {spec.PathClusterMaxPods, s.Cluster.MaxPods}}
	for i, p := range s.Pools {
		want[strings.ToLower(p.Name)] = struct {
			key     string
			maxPods *int
		}{spec.At(spec.PathPoolsMaxPods, i), p.MaxPods}
	}
	var out []rules.Finding
	for _, pool := range live.Pools {
		w, ok := want[strings.ToLower(pool.Name)]
		if !ok || w.maxPods == nil || pool.MaxPods == 0 || *w.maxPods == pool.MaxPods {
			continue
		}
		out = append(out, finding(keys(w.key), "%s is %d but the deployed pool %s runs %d pods a node: AKS cannot change maxPods on a pool, and the move keeps it (aks-rules 11.15); set %s to %d (an Overlay stack's default is %d)",
			w.key, *w.maxPods, pool.Name, pool.MaxPods, w.key, pool.MaxPods, spec.DefaultOverlayMaxPods))
	}
	return out
}
