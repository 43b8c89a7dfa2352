package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// networkPolicyAzure is AKS's networkPolicy value for Azure Network Policy
// Manager, which the program does not offer.
const networkPolicyAzure = "azure"

// Limits of the security posture's values.
const (
	// MaxAuthorizedIPRanges is the most API server authorized IP ranges a
	// cluster takes (aks-rules 2.10,
	// https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges).
	MaxAuthorizedIPRanges = 200
	// MinWindowHours is the shortest maintenance window AKS takes
	// (https://learn.microsoft.com/azure/aks/planned-maintenance).
	MinWindowHours = 4
	// MaxWindowHours is the longest maintenance window AKS takes.
	MaxWindowHours = 24
	// MinRetentionDays is the shortest retention of a PerGB2018 workspace
	// (https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure).
	MinRetentionDays = 30
	// MaxRetentionDays is the longest interactive retention of a PerGB2018
	// workspace.
	MaxRetentionDays = 730
)

var (
	weekdays      = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	clockTime     = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	utcOffset     = regexp.MustCompile(`^[+-]([01][0-9]|2[0-3]):[0-5][0-9]$`)
	networkPolicy = []string{spec.NetworkPolicyCalico, spec.NetworkPolicyNone}

	// Microsoft.OperationalInsights/workspaces
	// (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftoperationalinsights).
	workspaceName = nameRule{
		kind: "Log Analytics workspace", min: 4, max: 63,
		char: isAlnumOr("-"), first: isAlnum, last: isAlnum,
		summary: `4-63 characters: letters, digits and "-", starting and ending with a letter or digit`,
	}
)

// checkSecurity is rule 15: the security posture. Entra ID, local accounts
// and the admin grants agree; the network policy is one the network mode runs; the
// API server is either private or limited to valid ranges, with a warning
// when it is open to the internet; the upgrade channels, the maintenance
// window, workload identity, the tier and monitoring have values AKS takes.
func (c *checker) checkSecurity() {
	cl := c.s.Cluster
	c.checkAccess(cl)
	// https://learn.microsoft.com/azure/aks/use-network-policies: kubenet
	// runs Calico only; Azure Network Policy Manager and Cilium need Azure CNI.
	// Overlay's policies are checkOverlayPolicy's (aks-rules 10.10).
	if cl.Overlay() {
		c.checkOverlayPolicy(cl)
	} else if !slices.Contains(networkPolicy, cl.NetworkPolicy) {
		// aks-rules 1.19: AKS names azure, Network Policy Manager's value.
		code := ""
		if cl.NetworkPolicy == networkPolicyAzure {
			code = CodeNetworkPolicyAzureNotSupportedForKubenet
		}
		c.refusef(code, keys(spec.PathClusterNetworkPolicy), "%s %s is not a network policy kubenet runs: want %s (Azure Network Policy Manager and Cilium need Azure CNI)",
			spec.PathClusterNetworkPolicy, abbreviate(cl.NetworkPolicy), join("or", networkPolicy))
	}
	c.checkAPIServer(cl)
	c.checkUpgrades(cl)
	// https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster:
	// workload identity federates with the cluster's OIDC issuer.
	if spec.On(cl.WorkloadIdentity) && !spec.On(cl.OIDCIssuer) {
		c.errorf(keys(spec.PathClusterWorkloadIdentity, spec.PathClusterOIDCIssuer), "%s is true but %s is false: workload identity needs the cluster's OIDC issuer",
			spec.PathClusterWorkloadIdentity, spec.PathClusterOIDCIssuer)
	}
	if !slices.Contains(spec.Tiers, cl.Tier) {
		c.errorf(keys(spec.PathClusterTier), "%s %s is not an AKS pricing tier: want %s", spec.PathClusterTier, abbreviate(cl.Tier), join("or", spec.Tiers))
	} else if cl.Tier == spec.TierFree && c.production() {
		// https://learn.microsoft.com/azure/aks/free-standard-pricing-tiers
		c.warnf(keys(spec.PathClusterTier), "%s %s in a production stack: the Free tier has no uptime SLA; Microsoft recommends Standard for production", spec.PathClusterTier, cl.Tier)
	}
	if m := cl.Monitoring; m != nil && m.Enabled {
		if d := *m.RetentionDays; d < MinRetentionDays || d > MaxRetentionDays {
			c.errorf(keys(spec.PathClusterMonitoringRetentionDays), "%s %d is outside %d-%d, the retention a Log Analytics workspace takes",
				spec.PathClusterMonitoringRetentionDays, d, MinRetentionDays, MaxRetentionDays)
		}
		c.checkName(spec.PathClusterMonitoringWorkspaceName, m.WorkspaceName, workspaceName)
	}
}

// checkAccess checks Entra ID, local accounts and the admin grants
// (https://learn.microsoft.com/azure/aks/manage-local-accounts-managed-azure-ad,
// https://learn.microsoft.com/azure/aks/manage-azure-rbac).
func (c *checker) checkAccess(cl spec.Cluster) {
	entra := spec.On(cl.EntraID)
	if !entra && spec.On(cl.DisableLocalAccounts) {
		c.errorf(keys(spec.PathClusterDisableLocalAccounts, spec.PathClusterEntraID), "%s is true but %s is false: without Entra ID the local accounts are the only way into the cluster, and AKS refuses to disable them",
			spec.PathClusterDisableLocalAccounts, spec.PathClusterEntraID)
	}
	if !entra && len(cl.ClusterAdmins) > 0 {
		c.errorf(keys(spec.PathClusterClusterAdmins, spec.PathClusterEntraID), "%s is set but %s is false: the admins' Azure RBAC role has no effect without Entra ID and Azure RBAC for Kubernetes",
			spec.PathClusterClusterAdmins, spec.PathClusterEntraID)
	}
	seen := map[string]int{}
	for i, entry := range cl.ClusterAdmins {
		admin := spec.ParseClusterAdmin(entry)
		id := admin.ObjectID
		// The SDK sends principalType User for an entry without one, and ARM
		// refuses a group granted as a user (UnmatchedPrincipalType).
		if !slices.Contains(spec.PrincipalTypes, admin.PrincipalType) {
			c.errorf(keys(spec.Index(spec.PathClusterClusterAdmins, i)), "%s %s does not start with a principal type (%s): write Group:<id>, User:<id> or ServicePrincipal:<id>; the provider would send User, and ARM refuses a grant whose type is not the principal's",
				spec.Index(spec.PathClusterClusterAdmins, i), abbreviate(entry), join("or", spec.PrincipalTypes))
			continue
		}
		if !guid.MatchString(id) {
			c.errorf(keys(spec.Index(spec.PathClusterClusterAdmins, i)), "%s %s is not an Entra object id: want Group:, User: or ServicePrincipal: and the object id, a GUID such as Group:3f2b1c4e-...",
				spec.Index(spec.PathClusterClusterAdmins, i), abbreviate(entry))
			continue
		}
		if j, dup := seen[strings.ToLower(id)]; dup {
			c.errorf(keys(spec.Index(spec.PathClusterClusterAdmins, i), spec.Index(spec.PathClusterClusterAdmins, j)), "%s %s repeats %s: each admin is granted once", spec.Index(spec.PathClusterClusterAdmins, i), id, spec.Index(spec.PathClusterClusterAdmins, j))
			continue
		}
		seen[strings.ToLower(id)] = i
	}
	for i, entry := range cl.ClusterAdmins {
		if spec.ParseClusterAdmin(entry).ObjectID == spec.PlaceholderSubscription {
			c.warnf(keys(spec.Index(spec.PathClusterClusterAdmins, i)), "%s is the placeholder %s: replace it with the object id of the admins' Entra group; pulumi up refuses it", spec.Index(spec.PathClusterClusterAdmins, i), spec.PlaceholderSubscription)
		}
	}
	if entra && len(cl.ClusterAdmins) == 0 && spec.On(cl.DisableLocalAccounts) {
		c.warnf(keys(spec.PathClusterClusterAdmins), "%s is empty and local accounts are disabled: nobody can use kubectl on the cluster until someone is granted an Azure Kubernetes Service RBAC role on it; list the admins' Entra object ids (groups, preferably)",
			spec.PathClusterClusterAdmins)
	}
}

// checkAPIServer checks the API server's access: authorized ranges or a
// private cluster, not both, and a warning for neither.
func (c *checker) checkAPIServer(cl spec.Cluster) {
	ranges := cl.APIServerAuthorizedIPRanges
	private := spec.On(cl.PrivateCluster)
	// https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges:
	// authorized ranges apply to the public endpoint a private cluster lacks.
	if private && len(ranges) > 0 {
		c.errorf(keys(spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathClusterPrivateCluster), "%s and %s are both set: a private cluster has no public API server endpoint to limit; set one",
			spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathClusterPrivateCluster)
	}
	if !private && len(ranges) == 0 {
		c.warnf(keys(spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathClusterPrivateCluster), "the API server is open to the internet: set %s to the ranges that may reach it, or %s",
			spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathClusterPrivateCluster)
	}
	seen := map[netip.Prefix]int{}
	for i, cidr := range ranges {
		p := c.prefix(spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i), cidr, "a range that may reach the API server, such as 203.0.113.0/24, or remove the entry")
		if !p.IsValid() {
			continue
		}
		if j, dup := seen[p]; dup {
			c.errorf(keys(spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i), spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, j)), "%s %s repeats %s", spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i), p, spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, j))
			continue
		}
		seen[p] = i
		switch {
		case p.Bits() == 0:
			c.warnf(keys(spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i)), "%s %s authorizes every address: the API server stays open to the internet", spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i), p)
		case p.Addr().IsPrivate():
			c.warnf(keys(spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i)), "%s %s is a private range: the public API server sees public source addresses only, so it authorizes nobody", spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i), p)
		}
	}
	if len(ranges) == 0 {
		return
	}
	// aks-rules 5.8: the nodes reach a public API server through the
	// outbound path, so its public address must be authorized. The program
	// adds its own firewall's; AKS adds a load balancer's.
	generated := 0
	switch {
	case c.s.Firewall != nil && c.s.Firewall.PublicIPCount != nil:
		generated = *c.s.Firewall.PublicIPCount
	case c.s.Hub != nil:
		c.warnf(keys(spec.PathClusterAPIServerAuthorizedIPRanges, pathHub), "%s must include the hub firewall's public IP: the nodes reach the API server through it, and are locked out otherwise",
			spec.PathClusterAPIServerAuthorizedIPRanges)
	case cl.OutboundType == spec.OutboundUserDefinedRouting:
		c.warnf(keys(spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathNetworkRoutes), "%s must include the public IP your appliance (the next hop of the 0.0.0.0/0 route) sends traffic from: the nodes reach the API server through it, and are locked out otherwise",
			spec.PathClusterAPIServerAuthorizedIPRanges)
	}
	if n := len(ranges) + generated; n > MaxAuthorizedIPRanges {
		c.errorf(keys(spec.PathClusterAPIServerAuthorizedIPRanges), "%s has %s%s: a cluster takes at most %d",
			spec.PathClusterAPIServerAuthorizedIPRanges, count(n, "range"), generatedNote(generated), MaxAuthorizedIPRanges)
	}
}

// generatedNote is the part of a message that says how many values the
// program adds for the firewall's public IPs.
func generatedNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" with the %d /32 the program adds for the firewall's public IPs", n)
}

// checkUpgrades checks the upgrade channels and the maintenance window
// (https://learn.microsoft.com/azure/aks/auto-upgrade-cluster,
// https://learn.microsoft.com/azure/aks/auto-upgrade-node-os-image,
// https://learn.microsoft.com/azure/aks/planned-maintenance).
func (c *checker) checkUpgrades(cl spec.Cluster) {
	if !slices.Contains(spec.UpgradeChannels, cl.UpgradeChannel) {
		c.errorf(keys(spec.PathClusterUpgradeChannel), "%s %s is not an auto-upgrade channel: want %s", spec.PathClusterUpgradeChannel, abbreviate(cl.UpgradeChannel), join("or", spec.UpgradeChannels))
	}
	if !slices.Contains(spec.NodeOSUpgradeChannels, cl.NodeOSUpgradeChannel) {
		c.errorf(keys(spec.PathClusterNodeOSUpgradeChannel), "%s %s is not a node OS upgrade channel: want %s", spec.PathClusterNodeOSUpgradeChannel, abbreviate(cl.NodeOSUpgradeChannel), join("or", spec.NodeOSUpgradeChannels))
	}
	if cl.UpgradeChannel == spec.UpgradeChannelNodeImage && cl.NodeOSUpgradeChannel != spec.NodeOSChannelNodeImage {
		c.warnf(keys(spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel), "%s node-image upgrades the node image whatever %s says (%s): use %s patch with %s %s, which keep the two apart",
			spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel, cl.NodeOSUpgradeChannel, spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel, spec.NodeOSChannelNodeImage)
	}
	if cl.KubernetesVersion != "" && cl.VersionMovingChannel() {
		c.warnf(keys(spec.PathClusterKubernetesVersion, spec.PathClusterUpgradeChannel), "%s %s counts at creation only: %s %s moves the version, and the program then ignores both; upgrade a minor version with az aks upgrade",
			spec.PathClusterKubernetesVersion, cl.KubernetesVersion, spec.PathClusterUpgradeChannel, cl.UpgradeChannel)
	}
	w := cl.MaintenanceWindow
	if w == nil {
		return
	}
	if !slices.Contains(weekdays, w.Day) {
		c.errorf(keys(spec.PathClusterMaintenanceWindowDay), "%s %s is not a day of the week: want %s", spec.PathClusterMaintenanceWindowDay, abbreviate(w.Day), join("or", weekdays))
	}
	if !clockTime.MatchString(w.StartTime) {
		c.errorf(keys(spec.PathClusterMaintenanceWindowStartTime), "%s %s is not a time of day: want \"HH:MM\", such as \"02:00\"", spec.PathClusterMaintenanceWindowStartTime, abbreviate(w.StartTime))
	}
	switch {
	case w.DurationHours == nil:
		c.errorf(keys(spec.PathClusterMaintenanceWindowDurationHours), "%s is missing: set the window's length, %d to %d hours", spec.PathClusterMaintenanceWindowDurationHours, MinWindowHours, MaxWindowHours)
	case *w.DurationHours < MinWindowHours || *w.DurationHours > MaxWindowHours:
		c.errorf(keys(spec.PathClusterMaintenanceWindowDurationHours), "%s %d is outside %d-%d: AKS needs a window of at least %d hours",
			spec.PathClusterMaintenanceWindowDurationHours, *w.DurationHours, MinWindowHours, MaxWindowHours, MinWindowHours)
	}
	if !validUTCOffset(w.UTCOffset) {
		c.errorf(keys(spec.PathClusterMaintenanceWindowUTCOffset), "%s %s is not an offset from UTC: want \"+HH:MM\" or \"-HH:MM\" from -12:00 to +14:00, such as \"+01:00\"",
			spec.PathClusterMaintenanceWindowUTCOffset, abbreviate(w.UTCOffset))
	}
	if cl.UpgradeChannel == spec.UpgradeChannelNone && !cl.NodeOSScheduled() {
		c.warnf(keys(spec.PathClusterMaintenanceWindow, spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel), "%s is set but neither %s nor %s upgrades anything on a schedule: the window has no effect",
			spec.PathClusterMaintenanceWindow, spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel)
	}
}

// validUTCOffset reports whether offset is "+HH:MM" or "-HH:MM" from -12:00
// to +14:00, the offsets time zones have.
func validUTCOffset(offset string) bool {
	if !utcOffset.MatchString(offset) {
		return false
	}
	minutes := (int(offset[1]-'0')*10+int(offset[2]-'0'))*60 + int(offset[4]-'0')*10 + int(offset[5]-'0')
	if offset[0] == '-' {
		return minutes <= 12*60
	}
	return minutes <= 14*60
}
