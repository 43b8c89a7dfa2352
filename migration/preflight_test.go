package migration

import (
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// check is one case of Preflight: a change of the dev stack, the flags,
// and a finding (or none) among the errors or the warnings.
type check struct {
	name               string
	edit               func(*spec.Stack)
	pod, plane, policy string
	// refused is a text of an error, warned of a warning; absent a text no
	// finding may have.
	refused, warned, absent string
	// key and code are the error's or warning's first key and code.
	key, code string
}

func none(s *spec.Stack) { s.Cluster.NetworkPolicy = spec.NetworkPolicyNone }

func version(v string, policy string) func(*spec.Stack) {
	return func(s *spec.Stack) { s.Cluster.KubernetesVersion, s.Cluster.NetworkPolicy = v, policy }
}

// Every offline check refuses or warns on one side of its boundary and
// lets the other pass.
func TestPreflight(t *testing.T) {
	for _, c := range []check{
		// K1 (aks-rules 11.2, 11.4)
		{name: "1.26 refused", edit: version("1.26", "none"), refused: "below 1.27", key: spec.PathClusterKubernetesVersion},
		{name: "1.27 passes", edit: version("1.27.3", "none"), absent: "below"},
		{name: "1.29 with calico refused", edit: version("1.29", "calico"), refused: "below 1.30: cluster.networkPolicy calico comes off", key: spec.PathClusterKubernetesVersion},
		{name: "1.30 with calico passes", edit: version("1.30", "calico"), absent: "below"},
		{name: "1.29 to calico refused", edit: version("1.29.1", "none"), policy: "calico", refused: "below 1.30: -network-policy calico goes on", key: spec.PathClusterKubernetesVersion},
		{name: "1.26 with calico: one refusal, 1.30's", edit: version("1.26", "calico"), refused: "below 1.30", absent: "below 1.27"},
		// K6 (aks-rules 11.1)
		{name: "already Overlay", edit: func(s *spec.Stack) { s.Cluster.NetworkPlugin = spec.NetworkPluginOverlay }, refused: "starts from a kubenet stack", key: spec.PathClusterNetworkPlugin},
		// K5 through rules.Check (aks-rules 10.10)
		{name: "cilium policy on azure", edit: none, plane: "azure", policy: "cilium", refused: "needs cluster.networkDataplane cilium", key: spec.PathClusterNetworkPolicy, code: rules.CodeBadRequest},
		{name: "calico on cilium", edit: none, plane: "cilium", policy: "calico", refused: "Cilium dataplane requires network policy cilium", key: spec.PathClusterNetworkDataplane, code: rules.CodeBadRequest},
		{name: "calico on azure passes", edit: none, plane: "azure", policy: "calico", absent: "needs"},
		{name: "unknown dataplane", edit: none, plane: "ebpf", refused: "not an Azure CNI Overlay dataplane", key: spec.PathClusterNetworkDataplane},
		// K11 (aks-rules 10.1): /24 or larger
		{name: "/25 refused", edit: none, pod: "10.244.0.0/25", refused: "smaller than /24", key: spec.PathClusterPodCidr, code: rules.CodeInsufficientSubnetSize},
		{name: "/24 is large enough, for one node", edit: none, pod: "10.244.0.0/24", refused: "holds 1 node", absent: "smaller than /24", key: spec.PathClusterPodCidr, code: rules.CodeInsufficientSubnetSize},
		// K15 (aks-rules 10.9, 11.12): a /24 a node, every pool surging
		{name: "pod CIDR exact fit", edit: nodes(1), pod: "10.244.0.0/23", absent: "holds 2 nodes"},
		{name: "pod CIDR one over", edit: nodes(2), pod: "10.244.0.0/23", refused: "holds 2 nodes at one /24 per node, but the node pools reach 3", key: spec.PathClusterPodCidr, code: rules.CodeInsufficientSubnetSize},
		// K16 (aks-rules 10.8, 11.12)
		{name: "subnet exact fit", edit: subnet(26), absent: "usable addresses"},
		{name: "subnet one over", edit: subnet(27), refused: "has 27 usable addresses", key: spec.PathNetworkNodeSubnetCidr, code: rules.CodeInsufficientSubnetSize},
		// K12 (aks-rules 10.4, 11.14)
		{name: "reserved -pod-cidr refused", edit: none, pod: "172.30.0.0/16", refused: "which AKS reserves", key: spec.PathClusterPodCidr},
		{name: "next to the reserved passes", edit: none, pod: "172.29.0.0/16", absent: "reserves"},
		{name: "kept reserved pod CIDR needs -pod-cidr", edit: podCIDR("172.31.0.0/16"), refused: "which it must here (aks-rules 11.14)", key: spec.PathClusterPodCidr},
		{name: "kept reserved, new one given", edit: podCIDR("172.31.0.0/16"), pod: "100.64.0.0/16", absent: "reserves"},
		// K11: overlaps
		{name: "-pod-cidr in the node subnet", edit: none, pod: "10.0.0.0/23", refused: "overlaps network.nodeSubnetCidr", key: spec.PathClusterPodCidr, code: rules.CodePodCidrOverlapExistingSubnetsCidr},
		{name: "-pod-cidr on the firewall subnet", edit: none, pod: "10.0.2.0/24", refused: "overlaps cluster.podCidr", key: spec.PathFirewallSubnetCidr, code: rules.CodePodCidrOverlapExistingSubnetsCidr},
		// K13 (aks-rules 10.5)
		{name: "public -pod-cidr warned", edit: none, pod: "20.0.0.0/16", warned: "RFC 1918", key: spec.PathClusterPodCidr},
		// K14 (aks-rules 11.13)
		{name: "superset passes", edit: none, pod: "10.244.0.0/15", absent: "does not contain"},
		{name: "other range warned", edit: none, pod: "10.246.0.0/16", warned: "does not contain cluster.podCidr 10.244.0.0/16", key: FlagPodCIDR},
		// K17 (aks-rules 10.12)
		{name: "64-character subnet name", edit: func(s *spec.Stack) { s.Network.SubnetName = strings.Repeat("s", 64) }, refused: "node label value", key: spec.PathNetworkSubnetName},
		{name: "63-character subnet name", edit: func(s *spec.Stack) { s.Network.SubnetName = strings.Repeat("s", 63) }, absent: "node label value"},
		// K18 (aks-rules 11.16)
		{name: "DCsv2 pool", edit: func(s *spec.Stack) { s.Cluster.VMSize = "Standard_DC4s_v2" }, refused: "DCsv2", key: spec.PathClusterVMSize},
		{name: "DCsv3 pool", edit: func(s *spec.Stack) { s.Cluster.VMSize = "Standard_DC4s_v3" }, absent: "DCsv2"},
		// K23 (aks-rules 11.17)
		{name: "calico's window", warned: "no network policy is enforced until step cilium", key: spec.PathClusterNetworkPolicy},
		{name: "calico's window to none", policy: "none", warned: "enforced after it: the target's network policy is none"},
		{name: "no window without calico", edit: none, absent: "no network policy is enforced"},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t) })
	}
}

func (c check) run(t *testing.T) {
	s := loadStack(t, "dev")
	if c.edit != nil {
		c.edit(&s)
	}
	r := Preflight(s, TargetOf(s, c.pod, c.plane, c.policy))
	humane(t, append(r.Errors, r.Warnings...)...)
	for _, want := range []struct {
		text     string
		findings []rules.Finding
	}{{c.refused, r.Errors}, {c.warned, r.Warnings}} {
		if want.text == "" {
			continue
		}
		f := find(want.findings, want.text)
		switch {
		case f == nil:
			t.Fatalf("no finding says %q; errors %v, warnings %v", want.text, r.Errors, r.Warnings)
		case c.key != "" && f.Keys[0] != c.key:
			t.Errorf("keys %v, want %s first", f.Keys, c.key)
		case f.Code != c.code:
			t.Errorf("code %q, want %q", f.Code, c.code)
		}
	}
	if c.absent != "" {
		if f := find(append(r.Errors, r.Warnings...), c.absent); f != nil {
			t.Errorf("unexpected finding: %s", f)
		}
	}
	if c.refused == "" && len(r.Errors) > 0 {
		t.Errorf("refused: %v", r.Errors)
	}
}

func nodes(n int) func(*spec.Stack) {
	return func(s *spec.Stack) { none(s); s.Cluster.NodeCount = spec.Int(n) }
}

// subnet gives the dev stack a /27 node subnet, 27 usable addresses, and a
// system pool of n nodes, which surges by one.
func subnet(n int) func(*spec.Stack) {
	return func(s *spec.Stack) {
		none(s)
		s.Network.NodeSubnetCidr = "10.0.1.0/27"
		s.Cluster.NodeCount = spec.Int(n)
	}
}

func podCIDR(p string) func(*spec.Stack) {
	return func(s *spec.Stack) { none(s); s.Cluster.PodCidr = p }
}

// The flags a finding's value came from are among its keys.
func TestPreflightNamesTheFlags(t *testing.T) {
	s := loadStack(t, "dev")
	none(&s)
	r := Preflight(s, TargetOf(s, "172.30.0.0/16", "azure", "cilium"))
	for _, c := range []struct{ text, flag string }{{"reserves", FlagPodCIDR}, {"needs cluster.networkDataplane", FlagPolicy}, {"needs cluster.networkDataplane", FlagDataplane}} {
		if f := find(r.Errors, c.text); f == nil || !slices.Contains(f.Keys, c.flag) {
			t.Errorf("%q: %v, want the key %s", c.text, f, c.flag)
		}
	}
}

// The committed kubenet stacks pass, and the infos say what the move
// keeps and what it cannot see.
func TestPreflightCommittedStacks(t *testing.T) {
	for _, name := range []string{"dev", "prod"} {
		s := loadStack(t, name)
		to := TargetOf(s, "", "", "")
		if r := Preflight(s, to); len(r.Errors) > 0 {
			t.Errorf("%s refused: %v", name, r.Errors)
		}
		infos := Infos(s, to)
		humane(t, infos...)
		for _, want := range []string{"kubernetesVersion is unset", "pins them", "azure-ip-masq-agent-config", "pod CIDR " + s.Cluster.PodCidr} {
			if find(infos, want) == nil {
				t.Errorf("%s: no info says %q: %v", name, want, infos)
			}
		}
	}
	s := loadStack(t, "prod")
	if f := find(Infos(s, TargetOf(s, "", "", "")), "pins them"); f == nil || !strings.Contains(f.Message, "(system 110, general 110 and spot 110)") {
		t.Errorf("pinned info %v", f)
	}
}

// K25: the routes and firewall rules on the old pod CIDR are named.
func TestInfosPodRange(t *testing.T) {
	s := loadStack(t, "dev")
	s.Network.Routes = []spec.Route{{Name: "pods", AddressPrefix: "10.244.3.0/24", NextHopType: spec.NextHopVirtualAppliance, NextHopIPAddress: "10.0.1.4"}}
	s.Firewall.NetworkRules = []spec.NetworkRule{{Name: "a", DestinationAddresses: []string{"10.244.0.7"}}, {Name: "b", DestinationAddresses: []string{"10.9.0.0/16"}}}
	f := find(Infos(s, TargetOf(s, "", "", "")), "become obsolete")
	want := []string{spec.PathClusterPodCidr, spec.At(spec.PathNetworkRoutesAddressPrefix, 0), spec.At(spec.PathFirewallNetworkRulesDestinationAddresses, 0)}
	if f == nil || !slices.Equal(f.Keys, want) {
		t.Errorf("info %v, want keys %v", f, want)
	}
	s.Cluster.KubernetesVersion = "1.31"
	if find(Infos(s, TargetOf(s, "", "", "")), "unset") != nil {
		t.Errorf("a pinned version is not left to the live check")
	}
}

// Migrated makes the stack Overlay, with t's network and every pool's
// maxPods pinned, and leaves s alone.
func TestMigrated(t *testing.T) {
	s := loadStack(t, "prod")
	s.Cluster.MaxPods, s.Pools[1].MaxPods = nil, spec.Int(60)
	m := Migrated(s, Target{PodCIDR: "10.244.0.0/15", Dataplane: "azure", Policy: "calico"})
	c := m.Cluster
	if !c.Overlay() || c.NetworkDataplane != "azure" || c.NetworkPolicy != "calico" || c.PodCidr != "10.244.0.0/15" {
		t.Errorf("cluster %+v", c)
	}
	if *c.MaxPods != spec.DefaultMaxPods || *m.Pools[0].MaxPods != 110 || *m.Pools[1].MaxPods != 60 {
		t.Errorf("maxPods %d %d %d", *c.MaxPods, *m.Pools[0].MaxPods, *m.Pools[1].MaxPods)
	}
	m.Pools[0].MaxPods = spec.Int(1)
	if s.Cluster.Overlay() || s.Cluster.MaxPods != nil || *s.Pools[0].MaxPods != 110 {
		t.Errorf("Migrated changed s: %+v", s.Cluster)
	}
	if r := rules.Check(Migrated(loadStack(t, "prod"), TargetOf(s, "", "", ""))); len(r.Errors) > 0 {
		t.Errorf("prod after the move refused: %v", r.Errors)
	}
}
