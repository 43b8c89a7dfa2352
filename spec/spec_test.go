package spec

import (
	"encoding/json"
	"strings"
	"testing"
)

func source(values map[string]string) Source {
	return func(key string) (string, bool) {
		v, ok := values[key]
		return v, ok
	}
}

func TestLoadDecodesTheConfigContract(t *testing.T) {
	s, err := Load("dev", source(map[string]string{
		KeyLocation:          "eastus",
		KeyTags:              `{"env":"dev"}`,
		KeySSHPublicKey:      "ssh-ed25519 AAAA",
		KeyNetwork:           `{"vnetCidr":"10.0.0.0/16","nodeSubnetCidr":"10.0.1.0/24","peeredCidrs":["10.1.0.0/16"],"routes":[{"name":"default-route","addressPrefix":"0.0.0.0/0","nextHopType":"VirtualAppliance","nextHopIpAddress":"10.0.2.4"}]}`,
		KeyCluster:           `{"nodeCount":3,"minCount":3,"maxCount":10,"maxSurge":2,"podCidr":"10.244.0.0/16","serviceCidr":"10.0.4.0/24","dnsServiceIP":"10.0.4.10","kubernetesVersion":"1.31"}`,
		KeyResourceGroupName: "my-rg",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Location != "eastus" || s.ResourceGroup.Name != "my-rg" || s.Tags["env"] != "dev" || !s.HasSSHPublicKey {
		t.Errorf("top-level keys: %+v", s)
	}
	n := s.Network
	if n.VnetCidr != "10.0.0.0/16" || n.NodeSubnetCidr != "10.0.1.0/24" || len(n.PeeredCidrs) != 1 || len(n.Routes) != 1 ||
		n.Routes[0] != (Route{Name: "default-route", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.2.4"}) {
		t.Errorf("network: %+v", n)
	}
	c := s.Cluster
	if *c.NodeCount != 3 || *c.MinCount != 3 || *c.MaxCount != 10 || c.MaxSurge != "2" || c.KubernetesVersion != "1.31" ||
		c.PodCidr != "10.244.0.0/16" || c.ServiceCidr != "10.0.4.0/24" || c.DNSServiceIP != "10.0.4.10" {
		t.Errorf("cluster: %+v", c)
	}
	if !c.Autoscaling() || c.MaxNodes() != 10 {
		t.Errorf("Autoscaling %v, MaxNodes %d", c.Autoscaling(), c.MaxNodes())
	}
}

func TestLoadAppliesDefaults(t *testing.T) {
	s, err := Load("qa", source(map[string]string{KeyNetwork: `{}`, KeyCluster: `{}`}))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		s.ResourceGroup.Name:       "aks-kubenet-qa-rg",
		s.Network.VnetName:         "aks-kubenet-qa-vnet",
		s.Network.SubnetName:       "aks-kubenet-qa-nodes",
		s.Network.RouteTableName:   "aks-kubenet-qa-rt",
		s.Cluster.Name:             "aks-kubenet-qa-aks",
		s.Cluster.DNSPrefix:        "aks-kubenet-qa-aks",
		s.Cluster.IdentityName:     "aks-kubenet-qa-aks-identity",
		s.Cluster.NodePoolName:     DefaultNodePoolName,
		s.Cluster.VMSize:           DefaultVMSize,
		s.Cluster.OutboundType:     OutboundUserDefinedRouting,
		string(s.Cluster.MaxSurge): "1",
	} {
		if got != want {
			t.Errorf("default %q, want %q", got, want)
		}
	}
	if *s.Cluster.MaxPods != 110 || s.Cluster.NodeCount != nil || s.Cluster.PodCidr != "" {
		t.Errorf("maxPods %d, nodeCount %v, podCidr %q: required keys must stay unset", *s.Cluster.MaxPods, s.Cluster.NodeCount, s.Cluster.PodCidr)
	}
	if s.HasSSHPublicKey || s.Location != "" {
		t.Error("unset keys were filled in")
	}
}

func TestLoadReportsEveryStructuralProblem(t *testing.T) {
	_, err := Load("dev", source(map[string]string{
		KeyTags:    `["a"]`,
		KeyNetwork: `{"vnetCIDR":"10.0.0.0/16","peeredCidrs":"10.1.0.0/16","routes":[{"name":"r","nextHop":"x"},"oops"],"hue":"blue"}`,
		KeyCluster: `{"nodeCount":"three","kubernetesVersion":1.31,"maxSurge":true}`,
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{
		"tags: want a map",
		"network.vnetCIDR: unknown key (did you mean vnetCidr?)",
		"network.peeredCidrs: want a list of strings",
		"network.routes[0].nextHop: unknown key (known keys: addressPrefix, name, nextHopIpAddress, nextHopType)",
		"network.routes[1]: want an object",
		"network.hue: unknown key",
		`cluster.nodeCount: want a whole number, got "three"`,
		"cluster.kubernetesVersion: want a string",
		"got 1.31",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 8 {
		t.Errorf("want 8 problems, one per line, got %d:\n%v", n, err)
	}

	_, err = Load("dev", source(map[string]string{}))
	if err == nil || !strings.Contains(err.Error(), "network: missing") || !strings.Contains(err.Error(), "cluster: missing") {
		t.Errorf("missing objects: %v", err)
	}
	_, err = Load("dev", source(map[string]string{KeyNetwork: "null", KeyCluster: "[1]"}))
	if err == nil || !strings.Contains(err.Error(), "network: want an object of keys, got null") ||
		!strings.Contains(err.Error(), "cluster: want an object of keys, got [1]") {
		t.Errorf("non-objects: %v", err)
	}
}

func TestSurge(t *testing.T) {
	cases := []struct {
		in      string
		pool    int
		want    int
		wantErr bool
	}{
		{"", 3, 1, false},
		{"1", 3, 1, false},
		{"5", 3, 5, false},
		{"33%", 3, 1, false},
		{"33%", 20, 7, false},
		{"100%", 20, 20, false},
		{"10%", 1, 1, false},
		{"0", 3, 0, true},
		{"-1", 3, 0, true},
		{"0%", 3, 0, true},
		{"101%", 3, 0, true},
		{"abc", 3, 0, true},
		{"1.5", 3, 0, true},
	}
	for _, tc := range cases {
		got, err := Surge(tc.in).Nodes(tc.pool)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Surge(%q).Nodes(%d) = %d, %v; want %d, error %v", tc.in, tc.pool, got, err, tc.want, tc.wantErr)
		}
	}
	for raw, want := range map[string]Surge{`3`: "3", `"3"`: "3", `"33%"`: "33%", ` 2 `: "2"} {
		var s Surge
		if err := json.Unmarshal([]byte(raw), &s); err != nil || s != want {
			t.Errorf("unmarshal %s = %q, %v; want %q", raw, s, err, want)
		}
	}
}

func TestDefaultNamesAreValidForAnyStackName(t *testing.T) {
	s := Defaults(Stack{Name: "team.dev_eu", Cluster: Cluster{Name: "my_cluster_with_a_name_that_is_much_longer_than_a_dns_prefix_may_be"}})
	if s.ResourceGroup.Name != "aks-kubenet-team-dev-eu-rg" || s.Cluster.IdentityName != "my_cluster_with_a_name_that_is_much_longer_than_a_dns_prefix_may_be-identity" {
		t.Errorf("names from stack team.dev_eu: %q, %q", s.ResourceGroup.Name, s.Cluster.IdentityName)
	}
	if s.Cluster.DNSPrefix != "my-cluster-with-a-name-that-is-much-longer-than-a-dns" || len(s.Cluster.DNSPrefix) > 54 {
		t.Errorf("dnsPrefix from cluster name = %q", s.Cluster.DNSPrefix)
	}
	if got := Defaults(Stack{Name: "-x-"}).Cluster.Name; got != "aks-kubenet-x-aks" {
		t.Errorf("cluster name from stack -x- = %q", got)
	}
	var surge Surge
	if err := json.Unmarshal([]byte("null"), &surge); err != nil || surge != "" {
		t.Errorf("null maxSurge = %q, %v; want unset", surge, err)
	}
}

func TestLoadSafetyKeys(t *testing.T) {
	s, err := Load("prod", source(map[string]string{
		KeySubscriptionID:   " 0b1f6471-1bf0-4dda-aec3-cb9272f09590 ",
		KeyResourceGroup:    `{"name":"platform-rg","existing":true}`,
		KeyProtect:          "false",
		KeyExportKubeconfig: "true",
		KeyNetwork:          `{"nsg":true}`,
		KeyCluster:          `{"zones":[1,"2",3]}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if s.Subscription != "0b1f6471-1bf0-4dda-aec3-cb9272f09590" || s.ResourceGroup != (ResourceGroup{Name: "platform-rg", Existing: true}) ||
		s.ResourceGroupKey != KeyResourceGroup+".name" || s.Protect || !s.ExportKubeconfig {
		t.Errorf("top-level keys: %+v", s)
	}
	if !s.Network.NSG || s.Network.NSGName != "aks-kubenet-prod-nodes-nsg" {
		t.Errorf("nsg %v, name %q", s.Network.NSG, s.Network.NSGName)
	}
	if strings.Join(s.Cluster.Zones, ",") != "1,2,3" {
		t.Errorf("zones %q, want 1,2,3", s.Cluster.Zones)
	}

	defaults, err := Load("dev", source(map[string]string{KeyNetwork: `{}`, KeyCluster: `{}`}))
	if err != nil {
		t.Fatal(err)
	}
	if !defaults.Protect || defaults.ExportKubeconfig || defaults.Network.NSG || defaults.Network.NSGName != "" || defaults.Cluster.Zones != nil {
		t.Errorf("defaults: protect %v, exportKubeconfig %v, nsg %v %q, zones %v", defaults.Protect, defaults.ExportKubeconfig,
			defaults.Network.NSG, defaults.Network.NSGName, defaults.Cluster.Zones)
	}
}

func TestLoadSafetyKeyErrors(t *testing.T) {
	_, err := Load("dev", source(map[string]string{
		KeyResourceGroupName: "rg",
		KeyResourceGroup:     `{"name":"rg"}`,
		KeyProtect:           "yes please",
		KeyExportKubeconfig:  "1x",
		KeyNetwork:           `{"nsg":"on"}`,
		KeyCluster:           `{"zones":"1,2"}`,
	}))
	for _, want := range []string{
		"resourceGroupName: set aks-kubenet:resourceGroup or aks-kubenet:resourceGroupName, not both",
		`protect: want true or false, got yes please`,
		`exportKubeconfig: want true or false, got 1x`,
		`network.nsg: want true or false, got "on"`,
		`cluster.zones: want a list of strings or numbers, such as [1, 2, 3], got "1,2"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error containing %q, got %v", want, err)
		}
	}
}

// A max surge the CLI hands over as a number in exponent form reads as the
// number written out, so that a refusal shows it as the user wrote it.
func TestSurgeNumberForms(t *testing.T) {
	for in, want := range map[string]Surge{`3`: "3", `1e+06`: "1000000", `"33%"`: "33%", `2.5`: "2.5", `null`: ""} {
		var s Surge
		if err := s.UnmarshalJSON([]byte(in)); err != nil || s != want {
			t.Errorf("Surge from %s = %q, %v; want %q", in, s, err, want)
		}
	}
}
