// Package armid knows, for each azure-native resource type the program
// creates, how its Azure Resource Manager id follows from its inputs: the
// type as ARM spells it, the input holding its name and those naming its
// parent. The names are fixed by the program, so the id of a resource is
// known before Azure answers: the offline plan predicts it, the state doctor
// looks up in Azure a resource whose create a killed run left pending, and
// the simulated Azure of the engine tests and the Pulumi mocks of the tests
// make the same ids. It also knows the properties the plan's text format
// shows for each type.
package armid

import (
	"fmt"
	"strings"
)

// Type tokens of the azure-native resources the program creates.
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

// ListUserCredentials is the token of the call that reads a cluster's user
// kubeconfig. The containerservice tokens, this one and ManagedCluster,
// MaintenanceConfig and AgentPool, are the provider's 2024-09-01 API
// version's: the default module's tokens, without the version, are no longer
// registered.
const ListUserCredentials = "azure-native:containerservice/v20240901:listManagedClusterUserCredentials"

// Type is how the id of a resource type follows from its inputs.
type Type struct {
	// ARMType is the type as ARM spells it in ids:
	// Microsoft.Network/routeTables/routes.
	ARMType string
	// NameKey is the input that holds the resource's Azure name.
	NameKey string
	// ParentKeys are the inputs that name the resource's parent (other than
	// the resource group); with NameKey and resourceGroupName they form the
	// id. A role assignment's is its scope, an id itself.
	ParentKeys []string
	// KeyProperties are the inputs the plan's text format shows, as dotted
	// paths with [i] indexes ("networkProfile.podCidr"), the ones a network
	// reviewer reads; its json format has them all. The first is NameKey,
	// which the plan's Mermaid graph labels the resource with, but for a role
	// assignment, shown by its role and scope.
	KeyProperties []string
}

// Types are the program's azure-native resource types, by type token.
var Types = map[string]Type{
	ResourceGroup: {
		ARMType: "Microsoft.Resources/resourceGroups", NameKey: "resourceGroupName",
		KeyProperties: []string{"resourceGroupName", "location"},
	},
	VirtualNetwork: {
		ARMType: "Microsoft.Network/virtualNetworks", NameKey: "virtualNetworkName",
		KeyProperties: []string{"virtualNetworkName", "addressSpace.addressPrefixes"},
	},
	Subnet: {
		ARMType: "Microsoft.Network/virtualNetworks/subnets", NameKey: "subnetName", ParentKeys: []string{"virtualNetworkName"},
		KeyProperties: []string{"subnetName", "addressPrefix", "routeTable.id"},
	},
	RouteTable: {
		ARMType: "Microsoft.Network/routeTables", NameKey: "routeTableName",
		KeyProperties: []string{"routeTableName", "routes"},
	},
	Route: {
		ARMType: "Microsoft.Network/routeTables/routes", NameKey: "routeName", ParentKeys: []string{"routeTableName"},
		KeyProperties: []string{"routeName", "addressPrefix", "nextHopType", "nextHopIpAddress"},
	},
	UserAssignedIdentity: {
		ARMType: "Microsoft.ManagedIdentity/userAssignedIdentities", NameKey: "resourceName",
		KeyProperties: []string{"resourceName"},
	},
	RoleAssignment: {
		ARMType: "Microsoft.Authorization/roleAssignments", NameKey: "roleAssignmentName", ParentKeys: []string{"scope"},
		KeyProperties: []string{"roleDefinitionId", "scope", "principalId", "principalType", "roleAssignmentName"},
	},
	ManagedCluster: {
		ARMType: "Microsoft.ContainerService/managedClusters", NameKey: "resourceName",
		KeyProperties: []string{
			"resourceName", "dnsPrefix", "kubernetesVersion", "nodeResourceGroup", "identity.userAssignedIdentities",
			"networkProfile.networkPlugin", "networkProfile.podCidr", "networkProfile.serviceCidr",
			"networkProfile.dnsServiceIP", "networkProfile.outboundType", "networkProfile.loadBalancerSku",
			"networkProfile.networkPolicy",
			"agentPoolProfiles[0].name", "agentPoolProfiles[0].vmSize", "agentPoolProfiles[0].count",
			"agentPoolProfiles[0].enableAutoScaling", "agentPoolProfiles[0].minCount", "agentPoolProfiles[0].maxCount",
			"agentPoolProfiles[0].maxPods", "agentPoolProfiles[0].upgradeSettings.maxSurge",
			"agentPoolProfiles[0].nodeTaints", "agentPoolProfiles[0].vnetSubnetID", "linuxProfile.ssh.publicKeys[0].keyData",
			"aadProfile.managed", "aadProfile.enableAzureRBAC", "disableLocalAccounts",
			"apiServerAccessProfile.enablePrivateCluster", "apiServerAccessProfile.authorizedIPRanges",
			"autoUpgradeProfile.upgradeChannel", "autoUpgradeProfile.nodeOSUpgradeChannel",
			"oidcIssuerProfile.enabled", "securityProfile.workloadIdentity.enabled",
			"securityProfile.imageCleaner.enabled", "securityProfile.imageCleaner.intervalHours",
			"addonProfiles.azurepolicy.enabled", "addonProfiles.omsagent.enabled",
			"addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID", "sku.tier",
		},
	},
	MaintenanceConfig: {
		ARMType: "Microsoft.ContainerService/managedClusters/maintenanceConfigurations", NameKey: "configName", ParentKeys: []string{"resourceName"},
		KeyProperties: []string{
			"configName", "resourceName", "maintenanceWindow.schedule.weekly.dayOfWeek", "maintenanceWindow.startTime",
			"maintenanceWindow.durationHours", "maintenanceWindow.utcOffset",
		},
	},
	AgentPool: {
		ARMType: "Microsoft.ContainerService/managedClusters/agentPools", NameKey: "agentPoolName", ParentKeys: []string{"resourceName"},
		KeyProperties: []string{
			"agentPoolName", "resourceName", "mode", "vmSize", "count", "enableAutoScaling", "minCount", "maxCount",
			"maxPods", "upgradeSettings.maxSurge", "availabilityZones", "osSKU", "orchestratorVersion",
			"scaleSetPriority", "scaleSetEvictionPolicy", "spotMaxPrice", "nodeLabels", "nodeTaints", "vnetSubnetID",
		},
	},
	Workspace: {
		ARMType: "Microsoft.OperationalInsights/workspaces", NameKey: "workspaceName",
		KeyProperties: []string{"workspaceName", "sku.name", "retentionInDays"},
	},
	Deployment: {
		ARMType: "Microsoft.Resources/deployments", NameKey: "deploymentName",
		KeyProperties: []string{
			"deploymentName", "properties.mode",
			"properties.parameters.workspaceResourceId.value", "properties.parameters.clusterResourceId.value",
		},
	},
	NetworkSecurityGroup: {
		ARMType: "Microsoft.Network/networkSecurityGroups", NameKey: "networkSecurityGroupName",
		KeyProperties: []string{"networkSecurityGroupName"},
	},
	PublicIPAddress: {
		ARMType: "Microsoft.Network/publicIPAddresses", NameKey: "publicIpAddressName",
		KeyProperties: []string{"publicIpAddressName", "sku.name", "publicIPAllocationMethod"},
	},
	FirewallPolicy: {
		ARMType: "Microsoft.Network/firewallPolicies", NameKey: "firewallPolicyName",
		KeyProperties: []string{"firewallPolicyName", "sku.tier", "threatIntelMode", "dnsSettings.enableProxy"},
	},
	RuleCollectionGroup: {
		ARMType: "Microsoft.Network/firewallPolicies/ruleCollectionGroups", NameKey: "ruleCollectionGroupName", ParentKeys: []string{"firewallPolicyName"},
		KeyProperties: []string{"ruleCollectionGroupName", "priority"},
	},
	AzureFirewall: {
		ARMType: "Microsoft.Network/azureFirewalls", NameKey: "azureFirewallName",
		KeyProperties: []string{"azureFirewallName", "sku.name", "sku.tier"},
	},
	VirtualNetworkPeering: {
		ARMType: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", NameKey: "virtualNetworkPeeringName", ParentKeys: []string{"virtualNetworkName"},
		KeyProperties: []string{
			"virtualNetworkPeeringName", "virtualNetworkName", "remoteVirtualNetwork.id",
			"allowVirtualNetworkAccess", "allowForwardedTraffic", "useRemoteGateways", "allowGatewayTransit",
		},
	},
}

// Of returns the ARM id of a resource of type token typ, in subscription
// sub, whose string inputs input returns, and the id of its parent (the
// resource group's for a top-level resource, the scope for a role
// assignment, "" for a resource group).
func Of(sub, typ string, input func(key string) string) (id, parent string, err error) {
	t, ok := Types[typ]
	if !ok {
		return "", "", fmt.Errorf("%s is not a resource type aks-kubenet creates", typ)
	}
	need := func(key string) (string, error) {
		if v := input(key); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%s: missing required property %q", typ, key)
	}
	name, err := need(t.NameKey)
	if err != nil {
		return "", "", err
	}
	if typ == ResourceGroup {
		return "/subscriptions/" + sub + "/resourceGroups/" + name, "", nil
	}
	if typ == RoleAssignment {
		scope, err := need("scope")
		if err != nil {
			return "", "", err
		}
		return scope + "/providers/" + t.ARMType + "/" + name, scope, nil
	}
	group, err := need("resourceGroupName")
	if err != nil {
		return "", "", err
	}
	groupID := "/subscriptions/" + sub + "/resourceGroups/" + group
	if len(t.ParentKeys) == 0 {
		return groupID + "/providers/" + t.ARMType + "/" + name, groupID, nil
	}
	// A child resource (a VNet's subnet or peering, a table's route, a
	// cluster's pool): its id is its parent's, then the child type's last
	// segment and its name.
	parentName, err := need(t.ParentKeys[0])
	if err != nil {
		return "", "", err
	}
	i := strings.LastIndex(t.ARMType, "/")
	parent = groupID + "/providers/" + t.ARMType[:i] + "/" + parentName
	return parent + t.ARMType[i:] + "/" + name, parent, nil
}
