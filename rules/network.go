package rules

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// reservedRange is an address range Azure or AKS keeps for itself.
type reservedRange struct {
	prefix netip.Prefix
	what   string
}

// vnetForbidden are the ranges a VNet's address space cannot include
// (aks-rules 3.2, https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq).
var vnetForbidden = []reservedRange{
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("168.63.129.16/32"), "Azure's virtual public IP"},
}

// aksReserved are the ranges the VNet, pod and service ranges of an AKS cluster
// must avoid (aks-rules 3.1, https://learn.microsoft.com/azure/aks/configure-kubenet).
var aksReserved = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.30.0.0/16"),
	netip.MustParsePrefix("172.31.0.0/16"),
	netip.MustParsePrefix("192.0.2.0/24"),
}

// checkVNet is rule 2: the node subnet lies in the VNet and is no smaller than
// Azure's smallest subnet, peered ranges stay out of the VNet, and the VNet
// avoids the ranges Azure forbids.
func (c *checker) checkVNet() {
	// A subnet's range must lie in its VNet's address space:
	// https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet
	if c.vnet.IsValid() && c.subnet.IsValid() && !ipplan.Contains(c.vnet, c.subnet) {
		c.errorf(keys(spec.PathNetworkNodeSubnetCidr, spec.PathNetworkVnetCidr), "%s %s is not inside %s %s: a subnet is carved from its VNet's address space",
			spec.PathNetworkNodeSubnetCidr, c.subnet, spec.PathNetworkVnetCidr, c.vnet)
	}
	// aks-rules 4.2: https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq
	if c.subnet.IsValid() && c.subnet.Bits() > ipplan.MinSubnetBits {
		c.errorf(keys(spec.PathNetworkNodeSubnetCidr), "%s %s is smaller than /%d, the smallest subnet Azure creates",
			spec.PathNetworkNodeSubnetCidr, c.subnet, ipplan.MinSubnetBits)
	}
	// Peered VNets (and the networks reached through them) must not overlap:
	// https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview
	for i, p := range c.peered {
		if ipplan.Overlaps(p, c.vnet) {
			c.errorf(keys(spec.Index(spec.PathNetworkPeeredCidrs, i), spec.PathNetworkVnetCidr), "%s %s overlaps %s %s: a VNet cannot reach a peered or connected range that overlaps its own address space",
				spec.Index(spec.PathNetworkPeeredCidrs, i), p, spec.PathNetworkVnetCidr, c.vnet)
		}
	}
	// aks-rules 3.2: https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq
	var hits, all []string
	for _, r := range vnetForbidden {
		all = append(all, fmt.Sprintf("%s (%s)", r.prefix, r.what))
		if ipplan.Overlaps(c.vnet, r.prefix) {
			hits = append(hits, r.prefix.String())
		}
	}
	if len(hits) > 0 {
		c.errorf(keys(spec.PathNetworkVnetCidr), "%s %s overlaps %s: a VNet's address space cannot include %s",
			spec.PathNetworkVnetCidr, c.vnet, join("and", hits), join("and", all))
	}
}

// checkReserved is rule 3: the VNet, pod and service ranges avoid the ranges
// AKS reserves. For the VNet, ranges checkVNet already reports are left out.
func (c *checker) checkReserved() {
	all := make([]string, len(aksReserved))
	for i, r := range aksReserved {
		all[i] = r.String()
	}
	for _, f := range []keyedPrefix{{key: spec.PathNetworkVnetCidr, prefix: c.vnet}, {key: spec.PathClusterPodCidr, prefix: c.pod}, {key: spec.PathClusterServiceCidr, prefix: c.service}} {
		var hits []string
		for _, r := range aksReserved {
			if ipplan.Overlaps(f.prefix, r) && !(f.key == spec.PathNetworkVnetCidr && forbiddenInVNet(r)) {
				hits = append(hits, r.String())
			}
		}
		// aks-rules 3.1: https://learn.microsoft.com/azure/aks/configure-kubenet;
		// aks-rules 10.4: refused on create and update since 2026-05-29.
		if len(hits) > 0 {
			since := ""
			if c.s.Cluster.Overlay() && f.key != spec.PathNetworkVnetCidr {
				since = " (aks-rules 10.4: AKS refuses it on create and update)"
			}
			c.errorf(keys(f.key), "%s %s overlaps %s, which AKS reserves: the VNet, pod and service ranges must avoid %s%s",
				f.key, f.prefix, join("and", hits), join("and", all), since)
		}
	}
}

func forbiddenInVNet(p netip.Prefix) bool {
	return slices.ContainsFunc(vnetForbidden, func(r reservedRange) bool { return r.prefix == p })
}

// checkPodCIDR is rule 4: pod addresses are used nowhere else, neither in the
// VNet, nor as service addresses, nor in a peered range (aks-rules 3.3,
// https://learn.microsoft.com/azure/aks/configure-kubenet). With Azure CNI
// Overlay the pod CIDR may lie in the VNet's range outside its subnets
// (aks-rules 10.2), with a warning; the service, peered (aks-rules 10.3)
// and reserved ranges (checkReserved) hold for both modes, as do the
// firewall subnet and the hub's ranges (checkEgress).
func (c *checker) checkPodCIDR() {
	if c.s.Cluster.Overlay() {
		c.checkOverlayPodInVNet()
	} else if ipplan.Overlaps(c.pod, c.vnet) {
		// AKS itself refuses only an overlap with a subnet (aks-rules 3.3, 10.2).
		code := ""
		if ipplan.Overlaps(c.pod, c.subnet) || ipplan.Overlaps(c.pod, c.firewallSubnet) {
			code = CodePodCidrOverlapExistingSubnetsCidr
		}
		c.refusef(code, keys(spec.PathClusterPodCidr, spec.PathNetworkVnetCidr), "%s %s overlaps %s %s: pod addresses must not be routable inside the VNet",
			spec.PathClusterPodCidr, c.pod, spec.PathNetworkVnetCidr, c.vnet)
	}
	if ipplan.Overlaps(c.pod, c.service) {
		c.refusef(CodePodCidrOverlapServiceCidr, keys(spec.PathClusterPodCidr, spec.PathClusterServiceCidr), "%s %s overlaps %s %s: pod and service addresses must be distinct",
			spec.PathClusterPodCidr, c.pod, spec.PathClusterServiceCidr, c.service)
	}
	c.refusePeeredOverlap(spec.PathClusterPodCidr, c.pod, "pod addresses must not be used in any network the VNet reaches")
}

// checkOverlayPodInVNet is checkPodCIDR's VNet check with Overlay: the pod
// CIDR overlaps no subnet of the VNet, which AKS checks since 2024-10-25
// (aks-rules 10.2); inside the VNet's range outside every subnet it is
// accepted, with a warning. The firewall subnet is checkFirewall's. A range
// that overlaps the VNet and no subnet lies inside the VNet, because
// prefixes either nest or are disjoint.
func (c *checker) checkOverlayPodInVNet() {
	switch {
	case ipplan.Overlaps(c.pod, c.subnet):
		c.refusef(CodePodCidrOverlapExistingSubnetsCidr, keys(spec.PathClusterPodCidr, spec.PathNetworkNodeSubnetCidr), "%s %s overlaps %s %s: with Azure CNI Overlay the pod CIDR must overlap no subnet of the VNet (aks-rules 10.2)",
			spec.PathClusterPodCidr, c.pod, spec.PathNetworkNodeSubnetCidr, c.subnet)
	case c.subnet.IsValid() && ipplan.Overlaps(c.pod, c.vnet) && !ipplan.Overlaps(c.pod, c.firewallSubnet):
		c.warnf(keys(spec.PathClusterPodCidr, spec.PathNetworkVnetCidr), "%s %s lies inside %s %s, in no subnet: AKS accepts that with Azure CNI Overlay, but a subnet created in %s later would collide with the pods, so keep it free of subnets or move the pod CIDR out of the VNet (aks-rules 10.2)",
			spec.PathClusterPodCidr, c.pod, spec.PathNetworkVnetCidr, c.vnet, c.pod)
	}
}

// refusePeeredOverlap reports every network.peeredCidrs range that overlaps
// prefix, the value of key, with why as the rule.
func (c *checker) refusePeeredOverlap(key string, prefix netip.Prefix, why string) {
	for i, p := range c.peered {
		if ipplan.Overlaps(prefix, p) {
			c.errorf(keys(key, spec.Index(spec.PathNetworkPeeredCidrs, i)), "%s %s overlaps %s %s: %s", key, prefix, spec.Index(spec.PathNetworkPeeredCidrs, i), p, why)
		}
	}
}

// minServiceBits is the prefix length of the largest IPv4 service range
// Kubernetes accepts, a /12 (aks-rules 3.4, 3.5).
const minServiceBits = 12

// checkServiceCIDR is rule 5: the service range is no larger than a /12 and
// is used by no subnet and no peered range; its overlap with the pod range is
// checkPodCIDR's. It warns when the range lies in the VNet outside every subnet.
func (c *checker) checkServiceCIDR() {
	if !c.service.IsValid() {
		return
	}
	// aks-rules 3.4, 3.5: https://learn.microsoft.com/azure/aks/concepts-network-ip-address-planning
	if c.service.Bits() < minServiceBits {
		c.errorf(keys(spec.PathClusterServiceCidr), "%s %s is larger than /%d: Kubernetes refuses IPv4 service ranges larger than /%d",
			spec.PathClusterServiceCidr, c.service, minServiceBits, minServiceBits)
	}
	// aks-rules 3.4: the service range must not be used by any network element
	// on or connected to the VNet.
	if ipplan.Overlaps(c.service, c.subnet) {
		c.refusef(CodeServiceCidrOverlapExistingSubnetsCidr, keys(spec.PathClusterServiceCidr, spec.PathNetworkNodeSubnetCidr), "%s %s overlaps %s %s: service addresses must not be used by any subnet",
			spec.PathClusterServiceCidr, c.service, spec.PathNetworkNodeSubnetCidr, c.subnet)
	}
	c.refusePeeredOverlap(spec.PathClusterServiceCidr, c.service, "service addresses must not be used in any network the VNet reaches")
	// aks-rules 3.4: AKS accepts a service range in the VNet's address space
	// outside every subnet, but a subnet added there later would take its
	// addresses. A range that overlaps the VNet and not the subnet lies inside
	// the VNet, because prefixes either nest or are disjoint.
	if c.subnet.IsValid() && ipplan.Overlaps(c.service, c.vnet) && !ipplan.Overlaps(c.service, c.subnet) {
		c.warnf(keys(spec.PathClusterServiceCidr, spec.PathNetworkVnetCidr), "%s %s lies inside %s %s, in no subnet: AKS accepts that, but a subnet created in %s later would break service routing, so keep it free of subnets",
			spec.PathClusterServiceCidr, c.service, spec.PathNetworkVnetCidr, c.vnet, c.service)
	}
}

// checkDNSServiceIP is rule 6: the cluster DNS address lies in the service
// range and is neither its network address, nor its first address (the
// kubernetes service's), nor its broadcast address (aks-rules 3.6,
// https://learn.microsoft.com/azure/aks/concepts-network-ip-address-planning;
// Kubernetes never allocates the network and broadcast addresses of an IPv4
// service range: https://kubernetes.io/docs/concepts/services-networking/cluster-ip-allocation/).
func (c *checker) checkDNSServiceIP() {
	if !c.dns.IsValid() || !c.service.IsValid() {
		return
	}
	if ipplan.Addresses(c.service) < 4 {
		c.errorf(keys(spec.PathClusterServiceCidr, spec.PathClusterDNSServiceIP), "%s %s has no address for %s besides its network, kubernetes service and broadcast addresses; use a larger service range, such as a /24",
			spec.PathClusterServiceCidr, c.service, spec.PathClusterDNSServiceIP)
		return
	}
	var problem, note, code string
	switch network := c.service.Addr(); c.dns {
	case network:
		problem = "is the network address of"
	case network.Next():
		problem, note, code = "is the first address of", ", which Kubernetes gives the kubernetes service", CodeDNSServiceIPConflicting
	case ipplan.Last(c.service):
		problem, code = "is the broadcast address of", CodeDNSBroadcastAddressConflicting
	default:
		if c.service.Contains(c.dns) {
			return
		}
		problem, code = "is not inside", CodeDNSServiceIPOutOfServiceCidr
	}
	c.refusef(code, keys(spec.PathClusterDNSServiceIP, spec.PathClusterServiceCidr), "%s %s %s %s %s%s; use an address such as %s",
		spec.PathClusterDNSServiceIP, c.dns, problem, spec.PathClusterServiceCidr, c.service, note, suggestDNS(c.service))
}

// suggestDNS returns the address to suggest for the DNS service in service, a
// range of at least 4 addresses: its tenth address after the network address
// (10.0.4.10 in 10.0.4.0/24) as the AKS docs recommend, or the second when the
// range is too small for that.
func suggestDNS(service netip.Prefix) netip.Addr {
	step := 2
	if ipplan.Addresses(service) > 11 {
		step = 10
	}
	a := service.Addr()
	for range step {
		a = a.Next()
	}
	return a
}
