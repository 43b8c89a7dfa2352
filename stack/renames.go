package stack

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// renamable is one name key: the stack output that records the deployed name,
// the config key that sets it, and what it names.
type renamable struct {
	output, key, what string
	value             func(spec.Stack) string
}

var renamables = []renamable{
	{"resourceGroupName", "", "resource group (and every resource in it)", func(s spec.Stack) string { return s.ResourceGroup.Name }},
	{"vnetName", "network.vnetName", "VNet (and the node subnet in it)", func(s spec.Stack) string { return s.Network.VnetName }},
	{"subnetName", "network.subnetName", "node subnet", func(s spec.Stack) string { return s.Network.SubnetName }},
	{"routeTableName", "network.routeTableName", "route table (and every route in it)", func(s spec.Stack) string { return s.Network.RouteTableName }},
	{"identityName", "cluster.identityName", "cluster identity (and its grants)", func(s spec.Stack) string { return s.Cluster.IdentityName }},
	{"clusterName", "cluster.name", "AKS cluster", func(s spec.Stack) string { return s.Cluster.Name }},
	{"workspaceName", "cluster.monitoring.workspaceName", "Log Analytics workspace (and the logs in it)", func(s spec.Stack) string { return s.Cluster.WorkspaceName() }},
}

// warnRenames calls out, as a warning in the preview, every name key whose
// value differs from the name the stack's last deployment recorded in its
// outputs. Azure cannot rename these resources: azure-native replaces them,
// deleting the old one first, and a renamed route table or subnet cuts egress
// while AKS keeps using the old table. The engine refuses to replace the
// protected ones; this says why, in the config's words.
//
// The last deployment's outputs are read through a StackReference to the stack
// itself; a new stack has none, and gets no warning. Only a preview reads them
// (pulumi preview, and the preview pulumi up shows first): during an update
// the engine writes the stack's checkpoint as it goes, and a self-reference
// could read it half-written (the file backend then fails with "failed to
// load checkpoint: EOF").
func warnRenames(ctx *pulumi.Context, s spec.Stack) error {
	if !ctx.DryRun() {
		return nil
	}
	self := fmt.Sprintf("%s/%s/%s", ctx.Organization(), ctx.Project(), ctx.Stack())
	deployed, err := pulumi.NewStackReference(ctx, "deployed", &pulumi.StackReferenceArgs{Name: pulumi.String(self)})
	if err != nil {
		return err
	}
	deployed.Outputs.ApplyT(func(outputs map[string]any) error {
		for _, w := range renameWarnings(s, outputs) {
			if err := ctx.Log.Warn(w, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}

// renameWarnings compares the names s would create with the names deployed
// (a stack's outputs) and returns a warning for each that changes, in key
// order.
func renameWarnings(s spec.Stack, deployed map[string]any) []string {
	var warnings []string
	for _, r := range renamables {
		old, ok := deployed[r.output].(string)
		now := r.value(s)
		if !ok || old == "" || now == "" || old == now {
			continue
		}
		key := r.key
		if key == "" {
			key = s.ResourceGroupKey
		}
		protected := ""
		if s.Protect {
			protected = " The resource is protected, so pulumi up refuses."
		}
		warnings = append(warnings, fmt.Sprintf(
			"%s changes from %s to %s on a deployed stack: Azure cannot rename, so Pulumi would delete the %s and create it anew.%s See the README's \"Changing a stack\".",
			key, old, now, r.what, protected))
	}
	if w, ok := networkPolicyWarning(s, deployed); ok {
		warnings = append(warnings, w)
	}
	sort.Strings(warnings)
	return warnings
}

// networkPolicyWarning calls out a cluster.networkPolicy other than the
// deployed cluster's: the policy counts at creation and the cluster ignores
// later changes (cluster.IgnoredChanges), because the network profile is
// create-only in azure-native v2 and a change would replace the cluster. A
// deployment without the networkPolicy output predates the program's
// network policy and has none.
func networkPolicyWarning(s spec.Stack, deployed map[string]any) (string, bool) {
	if name, ok := deployed["clusterName"].(string); !ok || name != s.Cluster.Name {
		return "", false // no cluster deployed, or a renamed one (warned about above)
	}
	old, ok := deployed["networkPolicy"].(string)
	if !ok {
		old = spec.NetworkPolicyNone
	}
	if old == s.Cluster.NetworkPolicy {
		return "", false
	}
	return fmt.Sprintf(
		"cluster.networkPolicy is %s but the deployed cluster has %s: the network policy counts at creation, so pulumi up leaves the cluster as it is (the provider would replace the cluster to change it); set it back to %s, or change the cluster in place with az aks update --network-policy %s and pulumi refresh, after which the next pulumi up records it. See the README's \"Network policy\".",
		s.Cluster.NetworkPolicy, old, old, s.Cluster.NetworkPolicy), true
}
