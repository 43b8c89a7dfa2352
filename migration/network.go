package migration

import (
	"strings"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Network is a cluster's network mode as AKS reports it in its
// networkProfile: networkPlugin, networkPluginMode, networkDataplane,
// networkPolicy and podCidr, "" where AKS reports none.
type Network struct{ Plugin, Mode, Dataplane, Policy, PodCIDR string }

// Overlay reports whether n is Azure CNI Overlay: plugin azure with mode
// overlay, in any case.
func (n Network) Overlay() bool {
	return strings.EqualFold(n.Plugin, aksfacts.NetworkPluginAzure) && strings.EqualFold(n.Mode, aksfacts.NetworkPluginModeOverlay)
}

// Kubenet reports whether n is kubenet: plugin kubenet, or none reported,
// which AKS takes as kubenet.
func (n Network) Kubenet() bool {
	return n.Plugin == "" || strings.EqualFold(n.Plugin, spec.NetworkPluginKubenet)
}

// String says what n is for a person: "kubenet, policy calico", "Azure CNI
// Overlay, dataplane cilium, policy cilium", "plugin none".
func (n Network) String() string {
	var parts []string
	switch {
	case n.Overlay():
		parts = append(parts, "Azure CNI Overlay")
	case n.Kubenet():
		parts = append(parts, spec.NetworkPluginKubenet)
	default:
		parts = append(parts, "plugin "+n.Plugin)
		if n.Mode != "" {
			parts = append(parts, "mode "+n.Mode)
		}
	}
	if n.Dataplane != "" {
		parts = append(parts, "dataplane "+n.Dataplane)
	}
	parts = append(parts, "policy "+policyOf(n.Policy))
	if n.PodCIDR != "" {
		parts = append(parts, "pod CIDR "+n.PodCIDR)
	}
	return strings.Join(parts, ", ")
}

// policyOf is a network policy as a person reads it: none for "".
func policyOf(policy string) string {
	if policy == "" {
		return spec.NetworkPolicyNone
	}
	return strings.ToLower(policy)
}

// dataplaneOf is a dataplane with AKS's default: azure for "".
func dataplaneOf(dataplane string) string {
	if dataplane == "" {
		return spec.DataplaneAzure
	}
	return strings.ToLower(dataplane)
}

// Target is where the move ends: the pod CIDR (the stack's unless a new one
// is given), the dataplane (azure or cilium) and the network policy (none,
// calico or cilium).
type Target struct{ PodCIDR, Dataplane, Policy string }

// Network is the network an Overlay cluster at t has.
func (t Target) Network() Network {
	return Network{Plugin: aksfacts.NetworkPluginAzure, Mode: aksfacts.NetworkPluginModeOverlay, Dataplane: t.Dataplane, Policy: t.Policy, PodCIDR: t.PodCIDR}
}

// TargetOf builds the target of the move from s, a kubenet stack with
// spec.Defaults applied, and the command's flags, "" for a default. The pod
// CIDR defaults to the stack's. The dataplane and the policy default to
// Overlay's defaults in spec (cilium and cilium), one following the other
// where only one is given: policy calico or none takes the azure dataplane
// (aks-rules 10.10), and the azure dataplane keeps the stack's policy
// (calico or none), none for any other. Values are lower-cased; invalid
// ones are kept for Preflight to refuse.
func TargetOf(s spec.Stack, podCIDR, dataplane, policy string) Target {
	t := Target{PodCIDR: podCIDR, Dataplane: strings.ToLower(dataplane), Policy: strings.ToLower(policy)}
	if t.PodCIDR == "" {
		t.PodCIDR = s.Cluster.PodCidr
	}
	if t.Dataplane == "" {
		t.Dataplane = spec.DataplaneCilium
		if t.Policy == spec.NetworkPolicyCalico || t.Policy == spec.NetworkPolicyNone {
			t.Dataplane = spec.DataplaneAzure
		}
	}
	if t.Policy == "" {
		t.Policy = defaultPolicy(s, t.Dataplane)
	}
	return t
}

// defaultPolicy is the network policy of a target on dataplane: cilium on
// Cilium's; on azure's the stack's calico or none, none for any other.
func defaultPolicy(s spec.Stack, dataplane string) string {
	if dataplane != spec.DataplaneAzure {
		return spec.NetworkPolicyCilium
	}
	if p := s.Cluster.NetworkPolicy; p == spec.NetworkPolicyCalico {
		return p
	}
	return spec.NetworkPolicyNone
}
