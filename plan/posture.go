package plan

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Setting is one line of a stack's security posture: what its config makes
// of one aspect of the cluster's security, in a few words.
type Setting struct {
	// Label names the aspect: "Entra ID", "API server".
	Label string `json:"label"`
	// Value is what the config makes of it: "private", "calico".
	Value string `json:"value"`
	// Warning is true when rules.Check warns about the aspect, that is when
	// one of its warnings names one of the aspect's config keys first. The
	// warning itself is among the stack's findings, in full.
	Warning bool `json:"warning,omitempty"`
}

// Posture returns the security posture of s, which must have had
// spec.Defaults applied: one Setting per aspect, always the same ten in the
// same order (Entra ID, Cluster admins, Network policy, API server,
// Upgrades, Workload identity, Azure Policy, Image cleaner, Tier,
// Monitoring), so that the postures of several stacks line up.
//
// The values come from the config; whether a setting is a Warning, and the
// words that say why, come from the warnings of rules.Check(s), matched on
// their keys, so that the posture and the findings never disagree. Errors
// are not its business: on a config with errors the values are as
// configured, valid or not.
func Posture(s spec.Stack) []Setting {
	w := warningsOf(rules.Check(s).Warnings)
	c := s.Cluster
	return []Setting{
		{"Entra ID", entraID(c), w.about(spec.PathClusterEntraID, spec.PathClusterDisableLocalAccounts)},
		{"Cluster admins", clusterAdmins(c, w), w.about(spec.PathClusterClusterAdmins)},
		{"Network policy", networkPolicy(c), w.about(spec.PathClusterNetworkPolicy)},
		{"API server", apiServer(s, w), w.about(spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathClusterPrivateCluster)},
		{"Upgrades", upgrades(c, w), w.about(spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel, spec.PathClusterKubernetesVersion, spec.PathClusterMaintenanceWindow)},
		{"Workload identity", onOff(c.WorkloadIdentity) + " (OIDC issuer " + onOff(c.OIDCIssuer) + ")", w.about(spec.PathClusterWorkloadIdentity, spec.PathClusterOIDCIssuer)},
		{"Azure Policy", onOff(c.AzurePolicy), w.about(spec.PathClusterAzurePolicy)},
		{"Image cleaner", imageCleaner(c), w.about(spec.PathClusterImageCleaner)},
		{"Tier", tier(c), w.about(spec.PathClusterTier)},
		{"Monitoring", monitoringValue(c), w.about(spec.PathClusterMonitoring)},
	}
}

// warnings are the Keys of rules.Check's warnings, one slice per warning.
type warnings [][]string

func warningsOf(findings []rules.Finding) warnings {
	var w warnings
	for _, f := range findings {
		w = append(w, f.Keys)
	}
	return w
}

// about reports whether a warning names first one of keys, or an element or
// field of one ("cluster.clusterAdmins[0]", "cluster.maintenanceWindow.day").
func (w warnings) about(keys ...string) bool {
	for _, k := range w {
		if len(k) == 0 {
			continue
		}
		for _, key := range keys {
			if rest, ok := strings.CutPrefix(k[0], key); ok && (rest == "" || rest[0] == '[' || rest[0] == '.') {
				return true
			}
		}
	}
	return false
}

// has reports whether a warning names exactly keys, in this order, first.
func (w warnings) has(keys ...string) bool {
	for _, k := range w {
		if len(k) >= len(keys) && slices.Equal(k[:len(keys)], keys) {
			return true
		}
	}
	return false
}

func onOff(flag *bool) string {
	if spec.On(flag) {
		return "on"
	}
	return "off"
}

func entraID(c spec.Cluster) string {
	local := "enabled"
	if spec.On(c.DisableLocalAccounts) {
		local = "disabled"
	}
	if !spec.On(c.EntraID) {
		return "off; local accounts: " + local
	}
	return "on, Azure RBAC for Kubernetes; local accounts: " + local
}

// clusterAdmins counts the admins and names each by its type and the start
// of its object id, with the placeholder called out.
func clusterAdmins(c spec.Cluster, w warnings) string {
	if len(c.ClusterAdmins) == 0 {
		switch {
		case w.has(spec.PathClusterClusterAdmins):
			return "none (nobody can use kubectl)"
		case !spec.On(c.EntraID):
			return "none (no Entra ID: kubectl takes the local admin account)"
		case !spec.On(c.DisableLocalAccounts):
			return "none (kubectl takes the local admin account)"
		}
		return "none"
	}
	names := make([]string, len(c.ClusterAdmins))
	for i, entry := range c.ClusterAdmins {
		admin := spec.ParseClusterAdmin(entry)
		name := shortID(admin.ObjectID)
		if admin.PrincipalType != "" {
			name = admin.PrincipalType + " " + name
		}
		if w.has(spec.Index(spec.PathClusterClusterAdmins, i)) && admin.ObjectID == spec.PlaceholderSubscription {
			name += " placeholder: pulumi up refuses it"
		}
		names[i] = name
	}
	return fmt.Sprintf("%d (%s)", len(names), strings.Join(names, "; "))
}

// shortID is an object id's first group and an ellipsis: "00000000-…".
func shortID(id string) string {
	if first, _, ok := strings.Cut(id, "-"); ok {
		return first + "-…"
	}
	return id
}

// networkPolicy says the policy engine and the network mode it runs on.
func networkPolicy(c spec.Cluster) string {
	policy := c.NetworkPolicy
	if policy == spec.NetworkPolicyNone {
		policy = "none (every pod may reach every pod)"
	}
	if c.Overlay() {
		return policy + ", on Azure CNI Overlay (" + c.NetworkDataplane + " dataplane)"
	}
	return policy + ", on kubenet"
}

// apiServer says who may reach the API server: the VNet only (private), the
// authorized ranges and the firewall's public IPs the program adds, or
// everyone.
func apiServer(s spec.Stack, w warnings) string {
	c := s.Cluster
	ranges := c.APIServerAuthorizedIPRanges
	switch {
	case spec.On(c.PrivateCluster) && len(ranges) == 0:
		return "private"
	case len(ranges) == 0:
		return "open to the internet"
	}
	shown := make([]string, len(ranges))
	for i, r := range ranges {
		shown[i] = r
		if !w.has(spec.Index(spec.PathClusterAPIServerAuthorizedIPRanges, i)) {
			continue
		}
		if p, err := netip.ParsePrefix(r); err == nil && p.Bits() == 0 {
			shown[i] += " (every address)"
		} else {
			shown[i] += " (private: authorizes nobody)"
		}
	}
	value := "authorized ranges " + strings.Join(shown, ", ")
	switch {
	case s.Firewall != nil && s.Firewall.PublicIPCount != nil && *s.Firewall.PublicIPCount == 1:
		value += " + the firewall's public IP (1)"
	case s.Firewall != nil && s.Firewall.PublicIPCount != nil:
		value += fmt.Sprintf(" + the firewall's public IPs (%d)", *s.Firewall.PublicIPCount)
	case w.has(spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathOf(spec.KeyHub)):
		value += " (must include the hub firewall's public IP)"
	case w.has(spec.PathClusterAPIServerAuthorizedIPRanges, spec.PathNetworkRoutes):
		value += " (must include the public IP of the default route's appliance)"
	}
	if spec.On(c.PrivateCluster) {
		value += ", and private"
	}
	return value
}

// upgrades names the channels, the window they keep to, and what becomes of
// a pinned Kubernetes version.
func upgrades(c spec.Cluster, w warnings) string {
	value := "cluster " + c.UpgradeChannel + ", node OS " + c.NodeOSUpgradeChannel
	if w.has(spec.PathClusterUpgradeChannel, spec.PathClusterNodeOSUpgradeChannel) {
		value += " (node-image upgrades the node image anyway)"
	}
	cluster, nodeOS := c.UpgradeChannel != spec.UpgradeChannelNone, c.NodeOSScheduled()
	switch win := c.MaintenanceWindow; {
	case win != nil:
		hours := "?"
		if win.DurationHours != nil {
			hours = fmt.Sprint(*win.DurationHours)
		}
		value += fmt.Sprintf("; window %s %s %s, %s h", win.Day, win.StartTime, win.UTCOffset, hours)
		switch {
		case w.has(spec.PathClusterMaintenanceWindow):
			value += " (no effect: nothing upgrades on a schedule)"
		case cluster && !nodeOS:
			value += " (cluster only)"
		case nodeOS && !cluster:
			value += " (node OS only)"
		}
	case cluster || nodeOS:
		value += "; any time (no maintenance window)"
	default:
		value += "; no automatic upgrades"
	}
	if c.KubernetesVersion != "" {
		if w.has(spec.PathClusterKubernetesVersion, spec.PathClusterUpgradeChannel) {
			value += fmt.Sprintf("; kubernetesVersion %s is ignored after creation (%s moves it)", c.KubernetesVersion, c.UpgradeChannel)
		} else {
			value += "; kubernetesVersion " + c.KubernetesVersion
		}
	}
	return value
}

func imageCleaner(c spec.Cluster) string {
	if spec.On(c.ImageCleaner) {
		return "on (weekly)"
	}
	return "off"
}

func tier(c spec.Cluster) string {
	if c.Tier == spec.TierFree {
		return c.Tier + " (no uptime SLA)"
	}
	return c.Tier
}

func monitoringValue(c spec.Cluster) string {
	if !c.MonitoringEnabled() {
		return "off"
	}
	m := c.Monitoring
	days := "?"
	if m.RetentionDays != nil {
		days = fmt.Sprint(*m.RetentionDays)
	}
	return fmt.Sprintf("Container insights to %s (%s days)", m.WorkspaceName, days)
}
