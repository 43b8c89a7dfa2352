package ipplan

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// articlePlan is the reference article's plan: a /16 VNet, the nodes in
// 10.0.1.0/24, three nodes, one default route to the firewall.
func articlePlan() spec.Stack {
	return spec.Defaults(spec.Stack{
		Name:     "dev",
		Location: "eastus",
		Network: spec.Network{
			VnetCidr:       "10.0.0.0/16",
			NodeSubnetCidr: "10.0.1.0/24",
			Routes: []spec.Route{{
				Name: "default-route", AddressPrefix: "0.0.0.0/0",
				NextHopType: spec.NextHopVirtualAppliance, NextHopIPAddress: "10.0.2.4",
			}},
		},
		Cluster: spec.Cluster{
			NodeCount:    spec.Int(3),
			PodCidr:      "10.244.0.0/16",
			ServiceCidr:  "10.0.4.0/24",
			DNSServiceIP: "10.0.4.10",
		},
	})
}

func TestComputeArticlePlan(t *testing.T) {
	got, err := Compute(articlePlan())
	if err != nil {
		t.Fatal(err)
	}
	want := Capacity{
		Pools: []Pool{{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 3, Surge: 1, Peak: 4}},
		Nodes: 3, Surge: 1, Peak: 4,
		VnetAddresses: 65536, SubnetAddresses: 256, SubnetUsable: 251,
		PodCIDRNodes:     256,
		ServiceAddresses: 256,
		UDRs:             1,
		RouteTableUsed:   5,
		Limits: []Limit{
			{"node subnet", []string{"network.nodeSubnetCidr"}, 251},
			{"pod CIDR", []string{"cluster.podCidr"}, 256},
			{"kubenet", nil, 400},
			{"route table", []string{"network.routes"}, 999},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compute(article plan) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestComputeBindingLimit(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*spec.Stack)
		binding string
		max     int
	}{
		{"node subnet binds in the article plan", func(*spec.Stack) {}, "node subnet", 251},
		{"a /20 pod CIDR binds below a /24 subnet", func(s *spec.Stack) { s.Cluster.PodCidr = "10.244.0.0/20" }, "pod CIDR", 16},
		{"kubenet binds a /22 subnet and a /15 pod CIDR with a few routes (aks-rules 2.3)", func(s *spec.Stack) {
			s.Network.NodeSubnetCidr = "10.0.0.0/22"
			s.Cluster.PodCidr = "10.244.0.0/15"
		}, "kubenet", 400},
		{"the route table binds with 700 routes", func(s *spec.Stack) {
			s.Network.NodeSubnetCidr = "10.0.0.0/22"
			s.Cluster.PodCidr = "10.244.0.0/15"
			for i := range 699 {
				s.Network.Routes = append(s.Network.Routes, spec.Route{Name: fmt.Sprint(i), AddressPrefix: fmt.Sprintf("172.%d.%d.0/24", 20+i/256, i%256), NextHopType: spec.NextHopVirtualNetworkGateway})
			}
		}, "route table", 300},
		{"a pod CIDR too small for one node", func(s *spec.Stack) { s.Cluster.PodCidr = "10.244.0.0/25" }, "pod CIDR", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := articlePlan()
			tt.change(&s)
			c, err := Compute(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Limits[0]; got.Name != tt.binding || got.MaxNodes != tt.max {
				t.Errorf("Limits[0] = %+v, want %s at %d (all: %+v)", got, tt.binding, tt.max, c.Limits)
			}
		})
	}
}

func TestComputeAutoscaledPercentSurge(t *testing.T) {
	s := articlePlan()
	s.Cluster.MinCount, s.Cluster.MaxCount = spec.Int(3), spec.Int(20)
	s.Cluster.MaxSurge = "33%"
	s.Network.Routes = append(s.Network.Routes, spec.Route{Name: "on-premises", AddressPrefix: "192.168.0.0/16", NextHopType: spec.NextHopVirtualNetworkGateway})
	c, err := Compute(s)
	if err != nil {
		t.Fatal(err)
	}
	// ceil(33% of 20) = 7 surge nodes; 27 node routes + 2 UDRs.
	if c.Nodes != 20 || c.Surge != 7 || c.Peak != 27 || c.UDRs != 2 || c.RouteTableUsed != 29 {
		t.Errorf("Compute(autoscaled, 33%%) = %+v; want nodes 20, surge 7, peak 27, UDRs 2, route table 29", c)
	}
}

func TestComputeErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*spec.Stack)
		wantErr string
	}{
		{"vnet missing", func(s *spec.Stack) { s.Network.VnetCidr = "" }, `network.vnetCidr: "" is not a CIDR prefix`},
		{"subnet host bits", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.5/24" }, "network.nodeSubnetCidr: 10.0.1.5/24 has host bits set; did you mean 10.0.1.0/24?"},
		{"pod IPv6", func(s *spec.Stack) { s.Cluster.PodCidr = "fd00::/8" }, "cluster.podCidr: fd00::/8 is an IPv6 prefix"},
		{"service garbage", func(s *spec.Stack) { s.Cluster.ServiceCidr = "10.0.4.0/33" }, `cluster.serviceCidr: "10.0.4.0/33" is not a CIDR prefix`},
		{"surge invalid", func(s *spec.Stack) { s.Cluster.MaxSurge = "0" }, `cluster.maxSurge: max surge "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := articlePlan()
			tt.change(&s)
			c, err := Compute(s)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Compute = %+v, %v; want error containing %q", c, err, tt.wantErr)
			}
		})
	}
}

func TestPools(t *testing.T) {
	tests := []struct {
		name    string
		cluster spec.Cluster
		pools   []spec.Pool
		want    []Pool
		wantErr string
	}{
		{"no counts", spec.Cluster{NodePoolName: "system"}, nil,
			[]Pool{{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 0, Surge: 1, Peak: 1}}, ""},
		{"node count and default surge", spec.Cluster{NodePoolName: "system", NodeCount: spec.Int(3)}, nil,
			[]Pool{{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 3, Surge: 1, Peak: 4}}, ""},
		{"max count wins when autoscaling", spec.Cluster{NodePoolName: "system", NodeCount: spec.Int(3), MinCount: spec.Int(1), MaxCount: spec.Int(5), MaxSurge: "2"}, nil,
			[]Pool{{Name: "system", CountKey: "cluster.maxCount", SurgeKey: "cluster.maxSurge", Nodes: 5, Surge: 2, Peak: 7}}, ""},
		{"percentage rounds up", spec.Cluster{NodePoolName: "system", NodeCount: spec.Int(10), MaxSurge: "33%"}, nil,
			[]Pool{{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 10, Surge: 4, Peak: 14}}, ""},
		{"percentage of a huge pool does not overflow", spec.Cluster{NodePoolName: "system", NodeCount: spec.Int(math.MaxInt), MaxSurge: "100%"}, nil,
			[]Pool{{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: math.MaxInt, Surge: math.MaxInt, Peak: math.MaxInt}}, ""},
		{"user pools in config order, spot counted", spec.Cluster{NodePoolName: "system", NodeCount: spec.Int(3)},
			[]spec.Pool{{Name: "general", NodeCount: spec.Int(5), MaxSurge: "20%"}, {Name: "spot", MinCount: spec.Int(0), MaxCount: spec.Int(10), Priority: spec.PrioritySpot}},
			[]Pool{
				{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 3, Surge: 1, Peak: 4},
				{Name: "general", CountKey: "pools[0].nodeCount", SurgeKey: "pools[0].maxSurge", Nodes: 5, Surge: 1, Peak: 6},
				{Name: "spot", CountKey: "pools[1].maxCount", SurgeKey: "pools[1].maxSurge", Spot: true, Nodes: 10, Surge: 1, Peak: 11},
			}, ""},
		{"invalid surge counts none and names its key", spec.Cluster{NodePoolName: "system", NodeCount: spec.Int(3)},
			[]spec.Pool{{Name: "general", NodeCount: spec.Int(5), MaxSurge: "1.5"}},
			[]Pool{
				{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 3, Surge: 1, Peak: 4},
				{Name: "general", CountKey: "pools[0].nodeCount", SurgeKey: "pools[0].maxSurge", Nodes: 5, Surge: 0, Peak: 5},
			}, `pools[0].maxSurge: max surge "1.5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Pools(spec.Stack{Cluster: tt.cluster, Pools: tt.pools})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Pools =\n%+v\nwant\n%+v", got, tt.want)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
	if nodes, surge, peak := Total([]Pool{{Nodes: 3, Surge: 1, Peak: 4}, {Nodes: math.MaxInt, Surge: 1, Peak: math.MaxInt}}); nodes != math.MaxInt || surge != 2 || peak != math.MaxInt {
		t.Errorf("Total saturates: %d, %d, %d", nodes, surge, peak)
	}
}

func TestAddSaturating(t *testing.T) {
	tests := []struct{ a, b, want int }{
		{3, 1, 4},
		{-5, 2, -3},
		{math.MaxInt, 1, math.MaxInt},
		{math.MaxInt - 1, 1, math.MaxInt},
		{math.MinInt, -1, math.MinInt},
		{math.MinInt, math.MaxInt, -1},
	}
	for _, tt := range tests {
		if got := addSaturating(tt.a, tt.b); got != tt.want {
			t.Errorf("addSaturating(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// With Azure CNI Overlay the route table holds no node routes and the
// cluster 5,000 nodes (aks-rules 10.7); the subnet and the pod CIDR bind as
// with kubenet (aks-rules 10.1, 10.8).
func TestComputeOverlay(t *testing.T) {
	s := articlePlan()
	s.Cluster.NetworkPlugin = spec.NetworkPluginOverlay
	got, err := Compute(s)
	if err != nil {
		t.Fatal(err)
	}
	want := Capacity{
		Pools: []Pool{{Name: "system", CountKey: "cluster.nodeCount", SurgeKey: "cluster.maxSurge", Nodes: 3, Surge: 1, Peak: 4}},
		Nodes: 3, Surge: 1, Peak: 4,
		VnetAddresses: 65536, SubnetAddresses: 256, SubnetUsable: 251,
		PodCIDRNodes:     256,
		ServiceAddresses: 256,
		UDRs:             1,
		RouteTableUsed:   1,
		Overlay:          true,
		Limits: []Limit{
			{"node subnet", []string{"network.nodeSubnetCidr"}, 251},
			{"pod CIDR", []string{"cluster.podCidr"}, 256},
			{OverlayLimit, nil, MaxOverlayNodes},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compute(article plan, Overlay) =\n%+v\nwant\n%+v", got, want)
	}
	// A big pod CIDR and subnet leave Overlay's 5,000 nodes to bind.
	s.Network.VnetCidr, s.Network.NodeSubnetCidr, s.Cluster.PodCidr = "10.0.0.0/12", "10.0.0.0/16", "100.64.0.0/10"
	if got, err := Compute(s); err != nil || got.Limits[0].Name != OverlayLimit || got.Limits[0].MaxNodes != 5000 {
		t.Errorf("Compute(big Overlay plan) binds first by %+v (err %v), want %s 5000", got.Limits, err, OverlayLimit)
	}
	// A kubenet plan's JSON does not mention Overlay.
	b, err := json.Marshal(Capacity{})
	if err != nil || strings.Contains(string(b), "overlay") {
		t.Errorf("kubenet capacity JSON %s mentions overlay (err %v)", b, err)
	}
}
