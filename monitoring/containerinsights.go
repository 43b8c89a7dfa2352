package monitoring

import (
	"fmt"

	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	// AssociationName is the name of the data collection rule association on
	// the cluster, the one Microsoft's onboarding template gives it.
	AssociationName = "ContainerInsightsExtension"
	// ContainerInsightsStream is the stream of the Container insights
	// extension: the default group of Container insights tables.
	ContainerInsightsStream = "Microsoft-ContainerInsights-Group-Default"

	// insightsAPIVersion is the Microsoft.Insights API version of the data
	// collection rule and of its association.
	insightsAPIVersion = "2022-06-01"
	// maxNameLength is the longest name Azure accepts for a data collection
	// rule and for a deployment.
	maxNameLength = 64
	// workspaceDestination is the data collection rule's name for the
	// workspace, the destination of its one data flow.
	workspaceDestination = "ciworkspace"
	// deploymentSuffix ends the deployment's name.
	deploymentSuffix = "-container-insights"
)

// The template's parameters: what the deployment takes from other resources.
const (
	paramLocation    = "location"
	paramWorkspaceID = "workspaceResourceId"
	paramClusterID   = "clusterResourceId"
	paramTags        = "tags"
)

// DataCollectionRuleName returns the name of the cluster's data collection
// rule, "MSCI-<location>-<clusterName>" cut to its first 64 characters, as
// Microsoft's onboarding template names it. Azure location
// names and AKS cluster names are ASCII, so the cut never splits a character.
func DataCollectionRuleName(location, clusterName string) string {
	name := "MSCI-" + location + "-" + clusterName
	return name[:min(len(name), maxNameLength)]
}

// DeploymentName returns the name of the deployment that creates the data
// collection rule and its association: "<clusterName>-container-insights",
// with clusterName cut so that the whole stays within ARM's 64 characters.
func DeploymentName(clusterName string) string {
	return clusterName[:min(len(clusterName), maxNameLength-len(deploymentSuffix))] + deploymentSuffix
}

// ContainerInsightsArgs configures a ContainerInsights.
type ContainerInsightsArgs struct {
	// ResourceGroupName is the cluster's resource group, where the deployment
	// and the data collection rule go. It must be the cluster's: ARM applies
	// an extension resource such as the association only to a resource in
	// the deployment's own resource group.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region of the cluster and the workspace.
	Location string
	// ClusterName is the cluster's Azure name, part of the rule's name.
	ClusterName string
	// ClusterID is the cluster's resource id, the association's scope. Passing
	// the cluster's id output makes the deployment wait for the cluster.
	ClusterID pulumi.StringInput
	// WorkspaceID is the Log Analytics workspace's resource id, the rule's
	// destination.
	WorkspaceID pulumi.StringInput
	// Tags are applied to the deployment and to the data collection rule.
	Tags pulumi.StringMapInput
}

// ContainerInsights is the data collection rule (DCR) and data collection
// rule association (DCRA) that a cluster needs when its omsagent add-on
// authenticates with managed identity (AddonConfig): for such clusters
// "there will also be a need to have Data Collection Rules (DCRs) and Data
// Collection Rule Association (DCRAs)" (hashicorp/terraform-provider-azurerm#21305).
// Turning the add-on on in the cluster's ARM resource, as the provider does,
// creates neither (hashicorp/terraform-provider-azurerm#23510); Microsoft's
// onboarding creates them beside the add-on. The rule sends the Container insights stream of
// the cluster, every minute and from every namespace, in the ContainerLogV2
// schema, to the workspace; the association attaches it to the cluster.
//
// Both are created by one ARM template deployment (Microsoft.Resources/deployments,
// mode Incremental), not as resources of their own, because the azure-native
// insights/v2 module, which has DataCollectionRule and
// DataCollectionRuleAssociation, is not served by the module proxy this
// program builds with. The template is shaped like Microsoft's Container
// insights onboarding template for managed identity (microsoft/Docker-Provider,
// scripts/onboarding/aks/onboarding-using-msi-auth/existingClusterOnboarding.json),
// without its private link, syslog and high log scale options.
//
// Pulumi tracks the deployment, not what it created. Deleting the deployment
// (pulumi destroy, or turning monitoring off) deletes only its record and
// operations from the resource group's deployment history: "Deleting a
// deployment from the history doesn't affect any of the resources that were
// deployed" (https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-history-deletions).
// The DCR stays in the resource group and the DCRA on the cluster until they
// are deleted by hand (az monitor data-collection rule association delete,
// az monitor data-collection rule delete) or with the resource group. In
// Incremental mode, a deployment whose template changes never deletes what
// the old template created either: a new rule name (a new cluster name or
// location) leaves the old rule behind.
type ContainerInsights struct {
	pulumi.ResourceState

	// Deployment is the template deployment that creates the DCR and the DCRA.
	Deployment *resources.Deployment
}

// NewContainerInsights registers the deployment as the child of a component of
// type aks-kubenet:monitoring:ContainerInsights. It is meant to be created
// after the cluster, whose id it takes.
func NewContainerInsights(ctx *pulumi.Context, name string, args ContainerInsightsArgs, opts ...pulumi.ResourceOption) (*ContainerInsights, error) {
	ci := &ContainerInsights{}
	if err := ctx.RegisterComponentResource("aks-kubenet:monitoring:ContainerInsights", name, ci, opts...); err != nil {
		return nil, fmt.Errorf("container insights %s: %w", name, err)
	}

	ruleName := DataCollectionRuleName(args.Location, args.ClusterName)
	parameters := resources.DeploymentParameterMap{
		paramLocation:    resources.DeploymentParameterArgs{Value: pulumi.String(args.Location)},
		paramWorkspaceID: resources.DeploymentParameterArgs{Value: args.WorkspaceID},
		paramClusterID:   resources.DeploymentParameterArgs{Value: args.ClusterID},
	}
	if args.Tags != nil { // the template defaults to no tags
		parameters[paramTags] = resources.DeploymentParameterArgs{Value: args.Tags}
	}
	deploymentName := DeploymentName(args.ClusterName)
	deployment, err := resources.NewDeployment(ctx, name+"-deployment", &resources.DeploymentArgs{
		ResourceGroupName: args.ResourceGroupName,
		DeploymentName:    pulumi.String(deploymentName),
		Properties: &resources.DeploymentPropertiesArgs{
			Mode:       resources.DeploymentModeIncremental,
			Template:   pulumi.Any(containerInsightsTemplate(ruleName)),
			Parameters: parameters,
		},
		Tags: args.Tags,
	}, pulumi.Parent(ci))
	if err != nil {
		return nil, fmt.Errorf("container insights deployment %s: %w", deploymentName, err)
	}
	ci.Deployment = deployment

	return ci, ctx.RegisterResourceOutputs(ci, pulumi.Map{
		"id":                     deployment.ID(),
		"dataCollectionRuleName": pulumi.String(ruleName),
	})
}

// param returns the template expression that reads parameter name.
func param(name string) string {
	return "[parameters('" + name + "')]"
}

// containerInsightsTemplate returns the ARM template, as JSON values, that
// creates the data collection rule ruleName and associates it with the
// cluster: the rule, of kind Linux, in the given location, whose Container
// insights extension's stream flows to the workspace; and the association,
// an extension resource of the cluster, which waits for the rule.
func containerInsightsTemplate(ruleName string) map[string]any {
	ruleID := fmt.Sprintf("[resourceId('Microsoft.Insights/dataCollectionRules', '%s')]", ruleName)
	streams := []any{ContainerInsightsStream}
	rule := map[string]any{
		"type":       "Microsoft.Insights/dataCollectionRules",
		"apiVersion": insightsAPIVersion,
		"name":       ruleName,
		"location":   param(paramLocation),
		"tags":       param(paramTags),
		"kind":       "Linux",
		"properties": map[string]any{
			"dataSources": map[string]any{
				"extensions": []any{map[string]any{
					"name":          AssociationName,
					"extensionName": "ContainerInsights",
					"streams":       streams,
					"extensionSettings": map[string]any{
						"dataCollectionSettings": map[string]any{
							"interval":               "1m",
							"namespaceFilteringMode": "Off",
							"enableContainerLogV2":   true,
						},
					},
				}},
			},
			"destinations": map[string]any{
				"logAnalytics": []any{map[string]any{
					"name":                workspaceDestination,
					"workspaceResourceId": param(paramWorkspaceID),
				}},
			},
			"dataFlows": []any{map[string]any{
				"streams":      streams,
				"destinations": []any{workspaceDestination},
			}},
		},
	}
	association := map[string]any{
		"type":       "Microsoft.Insights/dataCollectionRuleAssociations",
		"apiVersion": insightsAPIVersion,
		"name":       AssociationName,
		"scope":      param(paramClusterID),
		"dependsOn":  []any{ruleID},
		"properties": map[string]any{
			"description":          "aks-kubenet: sends the cluster's Container insights to its Log Analytics workspace; without it the monitoring add-on collects nothing.",
			"dataCollectionRuleId": ruleID,
		},
	}
	stringParam := map[string]any{"type": "string"}
	return map[string]any{
		"$schema":        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
		"contentVersion": "1.0.0.0",
		"parameters": map[string]any{
			paramLocation:    stringParam,
			paramWorkspaceID: stringParam,
			paramClusterID:   stringParam,
			paramTags:        map[string]any{"type": "object", "defaultValue": map[string]any{}},
		},
		"resources": []any{rule, association},
	}
}
