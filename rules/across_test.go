package rules

import (
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
