package plan

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// loadValues is spec.Load of config values as the stack file gives them, with
// the isSet of those values.
func loadValues(t *testing.T, stack string, values map[string]string) (spec.Stack, func(string) bool) {
	t.Helper()
	s, err := spec.Load(stack, func(key string) (string, bool) {
		v, ok := values[key]
		return v, ok
	})
	if err != nil {
		t.Fatalf("config does not load: %v", err)
	}
	return s, func(key string) bool { return isSet(values, key) }
}

// prodValues are prod's config values with edits made to its network and
// cluster objects and the top-level keys (a nil value deletes the key).
func prodValues(t *testing.T, network, cluster map[string]any, top map[string]any) map[string]string {
	t.Helper()
	objects := map[string]map[string]any{
		spec.KeyNetwork: {"vnetName": "aks-prod-weu-vnet", "subnetName": "aks-nodes", "routeTableName": "aks-prod-weu-rt", "vnetCidr": "10.20.0.0/16"},
		spec.KeyCluster: {"name": "aks-prod-weu", "nodeCount": 3},
	}
	values := map[string]string{spec.KeyLocation: "westeurope", spec.KeyResourceGroupName: "aks-kubenet-prod-weu-rg"}
	for key, edits := range map[string]map[string]any{spec.KeyNetwork: network, spec.KeyCluster: cluster} {
		for k, v := range edits {
			if v == nil {
				delete(objects[key], k)
			} else {
				objects[key][k] = v
			}
		}
		raw, err := json.Marshal(objects[key])
		if err != nil {
			t.Fatal(err)
		}
		values[key] = string(raw)
	}
	for k, v := range top {
		if v == nil {
			delete(values, k)
			continue
		}
		raw, _ := json.Marshal(v)
		if s, ok := v.(string); ok {
			values[k] = s
		} else {
			values[k] = string(raw)
		}
	}
	return values
}

func TestRenames(t *testing.T) {
	const tail = ". Azure cannot rename; Pulumi would delete and re-create it (and everything in it), and a protected resource makes pulumi up refuse: see docs/operations.md, 'Changing a stack'"
	cases := []struct {
		name                     string
		network, cluster         map[string]any
		top                      map[string]any
		want                     []string // one substring per finding, in order
		wantExact                string   // the first finding, in full
		baseNetwork, baseCluster map[string]any
	}{
		{name: "nothing renamed"},
		{
			name:    "a setting that is no name",
			network: map[string]any{"nsg": true}, cluster: map[string]any{"nodeCount": 5, "vmSize": "Standard_D8s_v5"},
		},
		{
			name:      "route table renamed",
			network:   map[string]any{"routeTableName": "aks-prod-weu-rt2"},
			wantExact: "stack prod renames the route table: network.routeTableName aks-prod-weu-rt -> aks-prod-weu-rt2" + tail,
		},
		{
			name:    "VNet and subnet renamed",
			network: map[string]any{"vnetName": "vnet2", "subnetName": "nodes2"},
			want: []string{
				"stack prod renames the VNet: network.vnetName aks-prod-weu-vnet -> vnet2. ",
				"stack prod renames the node subnet: network.subnetName aks-nodes -> nodes2. ",
			},
		},
		{
			name:    "a name changed only in case",
			network: map[string]any{"vnetName": "AKS-prod-weu-vnet"},
			want:    []string{"network.vnetName aks-prod-weu-vnet -> AKS-prod-weu-vnet"},
		},
		{
			name:    "cluster renamed, with the names that follow it",
			cluster: map[string]any{"name": "aks-prod-weu2"},
			want: []string{
				"stack prod renames the AKS cluster: cluster.name aks-prod-weu -> aks-prod-weu2. Azure cannot rename",
				"stack prod renames the cluster identity: cluster.identityName aks-prod-weu-identity (default, from cluster.name) -> aks-prod-weu2-identity (default, from cluster.name). Azure cannot rename; Pulumi would delete and re-create it (and its role assignments)",
				"stack prod changes the AKS cluster's DNS prefix: cluster.dnsPrefix aks-prod-weu (default, from cluster.name) -> aks-prod-weu2 (default, from cluster.name). AKS cannot change it on a cluster; Pulumi would delete and re-create the cluster (and everything in it)",
			},
		},
		{
			name:    "cluster renamed, the names that would follow it pinned",
			cluster: map[string]any{"name": "aks-prod-weu2", "identityName": "aks-prod-weu-identity", "dnsPrefix": "aks-prod-weu"},
			want:    []string{"stack prod renames the AKS cluster"},
		},
		{
			name:    "a name key removed: back to the default",
			network: map[string]any{"routeTableName": nil},
			want:    []string{"network.routeTableName aks-prod-weu-rt -> aks-kubenet-prod-rt (default, from the stack name)"},
		},
		{
			name: "resource group renamed",
			top:  map[string]any{spec.KeyResourceGroupName: "rg2"},
			want: []string{"stack prod renames the resource group: aks-kubenet:resourceGroupName aks-kubenet-prod-weu-rg -> rg2" + tail},
		},
		{
			name: "resourceGroupName moved to resourceGroup.name, same name",
			top:  map[string]any{spec.KeyResourceGroupName: nil, spec.KeyResourceGroup: map[string]any{"name": "aks-kubenet-prod-weu-rg"}},
		},
		{
			name: "resourceGroupName moved to resourceGroup.name, another name",
			top:  map[string]any{spec.KeyResourceGroupName: nil, spec.KeyResourceGroup: map[string]any{"name": "aks-prod-rg"}},
			want: []string{"stack prod renames the resource group: aks-kubenet:resourceGroupName aks-kubenet-prod-weu-rg -> aks-kubenet:resourceGroup.name aks-prod-rg. "},
		},
		{
			name:    "node resource group named where AKS named it",
			cluster: map[string]any{"nodeResourceGroup": "aks-prod-nodes"},
			want: []string{"stack prod renames the cluster's node resource group: cluster.nodeResourceGroup MC_aks-kubenet-prod-weu-rg_aks-prod-weu_westeurope (default, AKS's MC_<group>_<cluster>_<location>) -> aks-prod-nodes. " +
				"AKS cannot change it on a cluster; Pulumi would delete and re-create the cluster (and everything in it)"},
		},
		{
			name:    "node resource group named as AKS would",
			cluster: map[string]any{"nodeResourceGroup": "MC_aks-kubenet-prod-weu-rg_aks-prod-weu_westeurope"},
		},
		{
			name:        "node resource group renamed",
			baseCluster: map[string]any{"nodeResourceGroup": "nodes-a"},
			cluster:     map[string]any{"nodeResourceGroup": "nodes-b"},
			want:        []string{"cluster.nodeResourceGroup nodes-a -> nodes-b. "},
		},
		{name: "monitoring turned on", cluster: map[string]any{"monitoring": map[string]any{"enabled": true}}},
		{
			name:        "monitoring turned off",
			baseCluster: map[string]any{"monitoring": map[string]any{"enabled": true}},
		},
		{
			name:        "workspace named",
			baseCluster: map[string]any{"monitoring": map[string]any{"enabled": true}},
			cluster:     map[string]any{"monitoring": map[string]any{"enabled": true, "workspaceName": "prod-logs"}},
			wantExact: "stack prod renames the Log Analytics workspace: cluster.monitoring.workspaceName aks-prod-weu-logs (default, from cluster.name) -> prod-logs. " +
				"Azure cannot rename; Pulumi would delete and re-create it (and lose the logs in it), and a protected resource makes pulumi up refuse: see docs/operations.md, 'Changing a stack'",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, baseSet := loadValues(t, "prod", prodValues(t, tc.baseNetwork, tc.baseCluster, nil))
			head, headSet := loadValues(t, "prod", prodValues(t, tc.network, tc.cluster, tc.top))
			got := renames("prod", base, head, baseSet, headSet)
			want := tc.want
			if tc.wantExact != "" {
				want = []string{tc.wantExact}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			}
			for i, f := range got {
				if !strings.Contains(f, want[i]) {
					t.Errorf("finding %d = %q, want it to contain %q", i, f, want[i])
				}
			}
			if tc.wantExact != "" && got[0] != tc.wantExact {
				t.Errorf("finding = %q, want %q", got[0], tc.wantExact)
			}
		})
	}
}

func TestIsSet(t *testing.T) {
	values := map[string]string{
		spec.KeyResourceGroupName: "rg",
		spec.KeyResourceGroup:     `{"name":"rg"}`,
		spec.KeyNetwork:           `{"vnetName":"v"}`,
		spec.KeyCluster:           `"not an object"`,
		spec.KeyFirewall:          `{"nested":{"deep":1}}`,
		spec.KeyPools:             `[{"name":"general","vmSize":"Standard_D8s_v5"},{"name":"spot"}]`,
	}
	var got []string
	for _, key := range []string{
		spec.KeyResourceGroupName, spec.KeyResourceGroup + ".name", spec.KeyResourceGroup + ".existing",
		"network.vnetName", "network.subnetName", "cluster.name", spec.KeyTags, "firewall.nested.deep", "firewall.nested.other", "firewall.nested.deep.deeper",
		"pools[0].vmSize", "pools[1].vmSize", "pools[1].name", "pools[2].name", "pools[-1].name", "pools[x].name", "network[0].vnetName",
	} {
		if isSet(values, key) {
			got = append(got, key)
		}
	}
	if want := []string{spec.KeyResourceGroupName, spec.KeyResourceGroup + ".name", "network.vnetName", "firewall.nested.deep", "pools[0].vmSize", "pools[1].name"}; !slices.Equal(got, want) {
		t.Errorf("set keys = %q, want %q", got, want)
	}
}

// -base matches the user pools of a stack and its base by name: a change of
// what AKS cannot change on a pool is a finding, named by the pool and its
// keys; a pool in one checkout only is added or removed, which is no finding.
func TestComparePools(t *testing.T) {
	const (
		general = `{"name":"general","vmSize":"Standard_D8s_v5","zones":[1,2,3],"maxCount":30,"minCount":3}`
		spot    = `{"name":"spot","priority":"Spot","minCount":0,"maxCount":20}`
		tail    = ". AKS cannot change it on a pool and refuses the update, so pulumi up fails: add a pool under a new name instead, move the workloads, then remove this one: see docs/node-pools.md, 'Changing a pool'"
	)
	cases := []struct {
		name, base, head string
		want             []string // each finding in full, in order
		added, removed   []string
	}{
		{name: "no pools on either side", base: ``, head: ``},
		{name: "nothing changed", base: `[` + general + `,` + spot + `]`, head: `[` + general + `,` + spot + `]`},
		{
			name: "settings AKS changes in place", base: `[` + general + `]`,
			head: `[{"name":"general","vmSize":"Standard_D8s_v5","zones":[1,2,3],"maxCount":40,"minCount":1,"maxSurge":"33%","labels":{"a":"b"}}]`,
		},
		{
			name: "VM size changed",
			base: `[` + general + `]`, head: `[` + strings.Replace(general, "Standard_D8s_v5", "Standard_D16s_v5", 1) + `]`,
			want: []string{"stack prod changes pool general's VM size: pools[0].vmSize Standard_D8s_v5 -> Standard_D16s_v5. AKS cannot change it on a pool; " +
				"Pulumi would delete and re-create the pool (and the pods on its nodes), and a protected pool makes pulumi up refuse: " +
				"add a pool under a new name instead, move the workloads, then remove this one: see docs/node-pools.md, 'Changing a pool'"},
		},
		{
			name: "VM size set to the default it had",
			base: `[{"name":"general"}]`, head: `[{"name":"general","vmSize":"Standard_D4s_v5"}]`,
		},
		{
			name: "VM size unset: back to cluster.vmSize",
			base: `[` + general + `]`, head: `[{"name":"general","zones":[1,2,3],"maxCount":30,"minCount":3}]`,
			want: []string{"stack prod changes pool general's VM size: pools[0].vmSize Standard_D8s_v5 -> Standard_D4s_v5 (default, from cluster.vmSize). "},
		},
		{
			name: "zones, maxPods, OS and priority changed, pools matched by name",
			base: `[` + spot + `,{"name":"general","zones":[1,2,3]}]`,
			head: `[{"name":"general","zones":[1,2],"maxPods":50,"osSku":"AzureLinux","priority":"Spot"},` + spot + `]`,
			want: []string{
				"stack prod changes pool general's availability zones: pools[1].zones 1,2,3 -> pools[0].zones 1,2" + tail,
				"stack prod changes pool general's pods per node: pools[1].maxPods 110 (default) -> pools[0].maxPods 50" + tail,
				"stack prod changes pool general's OS SKU: pools[1].osSku Ubuntu (default) -> pools[0].osSku AzureLinux" + tail,
				"stack prod changes pool general's priority: pools[1].priority Regular (default) -> pools[0].priority Spot" + tail,
			},
		},
		{
			name: "zones removed",
			base: `[` + general + `]`, head: `[{"name":"general","vmSize":"Standard_D8s_v5","maxCount":30,"minCount":3}]`,
			want: []string{"stack prod changes pool general's availability zones: pools[0].zones 1,2,3 -> none (default)" + tail},
		},
		{
			name: "a pool renamed is a new pool and a removed one",
			base: `[` + general + `,` + spot + `]`, head: `[` + strings.Replace(general, `"general"`, `"general2"`, 1) + `,` + spot + `]`,
			added: []string{"general2"}, removed: []string{"general"},
		},
		{name: "pools added", base: ``, head: `[` + general + `,` + spot + `]`, added: []string{"general", "spot"}},
		{name: "a pool removed", base: `[` + general + `,` + spot + `]`, head: `[` + spot + `]`, removed: []string{"general"}},
	}
	values := func(pools string) map[string]string {
		v := map[string]string{
			spec.KeyLocation: "westeurope", spec.KeyResourceGroupName: "aks-kubenet-prod-weu-rg",
			spec.KeyNetwork: `{"vnetCidr":"10.20.0.0/16"}`, spec.KeyCluster: `{"name":"aks-prod-weu","nodeCount":3,"vmSize":"Standard_D4s_v5"}`,
		}
		if pools != "" {
			v[spec.KeyPools] = pools
		}
		return v
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, baseSet := loadValues(t, "prod", values(tc.base))
			head, headSet := loadValues(t, "prod", values(tc.head))
			got, diff := comparePools("prod", base, head, baseSet, headSet)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, f := range got {
				if !strings.HasPrefix(f, tc.want[i]) || strings.HasSuffix(tc.want[i], "'") && f != tc.want[i] {
					t.Errorf("finding %d =\n%q, want\n%q", i, f, tc.want[i])
				}
			}
			if !slices.Equal(diff.Added, tc.added) || !slices.Equal(diff.Removed, tc.removed) {
				t.Errorf("added %q, removed %q; want %q, %q", diff.Added, diff.Removed, tc.added, tc.removed)
			}
		})
	}
}
