package migration

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Preflight runs the offline checks of the move on s, a kubenet stack with
// spec.Defaults applied, and t: every problem at once, each Finding naming
// the config key or the flag, the value and the rule. Errors refuse the
// move. Infos are Infos'.
//
// The checks, by their ID in the migration research's checklist (§8.1),
// in its order, with rules.Check's findings on Migrated(s, t) at K5's
// place: K1 the Kubernetes version (checkVersion); K6 the stack is kubenet
// (checkKubenet); then rules.Check on the stack after the move, which
// covers K5 (the dataplane and policy pair, rules 15 and 17, aks-rules
// 10.10), K11-K13 (the pod CIDR's size, overlaps with the VNet's subnets,
// the firewall subnet, peered, hub and service ranges, the reserved ranges
// and RFC 1918: rules 3, 4, 10, 14 and 17, aks-rules 10.1-10.5), K15/K16
// (the pod CIDR and the node subnet at every pool's upgrade peak at once,
// rule 10, aks-rules 10.8, 10.9), K17 (names of at most 63 characters,
// rule 17, aks-rules 10.12) and K24 (the service CIDR and DNS address,
// rules 5 and 6); K14 a new pod CIDR expands the old (checkExpand); K18 no
// DCsv2 sizes (checkSizes); K23 the window without network policy
// (checkPolicyWindow).
func Preflight(s spec.Stack, t Target) rules.Report {
	var r rules.Report
	r.Errors = append(r.Errors, checkVersion(s, t)...)
	if f := checkKubenet(s); f != nil {
		r.Errors = append(r.Errors, *f)
		return r
	}
	after := rules.Check(Migrated(s, t))
	kept := keptPodCIDR(s, t)
	r.Errors = append(r.Errors, attribute(after.Errors, kept, true)...)
	r.Warnings = append(r.Warnings, attribute(after.Warnings, kept, false)...)
	r.Warnings = append(r.Warnings, checkExpand(s, t)...)
	r.Errors = append(r.Errors, checkSizes(s)...)
	r.Warnings = append(r.Warnings, checkPolicyWindow(s, t)...)
	return r
}

// checkKubenet is K6: the move starts from a kubenet stack, and there is
// no way back (aks-rules 11.1).
func checkKubenet(s spec.Stack) *rules.Finding {
	if s.Cluster.NetworkPlugin == spec.NetworkPluginKubenet {
		return nil
	}
	f := finding(keys(spec.PathClusterNetworkPlugin), "%s is %s, not %s: the move starts from a kubenet stack, and an Azure CNI Overlay stack does not go back (aks-rules 11.1)",
		spec.PathClusterNetworkPlugin, s.Cluster.NetworkPlugin, spec.NetworkPluginKubenet)
	return &f
}

// keys returns its arguments, for the Keys of a Finding.
func keys(k ...string) []string { return k }

// checkVersion is K1: a pinned cluster.kubernetesVersion is 1.27 or later
// (aks-rules 11.2), and 1.30 or later when Calico comes off before the move
// or goes on after it (aks-rules 11.4). An unset version is checked live
// (Infos says so); one that does not parse is rules.Check's (rule 12).
func checkVersion(s spec.Stack, t Target) []rules.Finding {
	v, ok := ParseVersion(s.Cluster.KubernetesVersion)
	if !ok {
		return nil
	}
	if why, k := policyChange(s, t); why != "" && v.Less(MinPolicyVersion) {
		return []rules.Finding{finding(append(keys(spec.PathClusterKubernetesVersion), k...), "%s %s is below %s: %s, and AKS turns Calico off or on only from Kubernetes %s (aks-rules 11.4); upgrade the cluster first (az aks upgrade) and set %s to the version it runs",
			spec.PathClusterKubernetesVersion, s.Cluster.KubernetesVersion, MinPolicyVersion, why, MinPolicyVersion, spec.PathClusterKubernetesVersion)}
	}
	if v.Less(MinVersion) {
		return []rules.Finding{finding(keys(spec.PathClusterKubernetesVersion), "%s %s is below %s: AKS moves a cluster to Azure CNI Overlay only from Kubernetes %s (aks-rules 11.2); upgrade the cluster first (az aks upgrade) and set %s to the version it runs",
			spec.PathClusterKubernetesVersion, s.Cluster.KubernetesVersion, MinVersion, MinVersion, spec.PathClusterKubernetesVersion)}
	}
	return nil
}

// policyChange says why the move turns Calico off or on, with the keys
// that say so, or "" when it does neither.
func policyChange(s spec.Stack, t Target) (string, []string) {
	switch {
	case s.Cluster.NetworkPolicy == spec.NetworkPolicyCalico:
		return fmt.Sprintf("%s %s comes off before the move", spec.PathClusterNetworkPolicy, spec.NetworkPolicyCalico), keys(spec.PathClusterNetworkPolicy)
	case t.Policy == spec.NetworkPolicyCalico:
		return fmt.Sprintf("%s %s goes on after the move", FlagPolicy, spec.NetworkPolicyCalico), keys(FlagPolicy)
	}
	return "", nil
}

// keptPodCIDR reports whether the move keeps the stack's pod CIDR.
func keptPodCIDR(s spec.Stack, t Target) bool {
	return t.PodCIDR == "" || t.PodCIDR == s.Cluster.PodCidr
}

// targetFlags are the config keys the target sets, each with the flag that
// gives it.
var targetFlags = map[string]string{
	spec.PathClusterNetworkDataplane: FlagDataplane,
	spec.PathClusterNetworkPolicy:    FlagPolicy,
	spec.PathClusterPodCidr:          FlagPodCIDR,
}

// attribute returns rules.Check's findings on the migrated stack with a
// flag added to the keys of those about a value the target sets: the
// dataplane and policy, and the pod CIDR when -pod-cidr gave a new one. An
// error about a kept pod CIDR says to give a new one (aks-rules 11.14).
func attribute(findings []rules.Finding, kept, refusal bool) []rules.Finding {
	out := make([]rules.Finding, len(findings))
	for i, f := range findings {
		f.Keys = slices.Clone(f.Keys)
		for _, k := range findings[i].Keys {
			if flag := targetFlags[k]; flag != "" && !(kept && k == spec.PathClusterPodCidr) && !slices.Contains(f.Keys, flag) {
				f.Keys = append(f.Keys, flag)
			}
		}
		if refusal && kept && firstKey(f) == spec.PathClusterPodCidr {
			f.Message += fmt.Sprintf("; the move keeps %s unless %s gives a new one, which it must here (aks-rules 11.14)", spec.PathClusterPodCidr, FlagPodCIDR)
		}
		out[i] = f
	}
	return out
}

// checkExpand is K14: a new pod CIDR contains the old one, as AKS documents
// the change ("expand"); another range is a warning, unless the old one
// could not be kept anyway (aks-rules 11.13, 11.14). A new pod CIDR that
// does not parse is rules.Check's.
func checkExpand(s spec.Stack, t Target) []rules.Finding {
	if keptPodCIDR(s, t) {
		return nil
	}
	old, errOld := ipplan.ParsePrefix(s.Cluster.PodCidr)
	pods, errNew := ipplan.ParsePrefix(t.PodCIDR)
	if errOld != nil || errNew != nil || ipplan.Contains(pods, old) || keptRefused(s, t) {
		return nil
	}
	return []rules.Finding{finding(keys(FlagPodCIDR, spec.PathClusterPodCidr), "%s %s does not contain %s %s: AKS documents a new pod CIDR on the move as an expansion of the old one, and whether it takes an unrelated range is untested; give a range that contains %s, or keep it (aks-rules 11.13)",
		FlagPodCIDR, pods, spec.PathClusterPodCidr, old, old)}
}

// keptRefused reports whether the program's own checks refuse the stack
// after the move with its pod CIDR kept (aks-rules 11.14).
func keptRefused(s spec.Stack, t Target) bool {
	t.PodCIDR = s.Cluster.PodCidr
	return slices.ContainsFunc(rules.Check(Migrated(s, t)).Errors, func(f rules.Finding) bool { return firstKey(f) == spec.PathClusterPodCidr })
}

// firstKey is a finding's offending key, "" for none.
func firstKey(f rules.Finding) string {
	if len(f.Keys) == 0 {
		return ""
	}
	return f.Keys[0]
}

// checkSizes is K18's offline half: no pool on a DCsv2 size, which Azure
// CNI Overlay does not run (aks-rules 11.16). The pools are scale sets:
// the program builds no other kind (LivePreflight checks the live ones).
func checkSizes(s spec.Stack) []rules.Finding {
	sizes := []struct{ key, size string }{{spec.PathClusterVMSize, s.Cluster.VMSize}}
	for i, p := range s.Pools {
		sizes = append(sizes, struct{ key, size string }{spec.At(spec.PathPoolsVMSize, i), p.VMSize})
	}
	var out []rules.Finding
	for _, z := range sizes {
		if dcsv2.MatchString(z.size) {
			out = append(out, finding(keys(z.key), "%s %s is a DCsv2 size, which Azure CNI Overlay does not run (aks-rules 11.16): move the pool's workloads to a pool of another size first",
				z.key, z.size))
		}
	}
	return out
}

// checkPolicyWindow is K23: a stack with Calico runs without network
// policy from the first update to the end of the last (aks-rules 11.17).
func checkPolicyWindow(s spec.Stack, t Target) []rules.Finding {
	if s.Cluster.NetworkPolicy != spec.NetworkPolicyCalico {
		return nil
	}
	return []rules.Finding{finding(keys(spec.PathClusterNetworkPolicy), "%s %s: the move turns Calico off first (step %s), and no network policy is enforced %s: plan a maintenance window, or keep sensitive workloads scaled down (aks-rules 11.17)",
		spec.PathClusterNetworkPolicy, spec.NetworkPolicyCalico, StepPolicyNone, policyGap(t))}
}

// policyGap says until when the move leaves a cluster without network
// policy.
func policyGap(t Target) string {
	switch t.Policy {
	case spec.NetworkPolicyCilium:
		return fmt.Sprintf("until step %s has reimaged every pool", StepCilium)
	case spec.NetworkPolicyCalico:
		return fmt.Sprintf("until step %s has reimaged every pool", StepCalico)
	}
	return "after it: the target's network policy is none"
}

// Infos returns the offline infos of the move of s to t, facts to know
// before it rather than problems: the Kubernetes version left to the live
// check when unpinned (K1, aks-rules 11.2), the pods per node the move
// pins (K19, aks-rules 11.15), the custom ip-masq-agent config the
// preflight cannot see (aks-rules 11.19), and the firewall rules and
// routes on the old pod CIDR that stop matching (K25, aks-rules 11.18).
func Infos(s spec.Stack, t Target) []rules.Finding {
	var out []rules.Finding
	if s.Cluster.KubernetesVersion == "" {
		out = append(out, finding(keys(spec.PathClusterKubernetesVersion), "%s is unset: the live preflight checks that the cluster runs Kubernetes %s or later (%s with Calico) (aks-rules 11.2, 11.4)",
			spec.PathClusterKubernetesVersion, MinVersion, MinPolicyVersion))
	}
	out = append(out, pinnedInfo(s, t))
	out = append(out, finding(nil, "AKS refuses the move while kube-system holds a custom ip-masq-agent config, which this preflight cannot read: check that kubectl -n kube-system get configmap azure-ip-masq-agent-config answers NotFound (aks-rules 11.19)"))
	return append(out, podRangeInfos(s)...)
}

// pinnedInfo says the pods per node the move pins (aks-rules 11.15).
func pinnedInfo(s spec.Stack, t Target) rules.Finding {
	m := Migrated(s, t)
	k := keys(spec.PathClusterMaxPods)
	pools := []string{fmt.Sprintf("%s %d", m.Cluster.NodePoolName, *m.Cluster.MaxPods)}
	for i, p := range m.Pools {
		k = append(k, spec.At(spec.PathPoolsMaxPods, i))
		pools = append(pools, fmt.Sprintf("%s %d", p.Name, *p.MaxPods))
	}
	return finding(k, "the move keeps every pool's pods per node (%s) and pins them in the stack's config, because AKS cannot change them on a pool and an Overlay stack defaults to %d; pools added later get %d (aks-rules 11.15)",
		list(pools), spec.DefaultOverlayMaxPods, spec.DefaultOverlayMaxPods)
}

// podRangeInfos is K25: the firewall's network rules and the routes that
// name the old pod CIDR stop matching pod traffic, which Overlay SNATs to
// the node's address outside the cluster (aks-rules 11.18).
func podRangeInfos(s spec.Stack) []rules.Finding {
	pods, err := ipplan.ParsePrefix(s.Cluster.PodCidr)
	if err != nil {
		return nil
	}
	var hits []string
	for i, r := range s.Network.Routes {
		if overlapsText(r.AddressPrefix, pods) {
			hits = append(hits, spec.At(spec.PathNetworkRoutesAddressPrefix, i))
		}
	}
	if f := s.Firewall; f != nil {
		for i, rule := range f.NetworkRules {
			if slices.ContainsFunc(rule.DestinationAddresses, func(a string) bool { return overlapsText(a, pods) }) {
				hits = append(hits, spec.At(spec.PathFirewallNetworkRulesDestinationAddresses, i))
			}
		}
	}
	msg := fmt.Sprintf("after the move pods' traffic leaves the cluster from their node's address, and no route or firewall rule on the pod CIDR %s matches it any more; rules on the node subnet keep working (aks-rules 11.18)", pods)
	if len(hits) == 0 {
		return []rules.Finding{finding(keys(spec.PathClusterPodCidr), "%s; check the firewall's own rules outside this stack for %s", msg, pods)}
	}
	return []rules.Finding{finding(append(keys(spec.PathClusterPodCidr), hits...), "%s: %s name it, and become obsolete", msg, list(hits))}
}

// overlapsText reports whether text, a CIDR or an address, shares an
// address with p; anything else does not.
func overlapsText(text string, p netip.Prefix) bool {
	if !strings.Contains(text, "/") {
		a, err := netip.ParseAddr(text)
		return err == nil && p.Contains(a)
	}
	q, err := netip.ParsePrefix(text)
	return err == nil && ipplan.Overlaps(q.Masked(), p)
}
