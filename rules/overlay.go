package rules

import (
	"net/netip"
	"slices"
	"unicode/utf8"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// overlayPolicies are the network policies the program runs with Azure CNI
// Overlay (aks-rules 10.10); kubenet's are networkPolicy in security.go.
var overlayPolicies = []string{spec.NetworkPolicyNone, spec.NetworkPolicyCalico, spec.NetworkPolicyCilium}

// supportedPodRanges are the private ranges an Overlay pod CIDR should come
// from: RFC 1918 and RFC 6598 (aks-rules 10.5).
var supportedPodRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// maxLabelNameChars is the longest name AKS writes into a node label: a
// Kubernetes label value has at most 63 characters (aks-rules 10.12).
const maxLabelNameChars = 63

// checkOverlay is rule 17: the network mode. cluster.networkPlugin is
// kubenet or overlay, and cluster.networkDataplane is set only with Overlay,
// to azure or cilium. With Overlay also: the Cilium dataplane and Cilium
// policy go together, the pod CIDR is a private range, and the names AKS
// writes into node labels fit one. The Overlay rules that replace kubenet's
// are in the rules they replace: the pod CIDR in the VNet (rule 4), the
// capacity (rule 10), maxPods (rules 11 and 16) and the network policy
// (rule 15).
func (c *checker) checkOverlay() {
	cl := c.s.Cluster
	if !slices.Contains(spec.NetworkPlugins, cl.NetworkPlugin) {
		c.errorf(keys(spec.PathClusterNetworkPlugin), "%s %s is not a network mode the program builds: want %s",
			spec.PathClusterNetworkPlugin, abbreviate(cl.NetworkPlugin), join("or", spec.NetworkPlugins))
		return
	}
	if !cl.Overlay() {
		// aks-rules 10.10: the dataplane is Azure CNI's; kubenet has none to choose.
		if cl.NetworkDataplane != "" {
			c.errorf(keys(spec.PathClusterNetworkDataplane, spec.PathClusterNetworkPlugin), "%s %s is set, but %s is %s: kubenet has no dataplane to choose; remove %s, or set %s %s (aks-rules 10.10)",
				spec.PathClusterNetworkDataplane, abbreviate(cl.NetworkDataplane), spec.PathClusterNetworkPlugin, cl.NetworkPlugin,
				spec.PathClusterNetworkDataplane, spec.PathClusterNetworkPlugin, spec.NetworkPluginOverlay)
		}
		return
	}
	if !slices.Contains(spec.Dataplanes, cl.NetworkDataplane) {
		c.errorf(keys(spec.PathClusterNetworkDataplane), "%s %s is not an Azure CNI Overlay dataplane: want %s (aks-rules 10.10)",
			spec.PathClusterNetworkDataplane, abbreviate(cl.NetworkDataplane), join("or", spec.Dataplanes))
	}
	c.checkOverlayPodRange()
	c.checkLabelNames()
}

// checkOverlayPolicy is rule 15's network policy with Overlay: none, calico
// or cilium, and cilium exactly with the cilium dataplane (aks-rules 10.10).
// An invalid dataplane is checkOverlay's.
func (c *checker) checkOverlayPolicy(cl spec.Cluster) {
	policy, plane := cl.NetworkPolicy, cl.NetworkDataplane
	switch {
	case !slices.Contains(overlayPolicies, policy):
		c.errorf(keys(spec.PathClusterNetworkPolicy), "%s %s is not a network policy the program runs with Azure CNI Overlay: want %s (aks-rules 10.10; Azure Network Policy Manager is retiring)",
			spec.PathClusterNetworkPolicy, abbreviate(policy), join("or", overlayPolicies))
	case policy == spec.NetworkPolicyCilium && plane == spec.DataplaneAzure:
		c.refusef(CodeBadRequest, keys(spec.PathClusterNetworkPolicy, spec.PathClusterNetworkDataplane), "%s %s needs %s %s, but it is %s: Cilium enforces policy only on its own dataplane; set both to %s, or choose %s %s or %s (aks-rules 10.10)",
			spec.PathClusterNetworkPolicy, policy, spec.PathClusterNetworkDataplane, spec.DataplaneCilium, plane,
			spec.DataplaneCilium, spec.PathClusterNetworkPolicy, spec.NetworkPolicyCalico, spec.NetworkPolicyNone)
	case plane == spec.DataplaneCilium && policy != spec.NetworkPolicyCilium:
		c.refusef(CodeBadRequest, keys(spec.PathClusterNetworkDataplane, spec.PathClusterNetworkPolicy), "%s %s needs %s %s, but it is %s: AKS answers \"Cilium dataplane requires network policy cilium\"; set %s %s, or %s %s (aks-rules 10.10)",
			spec.PathClusterNetworkDataplane, plane, spec.PathClusterNetworkPolicy, spec.NetworkPolicyCilium, policy,
			spec.PathClusterNetworkPolicy, spec.NetworkPolicyCilium, spec.PathClusterNetworkDataplane, spec.DataplaneAzure)
	}
}

// checkOverlayPodRange warns about an Overlay pod CIDR outside the private
// ranges Microsoft supports (aks-rules 10.5). The reserved ranges are
// checkReserved's (aks-rules 10.4), the overlaps checkPodCIDR's.
func (c *checker) checkOverlayPodRange() {
	if !c.pod.IsValid() || slices.ContainsFunc(supportedPodRanges, func(r netip.Prefix) bool { return ipplan.Contains(r, c.pod) }) {
		return
	}
	ranges := make([]string, len(supportedPodRanges))
	for i, r := range supportedPodRanges {
		ranges[i] = r.String()
	}
	c.warnf(keys(spec.PathClusterPodCidr), "%s %s is not inside %s (RFC 1918 and RFC 6598): AKS takes it, but an Overlay pod CIDR elsewhere is outside Microsoft's support (aks-rules 10.5)",
		spec.PathClusterPodCidr, c.pod, join("or", ranges))
}

// checkLabelNames checks the names AKS writes into the labels of an Overlay
// cluster's nodes: the subnet's, the VNet's and the resource group's that
// holds the VNet (the stack's group), each at most 63 characters
// (aks-rules 10.12). Their other rules are checkNames'.
func (c *checker) checkLabelNames() {
	for _, n := range []struct{ key, name, what string }{
		{spec.PathNetworkSubnetName, c.s.Network.SubnetName, "subnet"},
		{spec.PathNetworkVnetName, c.s.Network.VnetName, "VNet"},
		{c.resourceGroupKey(), c.s.ResourceGroup.Name, "VNet's resource group"},
	} {
		if l := utf8.RuneCountInString(n.name); l > maxLabelNameChars {
			c.errorf(keys(n.key, spec.PathClusterNetworkPlugin), "%s %s is %s long: with Azure CNI Overlay the %s name becomes a node label value, at most %d characters (aks-rules 10.12)",
				n.key, abbreviate(n.name), count(l, "character"), n.what, maxLabelNameChars)
		}
	}
}

// resourceGroupKey is the key that names the stack's resource group, for
// messages: the stack's ResourceGroupKey, or aks-kubenet:resourceGroup.name
// as claims in across.go names it.
func (c *checker) resourceGroupKey() string {
	if c.s.ResourceGroupKey != "" {
		return c.s.ResourceGroupKey
	}
	return spec.Project + ":" + spec.PathResourceGroupName
}
