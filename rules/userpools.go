package rules

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Limits of a cluster's node pools (aks-rules 2.9).
const (
	// MaxNodePools is the most node pools an AKS cluster has, its system
	// pool included.
	MaxNodePools = 100
	// MaxPoolNodes is the most nodes one node pool has: a pool's count is
	// 0-1000 for a user pool, 1-1000 for a system pool
	// (https://learn.microsoft.com/azure/aks/create-node-pools).
	MaxPoolNodes = 1000
	// MaxSpotPriceDecimals is the most decimal places of a Spot pool's
	// spotMaxPrice (https://learn.microsoft.com/azure/aks/spot-node-pool#limitations).
	MaxSpotPriceDecimals = 5
)

var (
	poolModes        = []string{spec.PoolModeUser, spec.PoolModeSystem}
	poolOSSkus       = []string{spec.OSSkuUbuntu, spec.OSSkuAzureLinux}
	poolPriorities   = []string{spec.PriorityRegular, spec.PrioritySpot}
	evictionPolicies = []string{spec.EvictionDelete, spec.EvictionDeallocate}
	// taintEffects are the effects a Kubernetes taint takes
	// (https://learn.microsoft.com/azure/aks/use-node-taints).
	taintEffects = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	// aksLabelPrefix is the label prefix AKS keeps for its own labels and
	// refuses on any node; it keeps kubernetes.io too, one of
	// kubernetesLabelPrefixes (aks-rules 12.6,
	// https://learn.microsoft.com/azure/aks/use-labels#reserved-prefixes).
	aksLabelPrefix = "kubernetes.azure.com"
	// aksSystemLabels are AKS's reserved system labels outside its prefix,
	// which it sets on every node and refuses to change (aks-rules 12.6,
	// https://learn.microsoft.com/azure/aks/use-labels#reserved-system-labels).
	aksSystemLabels = []string{
		"kubernetes.io/arch", "kubernetes.io/os", "kubernetes.io/hostname",
		"node.kubernetes.io/instance-type", "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
	}
	// kubeletLabels are the labels under Kubernetes' prefixes that the
	// kubelet sets on its own node and so takes in --node-labels
	// (k8s.io/kubelet pkg/apis/well_known_labels.go, kubeletLabels); those
	// AKS does not keep for itself are the deprecated beta ones (aks-rules 12.7).
	kubeletLabels = []string{
		"kubernetes.io/hostname", "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
		"failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
		"beta.kubernetes.io/instance-type", "node.kubernetes.io/instance-type",
		"kubernetes.io/os", "kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
	}
	// nodeLabelPrefixes are the prefixes under Kubernetes' under which a
	// pool takes any label, with their subdomains: the kubelet's
	// (kubeletLabelNamespaces there), and node-role.kubernetes.io, which AKS
	// takes since Azure/AKS#4628 (aks-rules 12.7).
	nodeLabelPrefixes = []string{"kubelet.kubernetes.io", "node.kubernetes.io", "node-role.kubernetes.io"}
	// kubernetesLabelPrefixes are the prefixes Kubernetes reserves, with
	// their subdomains (https://kubernetes.io/docs/reference/labels-annotations-taints/).
	kubernetesLabelPrefixes = []string{"kubernetes.io", "k8s.io"}
)

// Kubernetes label syntax
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set):
// a key is an optional prefix, a DNS subdomain of at most 253 characters, and
// "/", then a name; a value is empty or has a name's form.
var (
	labelName = nameRule{
		kind: "label", min: 1, max: 63,
		char: isAlnumOr("-_."), first: isAlnum, last: isAlnum,
		summary: `1-63 characters: letters, digits, "-", "_" and ".", starting and ending with a letter or digit`,
	}
	dnsSubdomain     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	labelKeySyntax   = `an optional DNS subdomain and "/", then a name of ` + labelName.summary
	labelValueSyntax = "empty or " + labelName.summary
	// spotTaintKey and spotTaintEffect are spec.SpotTaint's.
	spotTaintKey, _, spotTaintEffect, _ = parseTaint(spec.SpotTaint)
	// systemTaintKey is the taint key AKS takes on a System-mode pool with
	// any effect; systemTaintEffect is the effect it takes with any key.
	systemTaintKey, _, _, _ = parseTaint(spec.CriticalAddonsOnly)
	systemTaintEffect       = "PreferNoSchedule"
)

// maxLabelPrefixLen is the longest prefix of a label key, a DNS subdomain.
const maxLabelPrefixLen = 253

// checkPools is rule 16: every entry of aks-kubenet:pools is a node pool AKS
// takes beside the inline system pool. Its name is a Linux pool name no other
// pool has; its VM size, counts, maxPods, maxSurge, mode, OS SKU, zones,
// labels, taints and Spot settings have values AKS takes; and the cluster has
// at most 100 pools. It warns when every pool is Spot while the system pool is
// tainted CriticalAddonsOnly. The pools' capacity in the pod CIDR, the node
// subnet and the route table is checkCapacity's.
func (c *checker) checkPools() {
	pools := c.s.Pools
	if n := len(pools) + 1; n > MaxNodePools {
		c.errorf(keys(pathPools), "%s has %d pools, %d with the system pool: an AKS cluster has at most %d node pools",
			pathPools, len(pools), n, MaxNodePools)
	}
	names := map[string]int{} // pool name -> index of its first pool
	for i, p := range pools {
		c.checkPoolName(i, p.Name, names)
		c.checkPoolVMSize(i, p.VMSize)
		c.checkPoolCounts(i, p)
		if _, err := p.SurgeNodes(); err != nil {
			// https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling
			key := spec.At(spec.PathPoolsMaxSurge, i)
			c.errorf(keys(key), "%s %s is neither a node count such as 1 nor a percentage from 1%% to 100%%", key, abbreviate(string(p.MaxSurge)))
		}
		c.checkPoolMode(i, p)
		// Linux only: the Cilium dataplane of an Overlay cluster runs no
		// Windows nodes (aks-rules 10.11), and with no Windows SKU here there
		// is nothing to check for it.
		if key := spec.At(spec.PathPoolsOSSku, i); !slices.Contains(poolOSSkus, p.OSSku) {
			c.errorf(keys(key), "%s %s is not a Linux OS SKU the program runs: want %s", key, abbreviate(p.OSSku), join("or", poolOSSkus))
		}
		c.checkZoneList(spec.At(spec.PathPoolsZones, i), p.Zones)
		c.checkLabels(i, p.Labels)
		c.checkTaints(i, p)
		c.checkSpot(i, p)
	}
	// A Spot pool may lose every node at once; with the system pool closed to
	// workloads nothing else runs them.
	if len(c.s.SystemPoolTaints()) > 0 && !slices.ContainsFunc(pools, func(p spec.Pool) bool { return !p.Spot() }) {
		c.warnf(keys(pathPools, spec.PathClusterCriticalAddonsOnly), "every pool in %s is Spot and %s taints the system pool CriticalAddonsOnly: workloads run only on nodes Azure can evict at any time; add a Regular pool, or set %s false",
			pathPools, spec.PathClusterCriticalAddonsOnly, spec.PathClusterCriticalAddonsOnly)
	}
}

// checkPoolName checks the name of pool i: a Linux node pool name
// (https://learn.microsoft.com/azure/aks/create-node-pools#limitations), not
// the system pool's, and not a name an earlier pool has; names maps the names
// seen so far to their pools.
func (c *checker) checkPoolName(i int, name string, names map[string]int) {
	key := spec.At(spec.PathPoolsName, i)
	if !c.checkName(key, name, nodePoolName) {
		return
	}
	// A pool is the agent pool of its name: a second pool of a name would
	// take over the first, or the system pool.
	j, dup := names[name]
	switch {
	case name == c.s.Cluster.NodePoolName:
		c.errorf(keys(key, spec.PathClusterNodePoolName), "%s %q is %s, the system pool's name: node pool names are unique in a cluster", key, name, spec.PathClusterNodePoolName)
	case dup:
		c.errorf(keys(key, spec.At(spec.PathPoolsName, j)), "%s %q repeats %s: node pool names are unique in a cluster", key, name, spec.At(spec.PathPoolsName, j))
	default:
		names[name] = i
	}
}

// checkPoolVMSize checks the VM size of pool i: set, and without spaces.
func (c *checker) checkPoolVMSize(i int, size string) {
	key := spec.At(spec.PathPoolsVMSize, i)
	switch {
	case size == "":
		c.errorf(keys(key), "%s is missing: set the nodes' VM size, such as %s", key, spec.DefaultVMSize)
	case strings.ContainsFunc(size, unicode.IsSpace):
		c.errorf(keys(key), "%s %s contains a space: VM sizes have none, such as %s", key, abbreviate(size), spec.DefaultVMSize)
	}
}

// checkPoolCounts checks the node counts of pool i and its maxPods. A user
// pool may have or scale to 0 nodes, a System-mode pool needs at least one
// (https://learn.microsoft.com/azure/aks/create-node-pools#limitations); no
// pool has more than 1,000 (aks-rules 2.9).
func (c *checker) checkPoolCounts(i int, p spec.Pool) {
	nodeKey, minKey, maxKey := spec.At(spec.PathPoolsNodeCount, i), spec.At(spec.PathPoolsMinCount, i), spec.At(spec.PathPoolsMaxCount, i)
	system := p.Mode == spec.PoolModeSystem
	if p.NodeCount == nil && !p.Autoscaling() {
		c.errorf(keys(nodeKey), "%s is missing: set the pool's node count, or %s and %s to autoscale it", nodeKey, minKey, maxKey)
	}
	counts := poolCounts{minKey, nodeKey, maxKey, p.MinCount, p.NodeCount, p.MaxCount}
	c.checkAutoscalerBounds(counts, "the pool")
	for _, n := range []struct {
		key   string
		count *int
	}{{nodeKey, p.NodeCount}, {minKey, p.MinCount}} {
		switch {
		case n.count == nil:
		case system && *n.count < 1:
			c.errorf(keys(n.key), "%s %d is less than 1: a System-mode pool needs at least one node", n.key, *n.count)
		case *n.count < 0:
			c.errorf(keys(n.key), "%s %d is negative: a user pool has 0 nodes or more", n.key, *n.count)
		}
	}
	c.checkCountOrder(counts, "minCount <= nodeCount <= maxCount")
	largestKey := nodeKey
	if p.MaxCount != nil {
		largestKey = maxKey
	}
	if n := p.MaxNodes(); n > MaxPoolNodes {
		c.errorf(keys(largestKey), "%s %d exceeds %d, the most nodes AKS puts in one node pool", largestKey, n, MaxPoolNodes)
	}
	smallestKey, smallest := nodeKey, p.NodeCount
	if p.MinCount != nil {
		smallestKey, smallest = minKey, p.MinCount
	}
	c.checkPodsPerNode(spec.At(spec.PathPoolsMaxPods, i), p.MaxPods, smallestKey, smallest, system, "the pool")
}

// checkPodsPerNode checks a pool's maxPods, the value of maxPodsKey: set, and
// in kubenet's range of 10-250 (aks-rules 2.5), Azure CNI Overlay's too
// (aks-rules 10.1). For a system pool, one that
// hosts the system pods, it also checks that the pool has room for 30 pods at
// its smallest, smallest nodes (the value of smallestKey: minCount when
// autoscaling, else nodeCount); a smallest that is unset or below 1 is the
// count checks'. pool names the pool in messages ("the system pool").
func (c *checker) checkPodsPerNode(maxPodsKey string, maxPods *int, smallestKey string, smallest *int, system bool, pool string) {
	switch {
	case c.s.Cluster.Overlay() && maxPods == nil:
		c.errorf(keys(maxPodsKey), "%s is missing: set the pods per node, from %d to %d (Azure CNI Overlay's default is %d; aks-rules 10.1)", maxPodsKey, minMaxPods, ipplan.MaxOverlayPodsPerNode, spec.DefaultOverlayMaxPods)
		return
	case c.s.Cluster.Overlay() && (*maxPods < minMaxPods || *maxPods > ipplan.MaxOverlayPodsPerNode):
		c.errorf(keys(maxPodsKey, spec.PathClusterNetworkPlugin), "%s %d is outside %d-%d, the pods per node Azure CNI Overlay allows: each node's pods share its /24 of the pod CIDR (aks-rules 10.1)", maxPodsKey, *maxPods, minMaxPods, ipplan.MaxOverlayPodsPerNode)
		return
	case maxPods == nil:
		c.errorf(keys(maxPodsKey), "%s is missing: set the pods per node, from %d to %d (kubenet's default is 110)", maxPodsKey, minMaxPods, maxMaxPods)
		return
	case *maxPods < minMaxPods || *maxPods > maxMaxPods:
		c.errorf(keys(maxPodsKey), "%s %d is outside %d-%d, the pods per node kubenet allows", maxPodsKey, *maxPods, minMaxPods, maxMaxPods)
		return
	}
	if !system || smallest == nil || *smallest < 1 {
		return
	}
	// https://learn.microsoft.com/azure/aks/use-system-pools: system node
	// pools must support at least 30 pods. Compared as nodes, not pods, so
	// that a huge count cannot overflow.
	if need := (minSystemPoolPods + *maxPods - 1) / *maxPods; *smallest < need {
		c.errorf(keys(maxPodsKey, smallestKey), "%s %d × %s %d gives %s room for %d pods at its smallest, but a system pool needs room for at least %d",
			maxPodsKey, *maxPods, smallestKey, *smallest, pool, *maxPods**smallest, minSystemPoolPods)
	}
}

// checkPoolMode checks the mode of pool i: User or System, and User for a
// Spot pool. AKS takes Spot pools only as user pools
// (https://learn.microsoft.com/azure/aks/use-system-pools: "Spot node pools
// require user node pools"; https://learn.microsoft.com/azure/aks/spot-node-pool#limitations).
func (c *checker) checkPoolMode(i int, p spec.Pool) {
	key := spec.At(spec.PathPoolsMode, i)
	switch {
	case !slices.Contains(poolModes, p.Mode):
		c.errorf(keys(key), "%s %s is not a node pool mode: want %s", key, abbreviate(p.Mode), join("or", poolModes))
	case p.Mode == spec.PoolModeSystem && p.Spot():
		c.errorf(keys(key, spec.At(spec.PathPoolsPriority, i)), "%s %s with %s %s: AKS takes Spot pools only as user pools; set %s %s",
			key, p.Mode, spec.At(spec.PathPoolsPriority, i), p.Priority, key, spec.PoolModeUser)
	}
}

// checkLabels checks the labels of pool i, in key order: Kubernetes label
// syntax, and no key AKS or the kubelet keeps for itself (reservedLabel).
func (c *checker) checkLabels(i int, labels map[string]string) {
	key := spec.At(spec.PathPoolsLabels, i)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if why := labelKeyProblem(k); why != "" {
			c.errorf(keys(key), "%s key %s %s: label keys are %s", key, abbreviate(k), why, labelKeySyntax)
		} else {
			c.checkReservedLabel(key, k)
		}
		if why := labelValueProblem(labels[k]); why != "" {
			c.errorf(keys(key), "%s value %s of %s %s: label values are %s", key, abbreviate(labels[k]), abbreviate(k), why, labelValueSyntax)
		}
	}
}

// Why a pool may not carry a label key, as reservedLabel tells.
const (
	labelFree       = iota // a pool may carry it
	labelOfAKS             // one of AKS's system labels
	labelAKSPrefix         // under AKS's own prefix
	labelKubernetes        // under Kubernetes' prefixes, which the kubelet refuses
)

// reservedLabel tells whether a pool may carry the label key k, which has
// Kubernetes' syntax: AKS keeps its prefix and its system labels (aks-rules
// 12.6); under Kubernetes' prefixes and their subdomains it takes only what
// the kubelet takes in --node-labels (aks-rules 12.7).
func reservedLabel(k string) int {
	prefix, _, prefixed := strings.Cut(k, "/")
	switch {
	case !prefixed:
		return labelFree
	case slices.Contains(aksSystemLabels, k):
		return labelOfAKS
	case prefix == aksLabelPrefix:
		return labelAKSPrefix
	case underAny(prefix, kubernetesLabelPrefixes) && !slices.Contains(kubeletLabels, k) && !underAny(prefix, nodeLabelPrefixes):
		return labelKubernetes
	}
	return labelFree
}

// checkReservedLabel reports the label key k of a pool, the key of whose
// labels is key, when the pool may not carry it (reservedLabel). AKS refuses
// one under Kubernetes' prefixes with BadRequest ("node label keys in the
// 'kubernetes.io' or 'k8s.io' namespace must begin with an allowed prefix");
// no code is documented for the others.
func (c *checker) checkReservedLabel(key, k string) {
	prefix, _, _ := strings.Cut(k, "/")
	switch reservedLabel(k) {
	case labelOfAKS:
		c.errorf(keys(key), "%s key %s is a label AKS sets on every node itself (aks-rules 12.6)", key, abbreviate(k))
	case labelAKSPrefix:
		c.errorf(keys(key), "%s key %s has the prefix %s/, which AKS reserves for its own labels (aks-rules 12.6)", key, abbreviate(k), prefix)
	case labelKubernetes:
		c.refusef(CodeBadRequest, keys(key), "%s key %s has the prefix %s/, which Kubernetes reserves: under kubernetes.io and k8s.io a node takes only labels under %s and their subdomains, and the kubelet's own (aks-rules 12.7)",
			key, abbreviate(k), prefix, join("or", nodeLabelPrefixes))
	}
}

// underAny reports whether the label prefix p is one of domains or a
// subdomain of one: "node.kubernetes.io" and "a.node.kubernetes.io" are
// under "node.kubernetes.io", "xnode.kubernetes.io" is not.
func underAny(p string, domains []string) bool {
	return slices.ContainsFunc(domains, func(d string) bool { return p == d || strings.HasSuffix(p, "."+d) })
}

// labelKeyProblem returns what is wrong with k as a Kubernetes label key
// ("is empty", `has a name that starts with '-'`), or "" when nothing is.
func labelKeyProblem(k string) string {
	prefix, name, prefixed := strings.Cut(k, "/")
	if !prefixed {
		if k == "" {
			return "is empty"
		}
		return labelName.problem(k)
	}
	switch {
	case prefix == "":
		return `has an empty prefix before "/"`
	case len(prefix) > maxLabelPrefixLen:
		return fmt.Sprintf("has a prefix of %d characters, more than %d", len(prefix), maxLabelPrefixLen)
	case !dnsSubdomain.MatchString(prefix):
		return fmt.Sprintf("has the prefix %s, which is not a DNS subdomain (lower-case letters, digits, \"-\" and \".\")", abbreviate(prefix))
	case name == "":
		return `has no name after "/"`
	}
	if why := labelName.problem(name); why != "" {
		return "has a name that " + why
	}
	return ""
}

// labelValueProblem returns what is wrong with v as a Kubernetes label value,
// or "" when nothing is.
func labelValueProblem(v string) string {
	if v == "" {
		return ""
	}
	return labelName.problem(v)
}

// checkTaints checks the taints of pool i: each "key=value:Effect" or
// "key:Effect" with a label key, a label value and a Kubernetes effect, no two
// with the same key and effect, which Kubernetes refuses ("taints must be
// unique by key and effect pair", k8s.io/kubernetes pkg/apis/core/validation).
// A Spot pool may list spec.SpotTaint, which AKS puts on its nodes anyway, but
// no other taint of that key and effect.
// A System-mode pool takes only the CriticalAddonsOnly key or the
// PreferNoSchedule effect: AKS keeps system pods schedulable there and refuses
// other taints with SystemPoolHasRestrictedTaint
// (https://learn.microsoft.com/azure/aks/use-system-pools, Azure/AKS#2578).
func (c *checker) checkTaints(i int, p spec.Pool) {
	seen := map[[2]string]int{} // key and effect -> index of the first taint
	for j, taint := range p.Taints {
		key := spec.Index(spec.At(spec.PathPoolsTaints, i), j)
		k, v, effect, ok := parseTaint(taint)
		if !ok {
			c.errorf(keys(key), "%s %s is not a taint: want key=value:Effect or key:Effect, such as sku=gpu:NoSchedule", key, abbreviate(taint))
			continue
		}
		valid := true
		if why := labelKeyProblem(k); why != "" {
			c.errorf(keys(key), "%s %s has the key %s, which %s: taint keys are label keys, %s", key, abbreviate(taint), abbreviate(k), why, labelKeySyntax)
			valid = false
		}
		if why := labelValueProblem(v); why != "" {
			c.errorf(keys(key), "%s %s has the value %s, which %s: taint values are %s", key, abbreviate(taint), abbreviate(v), why, labelValueSyntax)
			valid = false
		}
		if !slices.Contains(taintEffects, effect) {
			c.errorf(keys(key), "%s %s has the effect %s: want %s", key, abbreviate(taint), abbreviate(effect), join("or", taintEffects))
			valid = false
		}
		if !valid {
			continue
		}
		if first, dup := seen[[2]string{k, effect}]; dup {
			firstKey := spec.Index(spec.At(spec.PathPoolsTaints, i), first)
			c.errorf(keys(key, firstKey), "%s %s has the key and effect of %s: Kubernetes takes one taint per key and effect", key, abbreviate(taint), firstKey)
			continue
		}
		seen[[2]string{k, effect}] = j
		if p.Spot() && k == spotTaintKey && effect == spotTaintEffect && taint != spec.SpotTaint {
			c.errorf(keys(key), "%s %s has the key and effect of %s, which AKS puts on every Spot node: list that taint or none of its key and effect",
				key, abbreviate(taint), spec.SpotTaint)
		}
		if p.Mode == spec.PoolModeSystem && k != systemTaintKey && effect != systemTaintEffect {
			c.refusef(CodeSystemPoolHasRestrictedTaint, keys(key, spec.At(spec.PathPoolsMode, i)), "%s %s is on a pool of %s %s: AKS refuses a System pool's taints unless the key is %s or the effect %s; set %s %s, or change the taint",
				key, abbreviate(taint), spec.At(spec.PathPoolsMode, i), p.Mode, systemTaintKey, systemTaintEffect, spec.At(spec.PathPoolsMode, i), spec.PoolModeUser)
		}
	}
}

// parseTaint splits a taint "key=value:Effect" or "key:Effect" at its last
// ":" and its first "="; ok is false without a ":".
func parseTaint(taint string) (key, value, effect string, ok bool) {
	colon := strings.LastIndexByte(taint, ':')
	if colon < 0 {
		return "", "", "", false
	}
	key, value, _ = strings.Cut(taint[:colon], "=")
	return key, value, taint[colon+1:], true
}

// checkSpot checks the priority of pool i and its Spot settings: the eviction
// policy and the price cap belong to Spot pools only; a Spot pool's eviction
// policy is Delete or Deallocate, and its price cap is -1 (up to the
// on-demand price) or a price above 0 with at most five decimal places
// (https://learn.microsoft.com/azure/aks/spot-node-pool).
func (c *checker) checkSpot(i int, p spec.Pool) {
	priorityKey, evictionKey, priceKey := spec.At(spec.PathPoolsPriority, i), spec.At(spec.PathPoolsEvictionPolicy, i), spec.At(spec.PathPoolsSpotMaxPrice, i)
	switch p.Priority {
	case spec.PriorityRegular:
		if p.EvictionPolicy != "" {
			c.errorf(keys(evictionKey, priorityKey), "%s %s is set but %s is %s: only a Spot pool has an eviction policy",
				evictionKey, abbreviate(p.EvictionPolicy), priorityKey, p.Priority)
		}
		if p.SpotMaxPrice != nil {
			c.errorf(keys(priceKey, priorityKey), "%s %s is set but %s is %s: only a Spot pool has a price cap",
				priceKey, formatPrice(*p.SpotMaxPrice), priorityKey, p.Priority)
		}
		return
	case spec.PrioritySpot:
	default:
		c.errorf(keys(priorityKey), "%s %s is not a node pool priority: want %s", priorityKey, abbreviate(p.Priority), join("or", poolPriorities))
		return
	}
	if !slices.Contains(evictionPolicies, p.EvictionPolicy) {
		c.errorf(keys(evictionKey), "%s %s is not an eviction policy: want %s", evictionKey, abbreviate(p.EvictionPolicy), join("or", evictionPolicies))
	}
	if p.SpotMaxPrice == nil {
		return // AKS's default, -1
	}
	price := *p.SpotMaxPrice
	switch {
	case price != -1 && !(price > 0 && !math.IsInf(price, 1)):
		c.errorf(keys(priceKey), "%s %s is neither -1 nor a price above 0: set the most a node may cost per hour in US dollars, such as 0.05, or -1 for up to the on-demand price",
			priceKey, formatPrice(price))
	case decimals(price) > MaxSpotPriceDecimals:
		c.errorf(keys(priceKey), "%s %s has %d decimal places: AKS takes a price in US dollars with at most %d, such as 0.98765",
			priceKey, formatPrice(price), decimals(price), MaxSpotPriceDecimals)
	}
}

// formatPrice returns price in its shortest decimal form, "0.05", "-1", never with an exponent.
func formatPrice(price float64) string { return strconv.FormatFloat(price, 'f', -1, 64) }

// decimals returns the number of decimal places of price in its shortest
// decimal form: 0.98765 has 5, 1e-07 has 7.
func decimals(price float64) int {
	s := strconv.FormatFloat(price, 'f', -1, 64)
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		return len(s) - dot - 1
	}
	return 0
}
