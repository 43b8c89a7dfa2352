package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// CheckAcross checks stacks against each other, for a project whose stacks
// are spokes peered to one hub: no stack's VNet may overlap another stack's
// VNet, nor a range another stack reaches through peering (its peeredCidrs).
// Azure refuses to peer VNets with overlapping address spaces
// (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints),
// and a spoke cannot route to a range it also holds. Each finding names both
// stacks (spec.Stack.Name) and both ranges. Ranges that do not parse are left
// to Check.
//
// Pod CIDRs: two Azure CNI Overlay stacks may share one, as AKS says
// (aks-rules 10.6): their pods live behind each cluster's overlay. A kubenet
// cluster's pod CIDR is routed in its VNet and must be unused anywhere else
// in the network (aks-rules 3.3), which here is every stack's: a kubenet
// stack whose pod CIDR overlaps another stack's is refused, whichever mode
// the other is. A pod CIDR that overlaps a range its own stack reaches is
// Check's.
//
// It also refuses two stacks that would create one Azure resource: see
// checkNameCollisions.
//
// The result is the address findings in stack order, then config order, then
// the name findings in stack order, then config order.
func CheckAcross(stacks []spec.Stack) []Finding {
	return slices.Concat(checkOverlaps(stacks), checkPodCIDRs(stacks), checkNameCollisions(stacks))
}

// checkPodCIDRs is CheckAcross for the pod CIDRs: a pair of stacks whose pod
// CIDRs overlap, one of them kubenet.
func checkPodCIDRs(stacks []spec.Stack) []Finding {
	var findings []Finding
	for i, a := range stacks {
		podA, err := ipplan.ParsePrefix(a.Cluster.PodCidr)
		if err != nil {
			continue
		}
		for _, b := range stacks[i+1:] {
			podB, err := ipplan.ParsePrefix(b.Cluster.PodCidr)
			if err != nil || !ipplan.Overlaps(podA, podB) || a.Cluster.Overlay() && b.Cluster.Overlay() {
				continue
			}
			kubenet := a.Name
			if a.Cluster.Overlay() {
				kubenet = b.Name
			}
			findings = append(findings, Finding{
				Keys: keys(spec.PathClusterPodCidr),
				Message: fmt.Sprintf("stack %s %s %s overlaps stack %s %s %s: stack %s is kubenet, whose pod range is routed in its VNet and must be unused anywhere else in the network (aks-rules 3.3); give it a range of its own (two Azure CNI Overlay stacks may share one, aks-rules 10.6)",
					a.Name, spec.PathClusterPodCidr, podA, b.Name, spec.PathClusterPodCidr, podB, kubenet),
			})
		}
	}
	return findings
}

// reachedRange is a range a stack reaches through peering, with its key.
type reachedRange struct{ key, cidr string }

// reachedRanges are the ranges s reaches through peering: its peeredCidrs and
// its hub's address space, which counts as peered.
func reachedRanges(s spec.Stack) []reachedRange {
	var out []reachedRange
	for k, cidr := range s.Network.PeeredCidrs {
		out = append(out, reachedRange{spec.Index(spec.PathNetworkPeeredCidrs, k), cidr})
	}
	if s.Hub != nil {
		for k, cidr := range s.Hub.AddressSpace {
			out = append(out, reachedRange{spec.Index(spec.PathHubAddressSpace, k), cidr})
		}
	}
	return out
}

// checkOverlaps is CheckAcross for the address spaces.
func checkOverlaps(stacks []spec.Stack) []Finding {
	var findings []Finding
	for i, a := range stacks {
		vnetA, err := ipplan.ParsePrefix(a.Network.VnetCidr)
		if err != nil {
			continue
		}
		for j, b := range stacks {
			if i == j {
				continue
			}
			if vnetB, err := ipplan.ParsePrefix(b.Network.VnetCidr); err == nil && i < j && ipplan.Overlaps(vnetA, vnetB) {
				findings = append(findings, Finding{
					Keys: keys(spec.PathNetworkVnetCidr),
					Message: fmt.Sprintf("stack %s %s %s overlaps stack %s %s %s: the two VNets cannot be peered to one hub or to each other",
						a.Name, spec.PathNetworkVnetCidr, vnetA, b.Name, spec.PathNetworkVnetCidr, vnetB),
				})
			}
			for _, r := range reachedRanges(b) {
				peered, err := ipplan.ParsePrefix(r.cidr)
				if err != nil || !ipplan.Overlaps(vnetA, peered) {
					continue
				}
				findings = append(findings, Finding{
					Keys: keys(spec.PathNetworkVnetCidr, r.key),
					Message: fmt.Sprintf("stack %s %s %s overlaps stack %s %s %s: stack %s would route to addresses that stack %s holds itself",
						a.Name, spec.PathNetworkVnetCidr, vnetA, b.Name, r.key, peered, b.Name, a.Name),
				})
			}
		}
	}
	return findings
}

// A claim is a name a stack gives one Azure resource it creates, or uses.
type claim struct {
	// kind is what the name names, for messages: "route table".
	kind string
	// key is the config key that sets the name, "network.routeTableName".
	key, name string
	// group is true for a resource group, whose name is unique in its
	// subscription; every other name is unique in its resource group (and
	// kind).
	group bool
	// shared is true for an existing resource group, which the stack only
	// looks up: two stacks may share one on purpose.
	shared bool
}

// claims returns the names s would give the resources it creates, in config
// order. The NSG counts only when the stack has one.
func claims(s spec.Stack) []claim {
	groupKey := s.ResourceGroupKey
	if groupKey == "" {
		groupKey = spec.Project + ":" + spec.PathResourceGroupName
	}
	n, c := s.Network, s.Cluster
	out := []claim{{kind: "resource group", key: groupKey, name: s.ResourceGroup.Name, group: true, shared: s.ResourceGroup.Existing}}
	if c.NodeResourceGroup != "" {
		out = append(out, claim{kind: "resource group", key: spec.PathClusterNodeResourceGroup, name: c.NodeResourceGroup, group: true})
	}
	out = append(out,
		claim{kind: "VNet", key: spec.PathNetworkVnetName, name: n.VnetName},
		claim{kind: "route table", key: spec.PathNetworkRouteTableName, name: n.RouteTableName},
	)
	if n.NSG {
		out = append(out, claim{kind: "network security group", key: spec.PathNetworkNSGName, name: n.NSGName})
	}
	return append(out,
		claim{kind: "user-assigned identity", key: spec.PathClusterIdentityName, name: c.IdentityName},
		claim{kind: "AKS cluster", key: spec.PathClusterName, name: c.Name},
	)
}

// checkNameCollisions refuses two stacks that would create a resource group,
// AKS cluster, VNet, route table, user-assigned identity or network security
// group of the same name in the same subscription: both would manage the one
// resource, and each pulumi up would undo the other's (or the second would
// fail, or one stack's destroy would delete the other's resources). This is
// what copying Pulumi.prod.yaml to add a region, and not renaming, does.
//
// Azure names compare case-insensitively. A resource group collides on its
// name in the subscription (a cluster's nodeResourceGroup counts as one),
// unless both stacks use it as an existing group (resourceGroup.existing: they
// share it on purpose); every other resource collides only in the same
// resource group. Two stacks in different subscriptions never collide; a
// stack without azure-native:subscriptionId, or with the placeholder, deploys
// wherever the Azure login points, so it may share a subscription with any
// other stack, and it does collide. Empty names are left to Check.
func checkNameCollisions(stacks []spec.Stack) []Finding {
	var findings []Finding
	for i, a := range stacks {
		for _, b := range stacks[i+1:] {
			where, same := sameSubscription(a, b)
			if !same {
				continue
			}
			for _, ca := range claims(a) {
				for _, cb := range claims(b) {
					if ca.name == "" || !strings.EqualFold(ca.name, cb.name) || ca.group != cb.group {
						continue
					}
					scope := ""
					switch {
					case ca.group && ca.shared && cb.shared:
						continue
					case !ca.group && (ca.kind != cb.kind || !strings.EqualFold(a.ResourceGroup.Name, b.ResourceGroup.Name)):
						continue
					case !ca.group:
						scope = ", resource group " + a.ResourceGroup.Name
					}
					findings = append(findings, Finding{
						Keys: dedupe(ca.key, cb.key),
						Message: fmt.Sprintf("stacks %s and %s both name the %s %s (%s) %s%s: two stacks would fight over one resource; give each stack its own names",
							a.Name, b.Name, ca.kind, ca.name, claimKeys(a.Name, ca, b.Name, cb), where, scope),
					})
				}
			}
		}
	}
	return findings
}

// sameSubscription reports whether stacks a and b may deploy into the same
// subscription, and says which, for a message: "in subscription <id>".
func sameSubscription(a, b spec.Stack) (string, bool) {
	subA, subB := subscription(a), subscription(b)
	switch {
	case subA == "" && subB == "":
		return fmt.Sprintf("in the same subscription (neither stack names its own in %s: unset or the placeholder)", spec.KeySubscriptionID), true
	case subA == "":
		return fmt.Sprintf("in subscription %s (stack %s names none in %s, so it deploys wherever the Azure login points)", b.Subscription, a.Name, spec.KeySubscriptionID), true
	case subB == "":
		return fmt.Sprintf("in subscription %s (stack %s names none in %s, so it deploys wherever the Azure login points)", a.Subscription, b.Name, spec.KeySubscriptionID), true
	case subA == subB:
		return "in subscription " + a.Subscription, true
	}
	return "", false
}

// subscription is the stack's subscription id in lower case (GUIDs ignore
// case), or "" when it names none or the placeholder.
func subscription(s spec.Stack) string {
	sub := strings.ToLower(strings.TrimSpace(s.Subscription))
	if sub == spec.PlaceholderSubscription {
		return ""
	}
	return sub
}

// claimKeys names the key of two colliding claims, "network.routeTableName",
// each stack's when they differ, and the second spelling of a name that
// differs only in case.
func claimKeys(nameA string, a claim, nameB string, b claim) string {
	text := a.key
	if a.key != b.key {
		text = fmt.Sprintf("stack %s %s, stack %s %s", nameA, a.key, nameB, b.key)
	}
	if a.name != b.name {
		text += fmt.Sprintf("; stack %s spells it %s, and Azure names ignore case", nameB, b.name)
	}
	return text
}

// dedupe returns the keys without repeats, in order.
func dedupe(k ...string) []string {
	var out []string
	for _, key := range k {
		if !slices.Contains(out, key) {
			out = append(out, key)
		}
	}
	return out
}
