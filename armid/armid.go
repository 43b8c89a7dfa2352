// Package armid knows, for each azure-native resource type the program
// creates, how its Azure Resource Manager id follows from its inputs: the
// type as ARM spells it, the input holding its name and those naming its
// parent. The names are fixed by the program, so the id of a resource is
// known before Azure answers: the state doctor looks up in Azure a resource
// whose create a killed run left pending, and the simulated Azure of the
// engine tests makes the same ids.
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
}

// Types are the program's azure-native resource types, by type token.
var Types = map[string]Type{
	ResourceGroup:         {ARMType: "Microsoft.Resources/resourceGroups", NameKey: "resourceGroupName"},
	VirtualNetwork:        {ARMType: "Microsoft.Network/virtualNetworks", NameKey: "virtualNetworkName"},
	Subnet:                {ARMType: "Microsoft.Network/virtualNetworks/subnets", NameKey: "subnetName", ParentKeys: []string{"virtualNetworkName"}},
	RouteTable:            {ARMType: "Microsoft.Network/routeTables", NameKey: "routeTableName"},
	Route:                 {ARMType: "Microsoft.Network/routeTables/routes", NameKey: "routeName", ParentKeys: []string{"routeTableName"}},
	UserAssignedIdentity:  {ARMType: "Microsoft.ManagedIdentity/userAssignedIdentities", NameKey: "resourceName"},
	RoleAssignment:        {ARMType: "Microsoft.Authorization/roleAssignments", NameKey: "roleAssignmentName", ParentKeys: []string{"scope"}},
	ManagedCluster:        {ARMType: "Microsoft.ContainerService/managedClusters", NameKey: "resourceName"},
	MaintenanceConfig:     {ARMType: "Microsoft.ContainerService/managedClusters/maintenanceConfigurations", NameKey: "configName", ParentKeys: []string{"resourceName"}},
	AgentPool:             {ARMType: "Microsoft.ContainerService/managedClusters/agentPools", NameKey: "agentPoolName", ParentKeys: []string{"resourceName"}},
	Workspace:             {ARMType: "Microsoft.OperationalInsights/workspaces", NameKey: "workspaceName"},
	Deployment:            {ARMType: "Microsoft.Resources/deployments", NameKey: "deploymentName"},
	NetworkSecurityGroup:  {ARMType: "Microsoft.Network/networkSecurityGroups", NameKey: "networkSecurityGroupName"},
	PublicIPAddress:       {ARMType: "Microsoft.Network/publicIPAddresses", NameKey: "publicIpAddressName"},
	FirewallPolicy:        {ARMType: "Microsoft.Network/firewallPolicies", NameKey: "firewallPolicyName"},
	RuleCollectionGroup:   {ARMType: "Microsoft.Network/firewallPolicies/ruleCollectionGroups", NameKey: "ruleCollectionGroupName", ParentKeys: []string{"firewallPolicyName"}},
	AzureFirewall:         {ARMType: "Microsoft.Network/azureFirewalls", NameKey: "azureFirewallName"},
	VirtualNetworkPeering: {ARMType: "Microsoft.Network/virtualNetworks/virtualNetworkPeerings", NameKey: "virtualNetworkPeeringName", ParentKeys: []string{"virtualNetworkName"}},
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
