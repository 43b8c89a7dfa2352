package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		"Findings: 0 errors, 1 warning",
		"warning: cluster.serviceCidr 10.0.4.0/24",
		// the IP plan and its capacity
		"VNet            10.0.0.0/16        65536 addresses",
		"256 addresses, 251 usable (Azure reserves 5); holds the pool at its peak of 4 nodes (3 + 1 surge) with 247 to spare",
		"Pod CIDR        10.244.0.0/16      256 nodes at one /24 per node",
		"Service CIDR    10.0.4.0/24        256 addresses",
		"DNS service IP  10.0.4.10",
		"5 of 400 routes at the peak: 4 AKS node routes + 1 user-defined",
		"251 nodes, bound first by the node subnet (network.nodeSubnetCidr); then pod CIDR 256, route table 399, kubenet 400",
		// every resource, with parents, dependencies and key properties
		"9 Azure resources in 4 components",
		"components: egress (aks-kubenet:network:RouteTable), identity (aks-kubenet:iam:ClusterIdentity), network (aks-kubenet:network:VirtualNetwork), aks (aks-kubenet:cluster:KubenetCluster)",
		"  step 2  egress-table  azure-native:network:RouteTable\n      in component: egress (aks-kubenet:network:RouteTable)\n      depends on: resource-group\n",
		"routes: none inline",
		"nextHopType: VirtualAppliance\n      nextHopIpAddress: 10.0.2.4",
		"role: Network Contributor (/subscriptions/<subscription-id>/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7)",
		"scope: /subscriptions/<subscription-id>/resourceGroups/aks-kubenet-rg/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-subnet",
		"principalId: <known after apply>",
		"depends on: egress-default-route, identity-route-table-network-contributor, identity-subnet-network-contributor, identity-uami, network-node-subnet, resource-group",
		"networkProfile.podCidr: 10.244.0.0/16",
		"networkProfile.outboundType: userDefinedRouting",
	)
	// The steps are the five of the issue, in order; one step's resources are
	// created in parallel.
	wantContains(t, "plan", out,
		"  step 1  resource-group ", "  step 2  network-vnet ", "  step 2  egress-table ", "  step 2  identity-uami ",
		"  step 3  network-node-subnet ", "  step 3  egress-default-route ", "  step 3  identity-route-table-network-contributor ",
		"  step 4  identity-subnet-network-contributor ", "  step 5  aks-cluster ")
	if strings.Index(out, "  step 4 ") > strings.Index(out, "  step 5 ") || strings.Index(out, "  step 1 ") > strings.Index(out, "  step 2 ") {
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
		`subgraph component_aks["KubenetCluster component: aks"]`,
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
		}
		CrossStackErrors []string
		OK               bool
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if !doc.OK || len(doc.Stacks) != 2 || doc.Stacks[0].Stack != "dev" || doc.Stacks[1].Stack != "prod" || len(doc.CrossStackErrors) != 0 {
		t.Fatalf("unexpected document: %+v", doc)
	}
	prod := doc.Stacks[1]
	if prod.IPPlan == nil || prod.IPPlan.Peak != 27 || prod.IPPlan.Binding.Name != "pod CIDR" || prod.IPPlan.SubnetUsable != 1019 {
		t.Errorf("prod IP plan = %+v, want a peak of 27 nodes (20 + 33%% surge), 1019 usable, bound by the pod CIDR", prod.IPPlan)
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
	if len(prod.Resources) != 14 {
		t.Errorf("prod has %d resources, want 10 Azure resources and 4 components", len(prod.Resources))
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
			wantStatus: plan.ExitOK, wantOut: []string{"linuxProfile.ssh.publicKeys[0].keyData: [secret]"},
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
