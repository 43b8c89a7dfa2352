package migration

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Live is what the live preflight reads from Azure, in plain Go.
type Live struct {
	// ClusterID is the cluster's resource id; ProvisioningState its
	// provisioningState; KubernetesVersion the version it runs,
	// MAJOR.MINOR.PATCH.
	ClusterID, ProvisioningState, KubernetesVersion string
	// Network is its networkProfile.
	Network Network
	// IdentityType is its identity's type: UserAssigned, SystemAssigned, ...
	IdentityType string
	// PrincipalID is the control-plane identity's principal id.
	PrincipalID string
	// Pools are its agent pools.
	Pools []LivePool
	// NodeSubnetIDs are the subnets of its pools.
	NodeSubnetIDs []string
	// RouteTable is the route table of the node subnet.
	RouteTable LiveRouteTable
	// Grants are the role assignments that apply to PrincipalID on the node
	// subnets or the route table, at their scope or above.
	Grants []LiveGrant
}

// LivePool is an agent pool as AKS reports it: Type is
// VirtualMachineScaleSets or AvailabilitySet, MaxSurge its upgrade
// settings' ("" for AKS's default), OSType Linux or Windows.
type LivePool struct {
	Name, VMSize, Type, MaxSurge string
	Count, MaxCount, MaxPods     int
	Autoscaling                  bool
	OSType                       string
}

// LiveRouteTable is the node subnet's route table: its id, the subnets it
// is associated with and its routes.
type LiveRouteTable struct {
	ID        string
	SubnetIDs []string
	Routes    []LiveRoute
}

// LiveRoute is one route of the table.
type LiveRoute struct{ Name, AddressPrefix, NextHopType, NextHopIP string }

// LiveGrant is one role assignment: its scope, role definition id and
// principal.
type LiveGrant struct{ Scope, RoleDefinitionID, PrincipalID string }

// The values of Live that the checks compare with, as ARM spells them.
const (
	stateSucceeded       = "Succeeded"
	identityUserAssigned = "UserAssigned"
	poolScaleSets        = "VirtualMachineScaleSets"
	osWindows            = "Windows"
	defaultRoute         = "0.0.0.0/0"
	// codeMissingPermission is AKS's answer when the cluster identity
	// cannot write the route table (aks-rules 1.17).
	codeMissingPermission = "CustomRouteTableMissingPermission"
)

// The ARM properties live findings name as their keys.
const (
	keyState     = "provisioningState"
	keyNetwork   = "networkProfile"
	keyIdentity  = "identity.type"
	keyVersion   = "kubernetesVersion"
	keyPrincipal = "identity.principalId"
)

// LivePreflight checks the live cluster against s (kubenet, spec.Defaults
// applied) and t, before and between the steps of the move: the runtime
// checks of the migration research (§8.2) and the live halves of its
// checklist (§8.1). It returns errors (refuse the move), warnings and
// infos; Preflight's and Infos' offline findings are not repeated.
func LivePreflight(s spec.Stack, t Target, live Live) Report {
	var r Report
	r.refuse(checkState(live)...)
	steps, err := Plan(live.Network, t)
	if err != nil {
		r.refuse(finding(keys(keyNetwork), "the cluster runs %s, and %v", live.Network, err))
		return r
	}
	pending := Remaining(live.Network, steps)
	if len(pending) == 0 {
		r.Infos = append(r.Infos, finding(keys(keyNetwork), "the cluster runs %s, the target: the move is done", live.Network))
		return r
	}
	r.refuse(checkPodCIDRInSync(s, t, live)...)
	r.refuse(checkIdentity(live)...)
	r.refuse(checkLiveVersion(live, pending)...)
	r.refuse(checkGrants(live)...)
	r.refuse(checkRouteTable(s, live)...)
	r.refuse(checkLivePools(t, live)...)
	peak, errs := checkSurge(s, t, live)
	r.refuse(errs...)
	r.Infos = append(r.Infos, peak)
	r.Infos = append(r.Infos, routeInfos(s, live)...)
	r.Infos = append(r.Infos, windowInfos(live, pending)...)
	return r
}

// refuse adds errors to r.
func (r *Report) refuse(f ...rules.Finding) { r.Errors = append(r.Errors, f...) }

// checkState checks that the cluster is at rest: AKS takes no update while
// another runs, and a failed cluster has to be reconciled first (aks-rules
// 11.21).
func checkState(live Live) []rules.Finding {
	if strings.EqualFold(live.ProvisioningState, stateSucceeded) {
		return nil
	}
	return []rules.Finding{finding(keys(keyState), "the cluster's provisioningState is %q, not %s: wait for the operation that runs to end, or recover a failed cluster, before the move (aks-rules 11.21)",
		live.ProvisioningState, stateSucceeded)}
}

// checkPodCIDRInSync checks that the pod CIDR AKS reports is the stack's
// or the target's: any other means the stack's config is not what runs.
func checkPodCIDRInSync(s spec.Stack, t Target, live Live) []rules.Finding {
	got := live.Network.PodCIDR
	if got == "" || strings.EqualFold(got, s.Cluster.PodCidr) || strings.EqualFold(got, t.PodCIDR) {
		return nil
	}
	return []rules.Finding{finding(keys(spec.PathClusterPodCidr, keyNetwork), "the cluster's pod CIDR is %s, but %s is %s: the stack's config is not what runs; set %s to %s before the move",
		got, spec.PathClusterPodCidr, s.Cluster.PodCidr, spec.PathClusterPodCidr, got)}
}

// checkIdentity is K7: the control plane has a user-assigned identity
// (aks-rules 11.8).
func checkIdentity(live Live) []rules.Finding {
	if strings.EqualFold(live.IdentityType, identityUserAssigned) {
		return nil
	}
	return []rules.Finding{finding(keys(keyIdentity), "the cluster's identity is %q: the move from kubenet needs a user-assigned identity; a system-assigned one is not supported (aks-rules 11.8)",
		live.IdentityType)}
}

// checkLiveVersion is K1's live half: Kubernetes 1.27 or later while the
// move itself is to come (aks-rules 11.2), 1.30 or later while a step that
// turns Calico or Azure Network Policy Manager off, or Calico on, is
// (aks-rules 11.4).
func checkLiveVersion(live Live, pending []Step) []rules.Finding {
	v, ok := ParseVersion(live.KubernetesVersion)
	if !ok {
		return []rules.Finding{finding(keys(keyVersion), "the cluster's Kubernetes version %q is not MAJOR.MINOR.PATCH, so the preflight cannot check it (aks-rules 11.2)", live.KubernetesVersion)}
	}
	need, why := Version{}, ""
	if slices.ContainsFunc(pending, func(st Step) bool { return st.Name == StepOverlay }) {
		need, why = MinVersion, "the move to Azure CNI Overlay needs 1.27 or later (aks-rules 11.2)"
	}
	if st := policyStep(pending); st != "" {
		need, why = MinPolicyVersion, "step "+st+" needs 1.30 or later (aks-rules 11.4)"
	}
	if !v.Less(need) {
		return nil
	}
	return []rules.Finding{finding(keys(keyVersion), "the cluster runs Kubernetes %s, and %s: upgrade it first (az aks upgrade)",
		live.KubernetesVersion, why)}
}

// policyStep is the first pending step that turns a policy engine off or
// Calico on, which AKS takes only from Kubernetes 1.30 (aks-rules 11.4).
func policyStep(pending []Step) string {
	for _, st := range pending {
		if st.Name == StepPolicyNone || st.Name == StepCalico {
			return st.Name
		}
	}
	return ""
}

// checkGrants is K8: the control-plane identity holds Network Contributor
// on each node subnet and on the route table, before the move (aks-rules
// 11.10, 1.14, 1.16).
func checkGrants(live Live) []rules.Finding {
	if live.PrincipalID == "" {
		return []rules.Finding{finding(keys(keyPrincipal), "the cluster's identity has no principal id, so its grants cannot be checked (aks-rules 11.10)")}
	}
	var out []rules.Finding
	for _, id := range live.NodeSubnetIDs {
		if !granted(live, id) {
			out = append(out, finding(keys(id, keyPrincipal), "the cluster's identity (principal %s) holds no %s on the node subnet %s: AKS needs it there during the move and after (aks-rules 11.10, 1.14); grant it and let it take effect (up to an hour) first",
				live.PrincipalID, roles.Names[roles.NetworkContributor], id))
		}
	}
	if id := live.RouteTable.ID; id != "" && !granted(live, id) {
		out = append(out, coded(codeMissingPermission, keys(id, keyPrincipal), "the cluster's identity (principal %s) holds no %s on the route table %s: AKS deletes its routes from it during the move (aks-rules 11.10, 1.16); grant it and let it take effect (up to an hour) first",
			live.PrincipalID, roles.Names[roles.NetworkContributor], id))
	}
	return out
}

// granted reports whether a grant of Network Contributor to the cluster's
// principal applies to the resource id: at its scope or above it.
func granted(live Live, id string) bool {
	return slices.ContainsFunc(live.Grants, func(g LiveGrant) bool {
		return strings.EqualFold(g.PrincipalID, live.PrincipalID) &&
			strings.HasSuffix(strings.ToLower(g.RoleDefinitionID), roles.NetworkContributor) &&
			within(id, g.Scope)
	})
}

// within reports whether resource id is scope or lies under it.
func within(id, scope string) bool {
	id, scope = strings.ToLower(id), strings.TrimSuffix(strings.ToLower(scope), "/")
	return scope != "" && (id == scope || strings.HasPrefix(id, scope+"/"))
}

// sameID reports whether ids holds id, in any case.
func sameID(ids []string, id string) bool {
	return slices.ContainsFunc(ids, func(x string) bool { return strings.EqualFold(x, id) })
}

// checkRouteTable is K9 and K10: the route table stays on every node
// subnet with its 0.0.0.0/0 route to the firewall or gateway, which
// userDefinedRouting needs (aks-rules 11.9, 5.3, 5.4), and it is on no
// other subnet (aks-rules 11.11).
func checkRouteTable(s spec.Stack, live Live) []rules.Finding {
	rt := live.RouteTable
	if rt.ID == "" {
		return []rules.Finding{finding(keys(spec.PathNetworkRouteTableName), "the node subnet has no route table: %s %s needs the route table %s on it (aks-rules 11.9)",
			spec.PathClusterOutboundType, s.Cluster.OutboundType, s.Network.RouteTableName)}
	}
	var out []rules.Finding
	for _, id := range live.NodeSubnetIDs {
		if !sameID(rt.SubnetIDs, id) {
			out = append(out, finding(keys(id, rt.ID), "the node subnet %s is not associated with the route table %s: the move keeps the table on the node subnets (aks-rules 11.9)", id, rt.ID))
		}
	}
	var others []string
	for _, id := range rt.SubnetIDs {
		if !sameID(live.NodeSubnetIDs, id) {
			others = append(others, id)
		}
	}
	if len(others) > 0 {
		out = append(out, finding(append(keys(rt.ID, spec.PathNetworkRouteTableName), others...), "the route table %s is associated with %s besides the node subnets: AKS failed moves whose route table another subnet shares (aks-rules 11.11); give those subnets a table of their own first",
			rt.ID, list(others)))
	}
	if s.Cluster.OutboundType == spec.OutboundUserDefinedRouting {
		out = append(out, checkLiveDefaultRoute(rt)...)
	}
	return out
}

// checkLiveDefaultRoute checks the table's 0.0.0.0/0 route: there, to an
// appliance or a gateway (aks-rules 5.3, 5.4, 11.9).
func checkLiveDefaultRoute(rt LiveRouteTable) []rules.Finding {
	i := slices.IndexFunc(rt.Routes, func(r LiveRoute) bool { return r.AddressPrefix == defaultRoute })
	if i < 0 {
		return []rules.Finding{coded(rules.CodeRouteTableMissingDefaultRoute, keys(rt.ID), "the route table %s has no %s route, which %s needs and the move keeps (aks-rules 5.3, 11.9)",
			rt.ID, defaultRoute, spec.OutboundUserDefinedRouting)}
	}
	switch r := rt.Routes[i]; {
	case strings.EqualFold(r.NextHopType, spec.NextHopVirtualAppliance), strings.EqualFold(r.NextHopType, spec.NextHopVirtualNetworkGateway):
		return nil
	default:
		return []rules.Finding{coded(rules.CodeRouteTableInvalidNextHop, keys(rt.ID), "the route %s (%s) of the route table %s goes to %s, not to %s or %s as %s needs (aks-rules 5.4, 11.9)",
			r.Name, defaultRoute, rt.ID, r.NextHopType, spec.NextHopVirtualAppliance, spec.NextHopVirtualNetworkGateway, spec.OutboundUserDefinedRouting)}
	}
}

// checkLivePools is K18: every pool a scale set on a size Overlay runs
// (aks-rules 11.16), and Linux when the target is Cilium (aks-rules 10.11).
func checkLivePools(t Target, live Live) []rules.Finding {
	var out []rules.Finding
	for _, p := range live.Pools {
		if !strings.EqualFold(p.Type, poolScaleSets) {
			out = append(out, finding(keys(p.Name), "the pool %s is of type %q, not %s: Azure CNI Overlay runs scale sets only (aks-rules 11.16)", p.Name, p.Type, poolScaleSets))
		}
		if dcsv2.MatchString(p.VMSize) {
			out = append(out, finding(keys(p.Name), "the pool %s runs %s, a DCsv2 size, which Azure CNI Overlay does not run (aks-rules 11.16)", p.Name, p.VMSize))
		}
		if t.Dataplane == spec.DataplaneCilium && strings.EqualFold(p.OSType, osWindows) {
			out = append(out, finding(keys(p.Name, FlagDataplane), "the pool %s runs Windows, and the Cilium dataplane runs Linux only (aks-rules 10.11)", p.Name))
		}
	}
	return out
}

// surge is one pool's nodes while every pool surges at once.
type surge struct {
	pool          LivePool
	nodes, extra  int
	cpus          int
	cpusKnown     bool
	surgeReadable bool
}

// surges returns each pool's nodes and surge nodes: maxCount when
// autoscaling, else its count, and its maxSurge, one node when unset, a
// percentage rounded up (aks-rules 11.12).
func surges(live Live) []surge {
	out := make([]surge, len(live.Pools))
	for i, p := range live.Pools {
		nodes := p.Count
		if p.Autoscaling {
			nodes = p.MaxCount
		}
		extra, err := spec.Surge(p.MaxSurge).Nodes(nodes)
		cpus, known := aksfacts.VCPUs(p.VMSize)
		out[i] = surge{pool: p, nodes: nodes, extra: extra, cpus: cpus, cpusKnown: known, surgeReadable: err == nil}
	}
	return out
}

// checkSurge is K15 and K16 on the live pools: the move reimages every pool
// at once, so the node subnet (nodeSubnetCidr of s, after the 5 addresses
// Azure keeps) and the target's pod CIDR (a /24 a node) hold every pool
// with its surge nodes together (aks-rules 11.12). It returns the info of
// the extra nodes and their vCPUs, and the errors.
func checkSurge(s spec.Stack, t Target, live Live) (rules.Finding, []rules.Finding) {
	var errs []rules.Finding
	peak, extra := 0, 0
	var parts []string
	pools := surges(live)
	for _, p := range pools {
		if !p.surgeReadable {
			errs = append(errs, finding(keys(p.pool.Name), "the pool %s's maxSurge %q is neither a node count nor a percentage, so its surge cannot be counted (aks-rules 11.12)", p.pool.Name, p.pool.MaxSurge))
		}
		peak += p.nodes + p.extra
		extra += p.extra
		parts = append(parts, fmt.Sprintf("%s: %d + %d surge", p.pool.Name, p.nodes, p.extra))
	}
	what := strings.Join(parts, "; ")
	if subnet, err := ipplan.ParsePrefix(s.Network.NodeSubnetCidr); err == nil && ipplan.UsableSubnetAddresses(subnet) < peak {
		errs = append(errs, coded(rules.CodeInsufficientSubnetSize, keys(spec.PathNetworkNodeSubnetCidr), "%s %s has %d usable addresses (%d minus the %d Azure keeps), but the move reimages every pool at once and they reach %d nodes (%s) (aks-rules 11.12)",
			spec.PathNetworkNodeSubnetCidr, subnet, ipplan.UsableSubnetAddresses(subnet), ipplan.Addresses(subnet), ipplan.AzureReservedPerSubnet, peak, what))
	}
	if pods, err := ipplan.ParsePrefix(t.PodCIDR); err == nil && ipplan.PodCIDRNodes(pods) < peak {
		errs = append(errs, coded(rules.CodeInsufficientSubnetSize, podKeys(s, t), "the pod CIDR %s holds %d nodes at a /%d each, but the move reimages every pool at once and they reach %d nodes (%s) (aks-rules 11.12, 10.1)",
			pods, ipplan.PodCIDRNodes(pods), ipplan.NodePodBits, peak, what))
	}
	return surgeInfo(pools, extra), errs
}

// podKeys are the keys of the target's pod CIDR: the stack's, and the flag
// when it gave a new one.
func podKeys(s spec.Stack, t Target) []string {
	if keptPodCIDR(s, t) {
		return keys(spec.PathClusterPodCidr)
	}
	return keys(FlagPodCIDR, spec.PathClusterPodCidr)
}

// surgeInfo says how many nodes and vCPUs the simultaneous surge adds, to
// check against the region's vCPU quota (aks-rules 11.12).
func surgeInfo(pools []surge, extra int) rules.Finding {
	var bySize, unknown []string
	cpus := 0
	for _, p := range pools {
		if p.extra == 0 {
			continue
		}
		bySize = append(bySize, fmt.Sprintf("%s: %d %s", p.pool.Name, p.extra, p.pool.VMSize))
		if !p.cpusKnown {
			unknown = append(unknown, p.pool.VMSize)
			continue
		}
		cpus += p.extra * p.cpus
	}
	total := fmt.Sprintf("%d vCPUs", cpus)
	if len(unknown) > 0 {
		total = fmt.Sprintf("%d vCPUs, and unknown for %s", cpus, list(slices.Compact(slices.Sorted(slices.Values(unknown)))))
	}
	return finding(nil, "the move reimages every pool at once, adding %d surge nodes together (%s): %s, which the subscription's vCPU quota for each VM family in the region must have room for (aks-rules 11.12)",
		extra, strings.Join(bySize, "; "), total)
}

// routeInfos says which routes of the table AKS removes in the move, its
// node routes (a /24 of the pod CIDR to a node's address), and which stay
// (aks-rules 11.9).
func routeInfos(s spec.Stack, live Live) []rules.Finding {
	pods, _ := netip.ParsePrefix(cmp.Or(live.Network.PodCIDR, s.Cluster.PodCidr))
	subnet, _ := netip.ParsePrefix(s.Network.NodeSubnetCidr)
	var aks, user []string
	for _, r := range live.RouteTable.Routes {
		if nodeRoute(r, pods, subnet) {
			aks = append(aks, r.Name)
			continue
		}
		hop := r.NextHopType
		if r.NextHopIP != "" {
			hop += " " + r.NextHopIP
		}
		user = append(user, fmt.Sprintf("%s (%s to %s)", r.Name, r.AddressPrefix, hop))
	}
	if len(user) == 0 {
		user = []string{"none"}
	}
	id := live.RouteTable.ID
	name := id[strings.LastIndex(id, "/")+1:]
	var out []rules.Finding
	if len(aks) > 0 {
		out = append(out, finding(keys(id), "AKS removes its %d node routes from the route table %s in the move (aks-rules 11.9)", len(aks), name))
	}
	return append(out, finding(keys(id), "these routes of the route table %s stay: %s (aks-rules 11.9)", name, list(user)))
}

// nodeRoute reports whether r is a route AKS wrote for a kubenet node: a
// part of the pod CIDR to an appliance at a node's address.
func nodeRoute(r LiveRoute, pods, subnet netip.Prefix) bool {
	dst, err := netip.ParsePrefix(r.AddressPrefix)
	hop, errHop := netip.ParseAddr(r.NextHopIP)
	return err == nil && errHop == nil && strings.EqualFold(r.NextHopType, spec.NextHopVirtualAppliance) &&
		ipplan.Contains(pods, dst) && subnet.Contains(hop)
}

// windowInfos says when the cluster runs without network policy, when a
// pending step turns an engine off (aks-rules 11.17).
func windowInfos(live Live, pending []Step) []rules.Finding {
	i := slices.IndexFunc(pending, func(st Step) bool { return st.Name == StepPolicyNone })
	if i < 0 {
		return nil
	}
	end := "from then on: the target has no network policy"
	if last := pending[len(pending)-1]; last.Name == StepCilium || last.Name == StepCalico {
		end = fmt.Sprintf("until step %s has reimaged every pool", last.Name)
	}
	return []rules.Finding{finding(keys(keyNetwork), "network policy %s comes off in step %s, and no policy is enforced %s (aks-rules 11.17)",
		policyOf(live.Network.Policy), StepPolicyNone, end)}
}
