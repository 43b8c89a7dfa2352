package ipplan

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Limit is one ceiling on the size of the system pool.
type Limit struct {
	// Name says what sets the ceiling: "node subnet", "pod CIDR", "route table"
	// or "kubenet".
	Name string `json:"name"`
	// Keys are the config keys that set the ceiling, such as
	// "network.nodeSubnetCidr"; none for the kubenet limit, a fixed number.
	Keys []string `json:"keys"`
	// MaxNodes is the most nodes the ceiling allows. The node subnet, pod CIDR
	// and route table must hold the pool at its upgrade peak (Capacity.Peak);
	// the kubenet limit applies to the pool outside upgrades (Capacity.Nodes).
	MaxNodes int `json:"maxNodes"`
}

// Capacity is the size of a stack's IP plan next to the size of its system pool.
type Capacity struct {
	// Nodes is the pool's largest size outside upgrades (spec.Cluster.MaxNodes),
	// Surge the nodes an upgrade adds, and Peak their sum.
	Nodes int `json:"nodes"`
	Surge int `json:"surge"`
	Peak  int `json:"peak"`
	// VnetAddresses and SubnetAddresses are the sizes of network.vnetCidr and
	// network.nodeSubnetCidr; SubnetUsable is what Azure leaves of the subnet.
	VnetAddresses   int `json:"vnetAddresses"`
	SubnetAddresses int `json:"subnetAddresses"`
	SubnetUsable    int `json:"subnetUsable"`
	// PodCIDRNodes is how many nodes cluster.podCidr has a /24 for.
	PodCIDRNodes int `json:"podCidrNodes"`
	// ServiceAddresses is the size of cluster.serviceCidr.
	ServiceAddresses int `json:"serviceAddresses"`
	// UDRs is the number of user-defined routes configured (network.routes).
	UDRs int `json:"udrs"`
	// RouteTableUsed is the routes the table holds at the upgrade peak: one per
	// node (Peak) plus the UDRs.
	RouteTableUsed int `json:"routeTableUsed"`
	// Limits are the ceilings on the pool: node subnet, pod CIDR, route table
	// and kubenet, sorted by MaxNodes, lowest first (ties in that order), so
	// that Limits[0] is the one that binds first.
	Limits []Limit `json:"limits"`
}

// Compute returns the capacity of s's IP plan. It parses network.vnetCidr,
// network.nodeSubnetCidr, cluster.podCidr and cluster.serviceCidr with
// ParsePrefix and returns an error naming the first key that does not parse,
// or cluster.maxSurge when it is invalid. Node counts that are not set count as
// 0; Compute does not judge whether the plan fits (package rules does).
func Compute(s spec.Stack) (Capacity, error) {
	var vnet, subnet, pod, service netip.Prefix
	for _, f := range []struct {
		key  string
		cidr string
		dst  *netip.Prefix
	}{
		{"network.vnetCidr", s.Network.VnetCidr, &vnet},
		{"network.nodeSubnetCidr", s.Network.NodeSubnetCidr, &subnet},
		{"cluster.podCidr", s.Cluster.PodCidr, &pod},
		{"cluster.serviceCidr", s.Cluster.ServiceCidr, &service},
	} {
		p, err := ParsePrefix(f.cidr)
		if err != nil {
			return Capacity{}, fmt.Errorf("%s: %w", f.key, err)
		}
		*f.dst = p
	}
	nodes, surge, peak, err := PoolSize(s.Cluster)
	if err != nil {
		return Capacity{}, fmt.Errorf("cluster.maxSurge: %w", err)
	}
	c := Capacity{
		Nodes:            nodes,
		Surge:            surge,
		Peak:             peak,
		VnetAddresses:    Addresses(vnet),
		SubnetAddresses:  Addresses(subnet),
		SubnetUsable:     UsableSubnetAddresses(subnet),
		PodCIDRNodes:     PodCIDRNodes(pod),
		ServiceAddresses: Addresses(service),
		UDRs:             len(s.Network.Routes) + s.GeneratedRoutes(),
	}
	c.RouteTableUsed = addSaturating(peak, c.UDRs)
	c.Limits = []Limit{
		{"node subnet", []string{"network.nodeSubnetCidr"}, c.SubnetUsable},
		{"pod CIDR", []string{"cluster.podCidr"}, c.PodCIDRNodes},
		{"route table", []string{"network.routes"}, RouteTableNodes(c.UDRs)},
		{"kubenet", nil, MaxKubenetNodes},
	}
	slices.SortStableFunc(c.Limits, func(a, b Limit) int { return cmp.Compare(a.MaxNodes, b.MaxNodes) })
	return c, nil
}

// PoolSize returns the size of pool c over an upgrade: nodes, its largest size
// outside upgrades (c.MaxNodes(), 0 when no count is set); surge, the nodes an
// upgrade adds (c.SurgeNodes()); and peak, their sum, which saturates at
// math.MaxInt instead of overflowing. When maxSurge is neither a node count nor
// a percentage it returns SurgeNodes' error, with surge 0 and peak equal to nodes.
func PoolSize(c spec.Cluster) (nodes, surge, peak int, err error) {
	nodes = c.MaxNodes()
	surge, err = c.SurgeNodes()
	if err != nil {
		return nodes, 0, nodes, err
	}
	return nodes, surge, addSaturating(nodes, surge), nil
}

// addSaturating returns a+b, or math.MaxInt or math.MinInt when the sum
// overflows in that direction.
func addSaturating(a, b int) int {
	sum := a + b
	switch {
	case b > 0 && sum < a:
		return math.MaxInt
	case b < 0 && sum > a:
		return math.MinInt
	}
	return sum
}
