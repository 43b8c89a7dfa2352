// Package cluster holds the AKS cluster component (kubenet or Azure CNI
// Overlay, in the stack's own subnet and route table), its maintenance
// configurations and its user node pools.
package cluster

import (
	"encoding/base64"
	"fmt"
	"strings"

	containerservice "github.com/pulumi/pulumi-azure-native-sdk/containerservice/v2/v20240901"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/monitoring"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// AKSClusterArgs configures an AKSCluster.
type AKSClusterArgs struct {
	// ResourceGroupName is the resource group the cluster is created in.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region.
	Location string
	// Config is the validated cluster config, with spec.Defaults applied.
	Config spec.Cluster
	// SubnetID is the node subnet, already associated with the route table.
	SubnetID pulumi.StringInput
	// IdentityID is the user-assigned identity of the control plane.
	IdentityID pulumi.StringInput
	// SSHPublicKey, when not nil, is the admin key of the nodes (a secret).
	SSHPublicKey pulumi.StringInput
	// Tags are applied to the cluster.
	Tags pulumi.StringMapInput
	// Prerequisites are the resources AKS needs before it starts: the identity's
	// grants, the user-defined routes (egress) and the subnet. The cluster
	// depends on each of them explicitly.
	Prerequisites []pulumi.Resource
	// Protect protects the cluster: no config edit can delete it.
	Protect bool
	// ExportKubeconfig reads the cluster user's kubeconfig into Kubeconfig.
	ExportKubeconfig bool
	// AuthorizedIPRanges are the API server's authorized ranges: the
	// configured ones and the /32 of each public IP of the program's
	// firewall; nil for none.
	AuthorizedIPRanges pulumi.StringArrayInput
	// WorkspaceID is the Log Analytics workspace Container insights sends to;
	// nil with monitoring off.
	WorkspaceID pulumi.StringInput
	// SystemPoolTaints are the inline system pool's taints
	// (spec.Stack.SystemPoolTaints).
	SystemPoolTaints []string
	// UserPools is true when aks-kubenet:pools lists pools of their own.
	UserPools bool
}

// ComponentType is the cluster component's type token. Stacks deployed
// before Overlay know it as LegacyComponentType, which the component is
// aliased from, so that their cluster and its children keep their URNs'
// resources (no replacement, no change).
const (
	ComponentType       = "aks-kubenet:cluster:AKSCluster"
	LegacyComponentType = "aks-kubenet:cluster:KubenetCluster"
)

// AKSCluster is an AKS cluster, kubenet or Azure CNI Overlay, in a
// bring-your-own subnet whose route table carries the egress routes: one
// Linux system node pool, a user-assigned control-plane identity, and a network
// profile whose every field is set, because the SDK silently fills in
// podCidr 10.244.0.0/16, serviceCidr 10.0.0.0/16, dnsServiceIP 10.0.0.10 and
// outboundType loadBalancer for the ones left out (aks-rules 3.7).
//
// Its security posture is the config's (spec.Cluster, defaults in spec):
// Entra ID with Azure RBAC and no local accounts, Calico, a private or
// range-limited API server, auto-upgrade channels with an optional weekly
// maintenance window, OIDC issuer and workload identity, Azure Policy, the
// image cleaner, the pricing tier and Container insights. The cluster uses
// containerservice API version 2024-09-01: the module's default, 2023-04-01,
// has no node OS channel and no maintenance window. The type change is
// aliased, so a cluster registered under the default type is updated, not
// replaced (TestStackOfTheEarlierVersionUpdatesInPlace, in the engine).
type AKSCluster struct {
	pulumi.ResourceState

	// Cluster is the managed cluster.
	Cluster *containerservice.ManagedCluster
	// Schedules are the maintenance configurations that keep the
	// auto-upgrade channels to cluster.maintenanceWindow, by config name.
	Schedules map[string]*containerservice.MaintenanceConfiguration
	// Kubeconfig is the cluster user's kubeconfig, a secret; read only with
	// ExportKubeconfig. It is never the admin credential.
	Kubeconfig pulumi.StringOutput
}

// NewAKSCluster registers the managed cluster as the child of a component of
// type ComponentType (aliased from LegacyComponentType) and reads back its
// kubeconfig.
//
// With autoscaling on, the cluster ignores later changes to the pool's count:
// the autoscaler owns it, and resetting it to nodeCount on every update would
// fight the autoscaler.
//
// The cluster also ignores later changes to linuxProfile, the SSH key: the
// provider replaces the cluster on any change to it (aksfacts.ClusterCreateOnlyInputs), while
// AKS rotates, adds or removes the key in place
// (az aks update --ssh-key-value, https://learn.microsoft.com/azure/aks/node-access).
// The key in config counts when the cluster is created.
func NewAKSCluster(ctx *pulumi.Context, name string, args AKSClusterArgs, opts ...pulumi.ResourceOption) (*AKSCluster, error) {
	kc := &AKSCluster{}
	opts = append(opts, pulumi.Aliases([]pulumi.Alias{{Type: pulumi.String(LegacyComponentType)}}))
	if err := ctx.RegisterComponentResource(ComponentType, name, kc, opts...); err != nil {
		return nil, err
	}
	c := args.Config

	childOpts := []pulumi.ResourceOption{
		pulumi.Parent(kc), pulumi.DependsOn(args.Prerequisites), pulumi.IgnoreChanges(IgnoredChanges(c, args.UserPools)), pulumi.Protect(args.Protect),
		OperationTimeouts(),
	}
	managed, err := containerservice.NewManagedCluster(ctx, name+"-cluster", &containerservice.ManagedClusterArgs{
		ResourceGroupName: args.ResourceGroupName,
		ResourceName:      pulumi.String(c.Name),
		Location:          pulumi.String(args.Location),
		DnsPrefix:         pulumi.String(c.DNSPrefix),
		KubernetesVersion: optional(c.KubernetesVersion),
		NodeResourceGroup: optional(c.NodeResourceGroup),
		EnableRBAC:        pulumi.Bool(true),
		Identity: &containerservice.ManagedClusterIdentityArgs{
			Type:                   containerservice.ResourceIdentityTypeUserAssigned,
			UserAssignedIdentities: pulumi.StringArray{args.IdentityID},
		},
		AgentPoolProfiles: containerservice.ManagedClusterAgentPoolProfileArray{systemPool(c, args.SubnetID, args.SystemPoolTaints)},
		NetworkProfile:    networkProfile(c),
		LinuxProfile:      linuxProfile(args.SSHPublicKey),
		Tags:              args.Tags,

		AadProfile:             aadProfile(c),
		DisableLocalAccounts:   pulumi.Bool(spec.On(c.DisableLocalAccounts)),
		ApiServerAccessProfile: apiServerAccess(c, args.AuthorizedIPRanges),
		AutoUpgradeProfile: &containerservice.ManagedClusterAutoUpgradeProfileArgs{
			UpgradeChannel:       pulumi.String(c.UpgradeChannel),
			NodeOSUpgradeChannel: pulumi.String(c.NodeOSUpgradeChannel),
		},
		OidcIssuerProfile: &containerservice.ManagedClusterOIDCIssuerProfileArgs{Enabled: pulumi.Bool(spec.On(c.OIDCIssuer))},
		SecurityProfile:   securityProfile(c),
		AddonProfiles:     addons(c, args.WorkspaceID),
		Sku: &containerservice.ManagedClusterSKUArgs{
			Name: pulumi.String("Base"),
			Tier: pulumi.String(c.Tier),
		},
	}, childOpts...)
	if err != nil {
		return nil, err
	}
	kc.Cluster = managed
	if kc.Schedules, err = maintenanceSchedules(ctx, name, c, args.ResourceGroupName, managed, pulumi.Parent(kc)); err != nil {
		return nil, err
	}

	outputs := pulumi.Map{
		"name":              managed.Name,
		"nodeResourceGroup": managed.NodeResourceGroup,
	}
	if args.ExportKubeconfig {
		// The credentials are read with the cluster's id among the arguments,
		// so that a preview of a cluster that does not exist yet (its id
		// unknown) leaves the kubeconfig unknown instead of asking Azure.
		existing := pulumi.All(managed.ID(), managed.Name).ApplyT(func(v []any) string {
			return v[1].(string)
		}).(pulumi.StringOutput)
		creds := containerservice.ListManagedClusterUserCredentialsOutput(ctx, containerservice.ListManagedClusterUserCredentialsOutputArgs{
			ResourceGroupName: args.ResourceGroupName,
			ResourceName:      existing,
			Format:            kubeconfigFormat(c),
		})
		kc.Kubeconfig = pulumi.ToSecret(creds.Kubeconfigs().ApplyT(decodeKubeconfig)).(pulumi.StringOutput)
		outputs["kubeconfig"] = kc.Kubeconfig
	}
	return kc, ctx.RegisterResourceOutputs(kc, outputs)
}

// IgnoredChanges are the cluster properties that change without the program,
// which the cluster ignores so that a healthy stack shows no change after a
// refresh (the daily drift check, pulumi preview --refresh --expect-no-changes):
//
//   - linuxProfile: the SSH key counts at creation only (see NewAKSCluster).
//   - agentPoolProfiles[0].count, when autoscaled: the autoscaler owns it.
//   - kubernetesVersion and agentPoolProfiles[0].orchestratorVersion, when
//     the stack pins no version, or its upgrade channel moves the version
//     (patch, stable, rapid): AKS chose the version, or moves it on its
//     schedule (and with the forced upgrade of an unsupported version). An
//     unignored move is a diff that would take the cluster back to the
//     config's version, fighting the channel, and a diff on the pool once
//     planned a re-creation (pulumi-azure-native#2059). With channel none or
//     node-image, a pinned version is the program's to change.
//   - windowsProfile: AKS gives every cluster a Windows profile with an admin
//     user, asked for or not (Azure/AKS#1545); the provider replaces the
//     cluster on any windowsProfile change.
//   - networkProfile.loadBalancerProfile: Azure fills it in (backendPoolType,
//     outbound IPs) though outbound traffic takes the UDR; a new field there
//     planned a replacement of the whole cluster (pulumi-azure-native#4505).
//     Only this branch of the network profile is ignored: the ranges and the
//     outbound type stay the program's.
//   - networkProfile.networkPolicy: the network policy counts at creation,
//     like the SSH key. The provider replaces the cluster on any change to
//     the network profile, while AKS removes Calico in place
//     (az aks update --network-policy none), and a cluster deployed before
//     the program set a policy has none; neither may cost the cluster. The
//     preview warns when the config and the deployed cluster differ
//     (stack.Program, through the networkPolicy output).
//   - networkProfile.networkPlugin, networkPluginMode and networkDataplane:
//     the network mode counts at creation. AKS moves a kubenet cluster to
//     Azure CNI Overlay, and an Overlay cluster to the Cilium dataplane, in
//     place and one way, while the provider would replace the cluster for
//     either (azure-native-replace.md §4, aks-rules 11.1). The move is
//     cmd/migrate's; the program compares the config with the deployed
//     cluster and refuses a difference (CheckNetwork), so a stack edited to
//     Overlay without the move, or back to kubenet after it, changes nothing.
//   - networkProfile.podCidrs, serviceCidrs and ipFamilies: the lists AKS
//     derives from podCidr and serviceCidr, which the program owns. The
//     provider reads them into the inputs when they change, and when it
//     imports the cluster (pulumi-azure-native#4401, the state doctor's
//     adoption), and a leaf the program lacks under networkProfile replaces
//     the cluster (azure-native-replace.md §5).
//   - upgradeSettings: the cluster-wide upgrade override AKS fills in and
//     clears around upgrades; the program sets none (the pool's maxSurge is
//     in agentPoolProfiles and stays managed).
//   - agentPoolProfiles, the whole list, while aks-kubenet:pools lists pools
//     of their own: AKS returns every pool of the cluster there, so after a
//     refresh the list holds the user pools too, and the program's one-pool
//     list would be an update of the cluster on every run, which sets every
//     pool scaling (pulumi-azure-native#1532, #4264). The system pool then
//     counts at creation, and the preview warns when the config and the
//     deployed system pool differ (stack.Program, through the systemPool
//     output); the user pools are AgentPools of their own (NodePool).
func IgnoredChanges(c spec.Cluster, userPools bool) []string {
	ignore := []string{
		"linuxProfile", "windowsProfile", "networkProfile.loadBalancerProfile", "networkProfile.networkPolicy",
		"networkProfile.networkPlugin", "networkProfile.networkPluginMode", "networkProfile.networkDataplane",
		"networkProfile.podCidrs", "networkProfile.serviceCidrs", "networkProfile.ipFamilies", "upgradeSettings",
	}
	if versionIgnored(c) {
		ignore = append(ignore, "kubernetesVersion")
	}
	if userPools {
		return append(ignore, "agentPoolProfiles")
	}
	if c.Autoscaling() {
		ignore = append(ignore, "agentPoolProfiles[0].count")
	}
	if versionIgnored(c) {
		ignore = append(ignore, "agentPoolProfiles[0].orchestratorVersion")
	}
	return ignore
}

// versionIgnored reports whether the Kubernetes version is AKS's: the stack
// pins none, or its upgrade channel moves it.
func versionIgnored(c spec.Cluster) bool {
	return c.KubernetesVersion == "" || c.VersionMovingChannel()
}

// systemPool is the cluster's one node pool: Linux, System mode, in the node
// subnet, with an explicit upgrade surge so that AKS uses the surge the IP plan
// was checked with (its own default changed over time, aks-rules 4.5).
func systemPool(c spec.Cluster, subnetID pulumi.StringInput, taints []string) containerservice.ManagedClusterAgentPoolProfileArgs {
	pool := containerservice.ManagedClusterAgentPoolProfileArgs{
		Name:                pulumi.String(c.NodePoolName),
		Mode:                pulumi.String("System"),
		OsType:              pulumi.String("Linux"),
		Type:                pulumi.String("VirtualMachineScaleSets"), // required by userDefinedRouting, aks-rules 5.1
		VmSize:              pulumi.String(c.VMSize),
		Count:               pulumi.IntPtrFromPtr(c.NodeCount),
		MaxPods:             pulumi.IntPtrFromPtr(c.MaxPods),
		VnetSubnetID:        subnetID,
		OrchestratorVersion: optional(c.KubernetesVersion),
		AvailabilityZones:   zones(c.Zones),
		UpgradeSettings: &containerservice.AgentPoolUpgradeSettingsArgs{
			MaxSurge: pulumi.String(string(c.MaxSurge)),
		},
	}
	if len(taints) > 0 {
		pool.NodeTaints = pulumi.ToStringArray(taints)
	}
	if c.Autoscaling() {
		pool.EnableAutoScaling = pulumi.Bool(true)
		pool.MinCount = pulumi.IntPtrFromPtr(c.MinCount)
		pool.MaxCount = pulumi.IntPtrFromPtr(c.MaxCount)
	}
	return pool
}

// networkProfile sets every address range, the outbound type and the
// network policy, for kubenet or for Azure CNI Overlay: networkPlugin azure
// with networkPluginMode overlay and the dataplane
// (https://learn.microsoft.com/azure/aks/azure-cni-overlay). A kubenet
// cluster sends no dataplane: its inputs stay what deployed stacks hold, as
// any change under networkProfile replaces the cluster
// (aksfacts.ClusterCreateOnlyInputs).
func networkProfile(c spec.Cluster) *containerservice.ContainerServiceNetworkProfileArgs {
	profile := &containerservice.ContainerServiceNetworkProfileArgs{
		NetworkPolicy:   pulumi.String(c.NetworkPolicy),
		NetworkPlugin:   pulumi.String(spec.NetworkPluginKubenet),
		PodCidr:         pulumi.String(c.PodCidr),
		ServiceCidr:     pulumi.String(c.ServiceCidr),
		DnsServiceIP:    pulumi.String(c.DNSServiceIP),
		OutboundType:    pulumi.String(c.OutboundType),
		LoadBalancerSku: pulumi.String("standard"), // required by userDefinedRouting, aks-rules 5.1
	}
	if c.Overlay() {
		profile.NetworkPlugin = pulumi.String(aksfacts.NetworkPluginAzure)
		profile.NetworkPluginMode = pulumi.String(aksfacts.NetworkPluginModeOverlay)
		profile.NetworkDataplane = pulumi.String(c.NetworkDataplane)
	}
	return profile
}

// linuxProfile gives the nodes' admin user the SSH key, or is nil without one
// (AKS then creates nodes without SSH access).
func linuxProfile(key pulumi.StringInput) containerservice.ContainerServiceLinuxProfilePtrInput {
	if key == nil {
		return nil
	}
	return &containerservice.ContainerServiceLinuxProfileArgs{
		AdminUsername: pulumi.String("azureuser"),
		Ssh: &containerservice.ContainerServiceSshConfigurationArgs{
			PublicKeys: containerservice.ContainerServiceSshPublicKeyArray{
				&containerservice.ContainerServiceSshPublicKeyArgs{KeyData: key},
			},
		},
	}
}

// decodeKubeconfig returns the first kubeconfig of a credential list, decoded
// from base64.
func decodeKubeconfig(kubeconfigs []containerservice.CredentialResultResponse) (string, error) {
	if len(kubeconfigs) == 0 {
		return "", fmt.Errorf("listClusterUserCredential returned no kubeconfig")
	}
	raw, err := base64.StdEncoding.DecodeString(kubeconfigs[0].Value)
	if err != nil {
		return "", fmt.Errorf("decoding the cluster's kubeconfig: %w", err)
	}
	return string(raw), nil
}

// zones is the pool's availability zones, or nil for none (a regional pool).
func zones(z spec.StringList) pulumi.StringArrayInput {
	if len(z) == 0 {
		return nil
	}
	return pulumi.ToStringArray(z)
}

// optional is nil for an unset string, so that the key stays out of the request.
func optional(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

// aadProfile is managed Entra ID with Azure RBAC for Kubernetes
// authorization (https://learn.microsoft.com/azure/aks/manage-azure-rbac),
// in the subscription's tenant, or nil with cluster.entraId false. AKS
// cannot turn Entra ID off once it is on.
func aadProfile(c spec.Cluster) containerservice.ManagedClusterAADProfilePtrInput {
	if !spec.On(c.EntraID) {
		return nil
	}
	return &containerservice.ManagedClusterAADProfileArgs{
		Managed:         pulumi.Bool(true),
		EnableAzureRBAC: pulumi.Bool(true),
	}
}

// apiServerAccess is the API server's access profile: private, or public
// and limited to ranges. An empty list of ranges is sent as such, so that
// removing the last range opens the API server again rather than leaving
// Azure's list as it was.
func apiServerAccess(c spec.Cluster, ranges pulumi.StringArrayInput) *containerservice.ManagedClusterAPIServerAccessProfileArgs {
	if spec.On(c.PrivateCluster) {
		return &containerservice.ManagedClusterAPIServerAccessProfileArgs{EnablePrivateCluster: pulumi.Bool(true)}
	}
	if ranges == nil {
		ranges = pulumi.StringArray{}
	}
	return &containerservice.ManagedClusterAPIServerAccessProfileArgs{
		EnablePrivateCluster: pulumi.Bool(false),
		AuthorizedIPRanges:   ranges,
	}
}

// imageCleanerIntervalHours is how often the image cleaner runs: weekly, the
// interval AKS suggests (https://learn.microsoft.com/azure/aks/image-cleaner).
const imageCleanerIntervalHours = 168

// securityProfile turns workload identity and the image cleaner on or off.
func securityProfile(c spec.Cluster) *containerservice.ManagedClusterSecurityProfileArgs {
	cleaner := &containerservice.ManagedClusterSecurityProfileImageCleanerArgs{Enabled: pulumi.Bool(spec.On(c.ImageCleaner))}
	if spec.On(c.ImageCleaner) {
		cleaner.IntervalHours = pulumi.Int(imageCleanerIntervalHours)
	}
	return &containerservice.ManagedClusterSecurityProfileArgs{
		WorkloadIdentity: &containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs{Enabled: pulumi.Bool(spec.On(c.WorkloadIdentity))},
		ImageCleaner:     cleaner,
	}
}

// addons are the Azure Policy add-on and Container insights (omsagent),
// each sent with its state, so that turning one off in config turns it off
// in Azure. The keys are lower-case, as AKS returns them: a differently cased
// key is a diff on every refresh. Container insights authenticates with the
// add-on's managed identity (useAADAuth) and sends to the workspace.
func addons(c spec.Cluster, workspaceID pulumi.StringInput) containerservice.ManagedClusterAddonProfileMap {
	insights := &containerservice.ManagedClusterAddonProfileArgs{Enabled: pulumi.Bool(false)}
	if workspaceID != nil {
		insights = &containerservice.ManagedClusterAddonProfileArgs{
			Enabled: pulumi.Bool(true),
			Config:  monitoring.AddonConfig(workspaceID),
		}
	}
	return containerservice.ManagedClusterAddonProfileMap{
		"azurepolicy": &containerservice.ManagedClusterAddonProfileArgs{Enabled: pulumi.Bool(spec.On(c.AzurePolicy))},
		"omsagent":    insights,
	}
}

// kubeconfigFormat is the user kubeconfig's format: with Entra ID, "exec",
// which runs kubelogin (kubectl no longer has the azure auth provider);
// without, AKS's default.
func kubeconfigFormat(c spec.Cluster) pulumi.StringPtrInput {
	if !spec.On(c.EntraID) {
		return nil
	}
	return pulumi.String("exec")
}

// Maintenance configuration names AKS reads the auto-upgrade channels'
// windows from (https://learn.microsoft.com/azure/aks/planned-maintenance).
const (
	AutoUpgradeSchedule   = "aksManagedAutoUpgradeSchedule"
	NodeOSUpgradeSchedule = "aksManagedNodeOSUpgradeSchedule"
)

// maintenanceSchedules applies cluster.maintenanceWindow, weekly, to the
// schedule of each auto-upgrade channel that is on: the cluster's unless it
// is none, the node OS's when it is NodeImage or SecurityPatch. Without a
// window there is none, and AKS upgrades at any time.
func maintenanceSchedules(ctx *pulumi.Context, name string, c spec.Cluster, group pulumi.StringInput,
	managed *containerservice.ManagedCluster, opts ...pulumi.ResourceOption,
) (map[string]*containerservice.MaintenanceConfiguration, error) {
	w := c.MaintenanceWindow
	if w == nil {
		return nil, nil
	}
	// The two configurations are not put one after the other, as the pools
	// are: their PUT answers 200 at once (the REST API has no 201/202 and
	// the SDKs no Begin... method for it:
	// https://learn.microsoft.com/javascript/api/@azure-rest/arm-containerservice/maintenanceconfigurationscreateorupdate200response),
	// so it is no operation AKS runs on the cluster, and no other waits for
	// it. Should AKS refuse one while the cluster is busy, the retry hook
	// takes its 409 (package retry).
	schedules := map[string]*containerservice.MaintenanceConfiguration{}
	for _, s := range []struct {
		config, logical string
		on              bool
	}{
		{AutoUpgradeSchedule, "-auto-upgrade-schedule", c.UpgradeChannel != spec.UpgradeChannelNone},
		{NodeOSUpgradeSchedule, "-node-os-upgrade-schedule", c.NodeOSScheduled()},
	} {
		if !s.on {
			continue
		}
		mc, err := containerservice.NewMaintenanceConfiguration(ctx, name+s.logical, &containerservice.MaintenanceConfigurationArgs{
			ResourceGroupName: group,
			ResourceName:      managed.Name,
			ConfigName:        pulumi.String(s.config),
			MaintenanceWindow: &containerservice.MaintenanceWindowArgs{
				Schedule: containerservice.ScheduleArgs{
					Weekly: &containerservice.WeeklyScheduleArgs{DayOfWeek: pulumi.String(w.Day), IntervalWeeks: pulumi.Int(1)},
				},
				StartTime:     pulumi.String(w.StartTime),
				DurationHours: pulumi.Int(*w.DurationHours),
				UtcOffset:     pulumi.String(w.UTCOffset),
			},
		}, opts...)
		if err != nil {
			return nil, err
		}
		schedules[s.config] = mc
	}
	return schedules, nil
}

// SystemPoolSettings is the deployed system pool's summary of what the
// program sets on it, from the cluster's agentPoolProfiles: the preview
// compares it with ConfigSystemPool while the cluster ignores
// agentPoolProfiles (aks-kubenet:pools, IgnoredChanges).
func SystemPoolSettings(managed *containerservice.ManagedCluster, name string) pulumi.StringOutput {
	return managed.AgentPoolProfiles.ApplyT(func(pools []containerservice.ManagedClusterAgentPoolProfileResponse) string {
		for _, p := range pools {
			if p.Name != name {
				continue
			}
			surge := ""
			if p.UpgradeSettings != nil && p.UpgradeSettings.MaxSurge != nil {
				surge = *p.UpgradeSettings.MaxSurge
			}
			vmSize := ""
			if p.VmSize != nil {
				vmSize = *p.VmSize
			}
			autoscaled := p.EnableAutoScaling != nil && *p.EnableAutoScaling
			return poolSettings(vmSize, p.Count, p.MinCount, p.MaxCount, autoscaled, p.MaxPods, surge, p.AvailabilityZones, p.NodeTaints)
		}
		return ""
	}).(pulumi.StringOutput)
}

// ConfigSystemPool is SystemPoolSettings for the system pool as configured,
// with the given taints (spec.Stack.SystemPoolTaints).
func ConfigSystemPool(c spec.Cluster, taints []string) string {
	return poolSettings(c.VMSize, c.NodeCount, c.MinCount, c.MaxCount, c.Autoscaling(), c.MaxPods, string(c.MaxSurge), c.Zones, taints)
}

// poolSettings formats a pool's settings: "vmSize=Standard_D4s_v5 count=3
// maxPods=110 maxSurge=1 zones=1,2,3 taints=...", with minCount and maxCount
// instead of the count when autoscaled (the autoscaler owns the count).
func poolSettings(vmSize string, count, minCount, maxCount *int, autoscaled bool, maxPods *int, surge string, zones, taints []string) string {
	n := func(p *int) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	}
	size := "count=" + n(count)
	if autoscaled {
		size = fmt.Sprintf("minCount=%s maxCount=%s", n(minCount), n(maxCount))
	}
	return fmt.Sprintf("vmSize=%s %s maxPods=%s maxSurge=%s zones=%s taints=%s",
		vmSize, size, n(maxPods), surge, strings.Join(zones, ","), strings.Join(taints, ","))
}
