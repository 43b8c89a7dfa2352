// Package stack is the aks-kubenet program: it reads and validates a stack's
// config, builds the components in dependency order and exports the outputs.
package stack

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/iam"
	"github.com/aks-kubenet/aks-kubenet/network"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Program is the Pulumi program of one stack. It reads the stack's config and
// validates it with package rules before it registers anything: a refused
// config returns an error listing every problem and creates nothing. Warnings
// go to the Pulumi log (ctx.Log.Warn) and do not stop the run.
//
// Then it deploys, in this order of dependencies:
//
//	resource group -> {VNet, route table, identity} -> {node subnet, routes}
//	  -> Network Contributor grants on subnet and route table -> AKS cluster
//
// and exports the names and ids of what it created, and the kubeconfig as a
// secret.
func Program(ctx *pulumi.Context) error {
	s, report := Check(ctx.Stack(), func(key string) (string, bool) {
		v, err := config.Try(ctx, key)
		return v, err == nil
	})
	var sshKey pulumi.StringInput
	if s.HasSSHPublicKey {
		// Read in plaintext only to check it; it goes on as a secret.
		plain, err := config.Try(ctx, spec.KeySSHPublicKey)
		if err != nil {
			return err
		}
		if f := rules.CheckSSHPublicKey(plain); f != nil {
			report.Errors = append(report.Errors, *f)
		}
		key, err := config.TrySecret(ctx, spec.KeySSHPublicKey)
		if err != nil {
			return err
		}
		sshKey = key
	}
	if s.Subscription == spec.PlaceholderSubscription && !ctx.DryRun() {
		report.Errors = append(report.Errors, rules.Finding{Keys: []string{spec.KeySubscriptionID}, Message: fmt.Sprintf(
			"%s is still the placeholder %s: pulumi up deploys only into the subscription the stack names; set it with pulumi config set %s <subscription-id>",
			spec.KeySubscriptionID, spec.PlaceholderSubscription, spec.KeySubscriptionID)})
	}
	for _, w := range report.Warnings {
		if err := ctx.Log.Warn(w.String(), nil); err != nil {
			return err
		}
	}
	if err := report.Err(); err != nil {
		return err
	}
	if err := checkSubscription(ctx, s.Subscription); err != nil {
		return err
	}
	outputs, err := deploy(ctx, s, sshKey)
	if err != nil {
		return err
	}
	for name, value := range outputs {
		ctx.Export(name, value)
	}
	return nil
}

// checkSubscription asks the azure-native provider which subscription it
// deploys into (getClientConfig) and refuses a stack that names another one:
// the program never builds a stack in a subscription it does not name. A stack
// that names none is told which one it is about to use.
func checkSubscription(ctx *pulumi.Context, want string) error {
	client, err := authorization.GetClientConfig(ctx)
	if err != nil {
		return fmt.Errorf("reading the Azure login's subscription (getClientConfig): %w", err)
	}
	switch {
	case want == "":
		return ctx.Log.Warn(fmt.Sprintf("deploying into subscription %s, the one the Azure login points at: %s is not set",
			client.SubscriptionId, spec.KeySubscriptionID), nil)
	case !strings.EqualFold(client.SubscriptionId, want):
		return fmt.Errorf("%s is %s, but the azure-native provider would deploy into subscription %s: nothing was created; "+
			"log in to the stack's subscription (az account set --subscription %s) or correct the stack", spec.KeySubscriptionID, want, client.SubscriptionId, want)
	}
	return nil
}

// Check reads a stack's config from get and validates it: the findings Program
// reports before it registers anything, in the same words. A config that does
// not decode (a missing object, an unknown key, a mistyped value) is reported
// as errors, one per problem, and is not checked further.
func Check(stackName string, get spec.Source) (spec.Stack, rules.Report) {
	s, err := spec.Load(stackName, get)
	if err == nil {
		return s, rules.Check(s)
	}
	var report rules.Report
	problems := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = joined.Unwrap()
	}
	for _, p := range problems {
		report.Errors = append(report.Errors, rules.Finding{Message: p.Error()})
	}
	return s, report
}

// deploy registers every resource of a validated stack and returns the stack
// outputs.
func deploy(ctx *pulumi.Context, s spec.Stack, sshKey pulumi.StringInput) (pulumi.Map, error) {
	var tags pulumi.StringMapInput
	if len(s.Tags) > 0 {
		tags = pulumi.ToStringMap(s.Tags)
	}
	if err := warnRenames(ctx, s); err != nil {
		return nil, err
	}

	groupName, err := resourceGroup(ctx, s, tags)
	if err != nil {
		return nil, err
	}

	routes, err := network.NewRouteTable(ctx, "egress", network.RouteTableArgs{
		ResourceGroupName: groupName,
		Location:          s.Location,
		Name:              s.Network.RouteTableName,
		Routes:            s.Network.Routes,
		Tags:              tags,
		Protect:           s.Protect,
	})
	if err != nil {
		return nil, err
	}

	nsgName := ""
	if s.Network.NSG {
		nsgName = s.Network.NSGName
	}
	vnet, err := network.NewVirtualNetwork(ctx, "network", network.VirtualNetworkArgs{
		ResourceGroupName: groupName,
		Location:          s.Location,
		Name:              s.Network.VnetName,
		AddressSpace:      s.Network.VnetCidr,
		SubnetName:        s.Network.SubnetName,
		SubnetPrefix:      s.Network.NodeSubnetCidr,
		RouteTableID:      routes.Table.ID(),
		NSGName:           nsgName,
		Tags:              tags,
		Protect:           s.Protect,
	})
	if err != nil {
		return nil, err
	}

	identity, err := iam.NewClusterIdentity(ctx, "identity", iam.ClusterIdentityArgs{
		ResourceGroupName: groupName,
		Location:          s.Location,
		Name:              s.Cluster.IdentityName,
		SubnetID:          vnet.NodeSubnet.ID(),
		RouteTableID:      routes.Table.ID(),
		Tags:              tags,
	})
	if err != nil {
		return nil, err
	}

	prerequisites := []pulumi.Resource{identity.SubnetGrant, identity.RouteTableGrant, vnet.NodeSubnet}
	for _, r := range routes.Routes {
		prerequisites = append(prerequisites, r)
	}
	aks, err := cluster.NewKubenetCluster(ctx, "aks", cluster.KubenetClusterArgs{
		ResourceGroupName: groupName,
		Location:          s.Location,
		Config:            s.Cluster,
		SubnetID:          vnet.NodeSubnet.ID(),
		IdentityID:        identity.Identity.ID(),
		SSHPublicKey:      sshKey,
		Tags:              tags,
		Prerequisites:     prerequisites,
		Protect:           s.Protect,
		ExportKubeconfig:  s.ExportKubeconfig,
	})
	if err != nil {
		return nil, err
	}

	outputs := pulumi.Map{
		"resourceGroupName": groupName,
		"vnetName":          vnet.Network.Name,
		"vnetId":            vnet.Network.ID(),
		"subnetName":        vnet.NodeSubnet.Name,
		"subnetId":          vnet.NodeSubnet.ID(),
		"routeTableName":    routes.Table.Name,
		"routeTableId":      routes.Table.ID(),
		"identityName":      identity.Identity.Name,
		"identityClientId":  identity.Identity.ClientId,
		"clusterName":       aks.Cluster.Name,
		"nodeResourceGroup": aks.Cluster.NodeResourceGroup,
	}
	if s.ExportKubeconfig {
		outputs["kubeconfig"] = aks.Kubeconfig
	}
	return outputs, nil
}

// resourceGroup returns the name of the stack's resource group: the group it
// creates, or, with resourceGroup.existing, the group it looks up and never
// creates or deletes (for teams whose groups are pre-created, with rights on
// the group only).
func resourceGroup(ctx *pulumi.Context, s spec.Stack, tags pulumi.StringMapInput) (pulumi.StringOutput, error) {
	if s.ResourceGroup.Existing {
		group, err := resources.LookupResourceGroup(ctx, &resources.LookupResourceGroupArgs{ResourceGroupName: s.ResourceGroup.Name})
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("%s %s: the existing resource group cannot be read (resourceGroup.existing is true): %w",
				s.ResourceGroupKey, s.ResourceGroup.Name, err)
		}
		return pulumi.String(group.Name).ToStringOutput(), nil
	}
	// Protected with the rest: deleting the group (a rename, or a switch to
	// resourceGroup.existing) would delete everything in it, protected or not.
	rg, err := resources.NewResourceGroup(ctx, "resource-group", &resources.ResourceGroupArgs{
		ResourceGroupName: pulumi.String(s.ResourceGroup.Name),
		Location:          pulumi.String(s.Location),
		Tags:              tags,
	}, pulumi.Protect(s.Protect))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return rg.Name, nil
}
