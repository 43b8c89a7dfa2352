package migration

import (
	"testing"
)

// Plan never panics, and its steps, when it gives some, take from to t
// with the plugin and mode in one step apart from the dataplane and policy.
func FuzzPlan(f *testing.F) {
	f.Add("kubenet", "", "", "calico", "10.244.0.0/16", "10.244.0.0/16", "cilium", "cilium")
	f.Add("azure", "overlay", "azure", "none", "10.244.0.0/16", "", "azure", "calico")
	f.Add("Azure", "Overlay", "", "azure", "", "10.1.0.0/16", "azure", "none")
	f.Add("", "", "", "", "", "", "cilium", "cilium")
	f.Fuzz(func(t *testing.T, plugin, mode, plane, policy, pods, toPods, toPlane, toPolicy string) {
		from := Network{Plugin: plugin, Mode: mode, Dataplane: plane, Policy: policy, PodCIDR: pods}
		to := Target{PodCIDR: toPods, Dataplane: toPlane, Policy: toPolicy}
		steps, err := Plan(from, to)
		if err != nil {
			return
		}
		checkEnds(t, from, to, steps)
		_ = AzCommands("s", "g", "c", steps)
		_ = from.String()
	})
}

// Preflight, Infos and LivePreflight never panic, whatever the flags and
// the live values.
func FuzzPreflight(f *testing.F) {
	f.Add("1.29", "10.244.0.0/15", "", "", "1.31.2", "kubenet", "calico", "33%", 3, "Standard_D4s_v5")
	f.Add("x", "172.30.0.0/16", "azure", "cilium", "", "azure", "", "", -1, "")
	f.Fuzz(func(t *testing.T, version, pods, plane, policy, liveVersion, livePlugin, livePolicy, surge string, count int, size string) {
		s := loadStack(t, "prod")
		s.Cluster.KubernetesVersion = version
		to := TargetOf(s, pods, plane, policy)
		Preflight(s, to)
		Infos(s, to)
		l := devLive()
		l.KubernetesVersion, l.Network.Plugin, l.Network.Policy = liveVersion, livePlugin, livePolicy
		l.Pools = append(l.Pools, LivePool{Name: "p", VMSize: size, MaxSurge: surge, Count: count, MaxCount: count, Autoscaling: count%2 == 0})
		LivePreflight(s, to, l)
	})
}
