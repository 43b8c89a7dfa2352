package stack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

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
//
// With aks-kubenet:readLastDeployment false (deploy.yml's plan and up, which
// apply an update plan) it reads nothing: the pull request's preview and
// plan -base warned already.
//
// It returns a gate for the resource group's name: the name, once the
// warnings are logged. Every resource takes its group's name from it, so
// none is registered before the warnings are out: the engine stops the
// preview at the first refusal (a protected resource's replacement), and a
// warning logged after that would never be shown.
func warnRenames(ctx *pulumi.Context, s spec.Stack) (gate func(pulumi.StringInput) pulumi.StringOutput, err error) {
	open := func(name pulumi.StringInput) pulumi.StringOutput { return name.ToStringOutput() }
	if !ctx.DryRun() || !s.ReadLastDeployment {
		return open, nil
	}
	self := fmt.Sprintf("%s/%s/%s", ctx.Organization(), ctx.Project(), ctx.Stack())
	deployed, err := pulumi.NewStackReference(ctx, "deployed", &pulumi.StackReferenceArgs{Name: pulumi.String(self)})
	if err != nil {
		return nil, err
	}
	warned := deployed.Outputs.ApplyT(func(outputs map[string]any) (bool, error) {
		for _, w := range renameWarnings(s, outputs) {
			if err := ctx.Log.Warn(w, nil); err != nil {
				return false, err
			}
		}
		return true, nil
	})
	return func(name pulumi.StringInput) pulumi.StringOutput {
		return pulumi.All(name, warned).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	}, nil
}

// renameWarnings compares the names s would create with the names deployed
// (a stack's outputs) and returns a warning for each that changes, in key
// order.
func renameWarnings(s spec.Stack, deployed map[string]any) []string {
	var warnings []string
	for _, n := range aksfacts.Names {
		old, ok := deployed[n.Output].(string)
		now := n.Value(s)
		if !ok || old == "" || now == "" || old == now || n.Follows != nil && n.Follows(s) {
			// A default that follows other names changes with them, and
			// they are warned about themselves.
			continue
		}
		protected := ""
		if s.Protect {
			protected = " The resource is protected, so pulumi up refuses."
		}
		warnings = append(warnings, fmt.Sprintf(
			"%s changes from %s to %s on a deployed stack: %s, so Pulumi would delete the %s and create it anew.%s See docs/operations.md, \"Changing a stack\".",
			n.Key(s), old, now, n.Cannot, n.What, protected))
	}
	// The cluster's own settings compare only with the same cluster: none
	// deployed, or a renamed one (warned about above), has nothing to compare.
	if name, ok := deployed["clusterName"].(string); ok && name == s.Cluster.Name {
		warnings = append(warnings, creationWarnings(s, deployed)...)
		warnings = append(warnings, poolWarnings(s, deployed)...)
	}
	sort.Strings(warnings)
	return warnings
}

// creationSetting is a cluster setting that counts at creation: the preview
// compares the config with the deployed cluster's stack output.
type creationSetting struct {
	// output is the stack output of the deployed cluster's value.
	output string
	// before is the value of a cluster deployed before the output existed.
	before string
	// value is the config's value, as the output shows it.
	value func(spec.Stack) string
	// message is the warning for a config value now other than old.
	message func(old, now string) string
	// quiet, when set, says when the outputs do not count: the deployed
	// cluster has moved on since they were recorded.
	quiet func(s spec.Stack, deployed map[string]any) bool
}

var creationSettings = []creationSetting{
	{
		// The network profile is create-only in azure-native v2: a change
		// would replace the cluster. A cluster deployed before the program
		// set a network policy has none.
		output: "networkPolicy", before: spec.NetworkPolicyNone,
		value: func(s spec.Stack) string { return s.Cluster.NetworkPolicy },
		quiet: movingNetwork,
		message: func(old, now string) string {
			return fmt.Sprintf("%s is %s but the deployed cluster has %s: the network policy counts at creation, so pulumi up leaves the cluster as it is (the provider would replace the cluster to change it); set it back to %s, or change the cluster in place with az aks update --network-policy %s and pulumi refresh, after which the next pulumi up records it. See docs/security.md, \"Network policy and the move to Azure CNI Overlay\".",
				spec.PathClusterNetworkPolicy, now, old, old, now)
		},
	},
	{
		// AKS cannot turn a public API server private, or back
		// (https://learn.microsoft.com/azure/aks/private-clusters). The
		// cluster does not ignore it: ignored, a switch to private would still
		// drop the authorized ranges and open the API server. Azure refuses
		// the whole update instead, and the preview says so first.
		output: "privateCluster", before: "false",
		value: func(s spec.Stack) string { return strconv.FormatBool(spec.On(s.Cluster.PrivateCluster)) },
		message: func(old, now string) string {
			return fmt.Sprintf("%s is %s but the deployed cluster's is %s: a private API server counts at creation, and AKS refuses to change it on a running cluster, so pulumi up would fail at the cluster and change nothing on it; set it back to %s, or build a new cluster (a new %s) and move the workloads. See docs/security.md, \"API server access\".",
				spec.PathClusterPrivateCluster, now, old, old, spec.PathClusterName)
		},
	},
}

// movingNetwork reports whether the stack's network plugin is not the one
// its last deployment recorded (a stack deployed before the networkPlugin
// output was kubenet): the cluster is being moved to Azure CNI Overlay
// (cmd/migrate), whose steps set the network policy, and the deployed
// network (deployedNetwork, from the refreshed state) is what counts until
// the next up records it.
func movingNetwork(s spec.Stack, deployed map[string]any) bool {
	recorded, _ := deployed["networkPlugin"].(string)
	if recorded == "" {
		recorded = spec.NetworkPluginKubenet
	}
	return recorded != s.Cluster.NetworkPlugin
}

// creationWarnings calls out each creationSetting whose config value is not
// the deployed cluster's, deployed being the outputs of the same cluster.
func creationWarnings(s spec.Stack, deployed map[string]any) []string {
	var warnings []string
	for _, c := range creationSettings {
		if c.quiet != nil && c.quiet(s, deployed) {
			continue
		}
		old := c.before
		if v, ok := deployed[c.output]; ok && v != nil {
			old = fmt.Sprint(v)
		}
		if now := c.value(s); now != old {
			warnings = append(warnings, c.message(old, now))
		}
	}
	return warnings
}

// poolWarnings calls out what pulumi up would not do, or would do badly, to
// the deployed node pools: a user pool whose VM size, zones, maxPods, OS SKU
// or priority changes (AKS cannot change them on a pool: the provider
// replaces the pool for a VM size, deleting it first, and Azure refuses the
// others), and, while user pools exist, a system pool whose settings differ
// from the config (the cluster ignores its inline pool then,
// cluster.IgnoredChanges). Pools are matched by name; a renamed pool is a new
// pool, the safe way to change one.
func poolWarnings(s spec.Stack, deployed map[string]any) []string {
	var warnings []string
	deployedPools, _ := deployed["pools"].(map[string]any)
	for i, p := range s.Pools {
		old, ok := deployedPools[p.Name].(string)
		if !ok {
			continue // a new pool
		}
		if changes := settingChanges(old, aksfacts.PoolSummary(p)); changes != "" {
			protected := ""
			if s.Protect {
				protected = " (refused while protected)"
			}
			warnings = append(warnings, fmt.Sprintf(
				"%s %s changes %s: AKS cannot change these on a pool, so Pulumi would delete the pool and create it anew for a VM size%s, and Azure refuses the others; add a pool under a new name, move the workloads, then remove this one. See docs/node-pools.md, \"Changing a pool\".",
				spec.Index(spec.PathOf(spec.KeyPools), i), p.Name, changes, protected))
		}
	}
	if old, ok := deployed["systemPool"].(string); ok && old != "" && len(s.Pools) > 0 {
		if changes := settingChanges(old, cluster.ConfigSystemPool(s.Cluster, s.SystemPoolTaints())); changes != "" {
			warnings = append(warnings, fmt.Sprintf(
				"the system pool %s changes %s, but while aks-kubenet:pools lists pools the cluster ignores its inline pool (AKS lists every pool there), so pulumi up leaves it as it is; make the change with az aks nodepool update or scale, then pulumi refresh. See docs/node-pools.md, \"The system pool\".",
				s.Cluster.NodePoolName, changes))
		}
	}
	return warnings
}

// settingChanges compares two settings summaries ("vmSize=A zones=1,2
// maxPods=110") and returns what differs, "vmSize A -> B, zones 1,2 -> 1",
// or "" when nothing does.
func settingChanges(old, now string) string {
	before := map[string]string{}
	for _, field := range strings.Fields(old) {
		k, v, _ := strings.Cut(field, "=")
		before[k] = v
	}
	var changes []string
	for _, field := range strings.Fields(now) {
		k, v, _ := strings.Cut(field, "=")
		if was, ok := before[k]; ok && was != v {
			changes = append(changes, fmt.Sprintf("%s %s -> %s", k, orNone(was), orNone(v)))
		}
	}
	return strings.Join(changes, ", ")
}

// orNone shows an empty setting as "none".
func orNone(v string) string {
	if v == "" {
		return "none"
	}
	return v
}
