package spec

import (
	"slices"
	"strings"
	"testing"
)

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"vnetCidr", "vnetCidr", 0},
		{"vnetCidrs", "vnetCidr", 1},  // one insertion
		{"vnetcidr", "vnetCidr", 1},   // one substitution: editDistance is case-sensitive, nearest is not
		{"firewal", "firewall", 1},    // one deletion
		{"kitten", "sitting", 3},      // the textbook case
		{"flaw", "lawn", 2},           // deletion and insertion
		{"nextHop", "nextHopType", 4}, // a prefix
		{"zoné", "zone", 1},           // runes, not bytes
	}
	for _, tc := range cases {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func TestSuggestion(t *testing.T) {
	network := []string{"nodeSubnetCidr", "nsg", "nsgName", "peeredCidrs", "routeTableName", "routes", "subnetName", "vnetCidr", "vnetName"}
	cases := []struct {
		name   string
		known  []string
		prefix string
		want   string
	}{
		{"vnetCidrs", network, "", " (did you mean vnetCidr?)"},
		{"VNETCIDR", network, "", " (did you mean vnetCidr?)"}, // case only: distance 0
		{"vnetCIDRs", network, "", " (did you mean vnetCidr?)"},
		{"nodeSubnetX", network, "", " (known keys: nodeSubnetCidr, nsg, nsgName, peeredCidrs, routeTableName, routes, subnetName, vnetCidr, vnetName)"}, // 4 edits, 11/3 = 3 allowed
		{"nodeSubnet", network, "", " (did you mean nodeSubnetCidr?)"},                                                                                   // 4 edits, but it begins only nodeSubnetCidr
		{"nodeSubnetCdr", network, "", " (did you mean nodeSubnetCidr?)"},
		{"peeredCidr", network, "", " (did you mean peeredCidrs?)"},
		{"route", network, "", " (did you mean routes?)"},
		{"hue", network, "", " (known keys: nodeSubnetCidr, nsg, nsgName, peeredCidrs, routeTableName, routes, subnetName, vnetCidr, vnetName)"},
		{"nsgNam", network, "", " (did you mean nsgName?)"},
		// Ties go to the first key alphabetically: "vnetCidrName" is 4 edits from both vnetCidr and
		// vnetName, and 12/3 = 4 are allowed.
		{"vnetCidrName", network, "", " (did you mean vnetCidr?)"},
		{"ab", []string{"ac", "ad"}, "", " (did you mean ac?)"},
		{"ab", []string{"ad", "ae"}, "", " (did you mean ad?)"},
		{"podCIDR", []string{"dnsPrefix", "podCidr", "serviceCidr"}, "", " (did you mean podCidr?)"},
		{"subnetCIDRs", []string{"name", "subnetCidr", "tier"}, "", " (did you mean subnetCidr?)"},
		{"nextHop", []string{"addressPrefix", "name", "nextHopIpAddress", "nextHopType"}, "", " (known keys: addressPrefix, name, nextHopIpAddress, nextHopType)"},
		{"nextHopTyp", []string{"addressPrefix", "name", "nextHopIpAddress", "nextHopType"}, "", " (did you mean nextHopType?)"},
		{"nextHopIp", []string{"addressPrefix", "name", "nextHopIpAddress", "nextHopType"}, "", " (did you mean nextHopIpAddress?)"},
		{"peered", network, "", " (did you mean peeredCidrs?)"}, // begins only peeredCidrs
		{"vnet", network, "", " (known keys: nodeSubnetCidr, nsg, nsgName, peeredCidrs, routeTableName, routes, subnetName, vnetCidr, vnetName)"},
		{"Route", network, "", " (did you mean routes?)"}, // begins two keys: the nearer one
		{"tag", []string{"cluster", "tags"}, "aks-kubenet:", " (did you mean aks-kubenet:tags?)"},
		{"xyz", []string{"cluster", "tags"}, "aks-kubenet:", " (known keys: aks-kubenet:cluster, aks-kubenet:tags)"},
		{"anything", nil, "", " (known keys: )"},
	}
	for _, tc := range cases {
		if got := suggestion(tc.name, tc.known, tc.prefix); got != tc.want {
			t.Errorf("suggestion(%q, %v) = %q, want %q", tc.name, tc.known, got, tc.want)
		}
	}
}

// A misspelled key in any config object is reported with the key it is nearest
// to, or with the list of known keys when it is near none.
func TestLoadSuggestsTheNearestKey(t *testing.T) {
	cases := []struct {
		key, object string // config key and its JSON object
		want        string
	}{
		{KeyNetwork, `{"vnetCidrs":"10.0.0.0/16"}`, "network.vnetCidrs: unknown key (did you mean vnetCidr?)"},
		{KeyNetwork, `{"vnetCIDR":"10.0.0.0/16"}`, "network.vnetCIDR: unknown key (did you mean vnetCidr?)"},
		{KeyNetwork, `{"routes":[{"nextHopTyp":"None"}]}`, "network.routes[0].nextHopTyp: unknown key (did you mean nextHopType?)"},
		// nextHopType is 3 edits away, nextHopIpAddress 7, but nextHopIP begins only nextHopIpAddress.
		{KeyNetwork, `{"routes":[{"nextHopIP":"10.0.2.4"}]}`, "network.routes[0].nextHopIP: unknown key (did you mean nextHopIpAddress?)"},
		{KeyNetwork, `{"routes":[{"next":"10.0.2.4"}]}`, "network.routes[0].next: unknown key (known keys: addressPrefix, name, nextHopIpAddress, nextHopType)"},
		{KeyCluster, `{"podCIDR":"10.244.0.0/16"}`, "cluster.podCIDR: unknown key (did you mean podCidr?)"},
		{KeyCluster, `{"nodecount":3}`, "cluster.nodecount: unknown key (did you mean nodeCount?)"},
		{KeyCluster, `{"maxSurges":"33%"}`, "cluster.maxSurges: unknown key (did you mean maxSurge?)"},
		{KeyCluster, `{"dnsServiceIp":"10.0.4.10"}`, "cluster.dnsServiceIp: unknown key (did you mean dnsServiceIP?)"},
		{KeyFirewall, `{"subnetCIDRs":"10.0.2.0/26"}`, "firewall.subnetCIDRs: unknown key (did you mean subnetCidr?)"},
		{KeyFirewall, `{"networkRules":[{"port":[443]}]}`, "firewall.networkRules[0].port: unknown key (known keys: destinationAddresses, destinationFqdns, destinationPorts, name, protocols)"},
		{KeyHub, `{"vnetID":"x"}`, "hub.vnetID: unknown key (did you mean vnetId?)"},
		{KeyResourceGroup, `{"nme":"rg"}`, "resourceGroup.nme: unknown key (did you mean name?)"},
	}
	for _, tc := range cases {
		values := map[string]string{KeyNetwork: `{}`, KeyCluster: `{}`}
		values[tc.key] = tc.object
		_, err := Load("dev", source(values))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s %s: got %v\nwant %s", tc.key, tc.object, err, tc.want)
		}
	}
}

func TestKnownKeys(t *testing.T) {
	got := KnownKeys()
	want := []string{KeyAdopt, KeyCluster, KeyExportKubeconfig, KeyFirewall, KeyHub, KeyNetwork, KeyPools, KeyProtect,
		KeyReadLastDeployment, KeyResourceGroup, KeyResourceGroupName, KeySSHPublicKey, KeyTags}
	if !slices.Equal(got, want) {
		t.Errorf("KnownKeys() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if KnownKeys()[0] != KeyAdopt {
		t.Error("KnownKeys returns a shared slice")
	}
}

func TestUnknownKeys(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		want []string // the errors, in order
	}{
		{name: "none", keys: nil},
		{name: "every known key", keys: KnownKeys()},
		{name: "other namespaces are never refused", keys: []string{KeyLocation, KeySubscriptionID, "azure-native:clientSecret", "pulumi:tags", "aks-kubenetx:firewal", "firewal"}},
		{
			name: "misspellings, sorted and each with its hint",
			keys: []string{KeyNetwork, "aks-kubenet:tag", KeyLocation, "aks-kubenet:firewal", "aks-kubenet:Cluster", "aks-kubenet:sshPublicKy", "aks-kubenet:tag"},
			want: []string{
				"aks-kubenet:Cluster: unknown key (did you mean aks-kubenet:cluster?)",
				"aks-kubenet:firewal: unknown key (did you mean aks-kubenet:firewall?)",
				"aks-kubenet:sshPublicKy: unknown key (did you mean aks-kubenet:sshPublicKey?)",
				"aks-kubenet:tag: unknown key (did you mean aks-kubenet:tags?)",
			},
		},
		{
			name: "near no known key",
			keys: []string{"aks-kubenet:region"},
			want: []string{"aks-kubenet:region: unknown key (known keys: aks-kubenet:adopt, aks-kubenet:cluster, aks-kubenet:exportKubeconfig, aks-kubenet:firewall, " +
				"aks-kubenet:hub, aks-kubenet:network, aks-kubenet:pools, aks-kubenet:protect, aks-kubenet:readLastDeployment, aks-kubenet:resourceGroup, aks-kubenet:resourceGroupName, " +
				"aks-kubenet:sshPublicKey, aks-kubenet:tags)"},
		},
		{
			name: "a path set without --path is not the object's key",
			keys: []string{"aks-kubenet:network.vnetCidr"},
			want: []string{"aks-kubenet:network.vnetCidr: unknown key (known keys: "},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := UnknownKeys(tc.keys)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tc.want))
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want %q", i, err, tc.want[i])
				}
			}
		})
	}
}

func TestConfigKeys(t *testing.T) {
	cases := []struct {
		raw    string
		want   []string
		wantOK bool
	}{
		{"", nil, false},
		{"  ", nil, false},
		{"null", nil, false},
		{"[]", nil, false},
		{`{"aks-kubenet:network":`, nil, false},
		{"{}", nil, true},
		{`{"aks-kubenet:tag":"{\"a\":\"b\"}","azure-native:location":"eastus","aks-kubenet:network":"{}","aks-kubenet:protect":false}`,
			[]string{"aks-kubenet:network", "aks-kubenet:protect", "aks-kubenet:tag", "azure-native:location"}, true},
	}
	for _, tc := range cases {
		got, ok := ConfigKeys(tc.raw)
		if ok != tc.wantOK || !slices.Equal(got, tc.want) {
			t.Errorf("ConfigKeys(%q) = %v, %v; want %v, %v", tc.raw, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestProgramConfigKeysReadsPulumiConfig(t *testing.T) {
	t.Setenv(EnvConfig, `{"aks-kubenet:firewal":"{}","aks-kubenet:cluster":"{}"}`)
	if got, want := ProgramConfigKeys(), []string{"aks-kubenet:cluster", "aks-kubenet:firewal"}; !slices.Equal(got, want) {
		t.Errorf("ProgramConfigKeys() = %v, want %v", got, want)
	}
	t.Setenv(EnvConfig, "not json")
	if got := ProgramConfigKeys(); got != nil {
		t.Errorf("ProgramConfigKeys() with unparsable %s = %v, want nil", EnvConfig, got)
	}
}

// Load returns what did decode, with defaults, next to the problems: a value
// that did not decode is unset, not half decoded.
func TestLoadReturnsThePartlyDecodedStack(t *testing.T) {
	s, err := Load("dev", source(map[string]string{
		KeyLocation: "eastus",
		KeyTags:     `{"env":1}`,
		KeyNetwork:  `{"vnetCidr":"10.0.0.0/16","vnetCIDR":"10.1.0.0/16","routes":[{"name":"r","nextHop":"x"},"oops"]}`,
		KeyCluster:  `{"nodeCount":"three","maxPods":"many","minCount":2.5,"podCidr":"10.244.0.0/16","zones":"1,2"}`,
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	if s.Location != "eastus" || s.Network.VnetCidr != "10.0.0.0/16" || s.Cluster.PodCidr != "10.244.0.0/16" {
		t.Errorf("decoded keys were lost: location %q, vnetCidr %q, podCidr %q", s.Location, s.Network.VnetCidr, s.Cluster.PodCidr)
	}
	if s.Network.VnetName != "aks-kubenet-dev-vnet" || s.Cluster.Name != "aks-kubenet-dev-aks" {
		t.Errorf("defaults were not applied: %q, %q", s.Network.VnetName, s.Cluster.Name)
	}
	if s.Cluster.NodeCount != nil || s.Cluster.MinCount != nil || s.Cluster.Zones != nil || s.Tags != nil {
		t.Errorf("values that did not decode are set: nodeCount %v, minCount %v, zones %q, tags %v",
			s.Cluster.NodeCount, s.Cluster.MinCount, s.Cluster.Zones, s.Tags)
	}
	if s.Cluster.MaxPods == nil || *s.Cluster.MaxPods != DefaultMaxPods {
		t.Errorf("maxPods %v: a value that did not decode takes the default", s.Cluster.MaxPods)
	}
	if len(s.Network.Routes) != 2 || s.Network.Routes[0].Name != "r" || s.Network.Routes[1] != (Route{}) {
		t.Errorf("routes %+v: want the route that decoded and an empty one", s.Network.Routes)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if key, _, ok := strings.Cut(line, ": "); !ok || strings.Contains(key, " ") {
			t.Errorf("problem %q does not start with its key and \": \"", line)
		}
	}
}
