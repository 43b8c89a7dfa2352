package tests

import (
	"strings"
	"testing"
)

// A refused config returns an error that names the key, the value and the rule,
// and registers nothing at all: no resource group, no component.
func TestRefusedConfigRegistersNothing(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, cfg map[string]string)
		want   []string // substrings of the error
	}{
		{
			name:   "missing network object",
			mutate: func(t *testing.T, cfg map[string]string) { delete(cfg, "aks-kubenet:network") },
			want:   []string{"network", "missing"},
		},
		{
			name:   "missing cluster object",
			mutate: func(t *testing.T, cfg map[string]string) { delete(cfg, "aks-kubenet:cluster") },
			want:   []string{"cluster", "missing"},
		},
		{
			name:   "missing location",
			mutate: func(t *testing.T, cfg map[string]string) { delete(cfg, "azure-native:location") },
			want:   []string{"azure-native:location"},
		},
		{
			name:   "network is not an object",
			mutate: func(t *testing.T, cfg map[string]string) { cfg["aks-kubenet:network"] = "10.0.0.0/16" },
			want:   []string{"network", "want an object", "10.0.0.0/16"},
		},
		{
			name: "misspelled key",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:network", "vnetCIDR", "10.0.0.0/16")
			},
			want: []string{"network.vnetCIDR", "unknown key", "did you mean vnetCidr"},
		},
		{
			name: "node count is text",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:cluster", "nodeCount", "three")
			},
			want: []string{"cluster.nodeCount", `"three"`, "whole number"},
		},
		{
			name: "missing VNet CIDR",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:network", "vnetCidr", nil)
			},
			want: []string{"network.vnetCidr"},
		},
		{
			name: "unparsable pod CIDR",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:cluster", "podCidr", "10.244.0.0/33")
			},
			want: []string{"cluster.podCidr", "10.244.0.0/33"},
		},
		{
			name: "unparsable DNS service IP",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:cluster", "dnsServiceIP", "10.0.4.300")
			},
			want: []string{"cluster.dnsServiceIP", "10.0.4.300"},
		},
		{
			name: "unknown next hop type",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:network", "routes", []any{map[string]any{
					"name": "default-route", "addressPrefix": "0.0.0.0/0", "nextHopType": "Firewall", "nextHopIpAddress": "10.0.2.4",
				}})
			},
			want: []string{"network.routes[0]", "Firewall", "VirtualAppliance"},
		},
		{
			name: "pod CIDR inside the VNet",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:cluster", "podCidr", "10.0.128.0/17")
			},
			want: []string{"cluster.podCidr 10.0.128.0/17", "network.vnetCidr 10.0.0.0/16"},
		},
		{
			name: "no default route with userDefinedRouting (and no firewall or hub)",
			mutate: func(t *testing.T, cfg map[string]string) {
				delete(cfg, "aks-kubenet:firewall")
				setJSON(t, cfg, "aks-kubenet:network", "routes", []any{})
			},
			want: []string{"0.0.0.0/0", "RouteTableMissingDefaultRouteError"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := refusedDev(t, tc.mutate)
			for _, want := range tc.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, r.err)
				}
			}
			if len(r.resources) != 0 {
				t.Errorf("a refused config registered %d resources, e.g. %s %s", len(r.resources), r.resources[0].Type, r.resources[0].Name)
			}
		})
	}
}

// Every problem is reported in one run, not the first one only.
func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	cfg := devConfig(t)
	setJSON(t, cfg, "aks-kubenet:network", "vnetCIDR", "10.0.0.0/16")
	setJSON(t, cfg, "aks-kubenet:cluster", "nodeCount", "three")
	setJSON(t, cfg, "aks-kubenet:cluster", "maxPods", "many")
	r := runProgram(t, "dev", cfg)
	if r.err == nil {
		t.Fatal("program accepted a bad config")
	}
	for _, want := range []string{"network.vnetCIDR", "cluster.nodeCount", "cluster.maxPods", "3 errors"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, r.err)
		}
	}

	cfg = devConfig(t)
	setJSON(t, cfg, "aks-kubenet:cluster", "podCidr", "10.0.0.0/16")
	setJSON(t, cfg, "aks-kubenet:cluster", "dnsServiceIP", "10.0.5.10")
	setJSON(t, cfg, "aks-kubenet:cluster", "maxPods", 300)
	r = runProgram(t, "dev", cfg)
	if r.err == nil {
		t.Fatal("program accepted a bad config")
	}
	for _, want := range []string{"cluster.podCidr 10.0.0.0/16", "cluster.dnsServiceIP 10.0.5.10", "cluster.maxPods 300"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, r.err)
		}
	}
	if len(r.resources) != 0 {
		t.Errorf("a refused config registered %d resources", len(r.resources))
	}
}

// Warnings are reported and the run goes on: a firewall outside the VNet and
// every peered range is probably unreachable, but it is the user's call.
func TestWarningsDoNotStopTheRun(t *testing.T) {
	cfg := devConfig(t)
	delete(cfg, "aks-kubenet:firewall") // egress mode 1: the user's own next hop
	setJSON(t, cfg, "aks-kubenet:network", "routes", []any{map[string]any{
		"name": "default-route", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "172.20.0.4",
	}})
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	if len(r.warnings) != 3 {
		t.Errorf("want 3 warnings (service CIDR in VNet, unreachable next hop, its public IP among the authorized ranges), got %q", r.warnings)
	}
	found := false
	for _, w := range r.warnings {
		found = found || strings.Contains(w, "172.20.0.4")
	}
	if !found {
		t.Errorf("no warning names the next hop 172.20.0.4: %q", r.warnings)
	}
	if len(r.byType(tCluster)) != 1 {
		t.Error("the cluster was not registered despite only warnings")
	}
}

// A key that does not decode hides no rule error in the keys that do, and is
// not reported a second time by the rules: every problem is in one report,
// once.
func TestDecodeProblemsAndRuleErrorsAreReportedTogether(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, cfg map[string]string)
		want   []string // the report's lines, in order
		never  string
	}{
		{
			name: "a misspelled key and a rule error",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:network", "vnetCidrs", "10.0.0.0/16")
				setJSON(t, cfg, "aks-kubenet:cluster", "maxPods", 300)
			},
			want: []string{
				"network.vnetCidrs: unknown key (did you mean vnetCidr?)",
				"cluster.maxPods 300 is outside 10-250",
			},
		},
		{
			name: "a mistyped count is not also missing",
			mutate: func(t *testing.T, cfg map[string]string) {
				setJSON(t, cfg, "aks-kubenet:cluster", "nodeCount", "three")
				setJSON(t, cfg, "aks-kubenet:cluster", "podCIDR", "10.244.0.0/16")
				setJSON(t, cfg, "aks-kubenet:cluster", "dnsServiceIP", "10.0.5.10")
			},
			want: []string{
				"cluster.nodeCount: want a whole number, got \"three\"",
				"cluster.podCIDR: unknown key (did you mean podCidr?)",
				"cluster.dnsServiceIP 10.0.5.10 is not inside cluster.serviceCidr 10.0.4.0/24",
			},
			never: "cluster.nodeCount is missing",
		},
		{
			name: "a missing object and a rule error in another",
			mutate: func(t *testing.T, cfg map[string]string) {
				delete(cfg, "aks-kubenet:network")
				setJSON(t, cfg, "aks-kubenet:cluster", "maxPods", 300)
			},
			want: []string{
				"network: missing: set the aks-kubenet:network object",
				"cluster.maxPods 300 is outside 10-250",
			},
			never: "network.vnetCidr",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := refusedDev(t, tc.mutate)
			_, list, _ := strings.Cut(r.err.Error(), "):\n")
			lines := strings.Split(strings.TrimSpace(list), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("want %d errors, got %d:\n%v", len(tc.want), len(lines), r.err)
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(strings.TrimSpace(lines[i]), "- "+want) {
					t.Errorf("error %d = %q, want %q", i, lines[i], want)
				}
			}
			if tc.never != "" && strings.Contains(r.err.Error(), tc.never) {
				t.Errorf("error mentions %q:\n%v", tc.never, r.err)
			}
			if len(r.resources) != 0 {
				t.Errorf("a refused config registered %d resources", len(r.resources))
			}
		})
	}
}

// refusedDev runs the program on the dev stack changed by mutate, as pulumi
// up would, failing the test when the program accepts the config.
func refusedDev(t *testing.T, mutate func(*testing.T, map[string]string)) run {
	t.Helper()
	cfg := devConfig(t)
	mutate(t, cfg)
	r := runProgram(t, "dev", cfg)
	if r.err == nil {
		t.Fatal("program accepted a bad config")
	}
	return r
}
