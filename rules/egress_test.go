package rules

import (
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// firewall puts the stack in egress mode 2 with the dev stack's firewall,
// dropping its hand-written default route.
func firewall(change func(f *spec.Firewall)) func(*spec.Stack) {
	return func(s *spec.Stack) {
		s.Network.Routes = nil
		s.Firewall = &spec.Firewall{SubnetCidr: "10.0.2.0/26"}
		if change != nil {
			change(s.Firewall)
		}
		*s = spec.Defaults(*s)
	}
}

// hub puts the stack in egress mode 3 with prod's hub.
func hub(change func(h *spec.Hub)) func(*spec.Stack) {
	return func(s *spec.Stack) {
		s.Network.Routes = nil
		s.Hub = &spec.Hub{
			VnetID:            "/subscriptions/5c3a9e41-7d2b-4f60-9a8e-2b1d4c6f8a90/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet",
			AddressSpace:      []string{"10.100.0.0/16"},
			FirewallPrivateIP: "10.100.0.4",
		}
		if change != nil {
			change(s.Hub)
		}
		*s = spec.Defaults(*s)
	}
}

func TestRule14Egress(t *testing.T) {
	n := spec.Int
	runCases(t, []testCase{
		{"firewall", firewall(nil), nil, ""},
		{"hub", hub(nil), nil, ""},
		{"both modes", func(s *spec.Stack) { firewall(nil)(s); hub(nil)(s) }, []string{"aks-kubenet:firewall and aks-kubenet:hub are both set"}, ""},
		{"a hand-written default route with a firewall", func(s *spec.Stack) {
			routes := s.Network.Routes
			firewall(nil)(s)
			s.Network.Routes = routes
		}, []string{"network.routes[0].addressPrefix 0.0.0.0/0: with aks-kubenet:firewall the program generates the 0.0.0.0/0 route"}, ""},
		{"a firewall with the load balancer outbound type", func(s *spec.Stack) {
			firewall(nil)(s)
			s.Cluster.OutboundType = spec.OutboundLoadBalancer
		}, []string{"cluster.outboundType loadBalancer: with aks-kubenet:firewall all egress takes the generated 0.0.0.0/0 route"}, ""},
		{"default route name taken by a route", func(s *spec.Stack) {
			firewall(nil)(s)
			s.Network.Routes = []spec.Route{route("default-route", "192.168.0.0/16", spec.NextHopVirtualNetworkGateway, "")}
		}, []string{`network.defaultRouteName "default-route" is also the name of network.routes[0].name`}, ""},
		{"firewall subnet missing", firewall(func(f *spec.Firewall) { f.SubnetCidr = "" }), []string{"firewall.subnetCidr is missing"}, ""},
		{"firewall subnet /27", firewall(func(f *spec.Firewall) { f.SubnetCidr = "10.0.2.0/27" }),
			[]string{"firewall.subnetCidr 10.0.2.0/27 is smaller than /26: Azure Firewall needs an AzureFirewallSubnet of /26 or larger"}, ""},
		{"firewall subnet outside the VNet", firewall(func(f *spec.Firewall) { f.SubnetCidr = "10.9.0.0/26" }),
			[]string{"firewall.subnetCidr 10.9.0.0/26 is not inside network.vnetCidr 10.0.0.0/16"}, ""},
		{"firewall subnet on the nodes", firewall(func(f *spec.Firewall) { f.SubnetCidr = "10.0.1.0/26" }),
			[]string{"firewall.subnetCidr 10.0.1.0/26 overlaps network.nodeSubnetCidr 10.0.1.0/24"}, ""},
		{"firewall subnet on the services", firewall(func(f *spec.Firewall) { f.SubnetCidr = "10.0.4.0/26" }),
			[]string{"firewall.subnetCidr 10.0.4.0/26 overlaps cluster.serviceCidr 10.0.4.0/24"}, "ServiceCidrOverlapExistingSubnetsCidr"},
		{"firewall tier", firewall(func(f *spec.Firewall) { f.Tier = "Basic" }), []string{`firewall.tier "Basic" is not a firewall tier: want Standard or Premium`}, ""},
		{"no public IP", firewall(func(f *spec.Firewall) { f.PublicIPCount = n(0) }), []string{"firewall.publicIpCount 0 is outside 1-250"}, ""},
		{"251 public IPs", firewall(func(f *spec.Firewall) { f.PublicIPCount = n(251) }), []string{"firewall.publicIpCount 251 is outside 1-250"}, ""},
		{"threat intel mode", firewall(func(f *spec.Firewall) { f.ThreatIntelMode = "Block" }), []string{`firewall.threatIntelMode "Block" is not a threat intelligence mode: want Alert, Deny or Off`}, ""},
		{"firewall name of 51 characters", firewall(func(f *spec.Firewall) { f.Name = "f23456789012345678901234567890123456789012345678901" }),
			[]string{"firewall.name", "is 51 characters long: firewall names have 1-50"}, ""},
		{"allowed FQDN with a scheme", firewall(func(f *spec.Firewall) { f.AllowFqdns = []string{"https://ghcr.io"} }),
			[]string{`firewall.allowFqdns[0] "https://ghcr.io" is not a domain name`}, ""},
		{"allowed FQDNs", firewall(func(f *spec.Firewall) { f.AllowFqdns = []string{"ghcr.io", "*.blob.core.windows.net"} }), nil, ""},
		{"network rule", firewall(func(f *spec.Firewall) {
			f.NetworkRules = []spec.NetworkRule{{Name: "ntp", Protocols: []string{"UDP"}, DestinationAddresses: []string{"*"}, DestinationPorts: spec.StringList{"123"}}}
		}), nil, ""},
		{"network rule without a destination", firewall(func(f *spec.Firewall) {
			f.NetworkRules = []spec.NetworkRule{{Name: "x", Protocols: []string{"TCP"}, DestinationPorts: spec.StringList{"443"}}}
		}), []string{"firewall.networkRules[0].name: set destinationAddresses or destinationFqdns"}, ""},
		{"network rule with a bad protocol, address and port", firewall(func(f *spec.Firewall) {
			f.NetworkRules = []spec.NetworkRule{{Name: "x", Protocols: []string{"HTTP"}, DestinationAddresses: []string{"10.0.0.1/8"}, DestinationPorts: spec.StringList{"70000"}}}
		}), []string{`firewall.networkRules[0].protocols[0] "HTTP" is not a protocol: want TCP, UDP, ICMP or Any`}, ""},
		{"network rule FQDNs without the DNS proxy", firewall(func(f *spec.Firewall) {
			no := false
			f.DNSProxy = &no
			f.NetworkRules = []spec.NetworkRule{{Name: "x", Protocols: []string{"TCP"}, DestinationFqdns: []string{"example.com"}, DestinationPorts: spec.StringList{"443"}}}
		}), []string{"firewall.networkRules[0].destinationFqdns needs firewall.dnsProxy true"}, ""},
		{"hub id malformed", hub(func(h *spec.Hub) { h.VnetID = "hub-vnet" }), []string{`hub.vnetId "hub-vnet" is not a VNet's resource id`}, ""},
		{"hub id missing", hub(func(h *spec.Hub) { h.VnetID = "" }), []string{"hub.vnetId is missing"}, ""},
		{"hub firewall outside the hub", hub(func(h *spec.Hub) { h.FirewallPrivateIP = "10.101.0.4" }),
			[]string{"hub.firewallPrivateIp 10.101.0.4 is not inside hub.addressSpace 10.100.0.0/16"}, ""},
		{"hub overlapping the VNet", hub(func(h *spec.Hub) { h.AddressSpace, h.FirewallPrivateIP = []string{"10.0.0.0/8"}, "10.100.0.4" }),
			[]string{"hub.addressSpace[0] 10.0.0.0/8 overlaps network.vnetCidr 10.0.0.0/16: Azure refuses to peer VNets whose address spaces overlap"}, ""},
		{"hub overlapping the pods", hub(func(h *spec.Hub) { h.AddressSpace, h.FirewallPrivateIP = []string{"10.244.0.0/16"}, "10.244.0.4" }),
			[]string{"hub.addressSpace[0] 10.244.0.0/16 overlaps cluster.podCidr 10.244.0.0/16"}, ""},
		{"hub range not canonical", hub(func(h *spec.Hub) { h.AddressSpace = []string{"10.100.0.1/16"} }), []string{"hub.addressSpace[0]"}, ""},
	})
}

func TestRule14Warnings(t *testing.T) {
	s := base()
	firewall(nil)(&s)
	s.Name, s.Tags = "prod", map[string]string{"environment": "prod"}
	if _, ok := findingWith(Check(s).Warnings, []string{"firewall.publicIpCount 1 in a production stack: Microsoft recommends at least 20 public IPs"}); !ok {
		t.Errorf("no SNAT warning for a production stack: %v", Check(s).Warnings)
	}
	s.Firewall.PublicIPCount = spec.Int(20)
	if _, ok := findingWith(Check(s).Warnings, []string{"firewall.publicIpCount"}); ok {
		t.Errorf("a SNAT warning with 20 public IPs: %v", Check(s).Warnings)
	}
	dev := base()
	firewall(nil)(&dev)
	if _, ok := findingWith(Check(dev).Warnings, []string{"firewall.publicIpCount"}); ok {
		t.Errorf("a SNAT warning for dev: %v", Check(dev).Warnings)
	}
	h := base()
	hub(func(h *spec.Hub) {
		h.VnetID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet"
	})(&h)
	if _, ok := findingWith(Check(h).Warnings, []string{"hub.vnetId is in the placeholder subscription"}); !ok {
		t.Errorf("no warning for the placeholder hub: %v", Check(h).Warnings)
	}
}

func TestGeneratedRoutesCountInTheRouteTable(t *testing.T) {
	// 250 firewall public IPs generate 251 routes; with 449 routes of the
	// stack's own the table has room for 300 node routes (aks-rules 2.2).
	s := base()
	firewall(func(f *spec.Firewall) { f.PublicIPCount = spec.Int(250) })(&s)
	s.Network.NodeSubnetCidr, s.Cluster.PodCidr = "10.0.8.0/22", "10.244.0.0/15"
	s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.1.4.0/24", "10.1.4.10"
	manyRoutes(450)(&s)                 // 449 routes: firewall() dropped the hand-written 0.0.0.0/0
	s.Cluster.NodeCount = spec.Int(299) // 299 + 1 surge + 700 routes = 1000: fits
	if r := Check(s); r.Err() != nil {
		t.Errorf("300 nodes at the peak and 700 routes refused: %v", r.Err())
	}
	s.Cluster.NodeCount = spec.Int(300)
	if _, ok := findingWith(Check(s).Errors, []string{"network.routes has 700 user-defined routes (251 of them generated for the firewall), which leaves room in the route table for 300 node routes"}); !ok {
		t.Errorf("301 nodes at the peak and 700 routes accepted: %v", Check(s).Err())
	}
}
