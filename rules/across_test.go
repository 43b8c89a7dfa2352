package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

func TestCheckAcross(t *testing.T) {
	stack := func(name, vnet string, peered ...string) spec.Stack {
		return spec.Stack{Name: name, Network: spec.Network{VnetCidr: vnet, PeeredCidrs: peered}}
	}
	cases := []struct {
		name   string
		stacks []spec.Stack
		want   []string // one substring per finding, in order
	}{
		{
			name:   "separate VNets sharing a hub",
			stacks: []spec.Stack{stack("dev", "10.0.0.0/16", "10.100.0.0/16"), stack("prod", "10.20.0.0/16", "10.100.0.0/16")},
		},
		{
			name:   "adjacent VNets",
			stacks: []spec.Stack{stack("a", "10.0.0.0/16"), stack("b", "10.1.0.0/16")},
		},
		{
			name:   "same VNet twice",
			stacks: []spec.Stack{stack("dev", "10.0.0.0/16"), stack("prod", "10.0.0.0/16")},
			want:   []string{"stack dev network.vnetCidr 10.0.0.0/16 overlaps stack prod network.vnetCidr 10.0.0.0/16"},
		},
		{
			name:   "VNet inside another",
			stacks: []spec.Stack{stack("dev", "10.0.0.0/8"), stack("qa", "10.20.0.0/16")},
			want:   []string{"stack dev network.vnetCidr 10.0.0.0/8 overlaps stack qa network.vnetCidr 10.20.0.0/16"},
		},
		{
			name:   "VNet inside another stack's peered range",
			stacks: []spec.Stack{stack("dev", "10.0.0.0/16"), stack("prod", "10.20.0.0/16", "10.100.0.0/16", "10.0.0.0/12")},
			want:   []string{"stack dev network.vnetCidr 10.0.0.0/16 overlaps stack prod network.peeredCidrs[1] 10.0.0.0/12"},
		},
		{
			name: "each reported once per pair and direction",
			stacks: []spec.Stack{
				stack("a", "10.0.0.0/16", "10.1.0.0/16"), stack("b", "10.1.0.0/16", "10.0.0.0/16"), stack("c", "10.1.0.0/24"),
			},
			want: []string{
				"stack a network.vnetCidr 10.0.0.0/16 overlaps stack b network.peeredCidrs[0]",
				"stack b network.vnetCidr 10.1.0.0/16 overlaps stack a network.peeredCidrs[0]",
				"stack b network.vnetCidr 10.1.0.0/16 overlaps stack c network.vnetCidr 10.1.0.0/24",
				"stack c network.vnetCidr 10.1.0.0/24 overlaps stack a network.peeredCidrs[0]",
			},
		},
		{
			name:   "unparsable ranges are left to Check",
			stacks: []spec.Stack{stack("a", "10.0.0.0/33", "nonsense"), stack("b", "10.0.0.0/16", "x")},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckAcross(tc.stacks)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %v", len(got), len(tc.want), got)
			}
			for i, f := range got {
				if !strings.Contains(f.String(), tc.want[i]) {
					t.Errorf("finding %d = %q, want it to contain %q", i, f, tc.want[i])
				}
			}
		})
	}
}

// namedStack is a stack with its own names and its own VNet, derived from
// name and n (so that two such stacks neither overlap nor collide), changed by
// the edits.
func namedStack(name string, n int, edits ...func(*spec.Stack)) spec.Stack {
	s := spec.Stack{
		Name:             name,
		Subscription:     spec.PlaceholderSubscription,
		ResourceGroup:    spec.ResourceGroup{Name: "aks-" + name + "-rg"},
		ResourceGroupKey: spec.KeyResourceGroup + ".name",
		Network: spec.Network{
			VnetName: "aks-" + name + "-vnet", SubnetName: "aks-nodes", RouteTableName: "aks-" + name + "-rt",
			VnetCidr: fmt.Sprintf("10.%d.0.0/16", n),
		},
		Cluster: spec.Cluster{Name: "aks-" + name, IdentityName: "aks-" + name + "-identity"},
	}
	for _, edit := range edits {
		edit(&s)
	}
	return s
}

const (
	subA = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	subB = "5c3a9e41-7d2b-4f60-9a8e-2b1d4c6f8a90"
)

func inSubscription(id string) func(*spec.Stack) { return func(s *spec.Stack) { s.Subscription = id } }

func inGroup(name string, existing bool) func(*spec.Stack) {
	return func(s *spec.Stack) { s.ResourceGroup = spec.ResourceGroup{Name: name, Existing: existing} }
}

func withRouteTable(name string) func(*spec.Stack) {
	return func(s *spec.Stack) { s.Network.RouteTableName = name }
}

// copyOf is the stack a copy of from's file would be, under another stack
// name: every name and range the same (its region differs).
func copyOf(from spec.Stack, name string) spec.Stack {
	from.Name, from.Location = name, "northeurope"
	return from
}

func TestCheckAcrossNames(t *testing.T) {
	prod := namedStack("prod", 20, inSubscription(subA), func(s *spec.Stack) {
		s.Location, s.ResourceGroupKey = "westeurope", spec.KeyResourceGroupName
	})
	const fight = ": two stacks would fight over one resource; give each stack its own names"
	cases := []struct {
		name   string
		stacks []spec.Stack
		want   []string // one substring per finding, in order
	}{
		{
			name:   "own names in one subscription",
			stacks: []spec.Stack{namedStack("dev", 0), namedStack("prod", 20)},
		},
		{
			name:   "Pulumi.prod.yaml copied to Pulumi.prod2.yaml for a second region, nothing renamed",
			stacks: []spec.Stack{prod, copyOf(prod, "prod2")},
			want: []string{
				"stack prod network.vnetCidr 10.20.0.0/16 overlaps stack prod2 network.vnetCidr 10.20.0.0/16",
				"stacks prod and prod2 both name the resource group aks-prod-rg (aks-kubenet:resourceGroupName) in subscription " + subA + fight,
				"stacks prod and prod2 both name the VNet aks-prod-vnet (network.vnetName) in subscription " + subA + ", resource group aks-prod-rg" + fight,
				"stacks prod and prod2 both name the route table aks-prod-rt (network.routeTableName) in subscription " + subA + ", resource group aks-prod-rg" + fight,
				"stacks prod and prod2 both name the user-assigned identity aks-prod-identity (cluster.identityName) in subscription " + subA + ", resource group aks-prod-rg" + fight,
				"stacks prod and prod2 both name the AKS cluster aks-prod (cluster.name) in subscription " + subA + ", resource group aks-prod-rg" + fight,
			},
		},
		{
			name: "the copy in another subscription",
			stacks: []spec.Stack{prod, func() spec.Stack {
				s := copyOf(prod, "prod2")
				s.Subscription, s.Network.VnetCidr = subB, "10.30.0.0/16"
				return s
			}()},
		},
		{
			name:   "subscription ids ignore case",
			stacks: []spec.Stack{namedStack("dev", 0, inSubscription(subA)), namedStack("prod", 20, inSubscription(strings.ToUpper(subA)), withRouteTable("aks-dev-rt"), inGroup("aks-dev-rg", false))},
			want: []string{
				"stacks dev and prod both name the resource group aks-dev-rg",
				"stacks dev and prod both name the route table aks-dev-rt (network.routeTableName) in subscription " + subA + ", resource group aks-dev-rg" + fight,
			},
		},
		{
			name: "names ignore case",
			stacks: []spec.Stack{
				namedStack("dev", 0, inGroup("shared-rg", true), withRouteTable("aks-rt")),
				namedStack("prod", 20, inGroup("SHARED-RG", true), withRouteTable("AKS-RT")),
			},
			want: []string{
				"stacks dev and prod both name the route table aks-rt (network.routeTableName; stack prod spells it AKS-RT, and Azure names ignore case) in the same subscription (neither stack names its own in azure-native:subscriptionId: unset or the placeholder), resource group shared-rg" + fight,
			},
		},
		{
			name: "one route table name in two resource groups",
			stacks: []spec.Stack{
				namedStack("dev", 0, withRouteTable("aks-rt")),
				namedStack("prod", 20, withRouteTable("aks-rt")),
			},
		},
		{
			name:   "an existing group both stacks share, each with its own resources",
			stacks: []spec.Stack{namedStack("dev", 0, inGroup("platform-rg", true)), namedStack("prod", 20, inGroup("platform-rg", true))},
		},
		{
			name:   "a group one stack creates and the other takes as existing",
			stacks: []spec.Stack{namedStack("dev", 0, inGroup("platform-rg", true)), namedStack("prod", 20, inGroup("platform-rg", false))},
			want:   []string{"stacks dev and prod both name the resource group platform-rg (aks-kubenet:resourceGroup.name) in the same subscription"},
		},
		{
			name: "a cluster's node resource group that is another stack's group",
			stacks: []spec.Stack{
				namedStack("dev", 0, func(s *spec.Stack) { s.Cluster.NodeResourceGroup = "aks-prod-rg" }),
				namedStack("prod", 20, func(s *spec.Stack) { s.ResourceGroupKey = spec.KeyResourceGroupName }),
			},
			want: []string{"stacks dev and prod both name the resource group aks-prod-rg (stack dev cluster.nodeResourceGroup, stack prod aks-kubenet:resourceGroupName) in the same subscription"},
		},
		{
			name: "a stack without a subscription may deploy into the other's",
			stacks: []spec.Stack{
				namedStack("dev", 0, inSubscription(""), inGroup("aks-rg", false)),
				namedStack("prod", 20, inSubscription(subB), inGroup("aks-rg", false)),
			},
			want: []string{"stacks dev and prod both name the resource group aks-rg (aks-kubenet:resourceGroup.name) in subscription " + subB +
				" (stack dev names none in azure-native:subscriptionId, so it deploys wherever the Azure login points)" + fight},
		},
		{
			name: "unset and the placeholder are one subscription",
			stacks: []spec.Stack{
				namedStack("dev", 0, inSubscription(""), func(s *spec.Stack) { s.Cluster.Name = "aks" }),
				namedStack("prod", 20, inGroup("aks-dev-rg", false), func(s *spec.Stack) { s.Cluster.Name = "aks" }),
			},
			want: []string{"both name the resource group aks-dev-rg", "both name the AKS cluster aks (cluster.name) in the same subscription"},
		},
		{
			name: "NSGs collide only when both stacks have one",
			stacks: []spec.Stack{
				namedStack("a", 0, inGroup("rg", true), func(s *spec.Stack) { s.Network.NSG, s.Network.NSGName = true, "nodes-nsg" }),
				namedStack("b", 20, inGroup("rg", true), func(s *spec.Stack) { s.Network.NSG, s.Network.NSGName = true, "nodes-nsg" }),
				namedStack("c", 30, inGroup("rg", true), func(s *spec.Stack) { s.Network.NSGName = "nodes-nsg" }),
			},
			want: []string{"stacks a and b both name the network security group nodes-nsg (network.nsgName)"},
		},
		{
			name: "default names of stacks whose names differ only in punctuation",
			stacks: []spec.Stack{
				spec.Defaults(spec.Stack{Name: "team.dev", ResourceGroupKey: spec.KeyResourceGroup + ".name", Network: spec.Network{VnetCidr: "10.0.0.0/16"}}),
				spec.Defaults(spec.Stack{Name: "team-dev", ResourceGroupKey: spec.KeyResourceGroup + ".name", Network: spec.Network{VnetCidr: "10.1.0.0/16"}}),
			},
			want: []string{
				"both name the resource group aks-kubenet-team-dev-rg", "both name the VNet aks-kubenet-team-dev-vnet",
				"both name the route table aks-kubenet-team-dev-rt", "both name the user-assigned identity aks-kubenet-team-dev-aks-identity",
				"both name the AKS cluster aks-kubenet-team-dev-aks",
			},
		},
		{
			name:   "empty names are left to Check",
			stacks: []spec.Stack{namedStack("a", 0, func(s *spec.Stack) { *s = spec.Stack{Name: "a"} }), {Name: "b"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckAcross(tc.stacks)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tc.want), findingLines(got))
			}
			for i, f := range got {
				if !strings.Contains(f.String(), tc.want[i]) {
					t.Errorf("finding %d = %q, want it to contain %q", i, f, tc.want[i])
				}
			}
		})
	}
}

func findingLines(findings []Finding) string {
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "  %s %v\n", f, f.Keys)
	}
	return b.String()
}

// A hub's address space counts as a peered range across stacks too.
func TestCheckAcrossCountsTheHub(t *testing.T) {
	a, b := base(), base()
	a.Name, b.Name = "dev", "prod"
	b.Network.VnetCidr, b.Network.NodeSubnetCidr = "10.20.0.0/16", "10.20.0.0/22"
	b.Hub = &spec.Hub{AddressSpace: []string{"10.0.0.0/16"}}
	findings := CheckAcross([]spec.Stack{a, b})
	if _, ok := findingWith(findings, []string{"stack dev network.vnetCidr 10.0.0.0/16 overlaps stack prod hub.addressSpace[0] 10.0.0.0/16"}); !ok {
		t.Errorf("no finding for dev's VNet inside prod's hub: %v", findings)
	}
}

// Two Overlay stacks may share a pod CIDR (aks-rules 10.6); a kubenet
// stack's must be its own (aks-rules 3.3), whatever the other stack is.
func TestCheckAcrossPodCIDRs(t *testing.T) {
	stack := func(name, vnet, pod, plugin string) spec.Stack {
		return spec.Stack{Name: name, Network: spec.Network{VnetCidr: vnet}, Cluster: spec.Cluster{PodCidr: pod, NetworkPlugin: plugin}}
	}
	for _, c := range []struct {
		a, b   string
		podB   string
		refuse string
	}{
		{spec.NetworkPluginOverlay, spec.NetworkPluginOverlay, "10.244.0.0/16", ""},
		{spec.NetworkPluginKubenet, spec.NetworkPluginOverlay, "10.244.0.0/16", "stack a is kubenet"},
		{spec.NetworkPluginOverlay, spec.NetworkPluginKubenet, "10.244.0.0/17", "stack b is kubenet"},
		{spec.NetworkPluginKubenet, spec.NetworkPluginKubenet, "10.244.0.0/16", "stack a is kubenet"},
		{spec.NetworkPluginKubenet, spec.NetworkPluginKubenet, "10.245.0.0/16", ""},
	} {
		got := CheckAcross([]spec.Stack{stack("a", "10.0.0.0/16", "10.244.0.0/16", c.a), stack("b", "10.1.0.0/16", c.podB, c.b)})
		switch {
		case c.refuse == "" && len(got) != 0:
			t.Errorf("%s and %s stacks, pod CIDRs 10.244.0.0/16 and %s: got %v, want no findings", c.a, c.b, c.podB, got)
		case c.refuse != "":
			if len(got) != 1 || !strings.Contains(got[0].Message, c.refuse) || !strings.Contains(got[0].Message, "aks-rules 3.3") || got[0].Keys[0] != spec.PathClusterPodCidr {
				t.Errorf("%s and %s stacks, pod CIDRs 10.244.0.0/16 and %s: got %v, want one finding saying %q", c.a, c.b, c.podB, got, c.refuse)
			}
		}
	}
}
