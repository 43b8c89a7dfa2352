package rules

import (
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

func TestRule13Subscription(t *testing.T) {
	sub := func(v string) func(*spec.Stack) { return func(s *spec.Stack) { s.Subscription = v } }
	runCases(t, []testCase{
		{"a subscription id", sub("0B1F6471-1BF0-4DDA-AEC3-CB9272F09590"), nil, ""},
		{"not a GUID", sub("my-subscription"), []string{`azure-native:subscriptionId "my-subscription" is not a subscription id`}, ""},
		{"not set", sub(""), nil, ""},
		{"the placeholder", sub(spec.PlaceholderSubscription), nil, ""},
	})
	for _, tc := range []struct {
		sub, want string
	}{
		{"", "azure-native:subscriptionId is not set: the stack deploys into whatever subscription the Azure login points at"},
		{spec.PlaceholderSubscription, "azure-native:subscriptionId is the placeholder 00000000-0000-0000-0000-000000000000: replace it"},
	} {
		s := base()
		s.Subscription = tc.sub
		if _, ok := findingWith(Check(s).Warnings, []string{tc.want}); !ok {
			t.Errorf("subscription %q: want a warning containing %q, got %v", tc.sub, tc.want, Check(s).Warnings)
		}
	}
}

func TestZones(t *testing.T) {
	zones := func(z ...string) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.Zones = z } }
	runCases(t, []testCase{
		{"three zones", zones("1", "2", "3"), nil, ""},
		{"one zone", zones("2"), nil, ""},
		{"zone 4", zones("1", "4"), []string{`cluster.zones[1] "4" is not an availability zone: AKS takes 1, 2 and 3`}, ""},
		{"a zone twice", zones("1", "1"), []string{`cluster.zones[1] "1" is listed twice`}, ""},
	})
}

func TestResourceGroupAndNSGNames(t *testing.T) {
	runCases(t, []testCase{
		{"existing group without a name", func(s *spec.Stack) {
			s.ResourceGroup, s.ResourceGroupKey = spec.ResourceGroup{Existing: true}, spec.KeyResourceGroup+".name"
		}, []string{"aks-kubenet:resourceGroup.name is missing: name the existing group"}, ""},
		{"existing group", func(s *spec.Stack) { s.ResourceGroup.Existing = true }, nil, ""},
		{"NSG name ending in a hyphen", func(s *spec.Stack) { s.Network.NSG, s.Network.NSGName = true, "nsg-" },
			[]string{`network.nsgName "nsg-" ends with '-': network security group names have`}, ""},
		{"NSG off, name ignored", func(s *spec.Stack) { s.Network.NSGName = "nsg-" }, nil, ""},
	})
}
