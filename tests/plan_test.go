package tests

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/plan"
)

// runPlan runs the plan command with args and returns its exit status, stdout
// and stderr.
func runPlan(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	status := plan.Main(args, &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

func wantContains(t *testing.T, what, text string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(text, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, text)
		}
	}
}

func TestPlanTextForTheDevStack(t *testing.T) {
	status, out, errs := runPlan("-dir", "..", "-stack", "dev")
	if status != plan.ExitOK || errs != "" {
		t.Fatalf("exit %d, stderr %q", status, errs)
	}
	wantContains(t, "plan", out,
		"Stack dev (", "location eastus",
		"Findings: 0 errors, 3 warnings",
		"warning: cluster.serviceCidr 10.0.4.0/24",
		"warning: azure-native:subscriptionId is the placeholder 00000000-0000-0000-0000-000000000000",
		"warning: cluster.clusterAdmins[0] is the placeholder 00000000-0000-0000-0000-000000000000",
		// the IP plan and its capacity
		"VNet            10.0.0.0/16        65536 addresses",
		"Node subnet     10.0.1.0/24        256 addresses, 251 usable (Azure reserves 5)\n",
		"Pod CIDR        10.244.0.0/16      256 nodes at one /24 per node",
		"Service CIDR    10.0.4.0/24        256 addresses",
		"DNS service IP  10.0.4.10",
		"Route table     6 of 1000 routes at the peak: 4 AKS node routes + 2 user-defined\n",
		// one pool, so no total row
		"  Node pools      pool    mode    priority  nodes                surge  peak\n"+
			"                  system  System  Regular   cluster.nodeCount 3  1      4\n"+
			"  Node ceiling    4 of 251 nodes at the upgrade peak, bound first by the node subnet (network.nodeSubnetCidr): 247 to spare\n"+
			"                  then pod CIDR 256 (252 to spare), kubenet 400 (396 to spare), route table 998 (994 to spare)\n",
		// egress mode 2: the firewall and its rules, each with its source
		"Egress: Azure Firewall aks-kubenet-dev-fw (Standard) in 10.0.2.0/26, default route default-route to its private IP",
		"network     aks-apiserver-udp-1194   UDP to AzureCloud.eastus:1194 (required: https://learn.microsoft.com/azure/aks/outbound-rules-control-egress",
		"network     aks-apiserver-tcp-9000   TCP to AzureCloud.eastus:9000 (required: ",
		"application aks-fqdn-tag             Http:80,Https:443 to AzureKubernetesService (required: https://learn.microsoft.com/azure/aks/limit-egress-traffic",
		// every resource, with parents, dependencies and key properties
		"16 Azure resources in 6 components",
		"components: egress (aks-kubenet:network:RouteTable), firewall (aks-kubenet:network:Firewall), identity (aks-kubenet:iam:ClusterIdentity), network (aks-kubenet:network:VirtualNetwork), aks (aks-kubenet:cluster:AKSCluster), cluster-admins (aks-kubenet:iam:ClusterAdmins)",
		"subnetName: AzureFirewallSubnet",
		"  step 2  egress-table  azure-native:network:RouteTable\n      in component: egress (aks-kubenet:network:RouteTable)\n      depends on: resource-group\n",
		"routes: none inline",
		"nextHopType: VirtualAppliance\n      nextHopIpAddress: 10.0.2.4 (expected)",
		"role: Network Contributor (/subscriptions/<subscription-id>/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7)",
		"scope: /subscriptions/<subscription-id>/resourceGroups/aks-kubenet-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-subnet",
		"principalId: <known after apply>",
		// the cluster waits for the firewall's public IP, whose /32 it authorizes
		"  step 6  aks-cluster  azure-native:containerservice/v20240901:ManagedCluster\n      in component: aks (aks-kubenet:cluster:AKSCluster)\n"+
			"      depends on: egress-aks-kubenet-dev-fw-pip-1-internet, egress-default-route, firewall-firewall, firewall-pip-1, firewall-rules, identity-route-table-network-contributor, identity-subnet-network-contributor, identity-uami, network-node-subnet, resource-group\n",
		"networkProfile.podCidr: 10.244.0.0/16",
		"networkProfile.outboundType: userDefinedRouting",
		// the security posture's properties
		"networkProfile.networkPolicy: calico",
		"aadProfile.managed: true\n      aadProfile.enableAzureRBAC: true\n      disableLocalAccounts: true\n",
		"apiServerAccessProfile.enablePrivateCluster: false\n      apiServerAccessProfile.authorizedIPRanges: 203.0.113.0/24, <known after apply>\n",
		"autoUpgradeProfile.upgradeChannel: patch\n      autoUpgradeProfile.nodeOSUpgradeChannel: NodeImage\n",
		"oidcIssuerProfile.enabled: true\n      securityProfile.workloadIdentity.enabled: true\n",
		"securityProfile.imageCleaner.enabled: true\n      securityProfile.imageCleaner.intervalHours: 168\n",
		"addonProfiles.azurepolicy.enabled: true\n      addonProfiles.omsagent.enabled: false\n      sku.tier: Free\n",
		// the admins' grant, on the cluster
		"  step 7  cluster-admins-00000000-0000-0000-0000-000000000000  azure-native:authorization:RoleAssignment\n"+
			"      in component: cluster-admins (aks-kubenet:iam:ClusterAdmins)\n      depends on: aks-cluster\n"+
			"      role: Azure Kubernetes Service RBAC Cluster Admin (/subscriptions/<subscription-id>/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b)\n"+
			"      scope: /subscriptions/<subscription-id>/resourceGroups/aks-kubenet-rg/providers/Microsoft.ContainerService/managedClusters/aks-kubenet-cluster\n"+
			"      principalId: 00000000-0000-0000-0000-000000000000\n      principalType: Group\n",
	)
	if strings.Contains(out, "azure-native:containerservice:ManagedCluster") {
		t.Error("the plan shows the cluster under the old token azure-native:containerservice:ManagedCluster")
	}
	// The steps in order (six with the firewall: resource group, VNet,
	// firewall subnet, firewall, default route, cluster); one step's resources
	// are created in parallel.
	wantContains(t, "plan", out,
		"  step 1  resource-group ", "  step 2  network-vnet ", "  step 2  egress-table ", "  step 2  identity-uami ",
		"  step 2  firewall-policy ", "  step 2  firewall-pip-1 ",
		"  step 3  network-node-subnet ", "  step 3  firewall-subnet ", "  step 3  firewall-rules ", "  step 3  identity-route-table-network-contributor ",
		"  step 4  firewall-firewall ", "  step 4  identity-subnet-network-contributor ",
		"  step 5  egress-default-route ", "  step 6  aks-cluster ", "  step 7  cluster-admins-")
	if strings.Index(out, "  step 5 ") > strings.Index(out, "  step 6 ") || strings.Index(out, "  step 1 ") > strings.Index(out, "  step 2 ") ||
		strings.Index(out, "  step 6 ") > strings.Index(out, "  step 7 ") {
		t.Errorf("resources are not in step order:\n%s", out)
	}
}

func TestPlanMermaidIsTheREADMEDiagram(t *testing.T) {
	status, out, _ := runPlan("-dir", "..", "-stack", "dev", "-format", "mermaid")
	if status != plan.ExitOK {
		t.Fatalf("exit %d", status)
	}
	wantContains(t, "mermaid", out,
		"flowchart LR\n",
		`subgraph component_network["VirtualNetwork component: network"]`,
		`subgraph component_egress["RouteTable component: egress"]`,
		`subgraph component_identity["ClusterIdentity component: identity"]`,
		`subgraph component_aks["AKSCluster component: aks"]`,
		"resource_group --> network_vnet", "resource_group --> egress_table", "resource_group --> identity_uami",
		"network_vnet --> network_node_subnet", "egress_table --> network_node_subnet",
		"network_node_subnet --> identity_subnet_network_contributor",
		"egress_table --> identity_route_table_network_contributor",
		"identity_subnet_network_contributor --> aks_cluster", "identity_route_table_network_contributor --> aks_cluster",
		"egress_default_route --> aks_cluster",
	)
	if strings.Contains(out, "resource_group --> aks_cluster") {
		t.Error("the graph keeps an edge that a longer path implies")
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```mermaid\n"+out+"```") {
		t.Errorf("README.md does not embed the current dev graph; regenerate it with go run ./cmd/plan -stack dev -format mermaid:\n%s", out)
	}
}

func TestPlanJSONForEveryStack(t *testing.T) {
	status, out, _ := runPlan("-dir", "..", "-all", "-format", "json")
	if status != plan.ExitOK {
		t.Fatalf("exit %d", status)
	}
	var doc struct {
		Stacks []struct {
			Stack     string
			Errors    []string
			Warnings  []string
			IPPlan    *plan.IPPlan
			Resources []plan.Resource
			Network   plan.Network
		}
		CrossStackErrors []string
		OK               bool
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var names []string
	for _, s := range doc.Stacks {
		names = append(names, s.Stack)
		if len(s.Errors) != 0 {
			t.Errorf("stack %s has errors: %v", s.Stack, s.Errors)
		}
	}
	if !doc.OK || !slices.Equal(names, []string{"dev", "prod", "staging"}) || len(doc.CrossStackErrors) != 0 {
		t.Fatalf("stacks %v, ok %v, cross-stack errors %v; want dev, prod and staging, ok, none", names, doc.OK, doc.CrossStackErrors)
	}
	for _, s := range doc.Stacks[:2] {
		if n := s.Network; n.Plugin != "kubenet" || !n.PodRoutes || n.Dataplane != "" || n.Retires != "2028-03-31" || n.DaysLeft == nil {
			t.Errorf("stack %s network %+v, want kubenet with a route per node, retiring 2028-03-31", s.Stack, n)
		}
	}
	prod := doc.Stacks[1]
	if prod.IPPlan == nil || prod.IPPlan.Peak != 88 || prod.IPPlan.Binding.Name != "pod CIDR" || prod.IPPlan.SubnetUsable != 1019 || prod.IPPlan.RouteTableUsed != 90 {
		t.Fatalf("prod IP plan = %+v, want a peak of 88 nodes in three pools, 90 routes, 1019 usable, bound by the pod CIDR", prod.IPPlan)
	}
	// one row per pool, the system pool first, with what the text table shows
	wantPools := []string{
		`{"name":"system","countKey":"cluster.maxCount","surgeKey":"cluster.maxSurge","nodes":20,"surge":7,"peak":27,"mode":"System","priority":"Regular","maxSurge":"33%"}`,
		`{"name":"general","countKey":"pools[0].maxCount","surgeKey":"pools[0].maxSurge","nodes":30,"surge":10,"peak":40,"mode":"User","priority":"Regular","maxSurge":"33%"}`,
		`{"name":"spot","countKey":"pools[1].maxCount","surgeKey":"pools[1].maxSurge","spot":true,"nodes":20,"surge":1,"peak":21,"mode":"User","priority":"Spot","maxSurge":"1"}`,
	}
	if len(prod.IPPlan.Pools) != len(wantPools) {
		t.Fatalf("prod has %d pools in its IP plan, want %d: %+v", len(prod.IPPlan.Pools), len(wantPools), prod.IPPlan.Pools)
	}
	for i, want := range wantPools {
		if got := compactJSON(prod.IPPlan.Pools[i]); got != want {
			t.Errorf("prod pool %d = %s, want %s", i, got, want)
		}
	}
	if p := prod.IPPlan; p.Nodes != 70 || p.Surge != 18 {
		t.Errorf("prod pools total %d nodes + %d surge, want 70 + 18", p.Nodes, p.Surge)
	}
	dev := doc.Stacks[0]
	if dev.IPPlan == nil || len(dev.IPPlan.Pools) != 1 || dev.IPPlan.Pools[0].Name != "system" || dev.IPPlan.Pools[0].Peak != 4 {
		t.Errorf("dev IP plan pools = %+v, want the system pool alone, peaking at 4", dev.IPPlan)
	}
	var cluster *plan.Resource
	for i, r := range prod.Resources {
		if r.Type == tCluster {
			cluster = &prod.Resources[i]
		}
	}
	if cluster == nil || cluster.Parent != "aks" {
		t.Fatalf("no cluster in the aks component: %+v", prod.Resources)
	}
	profile, _ := cluster.Properties["networkProfile"].(map[string]any)
	if profile["podCidr"] != "10.245.0.0/16" || profile["outboundType"] != "userDefinedRouting" {
		t.Errorf("cluster network profile = %v", profile)
	}
	if len(prod.Resources) != 25 {
		t.Errorf("prod has %d resources, want 17 Azure resources (two of them node pools) and 8 components", len(prod.Resources))
	}

	// staging: Azure CNI Overlay with Cilium, its own firewall, a user pool.
	// Its capacity numbers follow the Overlay rules; only its shape is
	// pinned here.
	staging := doc.Stacks[2]
	if n := staging.Network; n.Plugin != "overlay" || n.Dataplane != "cilium" || n.PodRoutes || n.Retires != "" || n.DaysLeft != nil {
		t.Errorf("staging network %+v, want overlay with the cilium dataplane, no route per node, no retirement", n)
	}
	if staging.IPPlan == nil || staging.IPPlan.PodCidr != "100.64.0.0/16" || staging.IPPlan.NodeSubnetCidr != "10.30.0.0/22" {
		t.Fatalf("staging IP plan = %+v, want the node subnet 10.30.0.0/22 and the overlay range 100.64.0.0/16", staging.IPPlan)
	}
	var pools []string
	for _, p := range staging.IPPlan.Pools {
		pools = append(pools, p.Name)
	}
	if !slices.Equal(pools, []string{"system", "general"}) {
		t.Errorf("staging IP plan pools %v, want system and general", pools)
	}
	cluster = nil
	routes := map[string]string{}
	var agentPools []string
	for i, r := range staging.Resources {
		switch r.Type {
		case tCluster:
			cluster = &staging.Resources[i]
		case tRoute:
			routes[r.Name] = fmt.Sprint(r.Properties["nextHopType"])
		case tAgentPool:
			agentPools = append(agentPools, fmt.Sprint(r.Properties["agentPoolName"]))
		}
	}
	if cluster == nil || cluster.Parent != "aks" {
		t.Fatalf("no cluster in staging's aks component: %+v", staging.Resources)
	}
	profile, _ = cluster.Properties["networkProfile"].(map[string]any)
	for k, want := range map[string]string{"networkPlugin": "azure", "networkPluginMode": "overlay", "networkDataplane": "cilium", "networkPolicy": "cilium",
		"podCidr": "100.64.0.0/16", "serviceCidr": "10.31.0.0/24", "outboundType": "userDefinedRouting"} {
		if profile[k] != want {
			t.Errorf("staging cluster networkProfile.%s = %v, want %s", k, profile[k], want)
		}
	}
	// Egress mode 2: the default route to its own firewall and the
	// firewall's way to the internet; no other route (AKS writes none per
	// node with Overlay).
	if want := map[string]string{"egress-default-route": "VirtualAppliance", "egress-aks-kubenet-staging-fw-pip-1-internet": "Internet"}; !reflect.DeepEqual(routes, want) {
		t.Errorf("staging routes %v, want %v", routes, want)
	}
	if !slices.Equal(agentPools, []string{"general"}) {
		t.Errorf("staging agent pools %v, want general", agentPools)
	}
}

// writeProject makes a project directory with the committed Pulumi.yaml and
// the given stack files.
func writeProject(t *testing.T, stacks map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join("..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"Pulumi.yaml": string(project)}
	for name, text := range stacks {
		files["Pulumi."+name+".yaml"] = text
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func committedStack(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "Pulumi."+name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Two stacks whose VNets overlap cannot be peered to one hub: -all fails and
// names both stacks and both ranges.
func TestPlanAllRefusesOverlappingStacks(t *testing.T) {
	qa := strings.NewReplacer("10.20.", "10.0.", "westeurope", "northeurope").Replace(committedStack(t, "prod"))
	dir := writeProject(t, map[string]string{"dev": committedStack(t, "dev"), "qa": qa})

	status, out, _ := runPlan("-dir", dir, "-all")
	if status != plan.ExitFindings {
		t.Errorf("exit %d, want %d", status, plan.ExitFindings)
	}
	wantContains(t, "plan -all", out,
		"error: stack dev network.vnetCidr 10.0.0.0/16 overlaps stack qa network.vnetCidr 10.0.0.0/16",
	)
	status, out, _ = runPlan("-dir", dir, "-all", "-format", "json")
	if status != plan.ExitFindings || !strings.Contains(out, `"ok": false`) || !strings.Contains(out, "stack dev network.vnetCidr 10.0.0.0/16 overlaps stack qa") {
		t.Errorf("json: exit %d:\n%s", status, out)
	}

	// Each stack alone is fine.
	if status, _, _ := runPlan("-dir", dir, "-stack", "qa"); status != plan.ExitOK {
		t.Errorf("qa alone: exit %d, want 0", status)
	}
}

func TestPlanExitStatusAndInputErrors(t *testing.T) {
	dev := committedStack(t, "dev")
	cases := []struct {
		name       string
		stacks     map[string]string
		args       []string
		wantStatus int
		wantOut    []string
		wantErr    []string
		never      string // must appear in neither stdout nor stderr
	}{
		{
			name: "missing stack file", stacks: map[string]string{"dev": dev}, args: []string{"-stack", "test"},
			wantStatus: plan.ExitInputError, wantErr: []string{"Pulumi.test.yaml: no such file"},
		},
		{
			name: "unparsable YAML", stacks: map[string]string{"dev": "config:\n  aks-kubenet:network: [unclosed\n"}, args: []string{"-stack", "dev"},
			wantStatus: plan.ExitInputError, wantErr: []string{"Pulumi.dev.yaml: not valid YAML"},
		},
		{
			name:       "encrypted network value",
			stacks:     map[string]string{"dev": strings.Replace(dev, "    vnetCidr: 10.0.0.0/16", "    vnetCidr:\n      secure: AAABAGNpcGhlcnRleHQ=", 1)},
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitInputError, wantErr: []string{"Pulumi.dev.yaml: aks-kubenet:network.vnetCidr is encrypted (secure:)"},
			never: "AAABAGNpcGhlcnRleHQ=",
		},
		{
			name:       "encrypted SSH key is planned without being read",
			stacks:     map[string]string{"dev": dev + "  aks-kubenet:sshPublicKey:\n    secure: AAABAGNpcGhlcnRleHQ=\n"},
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitOK, wantOut: []string{
				"Findings: 0 errors, ",
				"  note: aks-kubenet:sshPublicKey is encrypted (secure:), and the offline plan cannot decrypt it to check it: pulumi preview does\n",
				"linuxProfile.ssh.publicKeys[0].keyData: [secret]",
			},
			never: "AAABAGNpcGhlcnRleHQ=",
		},
		{
			name: "encrypted provider credentials are planned without being read",
			stacks: map[string]string{"dev": dev + "  azure-native:clientId: 6f1d1c2e-0000-4000-8000-000000000001\n" +
				"  azure-native:clientSecret:\n    secure: AAABAGNpcGhlcnRleHQ=\n"},
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitOK, wantOut: []string{"Findings: 0 errors"},
			never: "AAABAGNpcGhlcnRleHQ=",
		},
		{
			name:       "encrypted project value other than the SSH key",
			stacks:     map[string]string{"dev": dev + "  aks-kubenet:exportKubeconfig:\n    secure: AAABAGNpcGhlcnRleHQ=\n"},
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitInputError, wantErr: []string{"Pulumi.dev.yaml: aks-kubenet:exportKubeconfig is encrypted (secure:)"},
			never: "AAABAGNpcGhlcnRleHQ=",
		},
		{
			name:       "refused config",
			stacks:     map[string]string{"dev": strings.Replace(dev, "podCidr: 10.244.0.0/16", "podCidr: 10.0.0.0/16", 1)},
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitFindings,
			wantOut:    []string{"error: cluster.podCidr 10.0.0.0/16 overlaps network.vnetCidr 10.0.0.0/16", "Resources: none"},
		},
		{
			name:       "refused config as a graph",
			stacks:     map[string]string{"dev": strings.Replace(dev, "podCidr: 10.244.0.0/16", "podCidr: 10.0.0.0/16", 1)},
			args:       []string{"-stack", "dev", "-format", "mermaid"},
			wantStatus: plan.ExitFindings,
			wantOut:    []string{"flowchart LR\n"},
			wantErr:    []string{"Pulumi.dev.yaml: cluster.podCidr 10.0.0.0/16 overlaps network.vnetCidr 10.0.0.0/16"},
		},
		{name: "no stack chosen", args: []string{}, wantStatus: plan.ExitInputError, wantErr: []string{"usage: plan"}},
		{name: "both -stack and -all", args: []string{"-stack", "dev", "-all"}, wantStatus: plan.ExitInputError, wantErr: []string{"usage: plan"}},
		{name: "unknown format", args: []string{"-stack", "dev", "-format", "yaml"}, wantStatus: plan.ExitInputError, wantErr: []string{`-format "yaml"`}},
		{name: "no stack files", args: []string{"-all"}, wantStatus: plan.ExitInputError, wantErr: []string{"no Pulumi.<stack>.yaml files"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, tc.stacks)
			status, out, errs := runPlan(append([]string{"-dir", dir}, tc.args...)...)
			if status != tc.wantStatus {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", status, tc.wantStatus, out, errs)
			}
			wantContains(t, "stdout", out, tc.wantOut...)
			wantContains(t, "stderr", errs, tc.wantErr...)
			if tc.wantStatus == plan.ExitInputError && !strings.HasPrefix(tc.wantErr[0], "usage") && strings.Count(errs, "\n") != 1 {
				t.Errorf("want a one-line error, got %q", errs)
			}
			if tc.never != "" && (strings.Contains(out, tc.never) || strings.Contains(errs, tc.never)) {
				t.Errorf("the plan printed the encrypted value %q", tc.never)
			}
		})
	}
}

// A stack that keeps its provider credentials as secrets (a service
// principal's azure-native:clientSecret) is planned in every format: the
// program never reads them, and the plan prints them nowhere.
func TestPlanProviderSecretsAreNeitherNeededNorPrinted(t *testing.T) {
	const cipher = "v1:Q2lwaGVydGV4dA==:AAABAHNlcnZpY2UtcHJpbmNpcGFs"
	secrets := "  azure-native:clientId: 6f1d1c2e-0000-4000-8000-000000000001\n" +
		"  azure-native:clientSecret:\n    secure: " + cipher + "\n" +
		"  azure-native:clientCertificatePassword:\n    secure: " + cipher + "\n"
	dir := writeProject(t, map[string]string{"dev": committedStack(t, "dev") + secrets, "prod": committedStack(t, "prod") + secrets})
	for _, args := range [][]string{
		{"-stack", "dev"},
		{"-stack", "dev", "-format", "mermaid"},
		{"-stack", "dev", "-format", "json"},
		{"-all"},
		{"-all", "-format", "mermaid"},
		{"-all", "-format", "json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			status, out, errs := runPlan(append([]string{"-dir", dir}, args...)...)
			if status != plan.ExitOK {
				t.Errorf("exit %d, want %d\nstderr: %s", status, plan.ExitOK, errs)
			}
			if out == "" {
				t.Error("no plan")
			}
			for _, text := range []string{out, errs} {
				if strings.Contains(text, cipher) || strings.Contains(text, "AAABAHNlcnZpY2UtcHJpbmNpcGFs") {
					t.Errorf("the plan printed the encrypted value:\n%s", text)
				}
			}
		})
	}
}

// withSubscription returns a stack file with azure-native:subscriptionId set
// to id (whatever it was).
func withSubscription(stackFile, id string) string {
	var lines []string
	for _, line := range strings.SplitAfter(stackFile, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "azure-native:subscriptionId:") {
			lines = append(lines, line)
		}
	}
	return strings.Replace(strings.Join(lines, ""), "config:\n", "config:\n  azure-native:subscriptionId: "+id+"\n", 1)
}

// Copying Pulumi.prod.yaml to Pulumi.prod2.yaml to add a region, and not
// renaming, makes two stacks that would fight over one resource group, VNet,
// route table, identity and cluster: -all refuses the copy, naming both
// stacks, the key and the name. The other committed stacks (dev, and staging
// in northeurope with 10.30.0.0/16) collide with neither.
func TestPlanAllRefusesACopiedStack(t *testing.T) {
	prod := committedStack(t, "prod")
	newRegion := strings.NewReplacer("westeurope", "northeurope", "10.20.", "10.40.", "10.21.", "10.41.", "10.245.", "10.246.")
	const (
		subA = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
		subB = "5c3a9e41-7d2b-4f60-9a8e-2b1d4c6f8a90"
		// what the committed prod names, in the words of the findings
		group = "resource group aks-kubenet-prod-weu-rg ("
		fight = ": two stacks would fight over one resource; give each stack its own names"
	)
	cases := []struct {
		name        string
		prod, prod2 string
		wantStatus  int
		want        []string
		wantCount   int // findings with "would fight over one resource"
	}{
		{
			name: "copied, region and ranges changed, names not", prod: prod, prod2: newRegion.Replace(prod),
			wantStatus: plan.ExitFindings, wantCount: 5,
			want: []string{
				"error: stacks prod and prod2 both name the " + group,
				"error: stacks prod and prod2 both name the VNet aks-prod-weu-vnet (network.vnetName) in the same subscription",
				"error: stacks prod and prod2 both name the route table aks-prod-weu-rt (network.routeTableName) in the same subscription (neither stack names its own in azure-native:subscriptionId: unset or the placeholder), resource group aks-kubenet-prod-weu-rg" + fight,
				"error: stacks prod and prod2 both name the user-assigned identity aks-prod-weu-identity (cluster.identityName)",
				"error: stacks prod and prod2 both name the AKS cluster aks-prod-weu (cluster.name)",
			},
		},
		{
			name: "copied, only the region changed", prod: prod, prod2: strings.ReplaceAll(prod, "westeurope", "northeurope"),
			wantStatus: plan.ExitFindings, wantCount: 5,
			want: []string{"error: stack prod network.vnetCidr 10.20.0.0/16 overlaps stack prod2 network.vnetCidr 10.20.0.0/16", "both name the route table aks-prod-weu-rt"},
		},
		{
			name: "copied into the same subscription", prod: withSubscription(prod, subA), prod2: withSubscription(newRegion.Replace(prod), strings.ToUpper(subA)),
			wantStatus: plan.ExitFindings, wantCount: 5,
			want: []string{"error: stacks prod and prod2 both name the route table aks-prod-weu-rt (network.routeTableName) in subscription " + subA + ", resource group aks-kubenet-prod-weu-rg" + fight},
		},
		{
			name: "copied, prod2 without a subscription", prod: withSubscription(prod, subA), prod2: withSubscription(newRegion.Replace(prod), ""),
			wantStatus: plan.ExitFindings, wantCount: 5,
			want: []string{"in subscription " + subA + " (stack prod2 names none in azure-native:subscriptionId, so it deploys wherever the Azure login points)"},
		},
		{
			name: "copied into another subscription", prod: withSubscription(prod, subA), prod2: withSubscription(newRegion.Replace(prod), subB),
			wantStatus: plan.ExitOK,
			want:       []string{"no VNet overlaps another stack's VNet or peered ranges, and no two stacks name the same resource"},
		},
		{
			// A kubenet pod range is routed in its VNet: a copy keeps its
			// own (aks-rules 3.3).
			name: "copied and renamed, the pod CIDR kept", prod: prod,
			prod2:      strings.ReplaceAll(strings.ReplaceAll(newRegion.Replace(prod), "prod-weu", "prod-neu"), "10.246.", "10.245."),
			wantStatus: plan.ExitFindings,
			want:       []string{"stack prod cluster.podCidr 10.245.0.0/16 overlaps stack prod2 cluster.podCidr 10.245.0.0/16: stack prod is kubenet"},
		},
		{
			name: "copied and renamed", prod: prod,
			prod2:      strings.ReplaceAll(strings.ReplaceAll(newRegion.Replace(prod), "prod-weu", "prod-neu"), "name: aks-nodes", "name: aks-nodes"),
			wantStatus: plan.ExitOK,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"dev": committedStack(t, "dev"), "prod": tc.prod, "prod2": tc.prod2, "staging": committedStack(t, "staging")})
			status, out, errs := runPlan("-dir", dir, "-all")
			if status != tc.wantStatus {
				t.Errorf("exit %d, want %d\nstderr: %s", status, tc.wantStatus, errs)
			}
			wantContains(t, "plan -all", out, tc.want...)
			if n := strings.Count(out, "would fight over one resource"); n != tc.wantCount {
				t.Errorf("%d name collisions, want %d:\n%s", n, tc.wantCount, out[strings.Index(out, "Across stacks"):])
			}
			for _, other := range []string{"dev", "staging"} {
				if strings.Contains(out, "stacks "+other+" and") || strings.Contains(out, "and "+other+" both") || strings.Contains(out, "stack "+other+" network.") || strings.Contains(out, "overlaps stack "+other+" ") {
					t.Errorf("%s collides with a copy of prod:\n%s", other, out)
				}
			}
			_, js, _ := runPlan("-dir", dir, "-all", "-format", "json")
			var doc struct {
				Stacks []struct {
					Stack string
					OK    bool
				}
				OK bool
			}
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, js)
			}
			wantOK := tc.wantStatus == plan.ExitOK
			if doc.OK != wantOK || strings.Count(js, "would fight over one resource") != tc.wantCount {
				t.Errorf("json: want ok %v and %d collisions:\n%s", wantOK, tc.wantCount, js[strings.Index(js, `"crossStackErrors"`):])
			}
			// Each stack's ok: false for the two that clash, true for the others.
			for _, s := range doc.Stacks {
				if want := wantOK || !strings.HasPrefix(s.Stack, "prod"); s.OK != want {
					t.Errorf("json: stack %s ok %v, want %v", s.Stack, s.OK, want)
				}
			}
		})
	}
}

// -base DIR compares each stack with the same stack in another checkout of
// the project (the base of a pull request) and refuses every rename: Azure
// cannot rename, so Pulumi would delete and re-create the resource.
func TestPlanBaseCallsOutRenames(t *testing.T) {
	dev, prod, staging := committedStack(t, "dev"), committedStack(t, "prod"), committedStack(t, "staging")
	qa := strings.NewReplacer("10.20.", "10.40.", "10.21.", "10.41.", "10.245.", "10.246.", "prod-weu", "qa").Replace(prod)
	const renamedTable = "stack prod renames the route table: network.routeTableName aks-prod-weu-rt -> aks-prod-weu-rt2. Azure cannot rename; " +
		"Pulumi would delete and re-create it (and everything in it), and a protected resource makes pulumi up refuse: see docs/operations.md, 'Changing a stack'"
	cases := []struct {
		name       string
		base, head map[string]string
		baseDir    string // instead of a project of base
		args       []string
		wantStatus int
		wantOut    []string
		wantErr    []string
		notOut     []string
		wantJSON   *baseJSON
	}{
		{
			name: "nothing renamed", base: map[string]string{"dev": dev, "prod": prod, "staging": staging}, head: map[string]string{"dev": dev, "prod": prod, "staging": staging},
			args: []string{"-all"}, wantStatus: plan.ExitOK,
			wantOut: []string{"\nAgainst base ", "  compared: dev, prod, staging\n", "  no stack renames a resource\n"},
		},
		{
			name: "route table renamed", base: map[string]string{"dev": dev, "prod": prod},
			head: map[string]string{"dev": dev, "prod": strings.Replace(prod, "routeTableName: aks-prod-weu-rt", "routeTableName: aks-prod-weu-rt2", 1)},
			args: []string{"-all"}, wantStatus: plan.ExitFindings,
			wantOut: []string{"Stack prod (", "Findings: 1 error, ", "  error: " + renamedTable + "\n", "  1 rename, among the findings of prod\n"},
		},
		{
			name: "route table renamed, json", base: map[string]string{"prod": prod},
			head: map[string]string{"prod": strings.Replace(prod, "routeTableName: aks-prod-weu-rt", "routeTableName: aks-prod-weu-rt2", 1)},
			args: []string{"-stack", "prod", "-format", "json"}, wantStatus: plan.ExitFindings,
			wantJSON: &baseJSON{Renames: map[string][]string{"prod": {renamedTable}}, Compared: []string{"prod"}, New: []string{}, NotCompared: []string{}},
		},
		{
			name: "a new stack, json", base: map[string]string{"prod": prod}, head: map[string]string{"dev": dev, "prod": prod},
			args: []string{"-all", "-format", "json"}, wantStatus: plan.ExitOK,
			wantJSON: &baseJSON{Renames: map[string][]string{}, Compared: []string{"prod"}, New: []string{"dev"}, NotCompared: []string{}, OK: true},
		},
		{
			name: "route table renamed, mermaid", base: map[string]string{"prod": prod},
			head: map[string]string{"prod": strings.Replace(prod, "routeTableName: aks-prod-weu-rt", "routeTableName: aks-prod-weu-rt2", 1)},
			args: []string{"-stack", "prod", "-format", "mermaid"}, wantStatus: plan.ExitFindings,
			wantOut: []string{"flowchart LR\n"}, wantErr: []string{"Pulumi.prod.yaml: " + renamedTable + "\n"},
		},
		{
			name: "cluster renamed, with the names that follow it", base: map[string]string{"prod": prod},
			head: map[string]string{"prod": strings.Replace(prod, "name: aks-prod-weu\n", "name: aks-prod-weu2\n", 1)},
			args: []string{"-stack", "prod"}, wantStatus: plan.ExitFindings,
			wantOut: []string{
				"error: stack prod renames the AKS cluster: cluster.name aks-prod-weu -> aks-prod-weu2. ",
				"error: stack prod renames the cluster identity: cluster.identityName aks-prod-weu-identity (default, from cluster.name) -> aks-prod-weu2-identity (default, from cluster.name). ",
				"error: stack prod changes the AKS cluster's DNS prefix: cluster.dnsPrefix aks-prod-weu (default, from cluster.name) -> aks-prod-weu2 (default, from cluster.name). ",
				"3 renames, among the findings of prod",
			},
		},
		{
			name: "a stack only in the head is new", base: map[string]string{"dev": dev, "prod": prod},
			head: map[string]string{"dev": dev, "prod": prod, "qa": qa, "staging": staging},
			args: []string{"-all"}, wantStatus: plan.ExitOK,
			wantOut: []string{"  compared: dev, prod\n", "  new, nothing to rename: qa, staging\n", "  no stack renames a resource\n"},
			notOut:  []string{"renames the"},
		},
		{
			name: "the one stack planned is new", base: map[string]string{"prod": prod}, head: map[string]string{"dev": dev, "prod": prod},
			args: []string{"-stack", "dev"}, wantStatus: plan.ExitOK,
			wantOut: []string{"  new, nothing to rename: dev\n"}, notOut: []string{"compared:"},
		},
		{
			name: "a stack whose base config does not load is not compared", base: map[string]string{"prod": strings.Replace(prod, "aks-kubenet:network:", "aks-kubenet:netwrk:", 1)},
			head: map[string]string{"prod": strings.Replace(prod, "vnetName: aks-prod-weu-vnet", "vnetName: other", 1)},
			args: []string{"-stack", "prod"}, wantStatus: plan.ExitOK,
			wantOut: []string{"  not compared: prod: the base config does not load: network: missing"},
		},
		{
			name: "an unreadable base stack file", base: map[string]string{"prod": "config: [unclosed\n"}, head: map[string]string{"prod": prod},
			args: []string{"-stack", "prod"}, wantStatus: plan.ExitInputError,
			wantErr: []string{"plan: -base: ", "Pulumi.prod.yaml: not valid YAML"},
		},
		{
			name: "a base that is no project", baseDir: "no-project", head: map[string]string{"prod": prod},
			args: []string{"-stack", "prod"}, wantStatus: plan.ExitInputError,
			wantErr: []string{"plan: -base ", ": no Pulumi.yaml there: want a checkout of the project at the base of the change"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.baseDir
			if base == "" {
				base = writeProject(t, tc.base)
			} else {
				base = t.TempDir()
			}
			head := writeProject(t, tc.head)
			status, out, errs := runPlan(append([]string{"-dir", head, "-base", base}, tc.args...)...)
			if status != tc.wantStatus {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", status, tc.wantStatus, out, errs)
			}
			wantContains(t, "stdout", out, tc.wantOut...)
			wantContains(t, "stderr", errs, tc.wantErr...)
			for _, never := range tc.notOut {
				if strings.Contains(out, never) {
					t.Errorf("stdout contains %q:\n%s", never, out)
				}
			}
			if tc.wantStatus == plan.ExitInputError && strings.Count(errs, "\n") != 1 {
				t.Errorf("want a one-line error, got %q", errs)
			}
			if tc.wantJSON != nil {
				var doc struct {
					Stacks []struct {
						Stack   string
						Renames []string
					}
					Base struct{ Dir, Compared, New, NotCompared any }
					OK   bool
				}
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				got := baseJSON{Renames: map[string][]string{}, OK: doc.OK}
				for _, s := range doc.Stacks {
					if s.Renames != nil {
						got.Renames[s.Stack] = s.Renames
					}
				}
				raw, _ := json.Marshal(doc.Base)
				if err := json.Unmarshal(raw, &got); err != nil {
					t.Fatal(err)
				}
				if got.Dir != base {
					t.Errorf("base.dir = %q, want %q", got.Dir, base)
				}
				got.Dir = ""
				if !reflect.DeepEqual(got, *tc.wantJSON) {
					t.Errorf("json = %+v, want %+v", got, *tc.wantJSON)
				}
			}
		})
	}
}

// baseJSON is what -base adds to the json format: the stacks' renames, the
// base object, and ok.
type baseJSON struct {
	Renames     map[string][]string `json:"-"`
	Dir         string              `json:"dir"`
	Compared    []string            `json:"compared"`
	New         []string            `json:"new"`
	NotCompared []string            `json:"notCompared"`
	OK          bool                `json:"-"`
}

// The text plan of each committed stack has its security posture, one line
// per setting, and a setting rules warns about marked as the findings mark
// warnings.
func TestPlanSecurityPostureOfTheCommittedStacks(t *testing.T) {
	cases := []struct {
		stack, want string
	}{
		{
			stack: "dev", // authorized ranges and the firewall's IP, the placeholder admin, the Free tier
			want: "\nSecurity posture\n" +
				"  Entra ID: on, Azure RBAC for Kubernetes; local accounts: disabled\n" +
				"  warning: Cluster admins: 1 (Group 00000000-… placeholder: pulumi up refuses it)\n" +
				"  Network policy: calico, on kubenet\n" +
				"  API server: authorized ranges 203.0.113.0/24 + the firewall's public IP (1)\n" +
				"  Upgrades: cluster patch, node OS NodeImage; any time (no maintenance window)\n" +
				"  Workload identity: on (OIDC issuer on)\n" +
				"  Azure Policy: on\n" +
				"  Image cleaner: on (weekly)\n" +
				"  Tier: Free (no uptime SLA)\n" +
				"  Monitoring: off\n" +
				"\nResources: ",
		},
		{
			stack: "prod", // private, Standard, the Sunday window
			want: "\nSecurity posture\n" +
				"  Entra ID: on, Azure RBAC for Kubernetes; local accounts: disabled\n" +
				"  warning: Cluster admins: 1 (Group 00000000-… placeholder: pulumi up refuses it)\n" +
				"  Network policy: calico, on kubenet\n" +
				"  API server: private\n" +
				"  Upgrades: cluster patch, node OS NodeImage; window Sunday 02:00 +01:00, 4 h\n" +
				"  Workload identity: on (OIDC issuer on)\n" +
				"  Azure Policy: on\n" +
				"  Image cleaner: on (weekly)\n" +
				"  Tier: Standard\n" +
				"  Monitoring: off\n" +
				"\nResources: ",
		},
	}
	for _, tc := range cases {
		t.Run(tc.stack, func(t *testing.T) {
			status, out, errs := runPlan("-dir", "..", "-stack", tc.stack)
			if status != plan.ExitOK {
				t.Fatalf("exit %d, stderr %q", status, errs)
			}
			wantContains(t, "plan", out, tc.want)
			// the warning the posture marks is among the findings, in full
			wantContains(t, "plan", out, "  warning: cluster.clusterAdmins[0] is the placeholder 00000000-0000-0000-0000-000000000000")
		})
	}
}

// A refused config deploys nothing and has no posture.
func TestPlanRefusedStackHasNoPosture(t *testing.T) {
	dir := writeProject(t, map[string]string{"dev": strings.Replace(committedStack(t, "dev"), "podCidr: 10.244.0.0/16", "podCidr: 10.0.0.0/16", 1)})
	status, out, _ := runPlan("-dir", dir, "-stack", "dev")
	if status != plan.ExitFindings {
		t.Fatalf("exit %d, want %d", status, plan.ExitFindings)
	}
	wantContains(t, "plan", out, "Resources: none")
	if strings.Contains(out, "Security posture") {
		t.Errorf("a refused stack has a posture:\n%s", out)
	}
}

// With -all, the postures stand side by side: one row per setting, one
// column per stack, a refused stack's column saying so.
func TestPlanAllPostureTable(t *testing.T) {
	status, out, _ := runPlan("-dir", "..", "-all")
	if status != plan.ExitOK {
		t.Fatalf("exit %d", status)
	}
	// staging, on Overlay, collides with neither kubenet stack.
	wantContains(t, "plan -all", out, "\nAcross stacks (3)\n  no VNet overlaps another stack's VNet or peered ranges, and no two stacks name the same resource\n")
	const table = "\nSecurity posture by stack (3)\n" +
		"  setting            dev                                                                 prod                                                               staging\n" +
		"  Entra ID           on, Azure RBAC for Kubernetes; local accounts: disabled             on, Azure RBAC for Kubernetes; local accounts: disabled            on, Azure RBAC for Kubernetes; local accounts: disabled\n" +
		"  Cluster admins     warning: 1 (Group 00000000-… placeholder: pulumi up refuses it)     warning: 1 (Group 00000000-… placeholder: pulumi up refuses it)    warning: 1 (Group 00000000-… placeholder: pulumi up refuses it)\n" +
		"  Network policy     calico, on kubenet                                                  calico, on kubenet                                                 cilium, on Azure CNI Overlay (cilium dataplane)\n" +
		"  API server         authorized ranges 203.0.113.0/24 + the firewall's public IP (1)     private                                                            authorized ranges 203.0.113.0/24 + the firewall's public IP (1)\n" +
		"  Upgrades           cluster patch, node OS NodeImage; any time (no maintenance window)  cluster patch, node OS NodeImage; window Sunday 02:00 +01:00, 4 h  cluster patch, node OS NodeImage; any time (no maintenance window)\n" +
		"  Workload identity  on (OIDC issuer on)                                                 on (OIDC issuer on)                                                on (OIDC issuer on)\n" +
		"  Azure Policy       on                                                                  on                                                                 on\n" +
		"  Image cleaner      on (weekly)                                                         on (weekly)                                                        on (weekly)\n" +
		"  Tier               Free (no uptime SLA)                                                Standard                                                           Free (no uptime SLA)\n" +
		"  Monitoring         off                                                                 off                                                                off\n"
	if !strings.HasSuffix(out, table) {
		t.Errorf("plan -all does not end with the posture table\n%s\ngot:\n%s", table, out[max(0, strings.LastIndex(out, "\nAcross stacks")):])
	}
	// One stack alone has no table.
	if _, dev, _ := runPlan("-dir", "..", "-stack", "dev"); strings.Contains(dev, "Security posture by stack") {
		t.Error("plan -stack dev has a table of postures")
	}

	// A refused stack's column says so, between the others'.
	refused := strings.Replace(committedStack(t, "prod"), "tier: Standard", "tier: Gold", 1)
	dir := writeProject(t, map[string]string{"dev": committedStack(t, "dev"), "prod": refused, "staging": committedStack(t, "staging")})
	status, out, _ = runPlan("-dir", dir, "-all")
	if status != plan.ExitFindings {
		t.Errorf("exit %d, want %d", status, plan.ExitFindings)
	}
	wantContains(t, "plan -all", out,
		"  setting            dev                                                                 prod               staging\n",
		"  Tier               Free (no uptime SLA)                                                (refused: errors)  Free (no uptime SLA)\n",
		"  Monitoring         off                                                                 (refused: errors)  off\n")
}

// planResources plans the stack of the project in dir and returns its
// resources by logical name.
func planResources(t *testing.T, dir, stack string) map[string]plan.Resource {
	t.Helper()
	status, out, errs := runPlan("-dir", dir, "-stack", stack, "-format", "json")
	if status != plan.ExitOK {
		t.Fatalf("exit %d, stderr %q", status, errs)
	}
	var doc struct {
		Stacks []struct{ Resources []plan.Resource }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Stacks) != 1 {
		t.Fatalf("not one stack's JSON (%v):\n%s", err, out)
	}
	byName := map[string]plan.Resource{}
	for _, r := range doc.Stacks[0].Resources {
		byName[r.Name] = r
	}
	return byName
}

// compactJSON is v as compact JSON, with "<" and ">" as they are.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err.Error()
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// wantResource checks a planned resource's type, parent and ids.
func wantResource(t *testing.T, all map[string]plan.Resource, name, typ, parent, id string, dependsOn ...string) plan.Resource {
	t.Helper()
	r, ok := all[name]
	if !ok {
		t.Fatalf("no resource %s", name)
	}
	if r.Type != typ || r.Parent != parent || r.ID != id {
		t.Errorf("%s = %s in %q with id %q, want %s in %q with id %q", name, r.Type, r.Parent, r.ID, typ, parent, id)
	}
	for _, d := range dependsOn {
		if !slices.Contains(r.DependsOn, d) {
			t.Errorf("%s depends on %v, want %s among them", name, r.DependsOn, d)
		}
	}
	return r
}

// Prod's maintenance window makes a maintenance configuration per
// auto-upgrade channel, children of the cluster component, named as AKS
// reads them; its admin is granted on the cluster.
func TestPlanProdMaintenanceConfigurationsAndAdminGrant(t *testing.T) {
	const cluster = "/subscriptions/<subscription-id>/resourceGroups/aks-kubenet-prod-weu-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod-weu"
	all := planResources(t, "..", "prod")
	wantResource(t, all, "aks-cluster", tCluster, "aks", cluster)
	for name, config := range map[string]string{
		"aks-auto-upgrade-schedule":    "aksManagedAutoUpgradeSchedule",
		"aks-node-os-upgrade-schedule": "aksManagedNodeOSUpgradeSchedule",
	} {
		r := wantResource(t, all, name, tMaintenance, "aks", cluster+"/maintenanceConfigurations/"+config, "aks-cluster")
		const want = `{"durationHours":4,"schedule":{"weekly":{"dayOfWeek":"Sunday","intervalWeeks":1}},"startTime":"02:00","utcOffset":"+01:00"}`
		if r.Properties["configName"] != config || r.Properties["resourceName"] != "aks-prod-weu" || compactJSON(r.Properties["maintenanceWindow"]) != want {
			t.Errorf("%s properties = %v, want configName %s on aks-prod-weu, window %s", name, r.Properties, config, want)
		}
	}
	grant := wantResource(t, all, "cluster-admins-00000000-0000-0000-0000-000000000000", tRoleAssignment, "cluster-admins", "", "aks-cluster")
	if grant.Properties["scope"] != cluster || grant.Properties["principalType"] != "Group" ||
		grant.Properties["roleDefinitionId"] != "/subscriptions/<subscription-id>/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b" {
		t.Errorf("admin grant = %v, want Azure Kubernetes Service RBAC Cluster Admin for the group on %s", grant.Properties, cluster)
	}
	if c, ok := all["cluster-admins"]; !ok || !c.Component || c.Type != "aks-kubenet:iam:ClusterAdmins" {
		t.Errorf("cluster-admins = %+v, want the aks-kubenet:iam:ClusterAdmins component", c)
	}

	// dev has no window, and no maintenance configuration
	for _, r := range planResources(t, "..", "dev") {
		if r.Type == tMaintenance {
			t.Errorf("dev has a maintenance configuration without a window: %s", r.Name)
		}
	}
}

// A stack with monitoring on plans its Log Analytics workspace and
// Container insights' deployment, in every format, and reads the exported
// kubeconfig through the 2024-09-01 call.
func TestPlanMonitoringStack(t *testing.T) {
	dev := committedStack(t, "dev")
	mon := strings.Replace(dev, "    clusterAdmins:\n", "    monitoring:\n      enabled: true\n      retentionDays: 60\n    clusterAdmins:\n", 1)
	if mon == dev {
		t.Fatal("the dev stack has no cluster.clusterAdmins to put monitoring before")
	}
	mon += "  aks-kubenet:exportKubeconfig: true\n"
	dir := writeProject(t, map[string]string{"dev": mon, "prod": committedStack(t, "prod")})

	const (
		group     = "/subscriptions/<subscription-id>/resourceGroups/aks-kubenet-rg"
		workspace = group + "/providers/Microsoft.OperationalInsights/workspaces/aks-kubenet-cluster-logs"
		cluster   = group + "/providers/Microsoft.ContainerService/managedClusters/aks-kubenet-cluster"
	)
	all := planResources(t, dir, "dev")
	ws := wantResource(t, all, "logs-workspace", tWorkspace, "logs", workspace, "resource-group")
	if ws.Properties["workspaceName"] != "aks-kubenet-cluster-logs" || ws.Properties["retentionInDays"] != 60.0 {
		t.Errorf("workspace = %v, want aks-kubenet-cluster-logs keeping 60 days", ws.Properties)
	}
	deployment := wantResource(t, all, "insights-deployment", tDeployment, "insights",
		group+"/providers/Microsoft.Resources/deployments/aks-kubenet-cluster-container-insights", "aks-cluster", "logs-workspace")
	wantContains(t, "deployment", compactJSON(deployment.Properties), `"workspaceResourceId":{"value":"`+workspace+`"}`, `"clusterResourceId":{"value":"`+cluster+`"}`)
	aks := wantResource(t, all, "aks-cluster", tCluster, "aks", cluster, "logs-workspace")
	wantContains(t, "cluster", compactJSON(aks.Properties), `"omsagent":{"config":{"logAnalyticsWorkspaceResourceID":"`+workspace+`","useAADAuth":"true"},"enabled":true}`)
	for name, typ := range map[string]string{"logs": "aks-kubenet:monitoring:LogAnalytics", "insights": "aks-kubenet:monitoring:ContainerInsights"} {
		if c := all[name]; !c.Component || c.Type != typ {
			t.Errorf("%s = %+v, want the %s component", name, c, typ)
		}
	}

	status, out, errs := runPlan("-dir", dir, "-stack", "dev")
	if status != plan.ExitOK {
		t.Fatalf("text: exit %d, stderr %q", status, errs)
	}
	wantContains(t, "plan", out,
		"  Monitoring: Container insights to aks-kubenet-cluster-logs (60 days)\n",
		"  step 2  logs-workspace  azure-native:operationalinsights:Workspace\n      in component: logs (aks-kubenet:monitoring:LogAnalytics)\n",
		"      workspaceName: aks-kubenet-cluster-logs\n      sku.name: PerGB2018\n      retentionInDays: 60\n",
		"  step 7  insights-deployment  azure-native:resources:Deployment\n      in component: insights (aks-kubenet:monitoring:ContainerInsights)\n",
		"      deploymentName: aks-kubenet-cluster-container-insights\n      properties.mode: Incremental\n",
		"      addonProfiles.omsagent.enabled: true\n      addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID: "+workspace+"\n",
	)

	status, out, errs = runPlan("-dir", dir, "-stack", "dev", "-format", "mermaid")
	if status != plan.ExitOK {
		t.Fatalf("mermaid: exit %d, stderr %q", status, errs)
	}
	wantContains(t, "mermaid", out,
		`subgraph component_logs["LogAnalytics component: logs"]`,
		`logs_workspace["Workspace<br/>aks-kubenet-cluster-logs"]`,
		`subgraph component_insights["ContainerInsights component: insights"]`,
		`insights_deployment["Deployment<br/>aks-kubenet-cluster-container-insights"]`,
		"logs_workspace --> aks_cluster", "aks_cluster --> insights_deployment",
	)

	status, out, errs = runPlan("-dir", dir, "-all", "-base", "..")
	if status != plan.ExitOK {
		t.Fatalf("-all -base: exit %d, stderr %q", status, errs)
	}
	wantContains(t, "plan -all -base", out,
		"  Monitoring         Container insights to aks-kubenet-cluster-logs (60 days)  ",
		"  compared: dev, prod\n", "  no stack renames a resource\n")
}

// replaceOnce returns s with old replaced by new once, failing the test when
// s does not contain old.
func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("no %q to replace", old)
	}
	return strings.Replace(s, old, new, 1)
}

// Prod's user pools are AgentPools of the cluster, each in a NodePool
// component named after it, and the IP plan counts every pool at its upgrade
// peak: one row per pool, the system pool first, a total, and the limits on
// the total, the binding one first.
func TestPlanProdNodePools(t *testing.T) {
	status, out, errs := runPlan("-dir", "..", "-stack", "prod")
	if status != plan.ExitOK {
		t.Fatalf("exit %d, stderr %q", status, errs)
	}
	const ipPlan = "\nIP plan\n" +
		"  VNet            10.20.0.0/16       65536 addresses\n" +
		"  Node subnet     10.20.0.0/22       1024 addresses, 1019 usable (Azure reserves 5)\n" +
		"  Pod CIDR        10.245.0.0/16      256 nodes at one /24 per node\n" +
		"  Service CIDR    10.21.0.0/24       256 addresses\n" +
		"  DNS service IP  10.21.0.10\n" +
		"  Route table     90 of 1000 routes at the peak: 88 AKS node routes + 2 user-defined\n" +
		"  Node pools      pool     mode    priority  nodes                 surge     peak\n" +
		"                  system   System  Regular   cluster.maxCount 20   7 (33%)   27\n" +
		"                  general  User    Regular   pools[0].maxCount 30  10 (33%)  40\n" +
		"                  spot     User    Spot      pools[1].maxCount 20  1         21\n" +
		"                  total                      70                    18        88\n" +
		"  Node ceiling    88 of 256 nodes at the upgrade peak, bound first by the pod CIDR (cluster.podCidr): 168 to spare\n" +
		"                  then kubenet 400 (312 to spare), route table 998 (910 to spare), node subnet 1019 (931 to spare)\n" +
		"                  (all pools at their upgrade peak together: every node, Spot too, takes a subnet address, a pod /24 and a route)\n\n"
	wantContains(t, "plan", out,
		ipPlan,
		"components: ", "pool-general (aks-kubenet:cluster:NodePool)", "pool-spot (aks-kubenet:cluster:NodePool)",
		// the system pool keeps the cluster's add-ons while user pools exist
		"      agentPoolProfiles[0].nodeTaints: CriticalAddonsOnly=true:NoSchedule\n",
		"  step 6  pool-general-agentpool  azure-native:containerservice/v20240901:AgentPool\n"+
			"      in component: pool-general (aks-kubenet:cluster:NodePool)\n"+
			"      depends on: aks-cluster, network-node-subnet, resource-group\n"+
			"      agentPoolName: general\n      resourceName: aks-prod-weu\n      mode: User\n      vmSize: Standard_D8s_v5\n"+
			"      count: 3\n      enableAutoScaling: true\n      minCount: 3\n      maxCount: 30\n      maxPods: 110\n"+
			"      upgradeSettings.maxSurge: 33%\n      availabilityZones: 1, 2, 3\n      osSKU: Ubuntu\n"+
			"      vnetSubnetID: /subscriptions/<subscription-id>/resourceGroups/aks-kubenet-prod-weu-rg/providers/Microsoft.Network/virtualNetworks/aks-prod-weu-vnet/subnets/aks-nodes\n",
		"      agentPoolName: spot\n",
		"      scaleSetPriority: Spot\n      scaleSetEvictionPolicy: Delete\n      spotMaxPrice: -1 (up to the on-demand price)\n"+
			"      nodeLabels: workload=batch\n      nodeTaints: kubernetes.azure.com/scalesetpriority=spot:NoSchedule\n",
	)

	const cluster = "/subscriptions/<subscription-id>/resourceGroups/aks-kubenet-prod-weu-rg/providers/Microsoft.ContainerService/managedClusters/aks-prod-weu"
	all := planResources(t, "..", "prod")
	for _, name := range []string{"general", "spot"} {
		r := wantResource(t, all, "pool-"+name+"-agentpool", tAgentPool, "pool-"+name, cluster+"/agentPools/"+name, "aks-cluster", "network-node-subnet")
		if r.Properties["agentPoolName"] != name || r.Properties["resourceName"] != "aks-prod-weu" || r.Properties["vnetSubnetID"] != all["network-node-subnet"].ID {
			t.Errorf("%s pool = %v, want agentPoolName %s in aks-prod-weu and the node subnet", name, r.Properties, name)
		}
		if c := all["pool-"+name]; !c.Component || c.Type != "aks-kubenet:cluster:NodePool" {
			t.Errorf("pool-%s = %+v, want the aks-kubenet:cluster:NodePool component", name, c)
		}
	}

	status, out, errs = runPlan("-dir", "..", "-stack", "prod", "-format", "mermaid")
	if status != plan.ExitOK {
		t.Fatalf("mermaid: exit %d, stderr %q", status, errs)
	}
	wantContains(t, "mermaid", out,
		`subgraph component_pool_general["NodePool component: pool-general"]`,
		`pool_general_agentpool["AgentPool<br/>general<br/>Standard_D8s_v5, 3-30 nodes"]`,
		`pool_spot_agentpool["AgentPool<br/>spot<br/>Standard_D8s_v5, 0-20 nodes, Spot"]`,
		"aks_cluster --> pool_general_agentpool",
		// AKS takes one pool operation at a time: spot after general, the
		// cluster edge implied.
		"pool_general_agentpool --> pool_spot_agentpool",
	)
	if strings.Contains(out, "network_node_subnet --> pool_") {
		t.Error("the graph keeps an edge that the path through the cluster implies")
	}
}

// Kubenet's 400 nodes hold every pool together: pools that each fit but
// together reach more at their upgrade peak are refused, with the rule's
// error naming each pool, and the IP plan says by how much.
func TestPlanRefusesPoolsBeyondKubenetTogether(t *testing.T) {
	prod := committedStack(t, "prod")
	prod = replaceOnce(t, prod, "podCidr: 10.245.0.0/16", "podCidr: 10.244.0.0/14") // 1,024 nodes: kubenet binds first
	prod = replaceOnce(t, prod, "      maxCount: 30\n", "      maxCount: 200\n")
	prod = replaceOnce(t, prod, "      maxCount: 20\n      labels:", "      maxCount: 150\n      labels:")
	dir := writeProject(t, map[string]string{"prod": prod})

	status, out, _ := runPlan("-dir", dir, "-stack", "prod")
	if status != plan.ExitFindings {
		t.Fatalf("exit %d, want %d:\n%s", status, plan.ExitFindings, out)
	}
	wantContains(t, "plan", out,
		"Findings: 1 error, ",
		"  error: the node pools reach 444 nodes at their upgrade peak (system: cluster.maxCount 20 + 7 surge; general: pools[0].maxCount 200 + 66 surge; "+
			"spot: pools[1].maxCount 150 + 1 surge), more than the 400 nodes a kubenet cluster can have\n",
		"                  general  User    Regular   pools[0].maxCount 200  66 (33%)  266\n",
		"                  spot     User    Spot      pools[1].maxCount 150  1         151\n",
		"                  total                      370                    74        444\n",
		"  Node ceiling    444 nodes at the upgrade peak, bound first by kubenet (400): over by 44\n"+
			"                  then route table 998 (554 to spare), node subnet 1019 (575 to spare), pod CIDR 1024 (580 to spare)\n",
		"Resources: none",
	)

	status, js, _ := runPlan("-dir", dir, "-stack", "prod", "-format", "json")
	var doc struct {
		Stacks []struct{ IPPlan *plan.IPPlan }
		OK     bool
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Stacks) != 1 || doc.Stacks[0].IPPlan == nil {
		t.Fatalf("json (%v):\n%s", err, js)
	}
	if status != plan.ExitFindings || doc.OK {
		t.Errorf("json: exit %d, ok %v; want %d, false", status, doc.OK, plan.ExitFindings)
	}
	// the premise: no pool alone is over kubenet's 400
	for _, p := range doc.Stacks[0].IPPlan.Pools {
		if p.Peak >= 400 {
			t.Errorf("pool %s alone peaks at %d nodes", p.Name, p.Peak)
		}
	}
}

// -base matches the pools of each stack by name: a change of what AKS cannot
// change on a pool is an error in the config's words; a renamed pool is a
// new pool and a removed one, the safe way, and no error.
func TestPlanBaseCallsOutPoolChanges(t *testing.T) {
	prod := committedStack(t, "prod")
	const vmSize = "stack prod changes pool general's VM size: pools[0].vmSize Standard_D8s_v5 -> Standard_D16s_v5. " +
		"AKS cannot change it on a pool; Pulumi would delete and re-create the pool (and the pods on its nodes), and a protected pool makes pulumi up refuse: " +
		"add a pool under a new name instead, move the workloads, then remove this one: see docs/node-pools.md, 'Changing a pool'"
	resized := replaceOnce(t, prod, "    - name: general\n      vmSize: Standard_D8s_v5\n", "    - name: general\n      vmSize: Standard_D16s_v5\n")
	renamed := replaceOnce(t, prod, "    - name: general\n", "    - name: general2\n")
	base := writeProject(t, map[string]string{"prod": prod})

	t.Run("VM size changed", func(t *testing.T) {
		head := writeProject(t, map[string]string{"prod": resized})
		status, out, _ := runPlan("-dir", head, "-base", base, "-stack", "prod")
		if status != plan.ExitFindings {
			t.Errorf("exit %d, want %d", status, plan.ExitFindings)
		}
		wantContains(t, "plan", out, "Findings: 1 error, ", "  error: "+vmSize+"\n",
			"  no stack renames a resource\n  1 change AKS cannot make on a pool, among the findings of prod\n")

		status, js, _ := runPlan("-dir", head, "-base", base, "-stack", "prod", "-format", "json")
		var doc struct {
			Stacks []struct{ PoolChanges, Renames []string }
			OK     bool
		}
		if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Stacks) != 1 {
			t.Fatalf("json (%v):\n%s", err, js)
		}
		if status != plan.ExitFindings || doc.OK || !slices.Equal(doc.Stacks[0].PoolChanges, []string{vmSize}) || len(doc.Stacks[0].Renames) != 0 {
			t.Errorf("json: exit %d, ok %v, poolChanges %q, renames %q", status, doc.OK, doc.Stacks[0].PoolChanges, doc.Stacks[0].Renames)
		}

		status, _, errs := runPlan("-dir", head, "-base", base, "-stack", "prod", "-format", "mermaid")
		if status != plan.ExitFindings || !strings.Contains(errs, "Pulumi.prod.yaml: "+vmSize+"\n") {
			t.Errorf("mermaid: exit %d, stderr %q", status, errs)
		}
	})

	t.Run("pool renamed", func(t *testing.T) {
		head := writeProject(t, map[string]string{"prod": renamed})
		status, out, _ := runPlan("-dir", head, "-base", base, "-stack", "prod")
		if status != plan.ExitOK {
			t.Errorf("exit %d, want %d", status, plan.ExitOK)
		}
		wantContains(t, "plan", out, "Findings: 0 errors, ",
			"  no stack renames a resource\n  stack prod adds pool general2 and removes pool general: Pulumi creates new pools before it deletes removed ones; ")
		if strings.Contains(out, "changes pool") {
			t.Errorf("a renamed pool is called a change:\n%s", out)
		}

		_, js, _ := runPlan("-dir", head, "-base", base, "-stack", "prod", "-format", "json")
		var doc struct {
			Stacks []struct {
				PoolChanges []string
				BasePools   *plan.PoolDiff
			}
			OK bool
		}
		if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Stacks) != 1 {
			t.Fatalf("json (%v):\n%s", err, js)
		}
		if d := doc.Stacks[0].BasePools; !doc.OK || len(doc.Stacks[0].PoolChanges) != 0 || d == nil ||
			!slices.Equal(d.Added, []string{"general2"}) || !slices.Equal(d.Removed, []string{"general"}) {
			t.Errorf("json: ok %v, poolChanges %q, basePools %+v", doc.OK, doc.Stacks[0].PoolChanges, d)
		}
	})
}

// ed25519Key is an SSH key AKS refuses: its nodes take RSA keys only.
const ed25519Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKb6Xq3n0t7Y0fYkQXn1Wq0rHn3tC1mBqkq6o9xWm2nN ops@example"

// withSSHKey returns a stack file with aks-kubenet:sshPublicKey set to key,
// in plaintext.
func withSSHKey(stackFile, key string) string {
	return stackFile + "  aks-kubenet:sshPublicKey: " + key + "\n"
}

// refusals are the errors in the text of a refusal of the program
// (rules.Report.Err, which the Pulumi SDK ends with blank lines), in its
// order; none for nil.
func refusals(err error) []string {
	if err == nil {
		return []string{}
	}
	text := strings.TrimRight(err.Error(), "\n")
	_, list, ok := strings.Cut(text, ":\n  - ")
	if !ok {
		return []string{text}
	}
	return strings.Split(list, "\n  - ")
}

// The plan runs every check pulumi preview runs, in one pass: its errors and
// warnings are the preview's, in the same words and order, the SSH key's in
// its place among them.
func TestPlanFindingsAreThePreviews(t *testing.T) {
	dev := committedStack(t, "dev")
	overlap := strings.Replace(dev, "podCidr: 10.244.0.0/16", "podCidr: 10.0.64.0/18", 1)
	for _, tc := range []struct {
		name, stackFile string
		stack           string   // dev when ""
		want            []string // a prefix of each error, in order
	}{
		{name: "committed"},
		{name: "Overlay, a bad key", stack: "staging", stackFile: withSSHKey(committedStack(t, "staging"), ed25519Key),
			want: []string{"aks-kubenet:sshPublicKey is a ssh-ed25519 key: "}},
		{name: "a good key", stackFile: withSSHKey(dev, rsaPublicKey(t, 2048))},
		{name: "a bad key", stackFile: withSSHKey(dev, ed25519Key),
			want: []string{"aks-kubenet:sshPublicKey is a ssh-ed25519 key: "}},
		{name: "a bad key and a pod CIDR in the VNet", stackFile: withSSHKey(overlap, ed25519Key),
			want: []string{"cluster.podCidr 10.0.64.0/18 overlaps network.vnetCidr 10.0.0.0/16", "aks-kubenet:sshPublicKey is a ssh-ed25519 key: "}},
		{name: "a short key and an unknown key", stackFile: withSSHKey(strings.Replace(dev, "    nodeCount: 3\n", "    nodeCount: 3\n    nodeCont: 3\n", 1), rsaPublicKey(t, 1024)),
			want: []string{"cluster.nodeCont: unknown key", "aks-kubenet:sshPublicKey is a 1024-bit RSA key: "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stackName, stackFile := cmp.Or(tc.stack, "dev"), cmp.Or(tc.stackFile, dev)
			dir := writeProject(t, map[string]string{stackName: stackFile})
			p, err := plan.Build(dir, stackName)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := stackfile.Read(dir, stackName)
			if err != nil {
				t.Fatal(err)
			}
			preview := runProgramIn(t, surroundings{preview: true}, stackName, cfg.Values)
			if got := refusals(preview.err); !slices.Equal(p.Errors, got) {
				t.Errorf("plan errors %q, want the preview's %q", p.Errors, got)
			}
			if !slices.Equal(p.Warnings, preview.warnings) {
				t.Errorf("plan warnings %q, want the preview's %q", p.Warnings, preview.warnings)
			}
			if len(p.Errors) != len(tc.want) {
				t.Fatalf("plan errors %q, want %d", p.Errors, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(p.Errors[i], want) {
					t.Errorf("error %d is %q, want %q", i+1, p.Errors[i], want)
				}
			}
		})
	}
}

// A refused SSH key refuses the stack like any other error: exit 1, the
// error among the findings, and ok false in the json format, overall and
// for the stack.
func TestPlanRefusedSSHKey(t *testing.T) {
	dir := writeProject(t, map[string]string{"dev": withSSHKey(committedStack(t, "dev"), ed25519Key)})
	const refused = "error: aks-kubenet:sshPublicKey is a ssh-ed25519 key: AKS nodes take only an RSA public key"
	status, out, errs := runPlan("-dir", dir, "-stack", "dev")
	if status != plan.ExitFindings || errs != "" {
		t.Errorf("exit %d, want %d\nstderr: %s", status, plan.ExitFindings, errs)
	}
	wantContains(t, "plan", out, "Findings: 1 error, ", refused, "Resources: none")

	status, out, errs = runPlan("-dir", dir, "-stack", "dev", "-format", "json")
	var doc struct {
		Stacks []struct {
			Errors []string
			OK     bool
		}
		OK bool
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if status != plan.ExitFindings || errs != "" || doc.OK || len(doc.Stacks) != 1 || doc.Stacks[0].OK || len(doc.Stacks[0].Errors) != 1 {
		t.Errorf("json: exit %d, want %d, ok false for the stack and overall, one error\nstdout: %s\nstderr: %s", status, plan.ExitFindings, out, errs)
	}
}

// -all keeps a stack with a refused SSH key in the cross-stack checks: its
// pod CIDR clash with another stack is reported beside its own error.
func TestPlanAllKeepsARefusedStackInTheCrossStackChecks(t *testing.T) {
	qa := strings.NewReplacer("10.245.", "10.244.", "prod-weu", "qa").Replace(committedStack(t, "prod"))
	dir := writeProject(t, map[string]string{"dev": withSSHKey(committedStack(t, "dev"), ed25519Key), "qa": qa})
	const clash = "stack dev cluster.podCidr 10.244.0.0/16 overlaps stack qa cluster.podCidr 10.244.0.0/16"

	status, out, errs := runPlan("-dir", dir, "-all")
	if status != plan.ExitFindings || errs != "" {
		t.Errorf("exit %d, want %d\nstderr: %s", status, plan.ExitFindings, errs)
	}
	wantContains(t, "plan -all", out, "Stack dev (", "error: aks-kubenet:sshPublicKey is a ssh-ed25519 key", "Across stacks (2)\n  error: "+clash)

	status, out, _ = runPlan("-dir", dir, "-all", "-format", "json")
	var doc struct {
		Stacks []struct {
			Stack string
			OK    bool
		}
		CrossStackErrors []string
		OK               bool
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if status != plan.ExitFindings || doc.OK || len(doc.Stacks) != 2 || doc.Stacks[0].OK || doc.Stacks[1].OK ||
		len(doc.CrossStackErrors) != 1 || !strings.HasPrefix(doc.CrossStackErrors[0], clash) {
		t.Errorf("json: exit %d; want %d, both stacks and the plan not ok, the clash:\n%s", status, plan.ExitFindings, out)
	}
}
