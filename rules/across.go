package rules

import (
	"fmt"

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
// to Check. The result is in stack order, then config order.
func CheckAcross(stacks []spec.Stack) []Finding {
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
					Keys: keys(keyVnetCidr),
					Message: fmt.Sprintf("stack %s %s %s overlaps stack %s %s %s: the two VNets cannot be peered to one hub or to each other",
						a.Name, keyVnetCidr, vnetA, b.Name, keyVnetCidr, vnetB),
				})
			}
			for k, cidr := range b.Network.PeeredCidrs {
				peered, err := ipplan.ParsePrefix(cidr)
				if err != nil || !ipplan.Overlaps(vnetA, peered) {
					continue
				}
				findings = append(findings, Finding{
					Keys: keys(keyVnetCidr, peeredKey(k)),
					Message: fmt.Sprintf("stack %s %s %s overlaps stack %s %s %s: stack %s would route to addresses that stack %s holds itself",
						a.Name, keyVnetCidr, vnetA, b.Name, peeredKey(k), peered, b.Name, a.Name),
				})
			}
		}
	}
	return findings
}
