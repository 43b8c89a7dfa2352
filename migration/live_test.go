package migration

import (
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/rules"
)

const (
	vnetID     = "/subscriptions/s/resourceGroups/aks-kubenet-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet"
	subnetID   = vnetID + "/subnets/aks-subnet"
	tableID    = "/subscriptions/s/resourceGroups/aks-kubenet-rg/providers/Microsoft.Network/routeTables/aks-route-table"
	principal  = "11111111-2222-3333-4444-555555555555"
	contribute = "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/" + roles.NetworkContributor
)

// devLive is the dev stack's cluster as Azure would report it, kubenet
// with Calico, ready to move.
func devLive() Live {
	return Live{
		ClusterID: "/subscriptions/s/resourceGroups/aks-kubenet-rg/providers/Microsoft.ContainerService/managedClusters/aks-kubenet-cluster", ProvisioningState: "Succeeded", KubernetesVersion: "1.31.2",
		Network:      Network{Plugin: "kubenet", Policy: "calico", PodCIDR: "10.244.0.0/16"},
		IdentityType: "UserAssigned", PrincipalID: principal,
		Pools:         []LivePool{{Name: "system", VMSize: "Standard_D4s_v5", Type: "VirtualMachineScaleSets", Count: 3, MaxPods: 110, OSType: "Linux"}},
		NodeSubnetIDs: []string{subnetID},
		RouteTable: LiveRouteTable{ID: tableID, SubnetIDs: []string{subnetID}, Routes: []LiveRoute{
			{Name: "default-route", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIP: "10.0.2.4"},
			{Name: "aks-system-vmss000000", AddressPrefix: "10.244.0.0/24", NextHopType: "VirtualAppliance", NextHopIP: "10.0.1.4"},
			{Name: "aks-system-vmss000001", AddressPrefix: "10.244.1.0/24", NextHopType: "VirtualAppliance", NextHopIP: "10.0.1.5"},
			{Name: "fw-pip", AddressPrefix: "20.1.2.3/32", NextHopType: "Internet"},
		}},
		Grants: []LiveGrant{{Scope: vnetID, RoleDefinitionID: contribute, PrincipalID: principal}, {Scope: tableID, RoleDefinitionID: contribute, PrincipalID: principal}},
	}
}

// liveCheck is one case of LivePreflight: a change of devLive and of the
// flags, and the error it must (or must not) find.
type liveCheck struct {
	name               string
	edit               func(*Live)
	pod, plane, policy string
	refused, absent    string
	code               string
}

func TestLivePreflight(t *testing.T) {
	for _, c := range []liveCheck{
		{name: "ready"},
		{name: "updating", edit: func(l *Live) { l.ProvisioningState = "Updating" }, refused: `provisioningState is "Updating"`},
		{name: "system-assigned", edit: func(l *Live) { l.IdentityType = "SystemAssigned" }, refused: "needs a user-assigned identity"},
		// K1 live (aks-rules 11.2, 11.4)
		{name: "1.26 refused", edit: liveVersion("1.26.9", "none"), refused: "runs Kubernetes 1.26.9, and the move to Azure CNI Overlay needs 1.27"},
		{name: "1.27 passes", edit: liveVersion("1.27.0", "none"), absent: "runs Kubernetes"},
		{name: "1.29 with calico refused", edit: liveVersion("1.29.4", "calico"), refused: "and step policy-none needs 1.30"},
		{name: "1.30 with calico passes", edit: liveVersion("1.30.0", "calico"), absent: "runs Kubernetes"},
		{name: "1.29 turning calico on refused", edit: liveVersion("1.29.4", "none"), policy: "calico", refused: "step calico needs 1.30"},
		{name: "1.29 moved, to cilium, passes", edit: func(l *Live) { l.KubernetesVersion, l.Network = "1.29.4", overlayAzure }, absent: "runs Kubernetes"},
		{name: "unreadable version", edit: liveVersion("latest", "none"), refused: "is not MAJOR.MINOR.PATCH"},
		// K8 (aks-rules 11.10)
		{name: "no grant on the subnet", edit: func(l *Live) { l.Grants = l.Grants[1:] }, refused: "no Network Contributor on the node subnet"},
		{name: "no grant on the table", edit: func(l *Live) { l.Grants = l.Grants[:1] }, refused: "no Network Contributor on the route table", code: "CustomRouteTableMissingPermission"},
		{name: "a grant on the group covers both", edit: func(l *Live) {
			l.Grants = []LiveGrant{{Scope: "/subscriptions/s/resourceGroups/aks-kubenet-rg", RoleDefinitionID: strings.ToUpper(contribute), PrincipalID: principal}}
		}, absent: "Network Contributor"},
		{name: "another role", edit: func(l *Live) { l.Grants[1].RoleDefinitionID = roles.Reader }, refused: "on the route table", code: "CustomRouteTableMissingPermission"},
		{name: "another principal", edit: func(l *Live) { l.Grants[0].PrincipalID = "other" }, refused: "on the node subnet"},
		{name: "a sibling's scope", edit: func(l *Live) { l.Grants[0].Scope = vnetID + "/subnets/aks" }, refused: "on the node subnet"},
		// K10 (aks-rules 11.11), K9 (aks-rules 11.9)
		{name: "shared table refused", edit: func(l *Live) { l.RouteTable.SubnetIDs = append(l.RouteTable.SubnetIDs, vnetID+"/subnets/agic") }, refused: "besides the node subnets"},
		{name: "table on the node subnets only, in other case", edit: func(l *Live) { l.RouteTable.SubnetIDs = []string{strings.ToLower(subnetID)} }, absent: "route table"},
		{name: "table not on the node subnet", edit: func(l *Live) { l.RouteTable.SubnetIDs = nil }, refused: "is not associated with the route table"},
		{name: "no table", edit: func(l *Live) { l.RouteTable = LiveRouteTable{} }, refused: "has no route table"},
		{name: "no default route", edit: func(l *Live) { l.RouteTable.Routes = l.RouteTable.Routes[1:] }, refused: "has no 0.0.0.0/0 route", code: rules.CodeRouteTableMissingDefaultRoute},
		{name: "default route to the Internet", edit: func(l *Live) { l.RouteTable.Routes[0].NextHopType = "Internet" }, refused: "goes to Internet", code: rules.CodeRouteTableInvalidNextHop},
		{name: "default route to a gateway", edit: func(l *Live) { l.RouteTable.Routes[0].NextHopType = "VirtualNetworkGateway" }, absent: "goes to"},
		// K18 (aks-rules 11.16, 10.11)
		{name: "availability set", edit: func(l *Live) { l.Pools[0].Type = "AvailabilitySet" }, refused: "runs scale sets only"},
		{name: "DCsv2", edit: func(l *Live) { l.Pools[0].VMSize = "Standard_DC8s_v2" }, refused: "a DCsv2 size"},
		{name: "Windows to cilium", edit: func(l *Live) {
			l.Pools = append(l.Pools, LivePool{Name: "win", Type: "VirtualMachineScaleSets", VMSize: "Standard_D4s_v5", Count: 1, OSType: "Windows"})
		}, refused: "runs Linux only"},
		{name: "Windows to calico", edit: func(l *Live) {
			l.Pools = append(l.Pools, LivePool{Name: "win", Type: "VirtualMachineScaleSets", VMSize: "Standard_D4s_v5", Count: 1, OSType: "Windows"})
		}, policy: "calico", absent: "Linux only"},
		// K16 (aks-rules 11.12): 251 addresses in the /24
		{name: "subnet exact fit", edit: pools(195, 10, "5", 30, "33%"), absent: "usable addresses"},
		{name: "subnet one over", edit: pools(196, 10, "5", 30, "33%"), refused: "has 251 usable addresses (256 minus the 5 Azure keeps), but the move reimages every pool at once and they reach 252 nodes (system: 196 + 1 surge; a: 10 + 5 surge; b: 30 + 10 surge)", code: rules.CodeInsufficientSubnetSize},
		// K15 (aks-rules 11.12, 10.1): a /23 holds 2 nodes
		{name: "pod CIDR exact fit", edit: pools(1), pod: "10.244.0.0/23", absent: "pod CIDR 10.244.0.0/23 holds"},
		{name: "pod CIDR one over", edit: pools(2), pod: "10.244.0.0/23", refused: "the pod CIDR 10.244.0.0/23 holds 2 nodes at a /24 each, but the move reimages every pool at once and they reach 3", code: rules.CodeInsufficientSubnetSize},
		// the cluster's network (aks-rules 11.1, 11.7)
		{name: "cilium back to azure", edit: func(l *Live) { l.Network = overlayCilium }, policy: "calico", refused: "cannot go back"},
		{name: "pod CIDR out of sync", edit: func(l *Live) { l.Network.PodCIDR = "10.250.0.0/16" }, refused: "the stack's config is not what runs"},
		{name: "partway on the new pod CIDR", edit: func(l *Live) { l.Network = overlayAzure; l.Network.PodCIDR = "10.244.0.0/15" }, pod: "10.244.0.0/15"},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t) })
	}
}

func (c liveCheck) run(t *testing.T) {
	s := loadStack(t, "dev")
	l := devLive()
	if c.edit != nil {
		c.edit(&l)
	}
	r := LivePreflight(s, TargetOf(s, c.pod, c.plane, c.policy), l)
	humane(t, append(append(r.Errors, r.Warnings...), r.Infos...)...)
	if c.refused != "" {
		f := find(r.Errors, c.refused)
		if f == nil {
			t.Fatalf("no error says %q: %v", c.refused, r.Errors)
		}
		if f.Code != c.code {
			t.Errorf("code %q, want %q", f.Code, c.code)
		}
	}
	if c.absent != "" {
		if f := find(r.Errors, c.absent); f != nil {
			t.Errorf("unexpected error: %s", f)
		}
	}
	if c.refused == "" && len(r.Errors) > 0 {
		t.Errorf("refused: %v", r.Errors)
	}
}

func liveVersion(v, policy string) func(*Live) {
	return func(l *Live) { l.KubernetesVersion, l.Network.Policy = v, policy }
}

// pools gives devLive a system pool of system nodes and autoscaled pools
// of the given maxCount and maxSurge.
func pools(system int, more ...any) func(*Live) {
	return func(l *Live) {
		l.Pools[0].Count = system
		for i := 0; i+1 < len(more); i += 2 {
			l.Pools = append(l.Pools, LivePool{Name: string(rune('a' + i/2)), VMSize: "Standard_D8s_v5", Type: "VirtualMachineScaleSets", Count: 1, MaxCount: more[i].(int), Autoscaling: true, MaxSurge: more[i+1].(string)})
		}
	}
}

// The infos say what the surge costs, which routes go and stay, and the
// window without policy.
func TestLivePreflightInfos(t *testing.T) {
	s := loadStack(t, "dev")
	l := devLive()
	pools(3, 20, "10%")(&l)
	l.Pools = append(l.Pools, LivePool{Name: "odd", VMSize: "Custom_Size", Type: "VirtualMachineScaleSets", Count: 2})
	r := LivePreflight(s, TargetOf(s, "", "", ""), l)
	if len(r.Errors) > 0 {
		t.Fatalf("refused: %v", r.Errors)
	}
	for _, want := range []string{
		"adding 4 surge nodes together (system: 1 Standard_D4s_v5; a: 2 Standard_D8s_v5; odd: 1 Custom_Size): 20 vCPUs, and unknown for Custom_Size",
		"AKS removes its 2 node routes from the route table aks-route-table",
		"these routes of the route table aks-route-table stay: default-route (0.0.0.0/0 to VirtualAppliance 10.0.2.4) and fw-pip (20.1.2.3/32 to Internet)",
		"network policy calico comes off in step policy-none, and no policy is enforced until step cilium has reimaged every pool",
	} {
		if find(r.Infos, want) == nil {
			t.Errorf("no info says %q: %v", want, r.Infos)
		}
	}
	l.Network = overlayCilium
	r = LivePreflight(s, TargetOf(s, "", "", ""), l)
	if len(r.Errors) > 0 || len(r.Infos) != 1 || find(r.Infos, "the move is done") == nil {
		t.Errorf("done: %v %v", r.Errors, r.Infos)
	}
}

// Kubernetes versions read as MAJOR.MINOR.
func TestParseVersion(t *testing.T) {
	for v, want := range map[string]bool{"1.27": true, "1.27.3": true, "v1.30.0": true, "1": false, "1.x": false, "": false} {
		if _, ok := ParseVersion(v); ok != want {
			t.Errorf("ParseVersion(%q) ok %v", v, ok)
		}
	}
}
