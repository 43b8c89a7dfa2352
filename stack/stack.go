// Package stack is the aks-kubenet program: it reads and validates a stack's
// config, builds the components in dependency order and exports the outputs.
package stack

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/resources/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/iam"
	"github.com/aks-kubenet/aks-kubenet/monitoring"
	"github.com/aks-kubenet/aks-kubenet/network"
	"github.com/aks-kubenet/aks-kubenet/retry"
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
//	  -> Network Contributor grants on subnet and route table, the egress
//	  (firewall or hub peering), the Log Analytics workspace -> AKS cluster
//	  -> {user node pools, the admins' grants, Container insights' data
//	  collection rule}
//
// and exports the names and ids of what it created, what the preview compares
// with the config on the next run (network policy, private API server,
// system pool, pools), and the kubeconfig as a secret.
func Program(ctx *pulumi.Context) error {
	return run(ctx, retry.Azure)
}

// ProgramWith is Program with retry policy policy in place of retry.Azure:
// the engine tests wait milliseconds, not minutes, between attempts.
func ProgramWith(policy retry.Policy) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error { return run(ctx, policy) }
}

// run is the program, retrying what package retry allows under policy.
func run(ctx *pulumi.Context, policy retry.Policy) error {
	s, report := Validate(ctx.Stack(), func(key string) (string, bool) {
		v, err := config.Try(ctx, key)
		return v, err == nil
	}, spec.ProgramConfigKeys(), Checks{Up: !ctx.DryRun()})
	var sshKey pulumi.StringInput
	if s.HasSSHPublicKey {
		// Validate read it in plaintext only to check it; it goes on as a secret.
		key, err := config.TrySecret(ctx, spec.KeySSHPublicKey)
		if err != nil {
			return err
		}
		sshKey = key
	}
	for _, w := range report.Warnings {
		if err := ctx.Log.Warn(w.String(), nil); err != nil {
			return err
		}
	}
	if ctx.DryRun() && !s.Cluster.Overlay() {
		notice := fmt.Sprintf("%s is %s: %s", spec.PathClusterNetworkPlugin, s.Cluster.NetworkPlugin, aksfacts.KubenetRetirementNotice(aksfacts.DaysToKubenetRetirement(time.Now())))
		if err := ctx.Log.Info(notice, nil); err != nil {
			return err
		}
	}
	if err := report.Err(); err != nil {
		return err
	}
	if err := checkSubscription(ctx, s.Subscription); err != nil {
		return err
	}
	if err := recovery(ctx, policy, s.Adopt); err != nil {
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

// Checks are Validate's choices that depend on the run: pulumi up or a
// preview, and whether the SSH key can be read.
type Checks struct {
	// Up is true for pulumi up, false for pulumi preview and the offline
	// plan (cmd/plan), which show what pulumi up would do. Only pulumi up
	// refuses the placeholders the committed stacks carry until their owner
	// replaces them: the subscription, the hub VNet's subscription and the
	// admins' group. A preview with them deploys nothing and shows what up
	// would create; rules.Check warns about each of them, in both.
	Up bool
	// SecretSSHKey is true when aks-kubenet:sshPublicKey is a secret the
	// caller cannot decrypt (the offline plan): get's value for it stands in
	// for the key, and is not checked.
	SecretSSHKey bool
}

// Validate reads a stack's config from get and makes every check Program
// makes before it registers anything, in Program's order: Check's findings
// (keys as in Check), then the SSH key's (rules.CheckSSHPublicKey, on the
// plaintext get gives), then, with checks.Up, the placeholders pulumi up
// refuses. Program and the offline plan both call it, so that the plan's
// findings are the preview's, in the same words and order.
func Validate(stackName string, get spec.Source, keys []string, checks Checks) (spec.Stack, rules.Report) {
	s, report := Check(stackName, get, keys...)
	if s.HasSSHPublicKey && !checks.SecretSSHKey {
		plain, _ := get(spec.KeySSHPublicKey)
		if f := rules.CheckSSHPublicKey(plain); f != nil {
			report.Errors = append(report.Errors, *f)
		}
	}
	if !checks.Up {
		return s, report
	}
	if s.Subscription == spec.PlaceholderSubscription {
		report.Errors = append(report.Errors, rules.Finding{Keys: []string{spec.KeySubscriptionID}, Message: fmt.Sprintf(
			"%s is still the placeholder %s: pulumi up deploys only into the subscription the stack names; set it with pulumi config set %s <subscription-id>",
			spec.KeySubscriptionID, spec.PlaceholderSubscription, spec.KeySubscriptionID)})
	}
	if s.Hub != nil {
		if hub, err := armid.Parse(s.Hub.VnetID, ""); err == nil && hub.SubscriptionID == spec.PlaceholderSubscription {
			report.Errors = append(report.Errors, rules.Finding{Keys: []string{spec.PathHubVnetID}, Message: fmt.Sprintf(
				"%s is still in the placeholder subscription %s: pulumi up peers only with a real hub VNet; set its resource id", spec.PathHubVnetID, hub.SubscriptionID)})
		}
	}
	for i, entry := range s.Cluster.ClusterAdmins {
		if spec.ParseClusterAdmin(entry).ObjectID == spec.PlaceholderSubscription {
			key := spec.Index(spec.PathClusterClusterAdmins, i)
			report.Errors = append(report.Errors, rules.Finding{Keys: []string{key}, Message: fmt.Sprintf(
				"%s is still the placeholder %s: pulumi up grants only real principals; set the object id of the admins' Entra group", key, spec.PlaceholderSubscription)})
		}
	}
	return s, report
}

// Check reads a stack's config from get and validates it: the first of the
// findings Program reports before it registers anything (Validate), in the
// same words.
//
// keys are all of the stack's config keys when the caller knows them (the
// plan reads them from the stack file, Program from the Pulumi CLI's
// PULUMI_CONFIG), else none: a key in the project's namespace that the program
// does not read ("aks-kubenet:firewal") is an error, reported by spec.UnknownKeys.
//
// Every problem is reported at once: the unknown keys, then what does not
// decode (a missing object, an unknown key in an object, a mistyped value; spec.Load),
// then package rules' findings on what did decode. A finding about a key
// that did not decode, or about a key inside it, is left out: that key is
// unset in the decoded stack, and "cluster.nodeCount is missing" next to
// "cluster.nodeCount: want a whole number, got \"three\"" would only confuse.
func Check(stackName string, get spec.Source, keys ...string) (spec.Stack, rules.Report) {
	problems := spec.UnknownKeys(keys)
	s, err := spec.Load(stackName, get)
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = append(problems, joined.Unwrap()...)
	} else if err != nil {
		problems = append(problems, err)
	}
	var report rules.Report
	// failed holds the keys that did not decode, in package rules' form: the
	// text before a problem's first ": ", without the project's namespace.
	failed := map[string]bool{}
	for _, p := range problems {
		key, _, _ := strings.Cut(p.Error(), ": ")
		failed[strings.TrimPrefix(key, spec.Project+":")] = true
		report.Errors = append(report.Errors, rules.Finding{Keys: []string{key}, Message: p.Error()})
	}
	decoded := func(f rules.Finding) bool {
		for _, k := range f.Keys {
			k = strings.TrimPrefix(k, spec.Project+":")
			for {
				if failed[k] {
					return false
				}
				i := strings.LastIndexAny(k, ".[")
				if i < 0 {
					break
				}
				k = k[:i]
			}
		}
		return true
	}
	checked := rules.Check(s)
	for _, f := range checked.Errors {
		if decoded(f) {
			report.Errors = append(report.Errors, f)
		}
	}
	for _, f := range checked.Warnings {
		if decoded(f) {
			report.Warnings = append(report.Warnings, f)
		}
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
	afterWarnings, err := warnRenames(ctx, s)
	if err != nil {
		return nil, err
	}

	groupName, err := resourceGroup(ctx, s, tags, afterWarnings)
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

	egress, firewallIPs, err := egressResources(ctx, s, groupName, routes, vnet, tags)
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
		Protect:           s.Protect,
	})
	if err != nil {
		return nil, err
	}

	prerequisites := []pulumi.Resource{identity.SubnetGrant, identity.RouteTableGrant, vnet.NodeSubnet}
	for _, r := range routes.Routes {
		prerequisites = append(prerequisites, r)
	}
	prerequisites = append(prerequisites, egress...)
	workspaceID, err := logAnalytics(ctx, s, groupName, tags)
	if err != nil {
		return nil, err
	}
	aks, err := cluster.NewAKSCluster(ctx, "aks", cluster.AKSClusterArgs{
		ResourceGroupName:  groupName,
		Location:           s.Location,
		Config:             s.Cluster,
		SubnetID:           vnet.NodeSubnet.ID(),
		IdentityID:         identity.Identity.ID(),
		SSHPublicKey:       sshKey,
		Tags:               tags,
		Prerequisites:      prerequisites,
		Protect:            s.Protect,
		ExportKubeconfig:   s.ExportKubeconfig,
		AuthorizedIPRanges: authorizedRanges(s.Cluster, firewallIPs),
		WorkspaceID:        workspaceID,
		SystemPoolTaints:   s.SystemPoolTaints(),
		UserPools:          len(s.Pools) > 0,
	})
	if err != nil {
		return nil, err
	}

	if err := afterCluster(ctx, s, groupName, aks, workspaceID, tags); err != nil {
		return nil, err
	}
	pools := pulumi.StringMap{}
	var previous pulumi.Resource
	for _, p := range s.Pools {
		np, err := cluster.NewNodePool(ctx, cluster.NodePoolArgs{
			After:             previous,
			ResourceGroupName: groupName,
			Cluster:           aks.Cluster,
			SubnetID:          vnet.NodeSubnet.ID(),
			Pool:              p,
			ClusterConfig:     s.Cluster,
			Tags:              tags,
			Protect:           s.Protect,
		})
		if err != nil {
			return nil, err
		}
		pools[p.Name] = cluster.PoolImmutables(np.AgentPool)
		previous = np.AgentPool
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
		"dnsPrefix":         aks.Cluster.DnsPrefix,
		"nodeResourceGroup": aks.Cluster.NodeResourceGroup,
		"oidcIssuerUrl":     aks.Cluster.OidcIssuerProfile.Elem().IssuerURL(),
		"networkPolicy":     aks.Cluster.NetworkProfile.Elem().NetworkPolicy(),
		"networkPlugin":     deployedNetwork(ctx, s, aks),
		"privateCluster":    aks.Cluster.ApiServerAccessProfile.Elem().EnablePrivateCluster(),
		"systemPool":        cluster.SystemPoolSettings(aks.Cluster, s.Cluster.NodePoolName),
		"pools":             pools,
	}
	if s.Cluster.MonitoringEnabled() {
		outputs["workspaceName"] = pulumi.String(s.Cluster.Monitoring.WorkspaceName)
	}
	if s.ExportKubeconfig {
		outputs["kubeconfig"] = aks.Kubeconfig
	}
	return outputs, nil
}

// egressResources builds the stack's egress mode beside the route table and
// the VNet, and returns the resources the cluster must wait for besides the
// routes: with aks-kubenet:firewall, an Azure Firewall in the VNet (the
// firewall and its rules); with aks-kubenet:hub, the peering with the hub
// (both halves). In either mode it generates the 0.0.0.0/0 route to the
// firewall's private IP, taken from the firewall's output or the hub config,
// never typed by hand, under network.defaultRouteName; in firewall mode also
// a /32 route to Internet per public IP, as Microsoft's tutorial does
// (aks-rules 7.4). Without either, egress is the hand-written 0.0.0.0/0 route.
func egressResources(ctx *pulumi.Context, s spec.Stack, groupName pulumi.StringOutput, routes *network.RouteTable,
	vnet *network.VirtualNetwork, tags pulumi.StringMapInput,
) (egress []pulumi.Resource, firewallIPs []pulumi.StringOutput, err error) {
	var generated []network.GeneratedRoute
	switch {
	case s.Firewall != nil:
		fw, err := network.NewFirewall(ctx, "firewall", network.FirewallArgs{
			ResourceGroupName:  groupName,
			Location:           s.Location,
			VirtualNetworkName: vnet.Network.Name,
			NodeSubnetCidr:     s.Network.NodeSubnetCidr,
			Config:             *s.Firewall,
			Addons:             aksfacts.Addons{AzurePolicy: spec.On(s.Cluster.AzurePolicy), ContainerInsights: s.Cluster.MonitoringEnabled()},
			Tags:               tags,
		})
		if err != nil {
			return nil, nil, err
		}
		generated = append(generated, network.GeneratedRoute{
			Name: s.Network.DefaultRouteName, AddressPrefix: pulumi.String("0.0.0.0/0"), Default: true,
			NextHopType: spec.NextHopVirtualAppliance, NextHopIPAddress: fw.PrivateIP,
		})
		for i, pip := range fw.PublicIPs {
			host := pip.IpAddress.Elem().ApplyT(func(ip string) string { return ip + "/32" }).(pulumi.StringOutput)
			firewallIPs = append(firewallIPs, host)
			generated = append(generated, network.GeneratedRoute{
				Name:          fmt.Sprintf("%s-pip-%d-internet", s.Firewall.Name, i+1),
				AddressPrefix: host,
				NextHopType:   spec.NextHopInternet,
			})
		}
		egress = []pulumi.Resource{fw.Firewall, fw.Rules}
	case s.Hub != nil:
		hub, err := armid.Parse(s.Hub.VnetID, armid.Types[armid.VirtualNetwork].ARMType)
		if err != nil { // refused by rules.Check first
			return nil, nil, err
		}
		sub, group, name := hub.SubscriptionID, hub.ResourceGroupName, hub.Name
		peering, err := network.NewHubPeering(ctx, "hub", network.HubPeeringArgs{
			ResourceGroupName: groupName,
			VnetName:          vnet.Network.Name,
			VnetID:            vnet.Network.ID(),
			SpokeVnetName:     s.Network.VnetName,
			HubVnetID:         s.Hub.VnetID,
			HubSubscription:   sub,
			HubGroup:          group,
			HubVnetName:       name,
			UseRemoteGateways: s.Hub.UseRemoteGateways,
		})
		if err != nil {
			return nil, nil, err
		}
		generated = append(generated, network.GeneratedRoute{
			Name: s.Network.DefaultRouteName, AddressPrefix: pulumi.String("0.0.0.0/0"), Default: true,
			NextHopType: spec.NextHopVirtualAppliance, NextHopIPAddress: pulumi.String(s.Hub.FirewallPrivateIP),
		})
		egress = []pulumi.Resource{peering.SpokeToHub, peering.HubToSpoke}
	}
	return egress, firewallIPs, routes.AddGeneratedRoutes(ctx, generated)
}

// resourceGroup returns the name of the stack's resource group: the group it
// creates, or, with resourceGroup.existing, the group it looks up and never
// creates or deletes (for teams whose groups are pre-created, with rights on
// the group only).
//
// Its name comes through gate, so that nothing is registered before the
// preview's warnings are out (warnRenames).
func resourceGroup(ctx *pulumi.Context, s spec.Stack, tags pulumi.StringMapInput, gate func(pulumi.StringInput) pulumi.StringOutput) (pulumi.StringOutput, error) {
	if s.ResourceGroup.Existing {
		group, err := resources.LookupResourceGroup(ctx, &resources.LookupResourceGroupArgs{ResourceGroupName: s.ResourceGroup.Name})
		if err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("%s %s: the existing resource group cannot be read (%s is true): %w",
				s.ResourceGroupKey, s.ResourceGroup.Name, spec.PathResourceGroupExisting, err)
		}
		return gate(pulumi.String(group.Name)), nil
	}
	// Protected with the rest: deleting the group (a rename, or a switch to
	// resourceGroup.existing) would delete everything in it, protected or not.
	rg, err := resources.NewResourceGroup(ctx, "resource-group", &resources.ResourceGroupArgs{
		ResourceGroupName: gate(pulumi.String(s.ResourceGroup.Name)),
		Location:          pulumi.String(s.Location),
		Tags:              tags,
	}, pulumi.Protect(s.Protect))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return rg.Name, nil
}

// authorizedRanges is the API server's authorized ranges: the configured
// ones and, when there are any, the /32 of each public IP of the program's
// firewall, through which the nodes reach the API server (aks-rules 5.8,
// https://learn.microsoft.com/azure/aks/limit-egress-traffic). Without
// configured ranges the API server is open, or private, and none are added:
// the firewall's IPs alone would lock everyone else out.
func authorizedRanges(c spec.Cluster, firewallIPs []pulumi.StringOutput) pulumi.StringArrayInput {
	if len(c.APIServerAuthorizedIPRanges) == 0 {
		return nil
	}
	ranges := pulumi.ToStringArray(c.APIServerAuthorizedIPRanges)
	for _, ip := range firewallIPs {
		ranges = append(ranges, ip)
	}
	return ranges
}

// logAnalytics creates the Log Analytics workspace of cluster.monitoring and
// returns its id, or nil with monitoring off.
func logAnalytics(ctx *pulumi.Context, s spec.Stack, groupName pulumi.StringOutput, tags pulumi.StringMapInput) (pulumi.StringInput, error) {
	if !s.Cluster.MonitoringEnabled() {
		return nil, nil
	}
	logs, err := monitoring.NewLogAnalytics(ctx, "logs", monitoring.LogAnalyticsArgs{
		ResourceGroupName: groupName,
		Location:          s.Location,
		Name:              s.Cluster.Monitoring.WorkspaceName,
		RetentionDays:     *s.Cluster.Monitoring.RetentionDays,
		Tags:              tags,
	})
	if err != nil {
		return nil, err
	}
	return logs.Workspace.ID(), nil
}

// afterCluster registers what needs the cluster's id: the admins' grants
// on the cluster and, with monitoring, Container insights' data collection.
func afterCluster(ctx *pulumi.Context, s spec.Stack, groupName pulumi.StringOutput, aks *cluster.AKSCluster,
	workspaceID pulumi.StringInput, tags pulumi.StringMapInput,
) error {
	if len(s.Cluster.ClusterAdmins) > 0 {
		if _, err := iam.NewClusterAdmins(ctx, "cluster-admins", iam.ClusterAdminsArgs{
			ClusterID: aks.Cluster.ID(),
			Admins:    s.Cluster.ClusterAdmins,
		}); err != nil {
			return err
		}
	}
	if workspaceID == nil {
		return nil
	}
	_, err := monitoring.NewContainerInsights(ctx, "insights", monitoring.ContainerInsightsArgs{
		ResourceGroupName: groupName,
		Location:          s.Location,
		ClusterName:       s.Cluster.Name,
		ClusterID:         aks.Cluster.ID(),
		WorkspaceID:       workspaceID,
		Tags:              tags,
	})
	return err
}
