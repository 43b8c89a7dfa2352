package azuresim

import (
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Type tokens of the resources the simulated cloud holds.
const (
	ResourceGroup         = "azure-native:resources:ResourceGroup"
	VirtualNetwork        = "azure-native:network:VirtualNetwork"
	Subnet                = "azure-native:network:Subnet"
	RouteTable            = "azure-native:network:RouteTable"
	Route                 = "azure-native:network:Route"
	UserAssignedIdentity  = "azure-native:managedidentity:UserAssignedIdentity"
	RoleAssignment        = "azure-native:authorization:RoleAssignment"
	ManagedCluster        = "azure-native:containerservice/v20240901:ManagedCluster"
	MaintenanceConfig     = "azure-native:containerservice/v20240901:MaintenanceConfiguration"
	AgentPool             = "azure-native:containerservice/v20240901:AgentPool"
	Workspace             = "azure-native:operationalinsights:Workspace"
	Deployment            = "azure-native:resources:Deployment"
	NetworkSecurityGroup  = "azure-native:network:NetworkSecurityGroup"
	PublicIPAddress       = "azure-native:network:PublicIPAddress"
	FirewallPolicy        = "azure-native:network:FirewallPolicy"
	RuleCollectionGroup   = "azure-native:network:FirewallPolicyRuleCollectionGroup"
	AzureFirewall         = "azure-native:network:AzureFirewall"
	VirtualNetworkPeering = "azure-native:network:VirtualNetworkPeering"
)

// FirewallSubnetName is the name Azure requires of an Azure Firewall's subnet.
const FirewallSubnetName = "AzureFirewallSubnet"

// kind is what the simulated ARM knows about one resource type.
type kind struct {
	// armType is the type as ARM spells it in ids and in the type property.
	armType string
	// nameKey is the input that holds the resource's Azure name.
	nameKey string
	// parentKeys are the inputs that name the resource's parent (other than the
	// resource group); with nameKey and resourceGroupName they form the id.
	parentKeys []string
	// replaceKeys are inputs that name or place the resource: ARM cannot change
	// them in place, so a change means a new resource. nameKey,
	// resourceGroupName, parentKeys and location are always among them.
	replaceKeys []string
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
	ResourceGroup:  {armType: "Microsoft.Resources/resourceGroups", nameKey: "resourceGroupName"},
	VirtualNetwork: {armType: "Microsoft.Network/virtualNetworks", nameKey: "virtualNetworkName", inlineKey: "subnets", inlineType: Subnet},
	Subnet:         {armType: "Microsoft.Network/virtualNetworks/subnets", nameKey: "subnetName", parentKeys: []string{"virtualNetworkName"}},
	RouteTable:     {armType: "Microsoft.Network/routeTables", nameKey: "routeTableName", inlineKey: "routes", inlineType: Route},
	Route:          {armType: "Microsoft.Network/routeTables/routes", nameKey: "routeName", parentKeys: []string{"routeTableName"}},
	UserAssignedIdentity: {
		armType: "Microsoft.ManagedIdentity/userAssignedIdentities", nameKey: "resourceName",
	},
	RoleAssignment: {
		armType: "Microsoft.Authorization/roleAssignments", nameKey: "roleAssignmentName",
		parentKeys:  []string{"scope"},
		replaceKeys: []string{"principalId", "roleDefinitionId"},
	},
	ManagedCluster: {
		armType: "Microsoft.ContainerService/managedClusters", nameKey: "resourceName",
		replaceKeys: ManagedClusterCreateOnly,
		filledKeys:  clusterFilledKeys,
	},
	MaintenanceConfig: {
		armType: "Microsoft.ContainerService/managedClusters/maintenanceConfigurations", nameKey: "configName",
		parentKeys: []string{"resourceName"},
	},
	// A node pool of its own under its cluster; the cluster's GET lists it in
	// agentPoolProfiles (Cloud.View).
	AgentPool: {
		armType: "Microsoft.ContainerService/managedClusters/agentPools", nameKey: "agentPoolName",
		parentKeys:  []string{"resourceName"},
		replaceKeys: AgentPoolCreateOnly,
	},
	Workspace: {armType: "Microsoft.OperationalInsights/workspaces", nameKey: "workspaceName"},
	// A template deployment is stored, never run: what its template would
	// create is not in the cloud.
	Deployment:           {armType: "Microsoft.Resources/deployments", nameKey: "deploymentName"},
	NetworkSecurityGroup: {armType: "Microsoft.Network/networkSecurityGroups", nameKey: "networkSecurityGroupName"},
	PublicIPAddress:      {armType: "Microsoft.Network/publicIPAddresses", nameKey: "publicIpAddressName"},
	FirewallPolicy:       {armType: "Microsoft.Network/firewallPolicies", nameKey: "firewallPolicyName"},
	RuleCollectionGroup: {
		armType: "Microsoft.Network/firewallPolicies/ruleCollectionGroups", nameKey: "ruleCollectionGroupName",
		parentKeys: []string{"firewallPolicyName"},
	},
	AzureFirewall: {
		armType: "Microsoft.Network/azureFirewalls", nameKey: "azureFirewallName",
		filledKeys: []string{"ipConfigurations"},
	},
	VirtualNetworkPeering: {
		armType: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", nameKey: "virtualNetworkPeeringName",
		parentKeys: []string{"virtualNetworkName"},
	},
}

// ManagedClusterCreateOnly are the ManagedCluster inputs, besides its name,
// group and location, on which the azure-native v2 provider plans a
// replacement: its forceNewMap for ContainerService ManagedCluster
// (pulumi-azure-native provider/pkg/gen), which its schema publishes as
// willReplaceOnChanges. In v2 the whole networkProfile is among them.
var ManagedClusterCreateOnly = []string{
	"dnsPrefix", "fqdnSubdomain", "diskEncryptionSetID", "linuxProfile", "networkProfile", "nodeResourceGroup", "windowsProfile",
}

// AgentPoolCreateOnly are the AgentPool inputs, besides its name, group and
// cluster, on which the azure-native v2 provider plans a replacement: its
// forceNewMap for ContainerService AgentPool (pulumi-azure-native#3655), as
// AKS cannot change a pool's VM size or GPU instance profile. AKS refuses an
// in-place change of other pool properties (poolFixed); the provider plans
// those as updates.
var AgentPoolCreateOnly = []string{"vmSize", "gpuInstanceProfile"}

// ReplaceKeys returns the inputs of resource type typ whose change the
// simulated provider answers with a replacement, in no particular order.
func ReplaceKeys(typ string) []string {
	k := kinds[typ]
	keys := append([]string{k.nameKey, "resourceGroupName", "location"}, k.parentKeys...)
	return append(keys, k.replaceKeys...)
}

// pathKey reports whether key is part of the resource's id rather than of its
// body: the name, the resource group, the parent's name.
func (k kind) pathKey(key string) bool {
	if key == k.nameKey || key == "resourceGroupName" {
		return true
	}
	for _, p := range k.parentKeys {
		if key == p {
			return true
		}
	}
	return false
}

// replaces reports whether a change of key replaces the resource.
func (k kind) replaces(key string) bool {
	if k.pathKey(key) || key == "location" {
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
	k, ok := kinds[typ]
	if !ok {
		return "", "", fmt.Errorf("azuresim: %s is not a simulated resource type", typ)
	}
	name := str(in, k.nameKey)
	if name == "" {
		return "", "", fmt.Errorf("azuresim: %s: missing required property %q", typ, k.nameKey)
	}
	group := "/subscriptions/" + sub + "/resourceGroups/" + str(in, "resourceGroupName")
	provider := func(path string) string { return group + "/providers/" + path }
	switch typ {
	case ResourceGroup:
		return "/subscriptions/" + sub + "/resourceGroups/" + name, "", nil
	case RoleAssignment:
		scope := str(in, "scope")
		if scope == "" {
			return "", "", fmt.Errorf("azuresim: %s: missing required property \"scope\"", typ)
		}
		return scope + "/providers/Microsoft.Authorization/roleAssignments/" + name, scope, nil
	}
	if str(in, "resourceGroupName") == "" {
		return "", "", fmt.Errorf("azuresim: %s: missing required property \"resourceGroupName\"", typ)
	}
	if len(k.parentKeys) == 0 {
		return provider(k.armType + "/" + name), group, nil
	}
	// A child resource (a VNet's subnet or peering, a table's route, a
	// policy's rule collection group): its id is its parent's, then the
	// child type's last segment and its name.
	i := strings.LastIndex(k.armType, "/")
	parentName := str(in, k.parentKeys[0])
	if parentName == "" {
		return "", "", fmt.Errorf("azuresim: %s: missing required property %q", typ, k.parentKeys[0])
	}
	parent = provider(k.armType[:i] + "/" + parentName)
	return parent + k.armType[i:] + "/" + name, parent, nil
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
		"type":              resource.NewProperty(kinds[typ].armType),
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
