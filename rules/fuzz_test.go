package rules

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// fuzzStack builds a stack from fuzzed values. The string fields are packed,
// separated by "|": names (stack, location, resource group, VNet, subnet, route
// table, cluster, DNS prefix, node resource group, identity, Kubernetes
// version), network (VNet, subnet, peered CIDRs separated by ","), routes (one
// per line, name|prefix|type|address), cluster (pool, VM size, max surge, pod,
// service, DNS IP, outbound type) and tags (one name=value per line). security
// packs the posture: admins and authorized ranges (each separated by ","),
// network policy, upgrade channel, node OS channel, tier, the maintenance
// window's day, start and UTC offset (a window only when its day is set,
// lasting maxPods hours), the network plugin and the dataplane; set's bit 4
// turns monitoring on with maxPods days, and bit 5 makes the stack Azure CNI
// Overlay when security names no network plugin.
// pools has one user pool per line: name|vmSize|mode|priority|osSku|eviction|
// nodeCount|minCount|maxCount|maxSurge|taints|zones. set's bits choose which counts are set, and
// defaults whether spec.Defaults fills in the rest.
func fuzzStack(names, network, routes, cluster, tags, security, pools string, nodeCount, minCount, maxCount, maxPods int, set uint8, defaults bool) spec.Stack {
	field := fields(names, 11)
	net := fields(network, 3)
	cl := fields(cluster, 7)
	s := spec.Stack{
		Name: field[0], Location: field[1], ResourceGroup: spec.ResourceGroup{Name: field[2]},
		Network: spec.Network{
			VnetName: field[3], SubnetName: field[4], RouteTableName: field[5],
			VnetCidr: net[0], NodeSubnetCidr: net[1],
		},
		Cluster: spec.Cluster{
			Name: field[6], DNSPrefix: field[7], NodeResourceGroup: field[8], IdentityName: field[9],
			KubernetesVersion: field[10], NodePoolName: cl[0], VMSize: cl[1],
			MaxSurge: spec.Surge(cl[2]), PodCidr: cl[3], ServiceCidr: cl[4], DNSServiceIP: cl[5], OutboundType: cl[6],
		},
	}
	if net[2] != "" {
		s.Network.PeeredCidrs = strings.Split(net[2], ",")
	}
	sec := fields(security, 11)
	if sec[0] != "" {
		s.Cluster.ClusterAdmins = strings.Split(sec[0], ",")
	}
	if sec[1] != "" {
		s.Cluster.APIServerAuthorizedIPRanges = strings.Split(sec[1], ",")
	}
	s.Cluster.NetworkPolicy, s.Cluster.UpgradeChannel, s.Cluster.NodeOSUpgradeChannel, s.Cluster.Tier = sec[2], sec[3], sec[4], sec[5]
	if sec[6] != "" {
		s.Cluster.MaintenanceWindow = &spec.MaintenanceWindow{Day: sec[6], StartTime: sec[7], UTCOffset: sec[8], DurationHours: spec.Int(maxPods)}
	}
	s.Cluster.NetworkPlugin, s.Cluster.NetworkDataplane = sec[9], sec[10]
	if set&(1<<5) != 0 && s.Cluster.NetworkPlugin == "" {
		s.Cluster.NetworkPlugin = spec.NetworkPluginOverlay
	}
	if set&(1<<4) != 0 {
		s.Cluster.Monitoring = &spec.Monitoring{Enabled: true, RetentionDays: spec.Int(maxPods)}
	}
	for line := range strings.SplitSeq(pools, "\n") {
		if line == "" {
			continue
		}
		f := fields(line, 12)
		p := spec.Pool{Name: f[0], VMSize: f[1], Mode: f[2], Priority: f[3], OSSku: f[4], EvictionPolicy: f[5], MaxSurge: spec.Surge(f[9])}
		p.NodeCount, p.MinCount, p.MaxCount = fuzzInt(f[6]), fuzzInt(f[7]), fuzzInt(f[8])
		if f[10] != "" {
			p.Taints = strings.Split(f[10], ",")
		}
		if f[11] != "" {
			p.Zones = strings.Split(f[11], ",")
		}
		s.Pools = append(s.Pools, p)
	}
	for line := range strings.SplitSeq(routes, "\n") {
		f := fields(line, 4)
		s.Network.Routes = append(s.Network.Routes, spec.Route{Name: f[0], AddressPrefix: f[1], NextHopType: f[2], NextHopIPAddress: f[3]})
	}
	if tags != "" {
		s.Tags = map[string]string{}
		for line := range strings.SplitSeq(tags, "\n") {
			name, value, _ := strings.Cut(line, "=")
			s.Tags[name] = value
		}
	}
	for i, count := range []struct {
		dst **int
		n   int
	}{{&s.Cluster.NodeCount, nodeCount}, {&s.Cluster.MinCount, minCount}, {&s.Cluster.MaxCount, maxCount}, {&s.Cluster.MaxPods, maxPods}} {
		if set&(1<<i) != 0 {
			*count.dst = spec.Int(count.n)
		}
	}
	if defaults {
		s = spec.Defaults(s)
	}
	return s
}

// fuzzInt parses a fuzzed count, nil when it is not a number.
func fuzzInt(s string) *int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil
	}
	return &n
}

// fields splits s at "|" into exactly n fields, the missing ones empty.
func fields(s string, n int) []string {
	f := strings.SplitN(s, "|", n)
	return append(f, make([]string, n-len(f))...)
}

// FuzzCheck checks that Check never panics, is deterministic, reports every
// finding with a message naming its first key, and that Err is nil exactly
// when there are no errors.
func FuzzCheck(f *testing.F) {
	f.Add("dev|eastus|aks-kubenet-rg|aks-vnet|aks-subnet|aks-route-table|aks-kubenet-cluster||||1.31",
		"10.0.0.0/16|10.0.1.0/24|", "default-route|0.0.0.0/0|VirtualAppliance|10.0.2.4",
		"system|Standard_D4s_v5|1|10.244.0.0/16|10.0.4.0/24|10.0.4.10|userDefinedRouting", "environment=dev", "Group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f|203.0.113.0/24|calico|patch|NodeImage|Free|||", "",
		3, 0, 0, 110, uint8(0b1001), true)
	f.Add("prod|westeurope|rg||||aks|||id|1.31.2",
		"10.20.0.0/16|10.20.0.0/22|10.100.0.0/16,192.168.0.0/16", "default|0.0.0.0/0|VirtualAppliance|10.100.0.4\non-premises|192.168.0.0/16|VirtualNetworkGateway|",
		"pool|Standard_D8s_v5|33%|10.245.0.0/16|10.21.0.0/24|10.21.0.10|userDefinedRouting", "environment=prod\nregion=westeurope", "|||||Standard|Sunday|02:00|+01:00",
		"general|Standard_D8s_v5|User|Regular|Ubuntu||3|3|30|33%||1,2,3\nspot|Standard_D8s_v5|User|Spot|AzureLinux|Deallocate|0|0|20|1|workload=batch:NoSchedule|1",
		3, 3, 20, 110, uint8(0b1111), true)
	f.Add("|||||||||||", "10.0.1.5/24|::/0|,x", "|0.0.0.0|internet|::ffff:1.2.3.4\n||||", "|||172.16.0.0/12|10.0.4.0/31|10.0.4.1|UserDefinedRouting",
		"a/b=\n=", "x,Group:,User:zz,Group:00000000-0000-0000-0000-000000000000|10.0.0.0/8,0.0.0.0/0,::/0,10.0.0.0/8|azure|Patch|nodeimage|Paid|Sun|24:00|+14:30",
		"system|Standard D4|Boss|spot|Windows|Evict|x|-1|9223372036854775807|0%|=:Never,a|4,4\n|||||||||||\ngeneral|vm|System|Spot||||||||",
		-1, -9223372036854775808, 9223372036854775807, 0, uint8(0xff), false)
	f.Add("x|y|z|v|s|r|c|d|n|i|v", "0.0.0.0/0|0.0.0.0/0|0.0.0.0/0", "r|10.244.0.0/24|VirtualAppliance|10.244.0.1",
		"p|vm|9223372036854775807|10.244.0.0/8|10.0.0.0/8|10.0.0.1|loadbalancer", "", "", "big|vm|User|Regular|Ubuntu||399|||100%||", 401, 1, 500, 250, uint8(0b10111), true)
	// Azure CNI Overlay: a pod CIDR in the VNet outside its subnets, a
	// public one, the cilium pair broken, names past 63 characters.
	f.Add("staging|northeurope|"+strings.Repeat("g", 70)+"|"+strings.Repeat("v", 64)+"|"+strings.Repeat("s", 64)+"|rt|aks|||id|1.31",
		"10.30.0.0/16|10.30.0.0/22|", "default-route|0.0.0.0/0|VirtualAppliance|10.30.4.4",
		"system|Standard_D4s_v5|1|10.30.128.0/17|10.31.0.0/24|10.31.0.10|userDefinedRouting", "", "||none|patch|NodeImage|Free|||||cilium",
		"general|Standard_D4s_v5|User|Regular|Ubuntu||3|3|5000|1||", 3, 3, 10, 251, uint8(0b101111), true)
	f.Add("x|y|z|v|s|r|c|d|n|i|v", "10.0.0.0/16|10.0.1.0/24|", "", "p|vm|1|8.8.0.0/25|10.0.4.0/24|10.0.4.10|loadBalancer", "", "||cilium|||||||overlay|azure", "", 1, 0, 0, 0, uint8(0b1), true)
	f.Add("x|y|z|v|s|r|c|d|n|i|v", "10.0.0.0/16|10.0.1.0/24|", "", "p|vm|1|10.244.0.0/16|10.0.4.0/24|10.0.4.10|loadBalancer", "", "||calico|||||||azure|cilium", "", 1, 0, 0, 0, uint8(0b1), true)
	f.Fuzz(func(t *testing.T, names, network, routes, cluster, tags, security, pools string, nodeCount, minCount, maxCount, maxPods int, set uint8, defaults bool) {
		s := fuzzStack(names, network, routes, cluster, tags, security, pools, nodeCount, minCount, maxCount, maxPods, set, defaults)
		r := Check(s)
		if (r.Err() == nil) != (len(r.Errors) == 0) {
			t.Fatalf("Err() = %v with %d errors", r.Err(), len(r.Errors))
		}
		for _, f := range append(r.Errors, r.Warnings...) {
			if len(f.Keys) == 0 || !strings.Contains(f.Message, f.Keys[0]) {
				t.Fatalf("finding %q does not name its first key (keys %q)", f.Message, f.Keys)
			}
		}
		if again := Check(s); !reflect.DeepEqual(again, r) {
			t.Fatalf("Check is not deterministic:\n%v\nthen\n%v", r.Err(), again.Err())
		}
	})
}
