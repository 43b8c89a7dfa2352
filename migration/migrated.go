package migration

import (
	"slices"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Migrated returns the stack config after the move to t: cluster.networkPlugin
// overlay, networkDataplane, networkPolicy and podCidr from t, and maxPods
// pinned on the system pool and on every user pool to what the deployed
// pools have: the value set, or kubenet's default spec.DefaultMaxPods for
// one left unset. An Overlay stack's pools default to 250, and AKS cannot
// change maxPods on a pool, so an unpinned pool would be an update AKS
// refuses (aks-rules 11.15). s is not changed.
func Migrated(s spec.Stack, t Target) spec.Stack {
	c := &s.Cluster
	c.NetworkPlugin = spec.NetworkPluginOverlay
	c.NetworkDataplane = t.Dataplane
	c.NetworkPolicy = t.Policy
	if t.PodCIDR != "" {
		c.PodCidr = t.PodCIDR
	}
	c.MaxPods = pinned(c.MaxPods)
	s.Pools = slices.Clone(s.Pools)
	for i := range s.Pools {
		s.Pools[i].MaxPods = pinned(s.Pools[i].MaxPods)
	}
	return s
}

// pinned returns a pool's maxPods, kubenet's default when unset.
func pinned(maxPods *int) *int {
	if maxPods == nil {
		return spec.Int(spec.DefaultMaxPods)
	}
	return maxPods
}
