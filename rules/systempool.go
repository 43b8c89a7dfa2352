package rules

import (
	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// minSystemPoolPods is the room for pods a system pool needs at its smallest
// (aks-rules 2.5, https://learn.microsoft.com/azure/aks/configure-kubenet).
const minSystemPoolPods = 30

// checkPool is rule 11: the node counts are set and ordered, maxPods is in
// kubenet's range, and the pool at its smallest has room for a system pool's
// pods.
func (c *checker) checkPool() {
	cl := c.s.Cluster
	switch {
	case cl.NodeCount == nil:
		c.errorf(keys(spec.PathClusterNodeCount), "%s is missing: set the system pool's node count, such as 3", spec.PathClusterNodeCount)
	case *cl.NodeCount < 1:
		c.errorf(keys(spec.PathClusterNodeCount), "%s %d is less than 1: the system pool needs at least one node", spec.PathClusterNodeCount, *cl.NodeCount)
	}
	counts := poolCounts{spec.PathClusterMinCount, spec.PathClusterNodeCount, spec.PathClusterMaxCount, cl.MinCount, cl.NodeCount, cl.MaxCount}
	c.checkAutoscalerBounds(counts, "the system pool")
	if cl.MinCount != nil && *cl.MinCount < 1 {
		c.errorf(keys(spec.PathClusterMinCount), "%s %d is less than 1: the system pool needs at least one node", spec.PathClusterMinCount, *cl.MinCount)
	}
	c.checkCountOrder(counts, "1 <= minCount <= nodeCount <= maxCount")
	c.checkMaxPods()
	c.checkSystemPoolSize()
}

// checkSystemPoolSize warns of a system pool VM size whose name says fewer
// vCPUs than AKS takes for a system pool (aks-rules 2.11). A warning, not a
// refusal: the vCPUs are read from the size's name and the program keeps no
// table of sizes and their memory, which AKS checks too.
func (c *checker) checkSystemPoolSize() {
	size := c.s.Cluster.VMSize
	if cpus, ok := aksfacts.VCPUs(size); ok && cpus < aksfacts.MinSystemPoolVCPUs {
		c.warnf(keys(spec.PathClusterVMSize), "%s %s has %d vCPU by its name: AKS takes a system pool only on a VM size of at least %d vCPUs and 4 GB of memory, and refuses a smaller one with SystemPoolSkuTooLow; choose a larger size, such as Standard_D4s_v5 (aks-rules 2.11)",
			spec.PathClusterVMSize, size, cpus, aksfacts.MinSystemPoolVCPUs)
	}
}

// poolCounts are a pool's count keys and their values.
type poolCounts struct {
	minKey, nodeKey, maxKey string
	min, node, max          *int
}

// checkAutoscalerBounds checks that minCount and maxCount are set both or
// neither: the autoscaler takes both
// (https://learn.microsoft.com/azure/aks/cluster-autoscaler). pool names the
// pool in messages.
func (c *checker) checkAutoscalerBounds(n poolCounts, pool string) {
	switch {
	case n.min != nil && n.max == nil:
		c.errorf(keys(n.minKey, n.maxKey), "%s %d is set without %s: set both to autoscale %s, or neither", n.minKey, *n.min, n.maxKey, pool)
	case n.min == nil && n.max != nil:
		c.errorf(keys(n.maxKey, n.minKey), "%s %d is set without %s: set both to autoscale %s, or neither", n.maxKey, *n.max, n.minKey, pool)
	}
}

// checkCountOrder checks that the counts that are set are ordered; order is
// the ordering the messages quote.
func (c *checker) checkCountOrder(n poolCounts, order string) {
	ordered := func(lowKey string, low *int, highKey string, high *int) {
		if low != nil && high != nil && *low > *high {
			c.errorf(keys(lowKey, highKey), "%s %d exceeds %s %d: want %s", lowKey, *low, highKey, *high, order)
		}
	}
	ordered(n.minKey, n.min, n.nodeKey, n.node)
	ordered(n.nodeKey, n.node, n.maxKey, n.max)
	if n.node == nil {
		ordered(n.minKey, n.min, n.maxKey, n.max)
	}
}

// Kubenet's range of maxPods (aks-rules 2.5, https://learn.microsoft.com/azure/aks/configure-kubenet),
// Overlay's too (aks-rules 10.1), whose top is ipplan.MaxOverlayPodsPerNode.
const (
	minMaxPods = 10
	maxMaxPods = 250
)

// checkMaxPods checks maxPods and the pods the pool holds at its smallest:
// minCount nodes when autoscaling, else nodeCount.
func (c *checker) checkMaxPods() {
	cl := c.s.Cluster
	smallestKey, smallest := spec.PathClusterNodeCount, cl.NodeCount
	if cl.MinCount != nil {
		smallestKey, smallest = spec.PathClusterMinCount, cl.MinCount
	}
	c.checkPodsPerNode(spec.PathClusterMaxPods, cl.MaxPods, smallestKey, smallest, true, "the system pool")
}
