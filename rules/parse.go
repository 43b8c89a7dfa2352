package rules

import (
	"net/netip"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// parse is rule 1: every CIDR is set when required and is a canonical IPv4
// prefix, and every IP address is IPv4. It records the parsed values for the
// other rules.
//
// Azure takes address prefixes in CIDR notation
// (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet,
// https://learn.microsoft.com/azure/aks/configure-kubenet); a prefix with host
// bits set names a range other than the one written, so only the canonical form
// is accepted. The program deploys IPv4 only.
func (c *checker) parse() {
	n, cl := c.s.Network, c.s.Cluster
	c.vnet = c.prefix(spec.PathNetworkVnetCidr, n.VnetCidr, "the VNet's address space, such as 10.0.0.0/16")
	c.subnet = c.prefix(spec.PathNetworkNodeSubnetCidr, n.NodeSubnetCidr, "the node subnet's range inside the VNet, such as 10.0.1.0/24")
	c.peered = make([]netip.Prefix, len(n.PeeredCidrs))
	for i, cidr := range n.PeeredCidrs {
		c.peered[i] = c.prefix(spec.Index(spec.PathNetworkPeeredCidrs, i), cidr, "a range reachable through peering, such as 10.100.0.0/16, or remove the entry")
	}
	c.routePrefixes = make([]netip.Prefix, len(n.Routes))
	c.routeTags = make([]bool, len(n.Routes))
	c.routeHops = make([]netip.Addr, len(n.Routes))
	for i, r := range n.Routes {
		c.routePrefixes[i], c.routeTags[i] = c.routePrefix(i, r.AddressPrefix)
		if r.NextHopIPAddress != "" {
			c.routeHops[i] = c.addr(spec.At(spec.PathNetworkRoutesNextHopIPAddress, i), r.NextHopIPAddress)
		}
	}
	if h := c.s.Hub; h != nil {
		c.hub = make([]netip.Prefix, len(h.AddressSpace))
		for i, cidr := range h.AddressSpace {
			c.hub[i] = c.prefix(spec.Index(spec.PathHubAddressSpace, i), cidr, "a range of the hub VNet, such as 10.100.0.0/16")
		}
	}
	if f := c.s.Firewall; f != nil {
		c.firewallSubnet = c.prefix(spec.PathFirewallSubnetCidr, f.SubnetCidr, "the AzureFirewallSubnet's range inside the VNet, /26 or larger, such as 10.0.2.0/26")
	}
	c.pod = c.prefix(spec.PathClusterPodCidr, cl.PodCidr, "the range kubenet carves a /24 per node from, such as 10.244.0.0/16")
	c.service = c.prefix(spec.PathClusterServiceCidr, cl.ServiceCidr, "the Kubernetes service range, such as 10.0.4.0/24")
	if !c.missing(spec.PathClusterDNSServiceIP, cl.DNSServiceIP, "the cluster DNS service's address inside "+spec.PathClusterServiceCidr+", such as 10.0.4.10") {
		c.dns = c.addr(spec.PathClusterDNSServiceIP, cl.DNSServiceIP)
	}
}

// missing reports whether value, the value of key, is empty, and then reports
// it as missing, with hint saying what to set.
func (c *checker) missing(key, value, hint string) bool {
	if value != "" {
		return false
	}
	c.errorf(keys(key), "%s is missing: set %s", key, hint)
	return true
}

// parseCodes are the codes AKS refuses a value that does not parse with, by
// key: only AKS's own keys have one (aks-rules 3.3, 3.4, 3.6).
var parseCodes = map[string]string{
	spec.PathClusterPodCidr:      CodeCidrStringParseError,
	spec.PathClusterServiceCidr:  CodeCidrStringParseError,
	spec.PathClusterDNSServiceIP: CodeDNSServiceIPParseError,
}

// prefix parses the CIDR value of key, reporting it as missing (see missing)
// or not a canonical IPv4 prefix, with hint saying what to set. It returns the
// zero Prefix in both cases.
func (c *checker) prefix(key, value, hint string) netip.Prefix {
	if c.missing(key, value, hint) {
		return netip.Prefix{}
	}
	p, err := netip.ParsePrefix(value)
	switch {
	case err != nil:
		c.refusef(parseCodes[key], keys(key), "%s %s is not a CIDR prefix: set %s", key, abbreviate(value), hint)
	case !p.Addr().Is4():
		c.errorf(keys(key), "%s %s is an IPv6 prefix; only IPv4 prefixes are supported: set %s", key, p, hint)
	case p.Masked() != p:
		c.errorf(keys(key), "%s %s has host bits set; did you mean %s?", key, p, p.Masked())
	default:
		return p
	}
	return netip.Prefix{}
}

// addr parses the IP address value of key, reporting it when it is not IPv4;
// then it returns the zero Addr.
func (c *checker) addr(key, value string) netip.Addr {
	a, err := netip.ParseAddr(value)
	switch {
	case err != nil:
		c.refusef(parseCodes[key], keys(key), "%s %s is not an IPv4 address such as 10.0.2.4", key, abbreviate(value))
	case a.Is4In6() && a.Zone() == "":
		c.errorf(keys(key), "%s %s is an IPv4-mapped IPv6 address; write it as %s", key, a, a.Unmap())
	case !a.Is4():
		c.errorf(keys(key), "%s %s is an IPv6 address; only IPv4 addresses are supported", key, a)
	default:
		return a
	}
	return netip.Addr{}
}
