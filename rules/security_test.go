package rules

import (
	"fmt"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// cluster returns a change that edits the cluster config of a stack.
func cluster(change func(c *spec.Cluster)) func(*spec.Stack) {
	return func(s *spec.Stack) { change(&s.Cluster) }
}

// public makes base's private cluster public with the given authorized ranges.
func public(ranges ...string) func(c *spec.Cluster) {
	return func(c *spec.Cluster) {
		no := false
		c.PrivateCluster = &no
		c.APIServerAuthorizedIPRanges = ranges
	}
}

func flag(b bool) *bool { return &b }

func window(day, start string, hours int, offset string) *spec.MaintenanceWindow {
	return &spec.MaintenanceWindow{Day: day, StartTime: start, DurationHours: spec.Int(hours), UTCOffset: offset}
}

func TestRule15SecurityErrors(t *testing.T) {
	const admin = "Group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
	many := make([]string, 200)
	for i := range many {
		many[i] = fmt.Sprintf("203.0.%d.%d/32", i/250, i%250)
	}
	runCases(t, []testCase{
		{"the defaults", func(*spec.Stack) {}, nil, ""},
		{"everything off", cluster(func(c *spec.Cluster) {
			c.EntraID, c.DisableLocalAccounts, c.ClusterAdmins = flag(false), flag(false), nil
			c.NetworkPolicy, c.UpgradeChannel, c.NodeOSUpgradeChannel = "none", "none", "None"
			c.OIDCIssuer, c.WorkloadIdentity, c.AzurePolicy, c.ImageCleaner = flag(false), flag(false), flag(false), flag(false)
		}), nil, ""},
		{"local accounts off without Entra ID", cluster(func(c *spec.Cluster) { c.EntraID, c.ClusterAdmins = flag(false), nil }),
			[]string{"cluster.disableLocalAccounts is true but cluster.entraId is false"}, ""},
		{"admins without Entra ID", cluster(func(c *spec.Cluster) { c.EntraID, c.DisableLocalAccounts = flag(false), flag(false) }),
			[]string{"cluster.clusterAdmins is set but cluster.entraId is false"}, ""},
		{"admins of each type", cluster(func(c *spec.Cluster) {
			c.ClusterAdmins = []string{admin, "User:0b1f6471-1bf0-4dda-aec3-cb9272f09590", "ServicePrincipal:1c2f6471-1bf0-4dda-aec3-cb9272f09590"}
		}), nil, ""},
		{"admin without a type", cluster(func(c *spec.Cluster) { c.ClusterAdmins = []string{"6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"} }),
			[]string{`cluster.clusterAdmins[0] "6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f" does not start with a principal type (User, Group or ServicePrincipal): write Group:<id>`}, ""},
		{"admin of an unknown type", cluster(func(c *spec.Cluster) { c.ClusterAdmins = []string{"group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"} }),
			[]string{`cluster.clusterAdmins[0] "group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f" does not start with a principal type`}, ""},
		{"same admin as another type", cluster(func(c *spec.Cluster) { c.ClusterAdmins = []string{admin, "User:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f"} }),
			[]string{"cluster.clusterAdmins[1] 6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f repeats cluster.clusterAdmins[0]"}, ""},
		{"admin not a GUID", cluster(func(c *spec.Cluster) { c.ClusterAdmins = []string{"Group:platform-admins"} }),
			[]string{`cluster.clusterAdmins[0] "Group:platform-admins" is not an Entra object id`}, ""},
		{"admin twice, in another case", cluster(func(c *spec.Cluster) { c.ClusterAdmins = []string{admin, "Group:6F1C2E3D-4B5A-4C7D-8E9F-0A1B2C3D4E5F"} }),
			[]string{"cluster.clusterAdmins[1] 6F1C2E3D-4B5A-4C7D-8E9F-0A1B2C3D4E5F repeats cluster.clusterAdmins[0]"}, ""},
		{"Azure network policy", cluster(func(c *spec.Cluster) { c.NetworkPolicy = "azure" }),
			[]string{`cluster.networkPolicy "azure" is not a network policy kubenet runs: want calico or none`}, "NetworkPolicyAzureNotSupportedForKubenet"},
		{"ranges and a private cluster", cluster(func(c *spec.Cluster) { c.APIServerAuthorizedIPRanges = []string{"203.0.113.0/24"} }),
			[]string{"cluster.apiServerAuthorizedIpRanges and cluster.privateCluster are both set"}, ""},
		{"range with host bits", cluster(public("203.0.113.7/24")),
			[]string{"cluster.apiServerAuthorizedIpRanges[0] 203.0.113.7/24 has host bits set; did you mean 203.0.113.0/24?"}, ""},
		{"bare address", cluster(public("203.0.113.7")),
			[]string{`cluster.apiServerAuthorizedIpRanges[0] "203.0.113.7" is not a CIDR prefix`}, ""},
		{"IPv6 range", cluster(public("2001:db8::/32")),
			[]string{"cluster.apiServerAuthorizedIpRanges[0] 2001:db8::/32 is an IPv6 prefix"}, ""},
		{"range twice", cluster(public("203.0.113.0/24", "198.51.100.0/24", "203.0.113.0/24")),
			[]string{"cluster.apiServerAuthorizedIpRanges[2] 203.0.113.0/24 repeats cluster.apiServerAuthorizedIpRanges[0]"}, ""},
		{"200 ranges", cluster(public(many...)), nil, ""},
		{"201 ranges", cluster(public(append(many, "198.51.100.0/24")...)),
			[]string{"cluster.apiServerAuthorizedIpRanges has 201 ranges: a cluster takes at most 200"}, ""},
		{"200 ranges and the firewall's public IP", func(s *spec.Stack) {
			firewall(nil)(s)
			public(many...)(&s.Cluster)
		}, []string{"cluster.apiServerAuthorizedIpRanges has 201 ranges with the 1 /32 the program adds for the firewall's public IPs: a cluster takes at most 200"}, ""},
		{"upgrade channel", cluster(func(c *spec.Cluster) { c.UpgradeChannel = "Patch" }),
			[]string{`cluster.upgradeChannel "Patch" is not an auto-upgrade channel: want none, patch, stable, rapid or node-image`}, ""},
		{"node OS channel", cluster(func(c *spec.Cluster) { c.NodeOSUpgradeChannel = "nodeimage" }),
			[]string{`cluster.nodeOsUpgradeChannel "nodeimage" is not a node OS upgrade channel: want None, Unmanaged, NodeImage or SecurityPatch`}, ""},
		{"maintenance window", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 4, "+01:00") }), nil, ""},
		{"window on a Sun", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sun", "02:00", 4, "+01:00") }),
			[]string{`cluster.maintenanceWindow.day "Sun" is not a day of the week`}, ""},
		{"window at 2 am", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "2am", 4, "+01:00") }),
			[]string{`cluster.maintenanceWindow.startTime "2am" is not a time of day: want "HH:MM"`}, ""},
		{"window at 24:00", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "24:00", 4, "+01:00") }),
			[]string{`cluster.maintenanceWindow.startTime "24:00" is not a time of day`}, ""},
		{"window of 3 hours", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 3, "+01:00") }),
			[]string{"cluster.maintenanceWindow.durationHours 3 is outside 4-24: AKS needs a window of at least 4 hours"}, ""},
		{"window of 25 hours", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 25, "+01:00") }),
			[]string{"cluster.maintenanceWindow.durationHours 25 is outside 4-24"}, ""},
		{"window without a length", cluster(func(c *spec.Cluster) {
			c.MaintenanceWindow = &spec.MaintenanceWindow{Day: "Sunday", StartTime: "02:00", UTCOffset: "+00:00"}
		}), []string{"cluster.maintenanceWindow.durationHours is missing"}, ""},
		{"offset +14:00", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 4, "+14:00") }), nil, ""},
		{"offset -12:00", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 4, "-12:00") }), nil, ""},
		{"offset +14:30", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 4, "+14:30") }),
			[]string{`cluster.maintenanceWindow.utcOffset "+14:30" is not an offset from UTC`}, ""},
		{"offset -12:30", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 4, "-12:30") }),
			[]string{`cluster.maintenanceWindow.utcOffset "-12:30" is not an offset from UTC`}, ""},
		{"offset CET", cluster(func(c *spec.Cluster) { c.MaintenanceWindow = window("Sunday", "02:00", 4, "CET") }),
			[]string{`cluster.maintenanceWindow.utcOffset "CET" is not an offset from UTC`}, ""},
		{"workload identity without OIDC issuer", cluster(func(c *spec.Cluster) { c.OIDCIssuer = flag(false) }),
			[]string{"cluster.workloadIdentity is true but cluster.oidcIssuer is false"}, ""},
		{"tier", cluster(func(c *spec.Cluster) { c.Tier = "Paid" }),
			[]string{`cluster.tier "Paid" is not an AKS pricing tier: want Free, Standard or Premium`}, ""},
		{"monitoring", cluster(func(c *spec.Cluster) {
			c.Monitoring = &spec.Monitoring{Enabled: true, RetentionDays: spec.Int(90), WorkspaceName: "aks-logs"}
		}), nil, ""},
		{"retention of 7 days", cluster(func(c *spec.Cluster) {
			c.Monitoring = &spec.Monitoring{Enabled: true, RetentionDays: spec.Int(7), WorkspaceName: "aks-logs"}
		}),
			[]string{"cluster.monitoring.retentionDays 7 is outside 30-730"}, ""},
		{"workspace name", cluster(func(c *spec.Cluster) {
			c.Monitoring = &spec.Monitoring{Enabled: true, RetentionDays: spec.Int(30), WorkspaceName: "logs_"}
		}),
			[]string{"cluster.monitoring.workspaceName"}, ""},
		{"monitoring off is not checked", cluster(func(c *spec.Cluster) { c.Monitoring = &spec.Monitoring{RetentionDays: spec.Int(7)} }), nil, ""},
	})
}

func TestRule15SecurityWarnings(t *testing.T) {
	runWarningCases(t, []warningCase{
		{"the defaults with an admin and a private cluster", func(*spec.Stack) {}, nil},
		{"no admin with local accounts off", cluster(func(c *spec.Cluster) { c.ClusterAdmins = nil }),
			[]string{"cluster.clusterAdmins is empty and local accounts are disabled: nobody can use kubectl"}},
		{"no admin with local accounts on", cluster(func(c *spec.Cluster) { c.ClusterAdmins, c.DisableLocalAccounts = nil, flag(false) }), nil},
		{"open API server", cluster(public()), []string{"the API server is open to the internet: set cluster.apiServerAuthorizedIpRanges"}},
		{"0.0.0.0/0 authorized", func(s *spec.Stack) { firewall(nil)(s); public("0.0.0.0/0")(&s.Cluster) },
			[]string{"cluster.apiServerAuthorizedIpRanges[0] 0.0.0.0/0 authorizes every address"}},
		{"private range authorized", func(s *spec.Stack) { firewall(nil)(s); public("10.0.0.0/8")(&s.Cluster) },
			[]string{"cluster.apiServerAuthorizedIpRanges[0] 10.0.0.0/8 is a private range"}},
		{"ranges with the program's firewall", func(s *spec.Stack) { firewall(nil)(s); public("203.0.113.0/24")(&s.Cluster) }, nil},
		{"ranges with a hub firewall", func(s *spec.Stack) { hub(nil)(s); public("203.0.113.0/24")(&s.Cluster) },
			[]string{"cluster.apiServerAuthorizedIpRanges must include the hub firewall's public IP"}},
		{"ranges with a hand-written appliance", cluster(public("203.0.113.0/24")),
			[]string{"cluster.apiServerAuthorizedIpRanges must include the public IP your appliance"}},
		{"ranges with the load balancer", cluster(func(c *spec.Cluster) { public("203.0.113.0/24")(c); c.OutboundType = spec.OutboundLoadBalancer }), nil},
		{"pinned version under patch", cluster(func(c *spec.Cluster) { c.KubernetesVersion = "1.31.2" }),
			[]string{"cluster.kubernetesVersion 1.31.2 counts at creation only: cluster.upgradeChannel patch moves the version"}},
		{"pinned version without a channel", cluster(func(c *spec.Cluster) { c.KubernetesVersion, c.UpgradeChannel = "1.31.2", "none" }), nil},
		{"node-image with SecurityPatch", cluster(func(c *spec.Cluster) { c.UpgradeChannel, c.NodeOSUpgradeChannel = "node-image", "SecurityPatch" }),
			[]string{"cluster.upgradeChannel node-image upgrades the node image whatever cluster.nodeOsUpgradeChannel says"}},
		{"window without channels", cluster(func(c *spec.Cluster) {
			c.UpgradeChannel, c.NodeOSUpgradeChannel, c.MaintenanceWindow = "none", "Unmanaged", window("Sunday", "02:00", 4, "+00:00")
		}), []string{"cluster.maintenanceWindow is set but neither cluster.upgradeChannel nor cluster.nodeOsUpgradeChannel upgrades anything"}},
		{"window with the node OS channel only", cluster(func(c *spec.Cluster) {
			c.UpgradeChannel, c.MaintenanceWindow = "none", window("Sunday", "02:00", 4, "+00:00")
		}), nil},
		{"Free tier in prod", func(s *spec.Stack) { s.Tags = map[string]string{"environment": "prod"} },
			[]string{"cluster.tier Free in a production stack: the Free tier has no uptime SLA"}},
		{"Standard tier in prod", func(s *spec.Stack) { s.Tags = map[string]string{"environment": "prod"}; s.Cluster.Tier = "Standard" }, nil},
	})
}

// warningCase is a change to base that Check accepts, with the one warning
// it must give (the substrings of its message), or nil for none.
type warningCase struct {
	name   string
	change func(*spec.Stack)
	want   []string
}

// runWarningCases runs each case on base with its services outside the VNet,
// so that rule 5 adds no warning of its own.
func runWarningCases(t *testing.T, cases []warningCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			s.Cluster.ServiceCidr, s.Cluster.DNSServiceIP = "10.1.4.0/24", "10.1.4.10"
			tt.change(&s)
			r := Check(s)
			if r.Err() != nil {
				t.Fatalf("want no errors, got %v", r.Err())
			}
			if tt.want == nil {
				if len(r.Warnings) > 0 {
					t.Errorf("want no warnings, got %v", r.Warnings)
				}
				return
			}
			if _, ok := findingWith(r.Warnings, tt.want); !ok || len(r.Warnings) != 1 {
				t.Errorf("want the one warning %q, got %v", tt.want, r.Warnings)
			}
		})
	}
}
