package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// base is the reference article's plan, which every case mutates: a /16 VNet,
// the nodes in 10.0.1.0/24, all egress to the firewall at 10.0.2.4, three nodes.
func base() spec.Stack {
	return spec.Defaults(spec.Stack{
		Name:             "dev",
		Location:         "eastus",
		Subscription:     "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
		ResourceGroup:    spec.ResourceGroup{Name: "aks-kubenet-rg"},
		ResourceGroupKey: spec.KeyResourceGroupName,
		Tags:             map[string]string{"environment": "dev"},
		Network: spec.Network{
			VnetName:       "aks-vnet",
			SubnetName:     "aks-subnet",
			RouteTableName: "aks-route-table",
			VnetCidr:       "10.0.0.0/16",
			NodeSubnetCidr: "10.0.1.0/24",
			Routes:         []spec.Route{route("default-route", "0.0.0.0/0", spec.NextHopVirtualAppliance, "10.0.2.4")},
		},
		Cluster: spec.Cluster{
			Name:         "aks-kubenet-cluster",
			NodeCount:    spec.Int(3),
			PodCidr:      "10.244.0.0/16",
			ServiceCidr:  "10.0.4.0/24",
			DNSServiceIP: "10.0.4.10",
			OutboundType: spec.OutboundUserDefinedRouting,
			// A private cluster with an admin: the posture without warnings.
			ClusterAdmins:  []string{"Group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"},
			PrivateCluster: &yes,
		},
	})
}

var yes = true

func route(name, prefix, typ, hop string) spec.Route {
	return spec.Route{Name: name, AddressPrefix: prefix, NextHopType: typ, NextHopIPAddress: hop}
}

// addRoute appends r to the routes of s.
func addRoute(r spec.Route) func(*spec.Stack) {
	return func(s *spec.Stack) { s.Network.Routes = append(s.Network.Routes, r) }
}

// testCase is a minimal change to base. When want is nil the changed config
// must have no errors (the nearest legal value); otherwise one error must
// contain every string of want and carry code.
type testCase struct {
	name   string
	change func(*spec.Stack)
	want   []string
	code   string
}

func runCases(t *testing.T, cases []testCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.change(&s)
			r := Check(s)
			if tc.want == nil {
				if len(r.Errors) > 0 {
					t.Fatalf("want no errors, got:\n%v", r.Err())
				}
				return
			}
			f, ok := findingWith(r.Errors, tc.want)
			if !ok {
				t.Fatalf("want an error containing %q, got:\n%v", tc.want, r.Err())
			}
			if f.Code != tc.code {
				t.Errorf("error %q has code %q, want %q", f.Message, f.Code, tc.code)
			}
		})
	}
}

// findingWith returns the first finding whose message contains every string
// of want.
func findingWith(fs []Finding, want []string) (Finding, bool) {
	for _, f := range fs {
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(f.Message, w) }) {
			return f, true
		}
	}
	return Finding{}, false
}

func TestBaseIsTheArticlePlan(t *testing.T) {
	r := Check(base())
	if len(r.Errors) != 0 {
		t.Fatalf("base has errors:\n%v", r.Err())
	}
	if r.Err() != nil {
		t.Errorf("Err() = %v, want nil", r.Err())
	}
	want := []Finding{{
		Keys:    []string{"cluster.serviceCidr", "network.vnetCidr"},
		Message: "cluster.serviceCidr 10.0.4.0/24 lies inside network.vnetCidr 10.0.0.0/16, in no subnet: AKS accepts that, but a subnet created in 10.0.4.0/24 later would break service routing, so keep it free of subnets",
	}}
	if !reflect.DeepEqual(r.Warnings, want) {
		t.Errorf("warnings = %#v, want %#v", r.Warnings, want)
	}
}

func TestRule1CIDRsAndAddressesParse(t *testing.T) {
	runCases(t, []testCase{
		{"vnet missing", func(s *spec.Stack) { s.Network.VnetCidr = "" }, []string{"network.vnetCidr is missing"}, ""},
		{"subnet missing", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "" }, []string{"network.nodeSubnetCidr is missing"}, ""},
		{"pod missing", func(s *spec.Stack) { s.Cluster.PodCidr = "" }, []string{"cluster.podCidr is missing"}, ""},
		{"service missing", func(s *spec.Stack) { s.Cluster.ServiceCidr = "" }, []string{"cluster.serviceCidr is missing"}, ""},
		{"dns missing", func(s *spec.Stack) { s.Cluster.DNSServiceIP = "" }, []string{"cluster.dnsServiceIP is missing"}, ""},
		{"subnet host bits", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.5/24" },
			[]string{"network.nodeSubnetCidr 10.0.1.5/24 has host bits set; did you mean 10.0.1.0/24?"}, ""},
		{"subnet canonical", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.0/24" }, nil, ""},
		{"vnet bits over 32", func(s *spec.Stack) { s.Network.VnetCidr = "10.0.0.0/33" },
			[]string{`network.vnetCidr "10.0.0.0/33" is not a CIDR prefix`}, ""},
		{"pod IPv6", func(s *spec.Stack) { s.Cluster.PodCidr = "fd00:10:244::/56" },
			[]string{"cluster.podCidr fd00:10:244::/56 is an IPv6 prefix"}, ""},
		{"pod IPv4", func(s *spec.Stack) { s.Cluster.PodCidr = "10.244.0.0/16" }, nil, ""},
		{"service without bits", func(s *spec.Stack) { s.Cluster.ServiceCidr = "10.0.4.0" },
			[]string{`cluster.serviceCidr "10.0.4.0" is not a CIDR prefix`}, "CidrStringParseError"},
		{"peered garbage", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.100.0.0/16", "hub"} },
			[]string{`network.peeredCidrs[1] "hub" is not a CIDR prefix`}, ""},
		{"peered empty", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{""} },
			[]string{"network.peeredCidrs[0] is missing"}, ""},
		{"peered valid", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.100.0.0/16", "192.168.0.0/16"} }, nil, ""},
		{"route prefix missing", addRoute(route("on-premises", "", spec.NextHopVirtualNetworkGateway, "")),
			[]string{"network.routes[1].addressPrefix is missing"}, ""},
		{"route prefix host bits", addRoute(route("on-premises", "192.168.1.0/16", spec.NextHopVirtualNetworkGateway, "")),
			[]string{"network.routes[1].addressPrefix 192.168.1.0/16 has host bits set; did you mean 192.168.0.0/16?"}, ""},
		{"route prefix canonical", addRoute(route("on-premises", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "")), nil, ""},
		{"dns not an address", func(s *spec.Stack) { s.Cluster.DNSServiceIP = "10.0.4" },
			[]string{`cluster.dnsServiceIP "10.0.4" is not an IPv4 address`}, "DnsServiceIpParseError"},
		{"dns IPv4-mapped", func(s *spec.Stack) { s.Cluster.DNSServiceIP = "::ffff:10.0.4.10" },
			[]string{"cluster.dnsServiceIP ::ffff:10.0.4.10 is an IPv4-mapped IPv6 address; write it as 10.0.4.10"}, ""},
		{"next hop out of range", func(s *spec.Stack) { s.Network.Routes[0].NextHopIPAddress = "10.0.2.300" },
			[]string{`network.routes[0].nextHopIpAddress "10.0.2.300" is not an IPv4 address`}, ""},
		{"next hop IPv6", func(s *spec.Stack) { s.Network.Routes[0].NextHopIPAddress = "fd00::4" },
			[]string{"network.routes[0].nextHopIpAddress fd00::4 is an IPv6 address"}, ""},
	})
}

func TestRule2VNetAndSubnet(t *testing.T) {
	runCases(t, []testCase{
		{"subnet outside the VNet", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.1.1.0/24" },
			[]string{"network.nodeSubnetCidr 10.1.1.0/24 is not inside network.vnetCidr 10.0.0.0/16"}, ""},
		{"subnet larger than the VNet", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.0.0/15" },
			[]string{"network.nodeSubnetCidr 10.0.0.0/15 is not inside network.vnetCidr 10.0.0.0/16"}, ""},
		{"subnet at the VNet's end", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.255.0/24" }, nil, ""},
		{"subnet below /29", func(s *spec.Stack) {
			s.Network.NodeSubnetCidr = "10.0.1.0/30"
			s.Cluster.NodeCount = spec.Int(2)
		}, []string{"network.nodeSubnetCidr 10.0.1.0/30 is smaller than /29, the smallest subnet Azure creates"}, ""},
		{"subnet at /29", func(s *spec.Stack) {
			s.Network.NodeSubnetCidr = "10.0.1.0/29"
			s.Cluster.NodeCount = spec.Int(2)
		}, nil, ""},
		{"peered range over the VNet", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.0.0.0/8"} },
			[]string{"network.peeredCidrs[0] 10.0.0.0/8 overlaps network.vnetCidr 10.0.0.0/16"}, ""},
		{"peered range inside the VNet", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"192.168.0.0/16", "10.0.2.0/24"} },
			[]string{"network.peeredCidrs[1] 10.0.2.0/24 overlaps network.vnetCidr 10.0.0.0/16"}, ""},
		{"peered range next to the VNet", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.1.0.0/16"} }, nil, ""},
		{"VNet over Azure's virtual public IP", func(s *spec.Stack) {
			s.Network.VnetCidr, s.Network.NodeSubnetCidr = "168.63.0.0/16", "168.63.1.0/24"
		}, []string{"network.vnetCidr 168.63.0.0/16 overlaps 168.63.129.16/32: a VNet's address space cannot include 224.0.0.0/4 (multicast)"}, ""},
		{"VNet next to Azure's virtual public IP", func(s *spec.Stack) {
			s.Network.VnetCidr, s.Network.NodeSubnetCidr = "168.62.0.0/16", "168.62.1.0/24"
		}, nil, ""},
		{"VNet in loopback", func(s *spec.Stack) {
			s.Network.VnetCidr, s.Network.NodeSubnetCidr = "127.0.0.0/16", "127.0.1.0/24"
		}, []string{"network.vnetCidr 127.0.0.0/16 overlaps 127.0.0.0/8:"}, ""},
		{"VNet over multicast and broadcast", func(s *spec.Stack) {
			s.Network.VnetCidr, s.Network.NodeSubnetCidr = "224.0.0.0/3", "224.0.1.0/24"
		}, []string{"network.vnetCidr 224.0.0.0/3 overlaps 224.0.0.0/4 and 255.255.255.255/32:"}, ""},
	})
}

func TestRule3AKSReservedRanges(t *testing.T) {
	runCases(t, []testCase{
		{"pod CIDR around 172.30/16 and 172.31/16", func(s *spec.Stack) { s.Cluster.PodCidr = "172.16.0.0/12" },
			[]string{"cluster.podCidr 172.16.0.0/12 overlaps 172.30.0.0/16 and 172.31.0.0/16, which AKS reserves"}, ""},
		{"pod CIDR below 172.30/16", func(s *spec.Stack) { s.Cluster.PodCidr = "172.16.0.0/13" }, nil, ""},
		{"service CIDR in 192.0.2/24", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "192.0.2.0/24", "192.0.2.10" },
			[]string{"cluster.serviceCidr 192.0.2.0/24 overlaps 192.0.2.0/24, which AKS reserves"}, ""},
		{"service CIDR next to 192.0.2/24", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "192.0.3.0/24", "192.0.3.10" }, nil, ""},
		{"VNet in 172.30/16", func(s *spec.Stack) {
			s.Network.VnetCidr, s.Network.NodeSubnetCidr = "172.30.0.0/16", "172.30.1.0/24"
		}, []string{"network.vnetCidr 172.30.0.0/16 overlaps 172.30.0.0/16, which AKS reserves"}, ""},
		{"VNet in 172.29/16", func(s *spec.Stack) {
			s.Network.VnetCidr, s.Network.NodeSubnetCidr = "172.29.0.0/16", "172.29.1.0/24"
		}, nil, ""},
	})
}

// TestVNetLinkLocalReportedOnce: 169.254.0.0/16 is forbidden to VNets by Azure
// (rule 2) and by AKS (rule 3); the VNet gets one finding, not two.
func TestVNetLinkLocalReportedOnce(t *testing.T) {
	s := base()
	s.Network.VnetCidr, s.Network.NodeSubnetCidr = "169.254.0.0/16", "169.254.1.0/24"
	var got []string
	for _, f := range Check(s).Errors {
		if f.Keys[0] == "network.vnetCidr" {
			got = append(got, f.Message)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "overlaps 169.254.0.0/16: a VNet's address space cannot include") {
		t.Errorf("network.vnetCidr findings = %q, want one about 169.254.0.0/16", got)
	}
}

func TestRule4PodCIDRIsUsedNowhereElse(t *testing.T) {
	runCases(t, []testCase{
		{"pod CIDR is the VNet", func(s *spec.Stack) { s.Cluster.PodCidr = "10.0.0.0/16" },
			[]string{"cluster.podCidr 10.0.0.0/16 overlaps network.vnetCidr 10.0.0.0/16: pod addresses must not be routable inside the VNet"}, "PodCidrOverlapExistingSubnetsCidr"},
		{"pod CIDR next to the VNet", func(s *spec.Stack) { s.Cluster.PodCidr = "10.1.0.0/16" }, nil, ""},
		{"pod CIDR around the service CIDR", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.244.0.0/24", "10.244.0.10" },
			[]string{"cluster.podCidr 10.244.0.0/16 overlaps cluster.serviceCidr 10.244.0.0/24"}, "PodCidrOverlapServiceCidr"},
		{"service CIDR next to the pod CIDR", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.245.0.0/24", "10.245.0.10" }, nil, ""},
		{"pod CIDR in a peered range", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.100.0.0/16", "10.244.0.0/14"} },
			[]string{"cluster.podCidr 10.244.0.0/16 overlaps network.peeredCidrs[1] 10.244.0.0/14"}, ""},
		{"peered range next to the pod CIDR", func(s *spec.Stack) { s.Network.PeeredCidrs = []string{"10.100.0.0/16", "10.248.0.0/14"} }, nil, ""},
	})
}

func TestRule5ServiceCIDR(t *testing.T) {
	runCases(t, []testCase{
		{"service CIDR larger than /12", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.32.0.0/11", "10.32.0.10" },
			[]string{"cluster.serviceCidr 10.32.0.0/11 is larger than /12"}, ""},
		{"service CIDR at /12", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.32.0.0/12", "10.32.0.10" }, nil, ""},
		{"service CIDR is the node subnet", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.0.1.0/24", "10.0.1.10" },
			[]string{"cluster.serviceCidr 10.0.1.0/24 overlaps network.nodeSubnetCidr 10.0.1.0/24"}, "ServiceCidrOverlapExistingSubnetsCidr"},
		{"service CIDR around the VNet", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.0.0.0/12", "10.0.0.10" },
			[]string{"cluster.serviceCidr 10.0.0.0/12 overlaps network.nodeSubnetCidr 10.0.1.0/24"}, "ServiceCidrOverlapExistingSubnetsCidr"},
		{"service CIDR in a peered range", func(s *spec.Stack) {
			s.Network.PeeredCidrs = []string{"10.100.0.0/16"}
			s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.100.4.0/24", "10.100.4.10"
		}, []string{"cluster.serviceCidr 10.100.4.0/24 overlaps network.peeredCidrs[0] 10.100.0.0/16"}, ""},
		{"service CIDR outside every range", func(s *spec.Stack) {
			s.Network.PeeredCidrs = []string{"10.100.0.0/16"}
			s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.101.4.0/24", "10.101.4.10"
		}, nil, ""},
	})
}

func TestRule5ServiceCIDRWarnings(t *testing.T) {
	tests := []struct {
		name         string
		change       func(*spec.Stack)
		wantWarnings int
	}{
		{"inside the VNet, in no subnet", func(*spec.Stack) {}, 1},
		{"outside the VNet", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.1.4.0/24", "10.1.4.10" }, 0},
		{"inside the node subnet is an error, not a warning", func(s *spec.Stack) {
			s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.0.1.128/25", "10.0.1.138"
		}, 0},
		{"node subnet unparsed: no judgement", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.5/24" }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.change(&s)
			if got := Check(s).Warnings; len(got) != tt.wantWarnings {
				t.Errorf("warnings = %v, want %d", got, tt.wantWarnings)
			}
		})
	}
}

func TestRule6DNSServiceIP(t *testing.T) {
	dns := func(ip string) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.DNSServiceIP = ip } }
	runCases(t, []testCase{
		{"outside the service CIDR", dns("10.0.5.10"),
			[]string{"cluster.dnsServiceIP 10.0.5.10 is not inside cluster.serviceCidr 10.0.4.0/24; use an address such as 10.0.4.10"}, "DnsServiceIpOutOfServiceCidr"},
		{"network address", dns("10.0.4.0"), []string{"cluster.dnsServiceIP 10.0.4.0 is the network address of cluster.serviceCidr 10.0.4.0/24"}, ""},
		{"first address", dns("10.0.4.1"),
			[]string{"cluster.dnsServiceIP 10.0.4.1 is the first address of cluster.serviceCidr 10.0.4.0/24, which Kubernetes gives the kubernetes service"}, "DnsServiceIpConflicting"},
		{"second address", dns("10.0.4.2"), nil, ""},
		{"broadcast address", dns("10.0.4.255"), []string{"cluster.dnsServiceIP 10.0.4.255 is the broadcast address of cluster.serviceCidr 10.0.4.0/24"}, "DnsBroadcastAddressConflicting"},
		{"last host address", dns("10.0.4.254"), nil, ""},
		{"service range of two addresses", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.0.4.0/31", "10.0.4.1" },
			[]string{"cluster.serviceCidr 10.0.4.0/31 has no address for cluster.dnsServiceIP"}, ""},
		{"service range of four addresses", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.0.4.0/30", "10.0.4.2" }, nil, ""},
		{"small range suggests its second address", func(s *spec.Stack) { s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.0.4.0/29", "10.0.4.1" },
			[]string{"use an address such as 10.0.4.2"}, "DnsServiceIpConflicting"},
	})
}

func TestRule7Routes(t *testing.T) {
	name := func(n string) func(*spec.Stack) { return func(s *spec.Stack) { s.Network.Routes[0].Name = n } }
	hopType := func(t string) func(*spec.Stack) { return func(s *spec.Stack) { s.Network.Routes[0].NextHopType = t } }
	hop := func(ip string) func(*spec.Stack) {
		return func(s *spec.Stack) { s.Network.Routes[0].NextHopIPAddress = ip }
	}
	runCases(t, []testCase{
		{"name missing", name(""), []string{"network.routes[0].name is missing: route names have 1-80 characters"}, ""},
		{"name starts with a hyphen", name("-default"), []string{`network.routes[0].name "-default" starts with '-'`}, ""},
		{"name ends with a hyphen", name("default-"), []string{`network.routes[0].name "default-" ends with '-'`}, ""},
		{"name ends with an underscore", name("default_"), nil, ""},
		{"name with a space", name("default route"), []string{`network.routes[0].name "default route" contains ' '`}, ""},
		{"name of 81 characters", name(strings.Repeat("r", 81)), []string{"network.routes[0].name", "is 81 characters long"}, ""},
		{"name of 80 characters", name(strings.Repeat("r", 80)), nil, ""},
		{"names equal but for case", addRoute(route("Default-Route", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "")),
			[]string{`network.routes[1].name "Default-Route" repeats network.routes[0].name "default-route"`}, ""},
		{"names distinct", addRoute(route("default-route-2", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "")), nil, ""},
		{"prefix repeated", addRoute(route("again", "0.0.0.0/0", spec.NextHopVirtualNetworkGateway, "")),
			[]string{"network.routes[1].addressPrefix 0.0.0.0/0 repeats network.routes[0].addressPrefix"}, "RouteConflict"},
		{"next hop type missing", hopType(""), []string{"network.routes[0].nextHopType is missing: set VirtualNetworkGateway, VnetLocal, Internet, VirtualAppliance or None"}, ""},
		{"next hop type in the wrong case", hopType("virtualAppliance"),
			[]string{`network.routes[0].nextHopType "virtualAppliance" is not a next hop type; did you mean VirtualAppliance?`}, ""},
		{"next hop type unknown", hopType("Firewall"),
			[]string{`network.routes[0].nextHopType "Firewall" is not a next hop type: want VirtualNetworkGateway, VnetLocal, Internet, VirtualAppliance or None`}, ""},
		{"appliance without address", hop(""), []string{"network.routes[0].nextHopIpAddress is missing: network.routes[0].nextHopType VirtualAppliance needs"}, "MissingNextHopIpAddress"},
		{"gateway with an address", addRoute(route("on-premises", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "10.0.2.4")),
			[]string{`network.routes[1].nextHopIpAddress "10.0.2.4" is set, but network.routes[1].nextHopType is VirtualNetworkGateway`}, ""},
		{"gateway without an address", addRoute(route("on-premises", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "")), nil, ""},
		{"appliance in the pod CIDR", hop("10.244.0.4"),
			[]string{"network.routes[0].nextHopIpAddress 10.244.0.4 lies inside cluster.podCidr 10.244.0.0/16"}, ""},
		{"appliance in the service CIDR", hop("10.0.4.4"),
			[]string{"network.routes[0].nextHopIpAddress 10.0.4.4 lies inside cluster.serviceCidr 10.0.4.0/24"}, ""},
		{"appliance in its own subnet", hop("10.0.2.4"), nil, ""},
	})
}

func TestRule7RouteCount(t *testing.T) {
	runCases(t, []testCase{
		{"1001 routes", manyRoutes(1001), []string{"network.routes has 1001 routes, but a route table holds at most 1000"}, ""},
		{"996 routes and 4 nodes at the peak", manyRoutes(996), nil, ""},
	})
	s := base()
	manyRoutes(1001)(&s)
	if f, ok := findingWith(Check(s).Errors, []string{"leaves room in the route table"}); ok {
		t.Errorf("401 routes also reported as a capacity problem: %s", f.Message)
	}
}

func TestRule7ApplianceWarnings(t *testing.T) {
	tests := []struct {
		name   string
		change func(*spec.Stack)
		want   string // substring of the one route warning, "" for none
	}{
		{"appliance outside the VNet and every peering", func(s *spec.Stack) { s.Network.Routes[0].NextHopIPAddress = "10.50.0.4" },
			"network.routes[0].nextHopIpAddress 10.50.0.4 lies outside network.vnetCidr 10.0.0.0/16 and every network.peeredCidrs range"},
		{"appliance in a peered hub", func(s *spec.Stack) {
			s.Network.Routes[0].NextHopIPAddress = "10.50.0.4"
			s.Network.PeeredCidrs = []string{"10.50.0.0/16"}
		}, ""},
		{"appliance in an unparsed peered range: no judgement", func(s *spec.Stack) {
			s.Network.Routes[0].NextHopIPAddress = "10.50.0.4"
			s.Network.PeeredCidrs = []string{"10.50.0.0"}
		}, ""},
		{"appliance in the node subnet", func(s *spec.Stack) { s.Network.Routes[0].NextHopIPAddress = "10.0.1.4" },
			"network.routes[0].nextHopIpAddress 10.0.1.4 lies inside network.nodeSubnetCidr 10.0.1.0/24: an appliance in the subnet it routes risks a routing loop"},
		{"appliance in a subnet of its own", func(s *spec.Stack) { s.Network.Routes[0].NextHopIPAddress = "10.0.2.4" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.change(&s)
			var got []string
			for _, w := range Check(s).Warnings {
				if strings.HasPrefix(w.Message, "network.routes") {
					got = append(got, w.Message)
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("route warnings = %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("route warnings = %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestRule8NoRoutesInsideThePodCIDR(t *testing.T) {
	runCases(t, []testCase{
		{"route to one node's /24", addRoute(route("node", "10.244.1.0/24", spec.NextHopVirtualNetworkGateway, "")),
			[]string{"network.routes[1].addressPrefix 10.244.1.0/24 lies inside cluster.podCidr 10.244.0.0/16: AKS routes that range itself"}, ""},
		{"route to the whole pod CIDR", addRoute(route("pods", "10.244.0.0/16", spec.NextHopVirtualNetworkGateway, "")),
			[]string{"network.routes[1].addressPrefix 10.244.0.0/16 lies inside cluster.podCidr 10.244.0.0/16"}, ""},
		{"route around the pod CIDR", addRoute(route("ten", "10.0.0.0/8", spec.NextHopVirtualNetworkGateway, "")), nil, ""},
		{"route next to the pod CIDR", addRoute(route("next", "10.245.0.0/16", spec.NextHopVirtualNetworkGateway, "")), nil, ""},
	})
}

func TestRule9Outbound(t *testing.T) {
	onPremOnly := func(s *spec.Stack) {
		s.Network.Routes = []spec.Route{route("on-premises", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "")}
	}
	defaultTo := func(typ string) func(*spec.Stack) {
		return func(s *spec.Stack) { s.Network.Routes[0].NextHopType, s.Network.Routes[0].NextHopIPAddress = typ, "" }
	}
	runCases(t, []testCase{
		{"no default route", onPremOnly,
			[]string{"network.routes has no 0.0.0.0/0 route, which cluster.outboundType userDefinedRouting requires"}, CodeRouteTableMissingDefaultRoute},
		{"no default route with a load balancer", func(s *spec.Stack) {
			onPremOnly(s)
			s.Cluster.OutboundType = spec.OutboundLoadBalancer
		}, nil, ""},
		{"no routes at all", func(s *spec.Stack) { s.Network.Routes = nil },
			[]string{"network.routes has no 0.0.0.0/0 route"}, CodeRouteTableMissingDefaultRoute},
		{"default route to the Internet", defaultTo(spec.NextHopInternet),
			[]string{"network.routes[0].nextHopType Internet on the 0.0.0.0/0 route is refused with cluster.outboundType userDefinedRouting"}, CodeRouteTableInvalidNextHop},
		{"default route to VnetLocal", defaultTo(spec.NextHopVnetLocal),
			[]string{"network.routes[0].nextHopType VnetLocal on the 0.0.0.0/0 route"}, CodeRouteTableInvalidNextHop},
		{"default route to None", defaultTo(spec.NextHopNone),
			[]string{"network.routes[0].nextHopType None on the 0.0.0.0/0 route"}, CodeRouteTableInvalidNextHop},
		{"default route to a VPN gateway", defaultTo(spec.NextHopVirtualNetworkGateway), nil, ""},
		{"outbound type in the wrong case", func(s *spec.Stack) { s.Cluster.OutboundType = "UserDefinedRouting" },
			[]string{`cluster.outboundType "UserDefinedRouting" is not supported; did you mean userDefinedRouting?`}, ""},
		{"outbound type unknown", func(s *spec.Stack) { s.Cluster.OutboundType = "managedNATGateway" },
			[]string{`cluster.outboundType "managedNATGateway" is not supported: want userDefinedRouting or loadBalancer`}, ""},
		{"outbound type missing", func(s *spec.Stack) { s.Cluster.OutboundType = "" },
			[]string{"cluster.outboundType is missing: set userDefinedRouting or loadBalancer"}, ""},
		{"load balancer", func(s *spec.Stack) { s.Cluster.OutboundType = spec.OutboundLoadBalancer }, nil, ""},
	})
}

// TestRule9UnparsedPrefixIsNoMissingDefault: a route prefix that did not parse
// might be the default route, so its absence is not reported on top.
func TestRule9UnparsedPrefixIsNoMissingDefault(t *testing.T) {
	s := base()
	s.Network.Routes[0].AddressPrefix = "0.0.0.0"
	for _, f := range Check(s).Errors {
		if f.Code == CodeRouteTableMissingDefaultRoute {
			t.Errorf("unexpected %s", f)
		}
	}
}

// with is the changes, one after the other, as one change of a stack.
func with(changes ...func(*spec.Stack)) func(*spec.Stack) {
	return func(s *spec.Stack) {
		for _, c := range changes {
			c(s)
		}
	}
}

// podCidr sets the cluster's pod CIDR.
func podCidr(p string) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.PodCidr = p } }

// nodes sets the system pool's node count.
func nodes(n int) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.NodeCount = spec.Int(n) } }

// bigPlan gives the stack a /22 node subnet and a /15 pod CIDR.
func bigPlan(s *spec.Stack) {
	s.Network.NodeSubnetCidr, s.Cluster.PodCidr = "10.0.0.0/22", "10.244.0.0/15"
}

func TestRule10Capacity(t *testing.T) {
	autoscale := func(min, max int) func(*spec.Stack) {
		return func(s *spec.Stack) { s.Cluster.MinCount, s.Cluster.MaxCount = spec.Int(min), spec.Int(max) }
	}
	pools := func(pools ...spec.Pool) func(*spec.Stack) {
		return func(s *spec.Stack) {
			s.Pools = pools
			*s = spec.Defaults(*s)
		}
	}
	pool := func(name string, n int) spec.Pool { return spec.Pool{Name: name, NodeCount: spec.Int(n)} }
	spot := spec.Pool{Name: "spot", MinCount: spec.Int(0), MaxCount: spec.Int(110), Priority: spec.PrioritySpot}
	runCases(t, []testCase{
		{"pod CIDR too small for the autoscaled pool", with(podCidr("10.244.0.0/22"), autoscale(1, 5)),
			[]string{"cluster.podCidr 10.244.0.0/22 holds 4 nodes at one /24 per node, but the node pools reach 6 at their upgrade peak (system: cluster.maxCount 5 + 1 surge)"}, CodeInsufficientPodCidr},
		{"pod CIDR just large enough", with(podCidr("10.244.0.0/22"), autoscale(1, 3)), nil, ""},
		{"pod CIDR too small for a percentage surge", with(podCidr("10.244.0.0/20"), autoscale(3, 20), func(s *spec.Stack) { s.Cluster.MaxSurge = "33%" }),
			[]string{"cluster.podCidr 10.244.0.0/20 holds 16 nodes", "reach 27 at their upgrade peak (system: cluster.maxCount 20 + 7 surge)"}, CodeInsufficientPodCidr},
		{"pod CIDR below /24", podCidr("10.244.0.0/25"),
			[]string{"cluster.podCidr 10.244.0.0/25 is smaller than /24: kubenet gives every node a /24"}, CodeInsufficientPodCidr},
		{"pod CIDR of one /24 for one node and no surge room", with(podCidr("10.244.0.0/24"), nodes(1)),
			[]string{"cluster.podCidr 10.244.0.0/24 holds 1 node at", "reach 2 at"}, CodeInsufficientPodCidr},
		{"node subnet too small", func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.0/29" },
			[]string{"network.nodeSubnetCidr 10.0.1.0/29 has 3 usable addresses (8 minus the 5 Azure reserves), but the node pools reach 4 nodes at their upgrade peak (system: cluster.nodeCount 3 + 1 surge)"}, CodeInsufficientSubnetSize},
		{"node subnet just large enough", with(func(s *spec.Stack) { s.Network.NodeSubnetCidr = "10.0.1.0/29" }, nodes(2)), nil, ""},
		{"maxSurge zero", func(s *spec.Stack) { s.Cluster.MaxSurge = "0" },
			[]string{`cluster.maxSurge "0" is neither a node count such as 1 nor a percentage from 1% to 100%`}, ""},
		{"maxSurge over 100%", func(s *spec.Stack) { s.Cluster.MaxSurge = "101%" }, []string{`cluster.maxSurge "101%" is neither`}, ""},
		{"maxSurge 100%", func(s *spec.Stack) { s.Cluster.MaxSurge = "100%" }, nil, ""},
		{"maxSurge 3", func(s *spec.Stack) { s.Cluster.MaxSurge = "3" }, nil, ""},
		// aks-rules 2.2: 1,000 routes per table. 700 routes leave room for
		// 300 node routes.
		{"route table too small", with(bigPlan, manyRoutes(700), nodes(300)),
			[]string{"network.routes has 700 user-defined routes, which leaves room in the route table for 300 node routes, but the node pools reach 301 nodes at their upgrade peak (system: cluster.nodeCount 300 + 1 surge): a route table holds 1000 routes"}, ""},
		{"route table just large enough", with(bigPlan, manyRoutes(700), nodes(299)), nil, ""},
		// The example: 395 nodes and 10 UDRs, which a 400-route
		// table refused, fit Azure's 1,000.
		{"395 nodes and 10 routes", with(bigPlan, manyRoutes(10), nodes(394)), nil, ""},
		{"kubenet just large enough", with(bigPlan, nodes(399)), nil, ""},
		{"more nodes than kubenet allows", with(bigPlan, nodes(400)),
			[]string{"the node pools reach 401 nodes at their upgrade peak (system: cluster.nodeCount 400 + 1 surge), more than the 400 nodes a kubenet cluster can have"}, ""},
		{"autoscaler beyond kubenet", with(bigPlan, autoscale(3, 401)), []string{"the node pools reach 402 nodes", "(system: cluster.maxCount 401 + 1 surge)"}, ""},
		// No pool breaks a limit alone; together they do.
		{"pools beyond kubenet together", with(bigPlan, pools(pool("general", 200), pool("batch", 195))),
			[]string{"the node pools reach 401 nodes at their upgrade peak (system: cluster.nodeCount 3 + 1 surge; general: pools[0].nodeCount 200 + 1 surge; batch: pools[1].nodeCount 195 + 1 surge), more than the 400 nodes a kubenet cluster can have"}, ""},
		{"pools within kubenet together", with(bigPlan, pools(pool("general", 200), pool("batch", 194))), nil, ""},
		{"pools beyond the pod CIDR together, spot counted", with(bigPlan, podCidr("10.244.0.0/16"), pools(pool("general", 141), spot)),
			[]string{"cluster.podCidr 10.244.0.0/16 holds 256 nodes at one /24 per node, but the node pools reach 257 at their upgrade peak (system: cluster.nodeCount 3 + 1 surge; general: pools[0].nodeCount 141 + 1 surge; spot: pools[1].maxCount 110 + 1 surge)"}, CodeInsufficientPodCidr},
		{"pools beyond the node subnet together", with(pools(pool("general", 120), pool("batch", 126))),
			[]string{"network.nodeSubnetCidr 10.0.1.0/24 has 251 usable addresses", "reach 252 nodes at their upgrade peak (system: cluster.nodeCount 3 + 1 surge; general: pools[0].nodeCount 120 + 1 surge; batch: pools[1].nodeCount 126 + 1 surge)"}, CodeInsufficientSubnetSize},
	})
}

// manyRoutes adds n-1 routes to distinct /24s to base's default route.
func manyRoutes(n int) func(*spec.Stack) {
	return func(s *spec.Stack) {
		for i := range n - 1 {
			prefix := fmt.Sprintf("172.%d.%d.0/24", 20+i/256, i%256)
			s.Network.Routes = append(s.Network.Routes, route(fmt.Sprintf("r%d", i), prefix, spec.NextHopVirtualNetworkGateway, ""))
		}
	}
}

func TestRule11NodePool(t *testing.T) {
	counts := func(min, node, max *int) func(*spec.Stack) {
		return func(s *spec.Stack) { s.Cluster.MinCount, s.Cluster.NodeCount, s.Cluster.MaxCount = min, node, max }
	}
	maxPods := func(n int) func(*spec.Stack) { return func(s *spec.Stack) { s.Cluster.MaxPods = spec.Int(n) } }
	n := spec.Int
	runCases(t, []testCase{
		{"node count missing", counts(nil, nil, nil), []string{"cluster.nodeCount is missing"}, ""},
		{"node count zero", counts(nil, n(0), nil), []string{"cluster.nodeCount 0 is less than 1"}, ""},
		{"node count one", counts(nil, n(1), nil), nil, ""},
		{"min count alone", counts(n(1), n(3), nil), []string{"cluster.minCount 1 is set without cluster.maxCount"}, ""},
		{"max count alone", counts(nil, n(3), n(5)), []string{"cluster.maxCount 5 is set without cluster.minCount"}, ""},
		{"both counts", counts(n(1), n(3), n(5)), nil, ""},
		{"min count zero", counts(n(0), n(3), n(5)), []string{"cluster.minCount 0 is less than 1"}, ""},
		{"min count above node count", counts(n(4), n(3), n(5)), []string{"cluster.minCount 4 exceeds cluster.nodeCount 3"}, ""},
		{"node count above max count", counts(n(1), n(3), n(2)), []string{"cluster.nodeCount 3 exceeds cluster.maxCount 2"}, ""},
		{"min above max without node count", counts(n(5), nil, n(4)), []string{"cluster.minCount 5 exceeds cluster.maxCount 4"}, ""},
		{"all counts equal", counts(n(3), n(3), n(3)), nil, ""},
		{"max pods missing", func(s *spec.Stack) { s.Cluster.MaxPods = nil }, []string{"cluster.maxPods is missing"}, ""},
		{"max pods below 10", maxPods(9), []string{"cluster.maxPods 9 is outside 10-250"}, ""},
		{"max pods 10 on three nodes", maxPods(10), nil, ""},
		{"max pods above 250", maxPods(251), []string{"cluster.maxPods 251 is outside 10-250"}, ""},
		{"max pods 250", maxPods(250), nil, ""},
		{"room for 20 pods", func(s *spec.Stack) { s.Cluster.NodeCount, s.Cluster.MaxPods = n(2), n(10) },
			[]string{"cluster.maxPods 10 × cluster.nodeCount 2 gives the system pool room for 20 pods at its smallest, but a system pool needs room for at least 30"}, ""},
		{"room for 30 pods", func(s *spec.Stack) { s.Cluster.NodeCount, s.Cluster.MaxPods = n(2), n(15) }, nil, ""},
		{"autoscaled pool counted at its minimum", func(s *spec.Stack) {
			s.Cluster.MinCount, s.Cluster.MaxCount, s.Cluster.MaxPods = n(1), n(5), n(20)
		}, []string{"cluster.maxPods 20 × cluster.minCount 1 gives the system pool room for 20 pods"}, ""},
	})
}

func TestRule12Names(t *testing.T) {
	// field returns a change that sets the string pick chooses in the stack.
	field := func(pick func(*spec.Stack) *string, value string) func(*spec.Stack) {
		return func(s *spec.Stack) { *pick(s) = value }
	}
	rg := func(s *spec.Stack) *string { return &s.ResourceGroup.Name }
	nodeRG := func(s *spec.Stack) *string { return &s.Cluster.NodeResourceGroup }
	cluster := func(s *spec.Stack) *string { return &s.Cluster.Name }
	dns := func(s *spec.Stack) *string { return &s.Cluster.DNSPrefix }
	pool := func(s *spec.Stack) *string { return &s.Cluster.NodePoolName }
	vnet := func(s *spec.Stack) *string { return &s.Network.VnetName }
	subnet := func(s *spec.Stack) *string { return &s.Network.SubnetName }
	table := func(s *spec.Stack) *string { return &s.Network.RouteTableName }
	identity := func(s *spec.Stack) *string { return &s.Cluster.IdentityName }
	version := func(s *spec.Stack) *string { return &s.Cluster.KubernetesVersion }
	runCases(t, []testCase{
		{"resource group with a space", field(rg, "my rg"), []string{`aks-kubenet:resourceGroupName "my rg" contains ' ': resource group names have 1-90 characters`}, ""},
		{"resource group ending in a period", field(rg, "rg."), []string{`aks-kubenet:resourceGroupName "rg." ends with '.'`}, ""},
		{"resource group of 91 characters", field(rg, strings.Repeat("g", 91)), []string{"aks-kubenet:resourceGroupName", "is 91 characters long"}, ""},
		{"resource group missing", field(rg, ""), []string{"aks-kubenet:resourceGroupName is missing"}, ""},
		{"resource group with Unicode letters and punctuation", field(rg, "grupo_(ñ)-1.a"), nil, ""},
		{"node resource group with a slash", field(nodeRG, "MC/rg"), []string{`cluster.nodeResourceGroup "MC/rg" contains '/'`}, ""},
		{"node resource group", field(nodeRG, "MC_aks-kubenet-rg"), nil, ""},
		{"cluster name starting with a hyphen", field(cluster, "-aks"), []string{`cluster.name "-aks" starts with '-': AKS cluster names have 1-63 characters`}, ""},
		{"cluster name of 64 characters", field(cluster, strings.Repeat("a", 64)), []string{"cluster.name", "is 64 characters long"}, ""},
		{"cluster name with an underscore", field(cluster, "aks_1"), nil, ""},
		{"DNS prefix with an underscore", field(dns, "my_aks"), []string{`cluster.dnsPrefix "my_aks" contains '_': DNS prefix names have 1-54 characters`}, ""},
		{"DNS prefix of 55 characters", field(dns, strings.Repeat("d", 55)), []string{"cluster.dnsPrefix", "is 55 characters long"}, ""},
		{"DNS prefix of 54 characters", field(dns, strings.Repeat("d", 54)), nil, ""},
		{"node pool name in upper case", field(pool, "System"), []string{`cluster.nodePoolName "System" contains 'S'`}, ""},
		{"node pool name starting with a digit", field(pool, "1pool"), []string{`cluster.nodePoolName "1pool" starts with '1'`}, ""},
		{"node pool name of 13 characters", field(pool, "systempool123"), []string{`cluster.nodePoolName "systempool123" is 13 characters long`}, ""},
		{"node pool name of 12 characters", field(pool, "systempool12"), nil, ""},
		{"VNet name of one character", field(vnet, "v"), []string{`network.vnetName "v" is 1 character long: VNet names have 2-64 characters`}, ""},
		{"VNet name ending in a hyphen", field(vnet, "vnet-"), []string{`network.vnetName "vnet-" ends with '-'`}, ""},
		{"VNet name ending in an underscore", field(vnet, "vnet_"), nil, ""},
		{"subnet name starting with a period", field(subnet, ".nodes"), []string{`network.subnetName ".nodes" starts with '.'`}, ""},
		{"subnet name with a period inside", field(subnet, "aks.nodes"), nil, ""},
		{"route table name ending in a period", field(table, "rt."), []string{`network.routeTableName "rt." ends with '.'`}, ""},
		{"route table name ending in an underscore", field(table, "rt_"), nil, ""},
		{"identity name of two characters", field(identity, "id"), []string{`cluster.identityName "id" is 2 characters long: managed identity names have 3-128 characters`}, ""},
		{"identity name of three characters", field(identity, "id-"), nil, ""},
		{"Kubernetes version with a v", field(version, "v1.31"), []string{`cluster.kubernetesVersion "v1.31" is not MAJOR.MINOR or MAJOR.MINOR.PATCH`}, ""},
		{"Kubernetes version major only", field(version, "1"), []string{`cluster.kubernetesVersion "1" is not MAJOR.MINOR`}, ""},
		{"Kubernetes version with a patch", field(version, "1.31.2"), nil, ""},
		{"Kubernetes version minor", field(version, "1.31"), nil, ""},
		{"location missing", func(s *spec.Stack) { s.Location = "" }, []string{"azure-native:location is missing"}, ""},
		{"VM size missing", func(s *spec.Stack) { s.Cluster.VMSize = "" }, []string{"cluster.vmSize is missing"}, ""},
	})
}

func TestRule12Tags(t *testing.T) {
	tags := func(n int, name, value string) func(*spec.Stack) {
		return func(s *spec.Stack) {
			s.Tags = map[string]string{name: value}
			for i := range n - 1 {
				s.Tags[fmt.Sprintf("tag%02d", i)] = "v"
			}
		}
	}
	runCases(t, []testCase{
		{"51 tags", tags(51, "environment", "dev"), []string{"aks-kubenet:tags has 51 tags, but Azure allows at most 50"}, ""},
		{"50 tags", tags(50, "environment", "dev"), nil, ""},
		{"tag name with a slash", tags(1, "team/name", "x"), []string{`aks-kubenet:tags name "team/name" contains '/'`}, ""},
		{"tag name with a percent sign", tags(1, "100%", "x"), []string{`aks-kubenet:tags name "100%" contains '%'`}, ""},
		{"tag name empty", tags(1, "", "x"), []string{`aks-kubenet:tags name "" is 0 characters long`}, ""},
		{"tag name of 513 characters", tags(1, strings.Repeat("n", 513), "x"), []string{"aks-kubenet:tags name", "is 513 characters long"}, ""},
		{"tag name of 512 characters", tags(1, strings.Repeat("n", 512), "x"), nil, ""},
		{"tag value of 257 characters", tags(1, "owner", strings.Repeat("v", 257)), []string{`aks-kubenet:tags value of "owner" is 257 characters long`}, ""},
		{"tag value of 256 characters", tags(1, "owner", strings.Repeat("v", 256)), nil, ""},
	})
}

func TestEveryProblemReportedAtOnce(t *testing.T) {
	s := base()
	s.Network.NodeSubnetCidr = "10.0.1.5/24"     // rule 1
	s.Cluster.PodCidr = "172.16.0.0/12"          // rule 3
	s.Network.Routes[0].NextHopType = "Firewall" // rule 7
	s.Cluster.MaxPods = spec.Int(300)            // rule 11
	s.Cluster.NodePoolName = "System"            // rule 12
	s.Location = ""                              // rule 12
	r := Check(s)
	want := []string{
		"network.nodeSubnetCidr 10.0.1.5/24 has host bits set",
		"cluster.podCidr 172.16.0.0/12 overlaps 172.30.0.0/16",
		`network.routes[0].nextHopType "Firewall"`,
		"cluster.maxPods 300 is outside 10-250",
		`cluster.nodePoolName "System"`,
		"azure-native:location is missing",
	}
	if len(r.Errors) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(r.Errors), len(want), r.Err())
	}
	for i, w := range want {
		if !strings.Contains(r.Errors[i].Message, w) {
			t.Errorf("error %d = %q, want it to contain %q (rule order)", i, r.Errors[i].Message, w)
		}
	}
	text := r.Err().Error()
	if !strings.HasPrefix(text, "stack configuration refused, nothing was created (6 errors):\n  - network.nodeSubnetCidr") {
		t.Errorf("Err() = %q, want the 6-error header and one error per line", text)
	}
	if lines := strings.Split(text, "\n"); len(lines) != 7 {
		t.Errorf("Err() has %d lines, want 7:\n%s", len(lines), text)
	}
}

// TestParseFailuresDoNotCascade: a CIDR that does not parse is reported once,
// and the checks that need it are skipped.
func TestParseFailuresDoNotCascade(t *testing.T) {
	s := base()
	s.Network.VnetCidr = "10.0.0.0/33"
	s.Cluster.ServiceCidr = "10.0.4.0"
	r := Check(s)
	if len(r.Errors) != 2 || len(r.Warnings) != 0 {
		t.Errorf("got errors:\n%v\nwarnings: %v\nwant the two parse errors only", r.Err(), r.Warnings)
	}
}

func TestErr(t *testing.T) {
	if err := (Report{Warnings: []Finding{{Message: "w"}}}).Err(); err != nil {
		t.Errorf("Err() with warnings only = %v, want nil", err)
	}
	r := Report{Errors: []Finding{{Message: "cluster.podCidr is missing"}, {Message: "too small", Code: CodeInsufficientPodCidr}}}
	want := "stack configuration refused, nothing was created (2 errors):\n  - cluster.podCidr is missing\n  - too small (AKS would refuse the cluster with InsufficientPodCidr)"
	if got := r.Err().Error(); got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
}

func TestFindingString(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Message: "m"}, "m"},
		{Finding{Message: "m", Code: CodeInsufficientPodCidr}, "m (AKS would refuse the cluster with InsufficientPodCidr)"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestCheckIsDeterministic(t *testing.T) {
	s := base()
	s.Tags = map[string]string{"b/": "x", "a/": "y", "c%": "z", "d": strings.Repeat("v", 300)}
	s.Network.PeeredCidrs = []string{"10.0.0.0/8", "10.244.0.0/8", "x"}
	first := Check(s)
	for range 20 {
		if got := Check(s); !reflect.DeepEqual(got, first) {
			t.Fatalf("Check is not deterministic:\n%v\nthen\n%v", first.Err(), got.Err())
		}
	}
}

// TestLoadedStacks checks the two example stacks, as spec.Load reads them from
// the config the Pulumi engine passes: dev (the article's plan) gets the one
// service-range warning, prod passes clean.
func TestLoadedStacks(t *testing.T) {
	tests := []struct {
		name         string
		config       map[string]any
		wantWarnings int
	}{
		{"dev", map[string]any{
			spec.KeyLocation:          "eastus",
			spec.KeySubscriptionID:    "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
			spec.KeyResourceGroupName: "aks-kubenet-rg",
			spec.KeyTags:              map[string]string{"environment": "dev"},
			spec.KeyNetwork: map[string]any{
				"vnetName": "aks-vnet", "subnetName": "aks-subnet", "routeTableName": "aks-route-table",
				"vnetCidr": "10.0.0.0/16", "nodeSubnetCidr": "10.0.1.0/24",
				"routes": []any{map[string]string{"name": "default-route", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.2.4"}},
			},
			spec.KeyCluster: map[string]any{
				"name": "aks-kubenet-cluster", "nodeCount": 3, "podCidr": "10.244.0.0/16",
				"serviceCidr": "10.0.4.0/24", "dnsServiceIP": "10.0.4.10", "outboundType": "userDefinedRouting",
				"clusterAdmins": []string{"Group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"}, "privateCluster": true,
			},
		}, 1},
		{"prod", map[string]any{
			spec.KeyLocation:          "westeurope",
			spec.KeySubscriptionID:    "5c3a9e41-7d2b-4f60-9a8e-2b1d4c6f8a90",
			spec.KeyResourceGroupName: "aks-kubenet-prod-weu-rg",
			spec.KeyTags:              map[string]string{"environment": "prod", "region": "westeurope"},
			spec.KeyNetwork: map[string]any{
				"vnetName": "aks-prod-weu-vnet", "subnetName": "aks-nodes", "routeTableName": "aks-prod-weu-rt",
				"vnetCidr": "10.20.0.0/16", "nodeSubnetCidr": "10.20.0.0/22",
				"peeredCidrs": []string{"10.100.0.0/16", "192.168.0.0/16"},
				"routes": []any{
					map[string]string{"name": "default-via-firewall", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.100.0.4"},
					map[string]string{"name": "on-premises", "addressPrefix": "192.168.0.0/16", "nextHopType": "VirtualNetworkGateway"},
				},
			},
			spec.KeyCluster: map[string]any{
				"name": "aks-prod-weu", "vmSize": "Standard_D8s_v5", "nodeCount": 3, "minCount": 3, "maxCount": 20,
				"maxPods": 110, "maxSurge": "33%", "podCidr": "10.245.0.0/16", "serviceCidr": "10.21.0.0/24",
				"dnsServiceIP": "10.21.0.10", "outboundType": "userDefinedRouting",
				"clusterAdmins": []string{"Group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"}, "privateCluster": true, "tier": "Standard",
			},
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := spec.Load(tt.name, func(key string) (string, bool) {
				v, ok := tt.config[key]
				if !ok {
					return "", false
				}
				if str, ok := v.(string); ok {
					return str, true
				}
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				return string(b), true
			})
			if err != nil {
				t.Fatal(err)
			}
			r := Check(s)
			if r.Err() != nil || len(r.Warnings) != tt.wantWarnings {
				t.Errorf("Check(%s): %v\nwarnings %v, want %d", tt.name, r.Err(), r.Warnings, tt.wantWarnings)
			}
		})
	}
}
