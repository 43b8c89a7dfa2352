package azuresim

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Type tokens of the resources the simulated cloud holds: the program's
// (package armid).
const (
	ResourceGroup         = armid.ResourceGroup
	VirtualNetwork        = armid.VirtualNetwork
	Subnet                = armid.Subnet
	RouteTable            = armid.RouteTable
	Route                 = armid.Route
	UserAssignedIdentity  = armid.UserAssignedIdentity
	RoleAssignment        = armid.RoleAssignment
	ManagedCluster        = armid.ManagedCluster
	MaintenanceConfig     = armid.MaintenanceConfig
	AgentPool             = armid.AgentPool
	Workspace             = armid.Workspace
	Deployment            = armid.Deployment
	NetworkSecurityGroup  = armid.NetworkSecurityGroup
	PublicIPAddress       = armid.PublicIPAddress
	FirewallPolicy        = armid.FirewallPolicy
	RuleCollectionGroup   = armid.RuleCollectionGroup
	AzureFirewall         = armid.AzureFirewall
	VirtualNetworkPeering = armid.VirtualNetworkPeering
)

// FirewallSubnetName is the name Azure requires of an Azure Firewall's subnet.
const FirewallSubnetName = "AzureFirewallSubnet"

// kind is what the simulated ARM knows about one resource type.
type kind struct {
	// Type is how its id follows from its inputs; ARMType is also its type
	// property.
	armid.Type
	// replaceKeys are the inputs on which azure-native v2 plans a
	// replacement besides the path parameters (nameKey, resourceGroupName,
	// parentKeys, always among them): the entries of its forceNewMap
	// (provider/pkg/gen/replacement.go, v2; azure-native-replace.md §1a, §3)
	// and the top-level create-only keys of the spec (x-ms-mutability
	// without update), location among them only where one of those lists it.
	replaceKeys []string
	// nestedReplaceKeys are, by top-level input, the keys of the objects in
	// that array input on whose change, addition or removal azure-native v2
	// replaces the resource: forceNewMap's lookup is by name at any depth, so
	// a name of the resource's forceNewMap that is also a key one level down
	// replaces too (diff.go calculateDetailedDiff's "prop[].sub" replace
	// keys; azure-native-replace.md §2, pulumi-azure-native#4771).
	nestedReplaceKeys map[string][]string
	// inlineKey is the input under which the resource may declare
	// sub-resources that are also resources of their own (routes, subnets),
	// and inlineType their type.
	inlineKey, inlineType string
	// filledKeys are inputs that Azure returns with values of its own added
	// (a firewall's ipConfigurations with their private IPs): the output is
	// not the input, and a preview of a change to one cannot know it.
	filledKeys []string
}

var kinds = map[string]kind{
	// forceNewMap: Resources ResourceGroup location.
	ResourceGroup: {Type: armid.Types[ResourceGroup], replaceKeys: []string{"location"}},
	// forceNewMap: Network VirtualNetwork location.
	VirtualNetwork: {Type: armid.Types[VirtualNetwork], inlineKey: "subnets", inlineType: Subnet, replaceKeys: []string{"location"}},
	// forceNewMap: Subnet, no force-news.
	Subnet: {Type: armid.Types[Subnet]},
	// Not in forceNewMap, and network.json's Resource.location has no
	// x-ms-mutability: a location change is an update, which ARM refuses
	// (invalidLocation).
	RouteTable: {Type: armid.Types[RouteTable], inlineKey: "routes", inlineType: Route},
	Route:      {Type: armid.Types[Route]},
	// TrackedResource of common-types: location is [read, create].
	UserAssignedIdentity: {Type: armid.Types[UserAssignedIdentity], replaceKeys: []string{"location"}},
	// forceNewMap: Authorization RoleAssignment principalId, scope; not
	// roleDefinitionId (azure-native-replace.md §6.5).
	RoleAssignment: {Type: armid.Types[RoleAssignment], replaceKeys: []string{"principalId", "scope"}},
	// forceNewMap: ContainerService ManagedCluster (aksfacts, checked
	// against the provider's source), and the names of that list that are
	// also keys of an agentPoolProfiles entry (AgentPoolNetworkProfile,
	// AgentPoolWindowsProfile).
	ManagedCluster: {Type: armid.Types[ManagedCluster], replaceKeys: aksfacts.ClusterCreateOnlyInputs,
		nestedReplaceKeys: map[string][]string{"agentPoolProfiles": {"networkProfile", "windowsProfile"}},
		filledKeys:        clusterFilledKeys},
	MaintenanceConfig: {Type: armid.Types[MaintenanceConfig]},
	// A node pool of its own under its cluster; the cluster's GET lists it in
	// agentPoolProfiles (Cloud.View). forceNewMap: ContainerService AgentPool.
	AgentPool: {Type: armid.Types[AgentPool], replaceKeys: aksfacts.PoolCreateOnlyInputs},
	// TrackedResource of common-types: location is [read, create].
	Workspace: {Type: armid.Types[Workspace], replaceKeys: []string{"location"}},
	// A template deployment is stored, never run: what its template would
	// create is not in the cloud. Its location (where the deployment's data
	// is kept) is taken as create-only, as before: not verified.
	Deployment: {Type: armid.Types[Deployment], replaceKeys: []string{"location"}},
	// Network resources not in forceNewMap: location is an update ARM
	// refuses (azure-native-replace.md §3, §6.3).
	NetworkSecurityGroup: {Type: armid.Types[NetworkSecurityGroup]},
	// forceNewMap: Network PublicIPAddress location, publicIPAddressVersion,
	// publicIPPrefix, sku (azure-native-replace.md §6.4).
	PublicIPAddress:       {Type: armid.Types[PublicIPAddress], replaceKeys: []string{"location", "publicIPAddressVersion", "publicIPPrefix", "sku"}},
	FirewallPolicy:        {Type: armid.Types[FirewallPolicy]},
	RuleCollectionGroup:   {Type: armid.Types[RuleCollectionGroup]},
	AzureFirewall:         {Type: armid.Types[AzureFirewall], filledKeys: []string{"ipConfigurations"}},
	VirtualNetworkPeering: {Type: armid.Types[VirtualNetworkPeering]},
}

// ReplaceKeys returns the top-level inputs of resource type typ whose change
// the simulated provider answers with a replacement, sorted: the names and
// the type's replaceKeys (for a cluster and a pool the real provider's
// forceNewMap, aksfacts, which its tests check against the provider's
// source).
func ReplaceKeys(typ string) []string {
	k := kinds[typ]
	keys := slices.Concat([]string{k.NameKey, "resourceGroupName"}, k.ParentKeys, k.replaceKeys)
	return slices.Compact(slices.Sorted(slices.Values(keys)))
}

// pathKey reports whether key is part of the resource's id rather than of its
// body: the name, the resource group, the parent's name.
func (k kind) pathKey(key string) bool {
	if key == k.NameKey || key == "resourceGroupName" {
		return true
	}
	for _, p := range k.ParentKeys {
		if key == p {
			return true
		}
	}
	return false
}

// replaces reports whether a change of key replaces the resource.
func (k kind) replaces(key string) bool {
	if k.pathKey(key) {
		return true
	}
	for _, r := range k.replaceKeys {
		if key == r {
			return true
		}
	}
	return false
}

// str is the string input key of m, or "".
func str(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// armID returns the ARM id of a resource of type typ with inputs in, in
// subscription sub, and the id of the resource that must exist before it.
func armID(sub, typ string, in resource.PropertyMap) (id, parent string, err error) {
	id, parent, err = armid.Of(sub, typ, func(key string) string { return str(in, key) })
	if err != nil {
		return "", "", fmt.Errorf("azuresim: %w", err)
	}
	return id, parent, nil
}

// stableUUID is a UUID that is the same for the same id on every run, for the
// ids Azure makes up (principal and client ids).
func stableUUID(what, id string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(what+":"+strings.ToLower(id))).String()
}

// computed returns the values Azure fills in when it creates a resource; with
// preview, the ones that cannot be known yet are unknown.
func computed(typ, id string, in resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{
		"provisioningState": resource.NewProperty("Succeeded"),
		"type":              resource.NewProperty(kinds[typ].ARMType),
	}
	switch typ {
	case UserAssignedIdentity:
		out["principalId"] = resource.NewProperty(stableUUID("principal", id))
		out["clientId"] = resource.NewProperty(stableUUID("client", id))
		out["tenantId"] = resource.NewProperty("72f988bf-86f1-41af-91ab-2d7cd011db47")
	case ManagedCluster:
		if str(in, "nodeResourceGroup") == "" {
			out["nodeResourceGroup"] = resource.NewProperty(nodeResourceGroup(in))
		}
		out["fqdn"] = resource.NewProperty(str(in, "dnsPrefix") + "-" + stableUUID("fqdn", id)[:8] + ".hcp." + str(in, "location") + ".azmk8s.io")
		for k, v := range clusterFilled(id, in) {
			out[k] = v
		}
	case Workspace:
		out["customerId"] = resource.NewProperty(stableUUID("workspace", id))
	case PublicIPAddress:
		out["ipAddress"] = resource.NewProperty(publicAddress(id))
	case VirtualNetworkPeering:
		// Azure shows Initiated on the first half until the second half
		// exists; the simulation does not model the half-way state.
		out["peeringState"] = resource.NewProperty("Connected")
	}
	return out
}

// publicAddress is the static address Azure allocates to the public IP with
// id: an address in 20.0.0.0/8 derived from the id, the same for the same id
// on every run and every read.
func publicAddress(id string) string {
	h := sha256.Sum256([]byte("public-ip:" + strings.ToLower(id)))
	return fmt.Sprintf("20.%d.%d.%d", h[0], h[1], 1+int(h[2])%254)
}

// unknownComputed is computed for a preview: every value Azure makes up is
// unknown.
func unknownComputed(typ, id string, in resource.PropertyMap) resource.PropertyMap {
	out := computed(typ, id, in)
	for k := range out {
		if k != "type" {
			out[k] = resource.MakeComputed(resource.NewProperty(""))
		}
	}
	for _, k := range kinds[typ].filledKeys {
		out[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewProperty(""))
	}
	return out
}
