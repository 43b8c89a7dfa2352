package rules

import (
	"fmt"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// checkCapacity is rule 10: the system pool's maxSurge is valid, and the pod
// CIDR, the node subnet, the route table and kubenet hold every node pool
// together at its upgrade peak. Each pool counts maxCount nodes when
// autoscaling, else nodeCount, plus the surge nodes of an upgrade, and Spot
// pools count like the others: with kubenet every node of every pool takes a
// /24 of the pod CIDR, an address of the node subnet and a route of the one
// route table. A user pool's invalid maxSurge is rule 16's and counts without
// surge here. Without a node count of at least 1 only the checks that do not
// need one run (checkPool reports the count).
//
// With Azure CNI Overlay every node still takes a /24 of the pod CIDR and an
// address of the subnet, but no route: the cluster holds 5,000 nodes, not
// kubenet's 400, and the route table only the user-defined routes, generated
// ones included (aks-rules 10.1, 10.7-10.9); see checkOverlayCapacity.
func (c *checker) checkCapacity() {
	pools, _ := ipplan.Pools(c.s) // an invalid maxSurge counts as no surge; reported here or by rule 16
	// https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling
	_, surgeErr := c.s.Cluster.SurgeNodes()
	if surgeErr != nil {
		c.errorf(keys(spec.PathClusterMaxSurge), "%s %q is neither a node count such as 1 nor a percentage from 1%% to 100%%",
			spec.PathClusterMaxSurge, string(c.s.Cluster.MaxSurge))
	}
	overlay := c.s.Cluster.Overlay()
	// aks-rules 2.6: kubenet gives every node a /24 of the pod CIDR.
	if overlay {
		c.checkOverlayPodSize()
	} else if c.pod.IsValid() && c.pod.Bits() > ipplan.NodePodBits {
		c.refusef(CodeInsufficientPodCidr, keys(spec.PathClusterPodCidr), "%s %s is smaller than /%d: kubenet gives every node a /%d of pod addresses",
			spec.PathClusterPodCidr, c.pod, ipplan.NodePodBits, ipplan.NodePodBits)
	}
	if pools[0].Nodes < 1 || surgeErr != nil {
		return
	}
	_, _, peak := ipplan.Total(pools)
	what, poolKeys := describePools(pools)
	if overlay {
		c.checkOverlayCapacity(peak, what, poolKeys)
		c.checkSubnetCapacity(peak, what, poolKeys, " (aks-rules 10.8)")
		return
	}
	// aks-rules 2.1, 2.3: https://learn.microsoft.com/azure/aks/configure-kubenet
	if peak > ipplan.MaxKubenetNodes {
		c.errorf(poolKeys, "the node pools reach %d nodes at their upgrade peak (%s), more than the %d nodes a kubenet cluster can have",
			peak, what, ipplan.MaxKubenetNodes)
	}
	// aks-rules 2.6-2.8: AKS refuses a pod CIDR without a /24 for every node,
	// counting maxCount when autoscaling.
	c.checkPodCapacity(peak, what, poolKeys, CodeInsufficientPodCidr, "")
	c.checkSubnetCapacity(peak, what, poolKeys, "")
	// aks-rules 2.2, 2.3: AKS adds one route per node to the table that holds
	// the user-defined routes. More than the table holds of those alone is
	// checkRoutes'.
	udrs := len(c.s.Network.Routes) + c.s.GeneratedRoutes()
	if udrs <= ipplan.MaxRoutesPerTable && ipplan.RouteTableNodes(udrs) < peak {
		generated := ""
		if n := c.s.GeneratedRoutes(); n > 0 {
			generated = fmt.Sprintf(" (%d of them generated for the firewall)", n)
		}
		c.errorf(append(keys(spec.PathNetworkRoutes), poolKeys...), "%s has %s%s, which leaves room in the route table for %d node routes, but the node pools reach %d nodes at their upgrade peak (%s): a route table holds %d routes and AKS adds one per node",
			spec.PathNetworkRoutes, count(udrs, "user-defined route"), generated, ipplan.RouteTableNodes(udrs), peak, what, ipplan.MaxRoutesPerTable)
	}
}

// checkSubnetCapacity checks that the node subnet holds the pools at their
// upgrade peak, peak nodes (what and poolKeys as describePools gives them);
// cite ends the message. aks-rules 4.1, 4.3, 4.4 (10.8 with Overlay): every
// node, surge nodes included, takes one of the subnet's addresses, after
// the 5 Azure reserves. A subnet below /29 is checkVNet's.
func (c *checker) checkSubnetCapacity(peak int, what string, poolKeys []string, cite string) {
	if c.subnet.IsValid() && c.subnet.Bits() <= ipplan.MinSubnetBits && ipplan.UsableSubnetAddresses(c.subnet) < peak {
		c.refusef(CodeInsufficientSubnetSize, append(keys(spec.PathNetworkNodeSubnetCidr), poolKeys...), "%s %s has %d usable addresses (%d minus the %d Azure reserves), but the node pools reach %d nodes at their upgrade peak (%s)%s",
			spec.PathNetworkNodeSubnetCidr, c.subnet, ipplan.UsableSubnetAddresses(c.subnet), ipplan.Addresses(c.subnet), ipplan.AzureReservedPerSubnet, peak, what, cite)
	}
}

// checkPodCapacity checks that the pod CIDR has a /24 for each of the peak
// nodes (what and poolKeys as describePools gives them), refusing with code;
// cite ends the message. Both kubenet (aks-rules 2.6-2.8) and Overlay
// (10.1, 10.9) give every node a /24; a pod CIDR smaller than a /24 is
// refused above in checkCapacity (kubenet) or by checkOverlayPodSize.
func (c *checker) checkPodCapacity(peak int, what string, poolKeys []string, code, cite string) {
	if c.pod.IsValid() && c.pod.Bits() <= ipplan.NodePodBits && ipplan.PodCIDRNodes(c.pod) < peak {
		c.refusef(code, append(keys(spec.PathClusterPodCidr), poolKeys...), "%s %s holds %s at one /%d per node, but the node pools reach %d at their upgrade peak (%s)%s",
			spec.PathClusterPodCidr, c.pod, count(ipplan.PodCIDRNodes(c.pod), "node"), ipplan.NodePodBits, peak, what, cite)
	}
}

// checkOverlayPodSize checks that an Overlay pod CIDR has room for one
// node's /24 (aks-rules 10.1, 10.9).
func (c *checker) checkOverlayPodSize() {
	if c.pod.IsValid() && c.pod.Bits() > ipplan.NodePodBits {
		c.refusef(CodeInsufficientSubnetSize, keys(spec.PathClusterPodCidr, spec.PathClusterNetworkPlugin), "%s %s is smaller than /%d: Azure CNI Overlay gives every node a fixed /%d of pod addresses; AKS names the target NetworkProfile_PodCIDR (aks-rules 10.1, 10.9)",
			spec.PathClusterPodCidr, c.pod, ipplan.NodePodBits, ipplan.NodePodBits)
	}
}

// checkOverlayCapacity is checkCapacity's Overlay bounds at a peak of peak
// nodes: Overlay's 5,000 nodes (aks-rules 10.7), a /24 of the pod CIDR per
// node, which AKS checks with the autoscalers' maxCount (aks-rules 10.1,
// 10.9), and a route table that holds the user-defined routes alone,
// generated ones included, within 1,000 (aks-rules 10.7, 2.2): more
// network.routes than that alone are checkRoutes'.
func (c *checker) checkOverlayCapacity(peak int, what string, poolKeys []string) {
	if peak > ipplan.MaxOverlayNodes {
		c.errorf(poolKeys, "the node pools reach %d nodes at their upgrade peak (%s), more than the %d nodes an Azure CNI Overlay cluster can have (aks-rules 10.7)",
			peak, what, ipplan.MaxOverlayNodes)
	}
	c.checkPodCapacity(peak, what, poolKeys, CodeInsufficientSubnetSize, "; AKS names the target NetworkProfile_PodCIDR (aks-rules 10.1, 10.9)")
	if udrs := len(c.s.Network.Routes) + c.s.GeneratedRoutes(); udrs > ipplan.MaxRoutesPerTable && len(c.s.Network.Routes) <= ipplan.MaxRoutesPerTable {
		c.errorf(keys(spec.PathNetworkRoutes), "%s has %s and the program generates %d more for the firewall, %d in all, but a route table holds at most %d (aks-rules 2.2, 10.7)",
			spec.PathNetworkRoutes, count(len(c.s.Network.Routes), "user-defined route"), c.s.GeneratedRoutes(), udrs, ipplan.MaxRoutesPerTable)
	}
}

// describePools says what each pool adds to the peak, "system: cluster.nodeCount
// 3 + 1 surge; spot: pools[1].maxCount 20 + 1 surge", and returns the config
// keys of the counts and surges.
func describePools(pools []ipplan.Pool) (string, []string) {
	parts := make([]string, len(pools))
	var poolKeys []string
	for i, p := range pools {
		parts[i] = fmt.Sprintf("%s: %s %d + %d surge", p.Name, p.CountKey, p.Nodes, p.Surge)
		poolKeys = append(poolKeys, p.CountKey, p.SurgeKey)
	}
	return strings.Join(parts, "; "), poolKeys
}
