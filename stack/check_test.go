package stack

import (
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/internal/configtest"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// devValues is a valid stack's config, as the dev stack file has it.
func devValues() map[string]string {
	return map[string]string{
		spec.KeyLocation:       "eastus",
		spec.KeySubscriptionID: "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
		spec.KeyResourceGroup:  `{"name":"aks-kubenet-rg"}`,
		spec.KeyProtect:        "false",
		spec.KeyTags:           `{"environment":"dev"}`,
		spec.KeyNetwork: `{"vnetCidr":"10.0.0.0/16","nodeSubnetCidr":"10.0.1.0/24","routes":[` +
			`{"name":"default-route","addressPrefix":"0.0.0.0/0","nextHopType":"VirtualAppliance","nextHopIpAddress":"10.0.2.4"}]}`,
		spec.KeyCluster: `{"nodeCount":3,"podCidr":"10.244.0.0/16","serviceCidr":"10.1.4.0/24","dnsServiceIP":"10.1.4.10"}`,
	}
}

// set sets one field of the JSON object at key; a nil value removes it.
var set = configtest.SetField

// Check reports what does not decode and the rules' findings on what does in
// one report, and no finding about a key that did not decode.
func TestCheckReportsDecodeProblemsAndRuleErrorsTogether(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, v map[string]string)
		keys   []string // all config keys, when known
		want   []string // the errors, in order, each a prefix of one
		never  string   // in no error nor warning
	}{
		{name: "valid", mutate: func(*testing.T, map[string]string) {}},
		{
			name: "an unknown key does not hide a rule error",
			mutate: func(t *testing.T, v map[string]string) {
				set(t, v, spec.KeyNetwork, "vnetCIDR", "10.0.0.0/16")
				set(t, v, spec.KeyCluster, "podCidr", "10.0.128.0/17")
			},
			want: []string{
				"network.vnetCIDR: unknown key (did you mean vnetCidr?)",
				"cluster.podCidr 10.0.128.0/17 overlaps network.vnetCidr 10.0.0.0/16",
			},
		},
		{
			name: "a mistyped value is not also missing",
			mutate: func(t *testing.T, v map[string]string) {
				set(t, v, spec.KeyCluster, "nodeCount", "three")
				set(t, v, spec.KeyCluster, "maxPods", 300)
			},
			want: []string{
				`cluster.nodeCount: want a whole number, got "three"`,
				"cluster.maxPods 300 is outside 10-250",
			},
			never: "cluster.nodeCount is missing",
		},
		{
			name:   "a mistyped count is not 0",
			mutate: func(t *testing.T, v map[string]string) { set(t, v, spec.KeyCluster, "maxPods", "many") },
			want:   []string{`cluster.maxPods: want a whole number, got "many"`},
			never:  "maxPods 0",
		},
		{
			name: "a key that did not decode is in no finding",
			mutate: func(t *testing.T, v map[string]string) {
				set(t, v, spec.KeyCluster, "minCount", "five")
				set(t, v, spec.KeyCluster, "maxCount", 5)
			},
			want:  []string{`cluster.minCount: want a whole number, got "five"`},
			never: "is set without cluster.minCount",
		},
		{
			name:   "a list that did not decode has no findings inside",
			mutate: func(t *testing.T, v map[string]string) { set(t, v, spec.KeyNetwork, "routes", "0.0.0.0/0") },
			want:   []string{`network.routes: want a list of objects, got "0.0.0.0/0"`},
			never:  "RouteTableMissingDefaultRouteError",
		},
		{
			name: "an item that did not decode has no findings inside",
			mutate: func(t *testing.T, v map[string]string) {
				set(t, v, spec.KeyNetwork, "routes", []any{"default", map[string]any{"name": "r", "addressPrefix": "10.9.0.0/16", "nextHopType": "Firewall"}})
			},
			want: []string{`network.routes[0]: want an object of keys, got "default"`, `network.routes[1].nextHopType "Firewall" is not a next hop type`},
		},
		{
			name:   "tags that do not decode",
			mutate: func(t *testing.T, v map[string]string) { v[spec.KeyTags] = `{"env":1}` },
			want:   []string{`tags: want a map of string keys to string values, got {"env":1}`},
		},
		{
			name:   "a resource group name that does not decode",
			mutate: func(t *testing.T, v map[string]string) { v[spec.KeyResourceGroup] = `{"name":7,"existing":true}` },
			want:   []string{"resourceGroup.name: want a string"},
			never:  "is missing: name the existing group",
		},
		{
			name: "a missing object skips its rules, not the others'",
			mutate: func(t *testing.T, v map[string]string) {
				delete(v, spec.KeyNetwork)
				set(t, v, spec.KeyCluster, "maxPods", 300)
			},
			want:  []string{"network: missing", "cluster.maxPods 300 is outside 10-250"},
			never: "network.",
		},
		{
			name: "an object that is not one skips its rules",
			mutate: func(t *testing.T, v map[string]string) {
				v[spec.KeyCluster] = `"aks"`
				set(t, v, spec.KeyNetwork, "nodeSubnetCidr", "10.9.1.0/24")
			},
			want:  []string{`cluster: want an object of keys, got "aks"`, "network.nodeSubnetCidr 10.9.1.0/24 is not inside network.vnetCidr 10.0.0.0/16"},
			never: "cluster.",
		},
		{
			name:   "unknown top-level keys come first",
			mutate: func(t *testing.T, v map[string]string) { set(t, v, spec.KeyCluster, "nodeCount", 0) },
			keys:   []string{spec.KeyLocation, spec.KeyNetwork, spec.KeyCluster, "aks-kubenet:tag", "aks-kubenet:firewal", "azure-native:clientSecret", "pulumi:tags"},
			want: []string{
				"aks-kubenet:firewal: unknown key (did you mean aks-kubenet:firewall?)",
				"aks-kubenet:tag: unknown key (did you mean aks-kubenet:tags?)",
				"cluster.nodeCount 0 is less than 1",
			},
		},
		{
			name:   "without the list of keys only the known keys are read",
			mutate: func(t *testing.T, v map[string]string) { v["aks-kubenet:firewal"] = `{"subnetCidr":"10.0.2.0/26"}` },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			values := devValues()
			tc.mutate(t, values)
			_, report := Check("dev", func(key string) (string, bool) {
				v, ok := values[key]
				return v, ok
			}, tc.keys...)
			var got []string
			for _, f := range report.Errors {
				got = append(got, f.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("error %d = %q, want %q", i, got[i], want)
				}
			}
			for _, f := range append(report.Errors, report.Warnings...) {
				if tc.never != "" && strings.Contains(f.String(), tc.never) {
					t.Errorf("finding %q mentions %q", f, tc.never)
				}
			}
		})
	}
}
