package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// overlayBase is base as an Azure CNI Overlay cluster, with Overlay's
// defaults: the cilium dataplane and policy, 250 pods a node.
func overlayBase() spec.Stack {
	s := base()
	s.Cluster.NetworkPlugin = spec.NetworkPluginOverlay
	s.Cluster.NetworkPolicy, s.Cluster.MaxPods = "", nil
	return spec.Defaults(s)
}

// overlayCase is a change to overlayBase (or to base, with kubenet). With
// want nil the changed config has no errors; otherwise one error, or with
// warn one warning, contains every string of want, and its text (String)
// contains code.
type overlayCase struct {
	name    string
	kubenet bool
	change  func(*spec.Stack)
	want    []string
	code    string
	warn    bool
}

func runOverlayCases(t *testing.T, cases []overlayCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := overlayBase()
			if tc.kubenet {
				s = base()
			}
			tc.change(&s)
			r := Check(s)
			if tc.want == nil || tc.warn {
				if len(r.Errors) > 0 {
					t.Fatalf("want no errors, got:\n%v", r.Err())
				}
			}
			if tc.want == nil {
				return
			}
			found := r.Errors
			if tc.warn {
				found = r.Warnings
			}
			f, ok := findingWith(found, tc.want)
			if !ok {
				t.Fatalf("want a finding containing %q, got errors:\n%v\nwarnings: %v", tc.want, r.Err(), r.Warnings)
			}
			if f.Code != tc.code || !strings.Contains(f.String(), tc.code) {
				t.Errorf("finding %q has code %q, want %q", f.String(), f.Code, tc.code)
			}
		})
	}
}

func TestOverlayBaseHasNoErrors(t *testing.T) {
	s := overlayBase()
	if s.Cluster.NetworkDataplane != spec.DataplaneCilium || s.Cluster.NetworkPolicy != spec.NetworkPolicyCilium || *s.Cluster.MaxPods != 250 {
		t.Fatalf("overlayBase: dataplane %q, policy %q, maxPods %d; want cilium, cilium, 250", s.Cluster.NetworkDataplane, s.Cluster.NetworkPolicy, *s.Cluster.MaxPods)
	}
	r := Check(s)
	if len(r.Errors) > 0 {
		t.Fatalf("overlayBase has errors:\n%v", r.Err())
	}
	// The same warnings as kubenet's base: the service range in the VNet.
	if want := Check(base()).Warnings; !slices.EqualFunc(r.Warnings, want, func(a, b Finding) bool { return a.Message == b.Message }) {
		t.Errorf("warnings = %v, want %v", r.Warnings, want)
	}
}

func TestRule17NetworkMode(t *testing.T) {
	dataplane := func(d string) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.NetworkDataplane = d } }
	policy := func(p string) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.NetworkPolicy = p } }
	both := func(d, p string) func(*spec.Stack) {
		return func(s *spec.Stack) { s.Cluster.NetworkDataplane, s.Cluster.NetworkPolicy = d, p }
	}
	runOverlayCases(t, []overlayCase{
		{name: "unknown network plugin", kubenet: true, change: func(s *spec.Stack) { s.Cluster.NetworkPlugin = "azure" },
			want: []string{`cluster.networkPlugin "azure" is not a network mode the program builds: want kubenet or overlay`}},
		{name: "a dataplane with kubenet", kubenet: true, change: dataplane(spec.DataplaneCilium),
			want: []string{`cluster.networkDataplane "cilium" is set, but cluster.networkPlugin is kubenet`, "kubenet has no dataplane", "aks-rules 10.10"}},
		{name: "kubenet without a dataplane", kubenet: true, change: dataplane(""), want: nil},
		{name: "unknown dataplane", change: dataplane("ebpf"),
			want: []string{`cluster.networkDataplane "ebpf" is not an Azure CNI Overlay dataplane: want azure or cilium`, "aks-rules 10.10"}},
		{name: "cilium policy on the azure dataplane", change: dataplane(spec.DataplaneAzure),
			want: []string{"cluster.networkPolicy cilium needs cluster.networkDataplane cilium, but it is azure", "aks-rules 10.10"}, code: CodeBadRequest},
		{name: "cilium dataplane without policy", change: policy(spec.NetworkPolicyNone),
			want: []string{"cluster.networkDataplane cilium needs cluster.networkPolicy cilium, but it is none", "Cilium dataplane requires network policy cilium", "aks-rules 10.10"}, code: CodeBadRequest},
		{name: "cilium dataplane with calico", change: policy(spec.NetworkPolicyCalico),
			want: []string{"cluster.networkDataplane cilium needs cluster.networkPolicy cilium, but it is calico", "aks-rules 10.10"}, code: CodeBadRequest},
		{name: "azure dataplane with calico", change: both(spec.DataplaneAzure, spec.NetworkPolicyCalico), want: nil},
		{name: "azure dataplane without policy", change: both(spec.DataplaneAzure, spec.NetworkPolicyNone), want: nil},
		{name: "Azure Network Policy Manager", change: both(spec.DataplaneAzure, "azure"),
			want: []string{`cluster.networkPolicy "azure" is not a network policy the program runs with Azure CNI Overlay: want none, calico or cilium`, "aks-rules 10.10"}},
		// Kubenet's policy check is unchanged.
		{name: "cilium policy with kubenet", kubenet: true, change: policy(spec.NetworkPolicyCilium),
			want: []string{`cluster.networkPolicy "cilium" is not a network policy kubenet runs: want calico or none`}},
	})
}

func TestOverlayPodCIDR(t *testing.T) {
	runOverlayCases(t, []overlayCase{
		{name: "pod CIDR over the node subnet", change: podCidr("10.0.0.0/20"),
			want: []string{"cluster.podCidr 10.0.0.0/20 overlaps network.nodeSubnetCidr 10.0.1.0/24", "no subnet of the VNet", "aks-rules 10.2"},
			code: CodePodCidrOverlapExistingSubnetsCidr},
		{name: "pod CIDR in the VNet outside every subnet", change: podCidr("10.0.128.0/17"), warn: true,
			want: []string{"cluster.podCidr 10.0.128.0/17 lies inside network.vnetCidr 10.0.0.0/16, in no subnet", "aks-rules 10.2"}},
		{name: "kubenet: pod CIDR in the VNet outside every subnet", kubenet: true, change: podCidr("10.0.128.0/17"),
			want: []string{"cluster.podCidr 10.0.128.0/17 overlaps network.vnetCidr 10.0.0.0/16"}},
		{name: "pod CIDR over the service CIDR", change: func(s *spec.Stack) {
			s.Cluster.PodCidr, s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.244.0.0/16", "10.244.4.0/24", "10.244.4.10"
		},
			want: []string{"cluster.podCidr 10.244.0.0/16 overlaps cluster.serviceCidr 10.244.4.0/24"}, code: CodePodCidrOverlapServiceCidr},
		{name: "pod CIDR over a peered range", change: func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.100.0.0/16", "10.244.128.0/17"} },
			want: []string{"cluster.podCidr 10.244.0.0/16 overlaps network.peeredCidrs[1] 10.244.128.0/17"}},
		{name: "pod CIDR over AKS's reserved ranges", change: podCidr("172.16.0.0/12"),
			want: []string{"cluster.podCidr 172.16.0.0/12 overlaps 172.30.0.0/16 and 172.31.0.0/16, which AKS reserves", "aks-rules 10.4"}},
		{name: "public pod CIDR", change: podCidr("8.8.0.0/16"), warn: true,
			want: []string{"cluster.podCidr 8.8.0.0/16 is not inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10", "aks-rules 10.5"}},
		{name: "shared address space", change: podCidr("100.64.0.0/16"), want: nil},
		{name: "a route inside the pod CIDR", change: addRoute(route("pods", "10.244.1.0/24", spec.NextHopVirtualAppliance, "10.0.2.4")), want: nil},
	})
	// A private pod range draws no warning about it.
	for _, p := range []string{"10.244.0.0/16", "100.64.0.0/16", "192.168.0.0/16"} {
		s := overlayBase()
		s.Cluster.PodCidr = p
		if f, ok := findingWith(Check(s).Warnings, []string{"cluster.podCidr"}); ok {
			t.Errorf("pod CIDR %s: unexpected warning %q", p, f.Message)
		}
	}
}

func TestOverlayCapacity(t *testing.T) {
	// hugePlan has room for more than 5,000 nodes: an /18 subnet, an /11
	// pod CIDR, the service range outside the VNet.
	hugePlan := func(s *spec.Stack) {
		s.Network.NodeSubnetCidr, s.Cluster.PodCidr = "10.0.64.0/18", "100.64.0.0/11"
		s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.1.0.0/24", "10.1.0.10"
	}
	hub := func(s *spec.Stack) {
		s.Hub = &spec.Hub{VnetID: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub", AddressSpace: []string{"10.100.0.0/16"}, FirewallPrivateIP: "10.100.0.4"}
		s.Network.Routes = nil
		for i := range 1000 {
			s.Network.Routes = append(s.Network.Routes, route(fmt.Sprintf("r%d", i), fmt.Sprintf("172.%d.%d.0/24", 20+i/256, i%256), spec.NextHopVirtualNetworkGateway, ""))
		}
		*s = spec.Defaults(*s)
	}
	runOverlayCases(t, []overlayCase{
		{name: "pod CIDR below /24", change: podCidr("10.244.0.0/25"),
			want: []string{"cluster.podCidr 10.244.0.0/25 is smaller than /24: Azure CNI Overlay gives every node a fixed /24", "NetworkProfile_PodCIDR", "aks-rules 10.1"}, code: CodeInsufficientSubnetSize},
		{name: "pod CIDR too small for the autoscaled pool", change: with(podCidr("10.244.0.0/22"), func(s *spec.Stack) { s.Cluster.MinCount, s.Cluster.MaxCount = spec.Int(1), spec.Int(5) }),
			want: []string{"cluster.podCidr 10.244.0.0/22 holds 4 nodes at one /24 per node, but the node pools reach 6 at their upgrade peak (system: cluster.maxCount 5 + 1 surge)", "NetworkProfile_PodCIDR", "(aks-rules 10.1, 10.9)"}, code: CodeInsufficientSubnetSize},
		{name: "node subnet too small", change: func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.0/29" },
			want: []string{"network.nodeSubnetCidr 10.0.1.0/29 has 3 usable addresses (8 minus the 5 Azure reserves), but the node pools reach 4 nodes", "aks-rules 10.8"}, code: CodeInsufficientSubnetSize},
		{name: "beyond kubenet's 400 nodes", change: with(bigPlan, nodes(400)), want: nil},
		{name: "kubenet: beyond its 400 nodes", kubenet: true, change: with(bigPlan, nodes(400)),
			want: []string{"more than the 400 nodes a kubenet cluster can have"}},
		{name: "no route per node", change: with(bigPlan, manyRoutes(700), nodes(300)), want: nil},
		{name: "beyond Overlay's 5,000 nodes", change: with(hugePlan, nodes(1000), func(s *spec.Stack) {
			for i := range 4 {
				s.Pools = append(s.Pools, spec.Pool{Name: fmt.Sprintf("pool%d", i), NodeCount: spec.Int(1000)})
			}
			*s = spec.Defaults(*s)
		}), want: []string{"the node pools reach 5005 nodes at their upgrade peak", "more than the 5000 nodes an Azure CNI Overlay cluster can have", "aks-rules 10.7"}},
		{name: "generated routes past the table", change: hub,
			want: []string{"network.routes has 1000 user-defined routes and the program generates 1 more for the firewall, 1001 in all, but a route table holds at most 1000", "aks-rules 2.2, 10.7"}},
		{name: "maxPods above 250", change: func(s *spec.Stack) { s.Cluster.MaxPods = spec.Int(251) },
			want: []string{"cluster.maxPods 251 is outside 10-250, the pods per node Azure CNI Overlay allows", "aks-rules 10.1"}},
		{name: "a pool's maxPods above 250", change: func(s *spec.Stack) {
			s.Pools = []spec.Pool{{Name: "general", NodeCount: spec.Int(2), MaxPods: spec.Int(300)}}
			*s = spec.Defaults(*s)
		}, want: []string{"pools[0].maxPods 300 is outside 10-250, the pods per node Azure CNI Overlay allows", "aks-rules 10.1"}},
		{name: "a pool takes Overlay's 250 pods", change: func(s *spec.Stack) {
			s.Pools = []spec.Pool{{Name: "general", NodeCount: spec.Int(2)}}
			*s = spec.Defaults(*s)
			if *s.Pools[0].MaxPods != 250 {
				panic(fmt.Sprint("pool maxPods ", *s.Pools[0].MaxPods))
			}
		}, want: nil},
	})
}

func TestOverlayLabelNames(t *testing.T) {
	long := strings.Repeat("n", 64)
	runOverlayCases(t, []overlayCase{
		{name: "subnet name of 64 characters", change: func(s *spec.Stack) { s.Network.SubnetName = long },
			want: []string{"network.subnetName", "is 64 characters long: with Azure CNI Overlay the subnet name becomes a node label value, at most 63 characters", "aks-rules 10.12"}},
		{name: "VNet name of 64 characters", change: func(s *spec.Stack) { s.Network.VnetName = long },
			want: []string{"network.vnetName", "is 64 characters long", "the VNet name", "aks-rules 10.12"}},
		{name: "resource group name of 64 characters", change: func(s *spec.Stack) { s.ResourceGroup.Name = long },
			want: []string{spec.KeyResourceGroupName, "is 64 characters long", "the VNet's resource group name", "aks-rules 10.12"}},
		// AKS's default node resource group would be longer than 80
		// characters with such a group name (aks-rules 12.2).
		{name: "names of 63 characters", change: func(s *spec.Stack) {
			s.Network.SubnetName, s.Network.VnetName, s.ResourceGroup.Name = long[:63], long[:63], long[:63]
			s.Cluster.NodeResourceGroup = "nodes"
		}, want: nil},
		{name: "kubenet: names of 64 characters", kubenet: true, change: func(s *spec.Stack) {
			s.Network.SubnetName, s.Network.VnetName, s.ResourceGroup.Name = long, long, long
			s.Cluster.NodeResourceGroup = "nodes"
		}, want: nil},
	})
}
