package aksfacts

import (
	"fmt"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Name is a name the program gives a resource that Azure cannot change on
// it: a new value makes the provider delete the resource and create it anew.
// The preview warns of each against the stack's last deployment, and the
// plan's -base refuses each against the base of a pull request.
type Name struct {
	// Output is the stack output that records the deployed name.
	Output string
	// Path is the config path that sets it; "" for the resource group,
	// whose key is the stack's ResourceGroupKey.
	Path string
	// What is what it names, as the preview says it: "route table (and
	// every route in it)".
	What string
	// Change is what a new value does, as the plan says it: "renames the
	// route table".
	Change string
	// Cannot is why it replaces: "Azure cannot rename".
	Cannot string
	// Replaced is what Pulumi would re-create: "it (and everything in it)".
	Replaced string
	// From says where its default comes from: "from the stack name".
	From string
	// Value is the name a stack gives, its default applied.
	Value func(spec.Stack) string
	// Follows reports whether a stack leaves the name to a default that
	// follows other names of this list and the location; such a default is
	// no change of its own.
	Follows func(spec.Stack) bool
}

const (
	azureCannot = "Azure cannot rename"
	aksCannot   = "AKS cannot change it on a cluster"
	everything  = "it (and everything in it)"
	theCluster  = "the cluster (and everything in it)"
)

// Names are the names Azure cannot change, in the order the plan reports
// them. A new value of any of them deletes what it names
// (https://learn.microsoft.com/azure/azure-resource-manager/management/move-support-resources
// lists no rename; the cluster's DNS prefix and node resource group are
// create-only, ClusterCreateOnlyInputs).
var Names = []Name{
	{Output: "resourceGroupName", What: "resource group (and every resource in it)", Change: "renames the resource group",
		Cannot: azureCannot, Replaced: everything, From: "from the stack name",
		Value: func(s spec.Stack) string { return s.ResourceGroup.Name }},
	{Output: "vnetName", Path: spec.PathNetworkVnetName, What: "VNet (and the node subnet in it)", Change: "renames the VNet",
		Cannot: azureCannot, Replaced: everything, From: "from the stack name",
		Value: func(s spec.Stack) string { return s.Network.VnetName }},
	{Output: "subnetName", Path: spec.PathNetworkSubnetName, What: "node subnet", Change: "renames the node subnet",
		Cannot: azureCannot, Replaced: everything, From: "from the stack name",
		Value: func(s spec.Stack) string { return s.Network.SubnetName }},
	{Output: "routeTableName", Path: spec.PathNetworkRouteTableName, What: "route table (and every route in it)", Change: "renames the route table",
		Cannot: azureCannot, Replaced: everything, From: "from the stack name",
		Value: func(s spec.Stack) string { return s.Network.RouteTableName }},
	{Output: "clusterName", Path: spec.PathClusterName, What: "AKS cluster", Change: "renames the AKS cluster",
		Cannot: azureCannot, Replaced: everything, From: "from the stack name",
		Value: func(s spec.Stack) string { return s.Cluster.Name }},
	{Output: "identityName", Path: spec.PathClusterIdentityName, What: "cluster identity (and its grants)", Change: "renames the cluster identity",
		Cannot: azureCannot, Replaced: "it (and its role assignments)", From: "from " + spec.PathClusterName,
		Value: func(s spec.Stack) string { return s.Cluster.IdentityName }},
	{Output: "dnsPrefix", Path: spec.PathClusterDNSPrefix, What: "AKS cluster", Change: "changes the AKS cluster's DNS prefix",
		Cannot: aksCannot, Replaced: theCluster, From: "from " + spec.PathClusterName,
		Value: func(s spec.Stack) string { return s.Cluster.DNSPrefix }},
	{Output: "nodeResourceGroup", Path: spec.PathClusterNodeResourceGroup, What: "AKS cluster", Change: "renames the cluster's node resource group",
		Cannot: aksCannot, Replaced: theCluster, From: "AKS's MC_<group>_<cluster>_<location>",
		Value: NodeResourceGroup, Follows: func(s spec.Stack) bool { return s.Cluster.NodeResourceGroup == "" }},
	{Output: "workspaceName", Path: spec.PathClusterMonitoringWorkspaceName, What: "Log Analytics workspace (and the logs in it)", Change: "renames the Log Analytics workspace",
		Cannot: azureCannot, Replaced: "it (and lose the logs in it)", From: "from " + spec.PathClusterName,
		Value: func(s spec.Stack) string { return s.Cluster.WorkspaceName() }},
}

// NodeResourceGroup is the cluster's node resource group: the configured
// one, or the one AKS names when none is, MC_<group>_<cluster>_<location>
// (https://learn.microsoft.com/azure/aks/faq#why-are-two-resource-groups-created-with-aks).
func NodeResourceGroup(s spec.Stack) string {
	if s.Cluster.NodeResourceGroup != "" {
		return s.Cluster.NodeResourceGroup
	}
	return fmt.Sprintf("MC_%s_%s_%s", s.ResourceGroup.Name, s.Cluster.Name, s.Location)
}

// Key is the config key of the name in s: its Path, or for the resource
// group the key s names it with.
func (n Name) Key(s spec.Stack) string {
	if n.Path == "" {
		return s.ResourceGroupKey
	}
	return n.Path
}
