package ipplan

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Limit is one ceiling on the size of the cluster's node pools together.
type Limit struct {
	// Name says what sets the ceiling: "node subnet", "pod CIDR", "route table"
	// or "kubenet"; with Azure CNI Overlay "node subnet", "pod CIDR" or
	// OverlayLimit.
	Name string `json:"name"`
	// Keys are the config keys that set the ceiling, such as
	// "network.nodeSubnetCidr"; none for the kubenet and Overlay limits,
	// fixed numbers.
	Keys []string `json:"keys"`
	// MaxNodes is the most nodes the ceiling allows. Every pool together, at
	// its upgrade peak (Capacity.Peak), must fit each ceiling.
	MaxNodes int `json:"maxNodes"`
}

// Pool is one node pool's size over an upgrade.
type Pool struct {
	// Name is the pool's name in AKS.
	Name string `json:"name"`
	// CountKey is the config key of its largest size: the pool's maxCount
	// when autoscaled, else its nodeCount ("cluster.maxCount",
	// "pools[0].nodeCount").
	CountKey string `json:"countKey"`
	// SurgeKey is the config key of its maxSurge.
	SurgeKey string `json:"surgeKey"`
	// Spot is true for a pool of Spot VMs; it counts like the others.
	Spot bool `json:"spot,omitempty"`
	// Nodes is the pool's largest size outside upgrades, Surge the nodes an
	// upgrade adds, and Peak their sum.
	Nodes int `json:"nodes"`
	Surge int `json:"surge"`
	Peak  int `json:"peak"`
}

// Capacity is the size of a stack's IP plan next to the size of its node
// pools: the system pool and aks-kubenet:pools.
type Capacity struct {
	// Pools are the node pools, the system pool first.
	Pools []Pool `json:"pools"`
	// Nodes, Surge and Peak are the pools' sums.
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
	// UDRs is the number of user-defined routes: network.routes and the
	// routes the program generates for the firewall.
	UDRs int `json:"udrs"`
	// RouteTableUsed is the routes the table holds at the upgrade peak: with
	// kubenet one per node (Peak) plus the UDRs; with Overlay, which adds no
	// route per node, the UDRs alone (aks-rules 10.7).
	RouteTableUsed int `json:"routeTableUsed"`
	// Overlay is true for an Azure CNI Overlay cluster
	// (cluster.networkPlugin overlay), whose limits differ from kubenet's;
	// absent from the JSON of a kubenet stack.
	Overlay bool `json:"overlay,omitempty"`
	// Limits are the ceilings on the pools together, sorted by MaxNodes,
	// lowest first (ties in the order given here), so that Limits[0] is the
	// one that binds first: with kubenet node subnet, pod CIDR, route table
	// and kubenet (aks-rules 2.3); with Overlay node subnet, pod CIDR and the
	// Overlay cluster's 5,000 nodes, the route table holding no node routes
	// (aks-rules 10.7, 10.8).
	Limits []Limit `json:"limits"`
}

// OverlayLimit is the Name of the Limit of an Overlay cluster's nodes,
// MaxOverlayNodes.
const OverlayLimit = "Overlay cluster"

// Compute returns the capacity of s's IP plan. It parses network.vnetCidr,
// network.nodeSubnetCidr, cluster.podCidr and cluster.serviceCidr with
// ParsePrefix and returns an error naming the first key that does not parse,
// or the first maxSurge that is invalid. Node counts that are not set count as
// 0; Compute does not judge whether the plan fits (package rules does).
func Compute(s spec.Stack) (Capacity, error) {
	var vnet, subnet, pod, service netip.Prefix
	for _, f := range []struct {
		key  string
		cidr string
		dst  *netip.Prefix
	}{
		{spec.PathNetworkVnetCidr, s.Network.VnetCidr, &vnet},
		{spec.PathNetworkNodeSubnetCidr, s.Network.NodeSubnetCidr, &subnet},
		{spec.PathClusterPodCidr, s.Cluster.PodCidr, &pod},
		{spec.PathClusterServiceCidr, s.Cluster.ServiceCidr, &service},
	} {
		p, err := ParsePrefix(f.cidr)
		if err != nil {
			return Capacity{}, fmt.Errorf("%s: %w", f.key, err)
		}
		*f.dst = p
	}
	pools, err := Pools(s)
	if err != nil {
		return Capacity{}, err
	}
	c := Capacity{
		Pools:            pools,
		VnetAddresses:    Addresses(vnet),
		SubnetAddresses:  Addresses(subnet),
		SubnetUsable:     UsableSubnetAddresses(subnet),
		PodCIDRNodes:     PodCIDRNodes(pod),
		ServiceAddresses: Addresses(service),
		UDRs:             len(s.Network.Routes) + s.GeneratedRoutes(),
	}
	c.Nodes, c.Surge, c.Peak = Total(pools)
	c.Overlay = s.Cluster.Overlay()
	if c.Overlay {
		// aks-rules 10.1, 10.7, 10.8: every node still takes a subnet
		// address and a /24 of the pod CIDR, but no route.
		c.RouteTableUsed = c.UDRs
		c.Limits = []Limit{
			{"node subnet", []string{spec.PathNetworkNodeSubnetCidr}, c.SubnetUsable},
			{"pod CIDR", []string{spec.PathClusterPodCidr}, c.PodCIDRNodes},
			{OverlayLimit, nil, MaxOverlayNodes},
		}
	} else {
		c.RouteTableUsed = addSaturating(c.Peak, c.UDRs)
		c.Limits = []Limit{
			{"node subnet", []string{spec.PathNetworkNodeSubnetCidr}, c.SubnetUsable},
			{"pod CIDR", []string{spec.PathClusterPodCidr}, c.PodCIDRNodes},
			{"route table", []string{spec.PathNetworkRoutes}, RouteTableNodes(c.UDRs)},
			{"kubenet", nil, MaxKubenetNodes},
		}
	}
	slices.SortStableFunc(c.Limits, func(a, b Limit) int { return cmp.Compare(a.MaxNodes, b.MaxNodes) })
	return c, nil
}

// Pools returns the size of every node pool of s over an upgrade: the
// system pool (spec.Cluster) first, then aks-kubenet:pools in config order.
// Each pool counts maxCount nodes when autoscaled, else nodeCount (0 when
// neither is set), plus the surge nodes of an upgrade; Spot pools count like
// the others. A pool whose maxSurge is neither a node count nor a percentage
// counts without surge, and the first such pool's error, naming its key, is
// returned with the sizes.
func Pools(s spec.Stack) ([]Pool, error) {
	// countKey is the key of the count a pool counts: maxCount when it is
	// autoscaled, else nodeCount.
	countKey := func(maxCount, nodeCount string, autoscaled bool) string {
		if autoscaled {
			return maxCount
		}
		return nodeCount
	}
	cl := s.Cluster
	pools := []Pool{{Name: cl.NodePoolName, CountKey: countKey(spec.PathClusterMaxCount, spec.PathClusterNodeCount, cl.MaxCount != nil), SurgeKey: spec.PathClusterMaxSurge, Nodes: cl.MaxNodes()}}
	surges := []func() (int, error){cl.SurgeNodes}
	for i, p := range s.Pools {
		pools = append(pools, Pool{
			Name:     p.Name,
			CountKey: countKey(spec.At(spec.PathPoolsMaxCount, i), spec.At(spec.PathPoolsNodeCount, i), p.MaxCount != nil),
			SurgeKey: spec.At(spec.PathPoolsMaxSurge, i),
			Spot:     p.Spot(),
			Nodes:    p.MaxNodes(),
		})
		surges = append(surges, p.SurgeNodes)
	}
	var first error
	for i := range pools {
		surge, err := surges[i]()
		if err != nil {
			surge = 0
			if first == nil {
				first = fmt.Errorf("%s: %w", pools[i].SurgeKey, err)
			}
		}
		pools[i].Surge = surge
		pools[i].Peak = addSaturating(pools[i].Nodes, surge)
	}
	return pools, first
}

// Total returns the pools' nodes, surge nodes and peaks summed, each
// saturating at math.MaxInt instead of overflowing.
func Total(pools []Pool) (nodes, surge, peak int) {
	for _, p := range pools {
		nodes, surge, peak = addSaturating(nodes, p.Nodes), addSaturating(surge, p.Surge), addSaturating(peak, p.Peak)
	}
	return nodes, surge, peak
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
