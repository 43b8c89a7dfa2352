// Package monitoring holds the optional Container insights of the cluster
// (cluster.monitoring): a Log Analytics workspace, the omsagent add-on's
// config with managed identity authentication, and the data collection rule
// and association that such an add-on needs to send anything.
package monitoring

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/operationalinsights/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WorkspaceSku is the workspace's pricing tier: pay per GB ingested.
const WorkspaceSku = "PerGB2018"

// LogAnalyticsArgs configures a LogAnalytics.
type LogAnalyticsArgs struct {
	// ResourceGroupName is the resource group the workspace is created in.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region.
	Location string
	// Name is the workspace's Azure name, cluster.monitoring.workspaceName.
	Name string
	// RetentionDays is how long the workspace keeps data,
	// cluster.monitoring.retentionDays.
	RetentionDays int
	// Tags are applied to the workspace.
	Tags pulumi.StringMapInput
}

// LogAnalytics is the Log Analytics workspace Container insights writes to.
type LogAnalytics struct {
	pulumi.ResourceState

	// Workspace is the PerGB2018 workspace; its ID is the destination of the
	// data collection rule and of the omsagent add-on (AddonConfig).
	Workspace *operationalinsights.Workspace
}

// NewLogAnalytics registers the workspace as the child of a component of type
// aks-kubenet:monitoring:LogAnalytics.
func NewLogAnalytics(ctx *pulumi.Context, name string, args LogAnalyticsArgs, opts ...pulumi.ResourceOption) (*LogAnalytics, error) {
	la := &LogAnalytics{}
	if err := ctx.RegisterComponentResource("aks-kubenet:monitoring:LogAnalytics", name, la, opts...); err != nil {
		return nil, fmt.Errorf("log analytics %s: %w", name, err)
	}

	workspace, err := operationalinsights.NewWorkspace(ctx, name+"-workspace", &operationalinsights.WorkspaceArgs{
		ResourceGroupName: args.ResourceGroupName,
		WorkspaceName:     pulumi.String(args.Name),
		Location:          pulumi.String(args.Location),
		Sku:               &operationalinsights.WorkspaceSkuArgs{Name: pulumi.String(WorkspaceSku)},
		RetentionInDays:   pulumi.Int(args.RetentionDays),
		Tags:              args.Tags,
	}, pulumi.Parent(la))
	if err != nil {
		return nil, fmt.Errorf("log analytics workspace %s: %w", args.Name, err)
	}
	la.Workspace = workspace

	return la, ctx.RegisterResourceOutputs(la, pulumi.Map{
		"id":         workspace.ID(),
		"customerId": workspace.CustomerId,
	})
}

// AddonConfig returns the config of the cluster's omsagent add-on
// (addonProfiles.omsagent.config): the workspace it sends to, and
// useAADAuth "true", which makes the agent authenticate with the add-on's
// managed identity instead of the workspace key. Such an agent sends nothing
// until the cluster has a data collection rule association
// (NewContainerInsights).
func AddonConfig(workspaceID pulumi.StringInput) pulumi.StringMap {
	return pulumi.StringMap{
		"logAnalyticsWorkspaceResourceID": workspaceID,
		"useAADAuth":                      pulumi.String("true"),
	}
}
