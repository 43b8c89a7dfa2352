package plan

import (
	"slices"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// postureStack is a stack named name with a three-node cluster, edited by
// edit, with spec.Defaults applied after the edit.
func postureStack(name string, edit func(s *spec.Stack)) spec.Stack {
	s := spec.Stack{Name: name, Location: "eastus", Cluster: spec.Cluster{Name: "aks", NodeCount: spec.Int(3)}}
	if edit != nil {
		edit(&s)
	}
	return spec.Defaults(s)
}

// onCluster returns an edit of the stack's cluster config.
func onCluster(edit func(c *spec.Cluster)) func(s *spec.Stack) {
	return func(s *spec.Stack) { edit(&s.Cluster) }
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func TestPosture(t *testing.T) {
	const (
		admin       = "3f2b1c4e-5d6a-4b7c-8d9e-0f1a2b3c4d5e"
		otherAdmin  = "6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
		placeholder = "Group:" + spec.PlaceholderSubscription
	)
	sunday := func(c *spec.Cluster) {
		c.MaintenanceWindow = &spec.MaintenanceWindow{Day: "Sunday", StartTime: "02:00", DurationHours: spec.Int(4), UTCOffset: "+01:00"}
	}
	cases := []struct {
		name  string
		stack spec.Stack
		// want are the values of some settings, by label.
		want map[string]string
		// warned are the labels of every setting that must be a warning.
		warned []string
	}{
		{
			name:  "the defaults: Entra ID without local accounts nor admins, calico, an open API server, patch and NodeImage at any time, every add-on, Free",
			stack: postureStack("dev", nil),
			want: map[string]string{
				"Entra ID":          "on, Azure RBAC for Kubernetes; local accounts: disabled",
				"Cluster admins":    "none (nobody can use kubectl)",
				"Network policy":    "calico, on kubenet",
				"API server":        "open to the internet",
				"Upgrades":          "cluster patch, node OS NodeImage; any time (no maintenance window)",
				"Workload identity": "on (OIDC issuer on)",
				"Azure Policy":      "on",
				"Image cleaner":     "on (weekly)",
				"Tier":              "Free (no uptime SLA)",
				"Monitoring":        "off",
			},
			warned: []string{"Cluster admins", "API server"},
		},
		{
			name:   "the Free tier of a production stack is a warning",
			stack:  postureStack("prod", onCluster(func(c *spec.Cluster) { c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes() })),
			want:   map[string]string{"Tier": "Free (no uptime SLA)", "API server": "private", "Cluster admins": "1 (3f2b1c4e-…)"},
			warned: []string{"Tier"},
		},
		{
			name: "the Standard tier of a production stack is not",
			stack: postureStack("prod", onCluster(func(c *spec.Cluster) {
				c.ClusterAdmins, c.PrivateCluster, c.Tier = []string{admin}, yes(), spec.TierStandard
			})),
			want: map[string]string{"Tier": "Standard"},
		},
		{
			name:   "the placeholder admin is a warning",
			stack:  postureStack("dev", onCluster(func(c *spec.Cluster) { c.ClusterAdmins, c.PrivateCluster = []string{placeholder}, yes() })),
			want:   map[string]string{"Cluster admins": "1 (Group 00000000-… placeholder: pulumi up refuses it)"},
			warned: []string{"Cluster admins"},
		},
		{
			name: "admins with and without a type",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.ClusterAdmins, c.PrivateCluster = []string{"Group:" + admin, otherAdmin, placeholder}, yes()
			})),
			want:   map[string]string{"Cluster admins": "3 (Group 3f2b1c4e-…; 6f1c2e3d-…; Group 00000000-… placeholder: pulumi up refuses it)"},
			warned: []string{"Cluster admins"},
		},
		{
			name: "without Entra ID, kubectl takes the local admin account",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.EntraID, c.DisableLocalAccounts, c.PrivateCluster = no(), no(), yes()
			})),
			want: map[string]string{
				"Entra ID":       "off; local accounts: enabled",
				"Cluster admins": "none (no Entra ID: kubectl takes the local admin account)",
			},
		},
		{
			name:  "Entra ID with local accounts and no admins is no warning",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) { c.DisableLocalAccounts, c.PrivateCluster = no(), yes() })),
			want: map[string]string{
				"Entra ID":       "on, Azure RBAC for Kubernetes; local accounts: enabled",
				"Cluster admins": "none (kubectl takes the local admin account)",
			},
		},
		{
			name: "no network policy",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.NetworkPolicy, c.ClusterAdmins, c.PrivateCluster = spec.NetworkPolicyNone, []string{admin}, yes()
			})),
			want: map[string]string{"Network policy": "none (every pod may reach every pod), on kubenet"},
		},
		{
			name: "authorized ranges and the firewall's public IPs the program adds",
			stack: postureStack("dev", func(s *spec.Stack) {
				s.Firewall = &spec.Firewall{SubnetCidr: "10.0.2.0/26", PublicIPCount: spec.Int(2)}
				s.Cluster.APIServerAuthorizedIPRanges, s.Cluster.ClusterAdmins = []string{"203.0.113.0/24", "198.51.100.7/32"}, []string{admin}
			}),
			want: map[string]string{"API server": "authorized ranges 203.0.113.0/24, 198.51.100.7/32 + the firewall's public IPs (2)"},
		},
		{
			name: "authorized ranges and the firewall's one public IP",
			stack: postureStack("dev", func(s *spec.Stack) {
				s.Firewall = &spec.Firewall{SubnetCidr: "10.0.2.0/26"}
				s.Cluster.APIServerAuthorizedIPRanges, s.Cluster.ClusterAdmins = []string{"203.0.113.0/24"}, []string{admin}
			}),
			want: map[string]string{"API server": "authorized ranges 203.0.113.0/24 + the firewall's public IP (1)"},
		},
		{
			name: "authorized ranges behind a hub must include its firewall's public IP",
			stack: postureStack("dev", func(s *spec.Stack) {
				s.Hub = &spec.Hub{VnetID: "/subscriptions/" + admin + "/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub", FirewallPrivateIP: "10.100.0.4"}
				s.Cluster.APIServerAuthorizedIPRanges, s.Cluster.ClusterAdmins = []string{"203.0.113.0/24"}, []string{admin}
			}),
			want:   map[string]string{"API server": "authorized ranges 203.0.113.0/24 (must include the hub firewall's public IP)"},
			warned: []string{"API server"},
		},
		{
			name: "authorized ranges behind a hand-written default route must include its appliance's public IP",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.APIServerAuthorizedIPRanges, c.ClusterAdmins = []string{"203.0.113.0/24"}, []string{admin}
			})),
			want:   map[string]string{"API server": "authorized ranges 203.0.113.0/24 (must include the public IP of the default route's appliance)"},
			warned: []string{"API server"},
		},
		{
			name: "a private authorized range and every address",
			stack: postureStack("dev", func(s *spec.Stack) {
				s.Firewall = &spec.Firewall{SubnetCidr: "10.0.2.0/26"}
				s.Cluster.APIServerAuthorizedIPRanges, s.Cluster.ClusterAdmins = []string{"203.0.113.0/24", "10.0.0.0/8", "0.0.0.0/0"}, []string{admin}
			}),
			want: map[string]string{
				"API server": "authorized ranges 203.0.113.0/24, 10.0.0.0/8 (private: authorizes nobody), 0.0.0.0/0 (every address) + the firewall's public IP (1)",
			},
			warned: []string{"API server"},
		},
		{
			name:  "a maintenance window for both channels",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) { sunday(c); c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes() })),
			want:  map[string]string{"Upgrades": "cluster patch, node OS NodeImage; window Sunday 02:00 +01:00, 4 h"},
		},
		{
			name: "a maintenance window for the node OS only",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				sunday(c)
				c.UpgradeChannel, c.ClusterAdmins, c.PrivateCluster = spec.UpgradeChannelNone, []string{admin}, yes()
			})),
			want: map[string]string{"Upgrades": "cluster none, node OS NodeImage; window Sunday 02:00 +01:00, 4 h (node OS only)"},
		},
		{
			name: "a maintenance window for the cluster only",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				sunday(c)
				c.NodeOSUpgradeChannel, c.ClusterAdmins, c.PrivateCluster = spec.NodeOSChannelUnmanaged, []string{admin}, yes()
			})),
			want: map[string]string{"Upgrades": "cluster patch, node OS Unmanaged; window Sunday 02:00 +01:00, 4 h (cluster only)"},
		},
		{
			name: "a maintenance window without a scheduled channel is a warning",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				sunday(c)
				c.UpgradeChannel, c.NodeOSUpgradeChannel = spec.UpgradeChannelNone, spec.NodeOSChannelNone
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want:   map[string]string{"Upgrades": "cluster none, node OS None; window Sunday 02:00 +01:00, 4 h (no effect: nothing upgrades on a schedule)"},
			warned: []string{"Upgrades"},
		},
		{
			name: "no automatic upgrades",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.UpgradeChannel, c.NodeOSUpgradeChannel = spec.UpgradeChannelNone, spec.NodeOSChannelNone
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want: map[string]string{"Upgrades": "cluster none, node OS None; no automatic upgrades"},
		},
		{
			name: "a pinned version counts at creation only under a channel that moves it",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.KubernetesVersion, c.UpgradeChannel = "1.30.3", spec.UpgradeChannelStable
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want:   map[string]string{"Upgrades": "cluster stable, node OS NodeImage; any time (no maintenance window); kubernetesVersion 1.30.3 is ignored after creation (stable moves it)"},
			warned: []string{"Upgrades"},
		},
		{
			name: "a pinned version under channel none is the program's",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.KubernetesVersion, c.UpgradeChannel = "1.30.3", spec.UpgradeChannelNone
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want: map[string]string{"Upgrades": "cluster none, node OS NodeImage; any time (no maintenance window); kubernetesVersion 1.30.3"},
		},
		{
			name: "the node-image channel upgrades the node image whatever the node OS channel",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.UpgradeChannel, c.NodeOSUpgradeChannel = spec.UpgradeChannelNodeImage, spec.NodeOSChannelNone
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want:   map[string]string{"Upgrades": "cluster node-image, node OS None (node-image upgrades the node image anyway); any time (no maintenance window)"},
			warned: []string{"Upgrades"},
		},
		{
			name: "every add-on off",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.OIDCIssuer, c.WorkloadIdentity, c.AzurePolicy, c.ImageCleaner = no(), no(), no(), no()
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want: map[string]string{"Workload identity": "off (OIDC issuer off)", "Azure Policy": "off", "Image cleaner": "off"},
		},
		{
			name: "the OIDC issuer without workload identity",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.WorkloadIdentity, c.ClusterAdmins, c.PrivateCluster = no(), []string{admin}, yes()
			})),
			want: map[string]string{"Workload identity": "off (OIDC issuer on)"},
		},
		{
			name: "monitoring into the default workspace",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.Monitoring, c.ClusterAdmins, c.PrivateCluster = &spec.Monitoring{Enabled: true}, []string{admin}, yes()
			})),
			want: map[string]string{"Monitoring": "Container insights to aks-logs (30 days)"},
		},
		{
			name: "monitoring into a named workspace",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.Monitoring = &spec.Monitoring{Enabled: true, WorkspaceName: "platform-logs", RetentionDays: spec.Int(90)}
				c.ClusterAdmins, c.PrivateCluster = []string{admin}, yes()
			})),
			want: map[string]string{"Monitoring": "Container insights to platform-logs (90 days)"},
		},
		{
			name: "monitoring configured but not enabled",
			stack: postureStack("dev", onCluster(func(c *spec.Cluster) {
				c.Monitoring, c.ClusterAdmins, c.PrivateCluster = &spec.Monitoring{WorkspaceName: "platform-logs"}, []string{admin}, yes()
			})),
			want: map[string]string{"Monitoring": "off"},
		},
	}
	labels := []string{"Entra ID", "Cluster admins", "Network policy", "API server", "Upgrades",
		"Workload identity", "Azure Policy", "Image cleaner", "Tier", "Monitoring"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			posture := Posture(tc.stack)
			var got []string
			var warned []string
			values := map[string]string{}
			for _, s := range posture {
				got = append(got, s.Label)
				values[s.Label] = s.Value
				if s.Warning {
					warned = append(warned, s.Label)
				}
			}
			if !slices.Equal(got, labels) {
				t.Fatalf("labels = %q, want %q", got, labels)
			}
			for label, want := range tc.want {
				if values[label] != want {
					t.Errorf("%s: %q, want %q", label, values[label], want)
				}
			}
			slices.Sort(warned)
			slices.Sort(tc.warned)
			if !slices.Equal(warned, tc.warned) {
				t.Errorf("warnings on %q, want on %q", warned, tc.warned)
			}
		})
	}
}
