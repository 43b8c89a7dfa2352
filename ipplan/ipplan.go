// Package ipplan is the IPv4 arithmetic of an aks-kubenet stack: parsing of
// canonical prefixes, containment and overlap of ranges, and the node capacity
// of the VNet, node subnet, pod CIDR and route table.
//
// It knows the Azure and AKS numbers the plan depends on (addresses Azure
// reserves per subnet, the kubenet /24 per node, the 1,000 routes of a route
// table, kubenet's 400 nodes) and nothing about Pulumi. Rule numbers in
// comments refer to docs/aks-rules.md, which names the Microsoft document
// behind each.
package ipplan

import (
	"fmt"
	"math"
	"net/netip"
)

// ParsePrefix parses s as a canonical IPv4 CIDR prefix, "10.0.0.0/16": an IPv4
// address, a slash and 0 to 32 bits, with no host bits set.
//
// Its error names s and what is wrong with it: not a prefix at all (wrapping
// netip's error), an IPv6 prefix, or host bits set, in which case it gives the
// canonical prefix s probably meant ("10.0.1.5/24 has host bits set; did you
// mean 10.0.1.0/24?").
func ParsePrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR prefix such as 10.0.0.0/16: %w", s, err)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("%s is an IPv6 prefix; only IPv4 prefixes are supported", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%s has host bits set; did you mean %s?", s, m)
	}
	return p, nil
}

// ParseAddr parses s as an IPv4 address in dotted decimal, "10.0.2.4".
//
// Its error names s and what is wrong with it: not an address (wrapping netip's
// error), an IPv4-mapped IPv6 address (giving the IPv4 form), or an IPv6 address.
func ParseAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address such as 10.0.2.4: %w", s, err)
	case a.Is4In6() && a.Zone() == "":
		return netip.Addr{}, fmt.Errorf("%s is an IPv4-mapped IPv6 address; write it as %s", s, a.Unmap())
	case !a.Is4():
		return netip.Addr{}, fmt.Errorf("%s is an IPv6 address; only IPv4 addresses are supported", s)
	}
	return a, nil
}

// Overlaps reports whether a and b share at least one address. Host bits are
// ignored, as by netip.Prefix.Overlaps. It returns false when either prefix is
// invalid or not IPv4.
func Overlaps(a, b netip.Prefix) bool {
	return isIPv4(a) && isIPv4(b) && a.Overlaps(b)
}

// Contains reports whether every address of inner lies in outer; a prefix
// contains itself. Host bits are ignored. It returns false when either prefix
// is invalid or not IPv4.
func Contains(outer, inner netip.Prefix) bool {
	return isIPv4(outer) && isIPv4(inner) &&
		outer.Bits() <= inner.Bits() && outer.Contains(inner.Masked().Addr())
}

// Addresses returns the number of addresses in p, 2^(32-bits): 4294967296 for
// 0.0.0.0/0, 1 for a /32. It returns 0 when p is invalid or not IPv4.
func Addresses(p netip.Prefix) int {
	if !isIPv4(p) {
		return 0
	}
	return int(min(uint64(1)<<(32-p.Bits()), math.MaxInt))
}

// Last returns the last address of p, its broadcast address: 10.0.4.255 for
// 10.0.4.0/24. It returns the zero Addr when p is invalid or not IPv4.
func Last(p netip.Prefix) netip.Addr {
	if !isIPv4(p) {
		return netip.Addr{}
	}
	b := p.Masked().Addr().As4()
	host := ^uint32(0) >> p.Bits() // Go defines shifts by 32 as 0
	for i := range b {
		b[i] |= byte(host >> (24 - 8*i))
	}
	return netip.AddrFrom4(b)
}

func isIPv4(p netip.Prefix) bool { return p.IsValid() && p.Addr().Is4() }

// AzureReservedPerSubnet is the number of addresses Azure keeps in every
// subnet: the network address, the default gateway, two for Azure DNS and the
// broadcast address (aks-rules 4.1,
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq).
const AzureReservedPerSubnet = 5

// MinSubnetBits is the prefix length of the smallest subnet Azure creates, a /29
// (aks-rules 4.2, https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq).
const MinSubnetBits = 29

// UsableSubnetAddresses returns the addresses of subnet p that Azure leaves to
// its resources: Addresses(p) minus AzureReservedPerSubnet, 251 for a /24. It
// returns 0 for prefixes too small to hold the reserved addresses (/30 and
// longer) and for invalid or non-IPv4 prefixes.
func UsableSubnetAddresses(p netip.Prefix) int {
	return max(Addresses(p)-AzureReservedPerSubnet, 0)
}

// NodePodBits is the prefix length of the pod range kubenet gives each node, a
// /24 carved in order from the pod CIDR, as Azure CNI Overlay does too
// (aks-rules 2.6, 10.1,
// https://learn.microsoft.com/azure/aks/configure-kubenet).
const NodePodBits = 24

// PodCIDRNodes returns how many nodes kubenet can give a /24 of pod addresses
// from pod CIDR p: 2^(24-bits), 256 for a /16, 1 for a /24 (aks-rules 2.7). It
// returns 0 when p is longer than /24, invalid, or not IPv4.
func PodCIDRNodes(p netip.Prefix) int {
	if !isIPv4(p) || p.Bits() > NodePodBits {
		return 0
	}
	return 1 << (NodePodBits - p.Bits())
}

// MaxRoutesPerTable is the number of routes an Azure route table holds, user-
// defined routes and the one route per node AKS adds alike: 1,000 since Azure
// raised the platform limits in 2026, where older pages still say 400
// (aks-rules 2.2,
// https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits,
// MicrosoftDocs/azure-docs#128759).
const MaxRoutesPerTable = 1000

// MaxKubenetNodes is the largest kubenet cluster AKS supports, still
// documented as 400 nodes (aks-rules 2.1,
// https://learn.microsoft.com/azure/aks/configure-kubenet). With a few
// user-defined routes it binds before the route table does (aks-rules 2.3).
const MaxKubenetNodes = 400

// MaxOverlayNodes is the largest Azure CNI Overlay cluster AKS supports,
// 5,000 nodes; kubenet's 400 and the route table's per-node routes do not
// apply to it, because Overlay writes no route per node (aks-rules 10.7,
// https://learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay).
const MaxOverlayNodes = 5000

// MaxOverlayPodsPerNode is the most pods an Overlay node runs, all of them
// in the node's /24 of the pod CIDR (aks-rules 10.1).
const MaxOverlayPodsPerNode = 250

// RouteTableNodes returns how many AKS node routes a route table has room for
// next to udrs user-defined routes: MaxRoutesPerTable - udrs, 0 when the
// user-defined routes alone fill the table (aks-rules 2.3).
func RouteTableNodes(udrs int) int {
	return max(MaxRoutesPerTable-max(udrs, 0), 0)
}
