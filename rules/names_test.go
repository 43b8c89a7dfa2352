package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// fromStackName returns base with the names derived from the stack name
// instead of base's own, as a stack that sets none has them.
func fromStackName(name string) func(*spec.Stack) {
	return func(s *spec.Stack) {
		s.Name = name
		s.ResourceGroup.Name, s.Cluster.Name, s.Cluster.DNSPrefix, s.Cluster.IdentityName = "", "", "", ""
		*s = spec.Defaults(*s)
	}
}

// TestNodeResourceGroup checks both sides of AKS's 80 characters for the
// node resource group, configured or AKS's MC_<group>_<cluster>_<location>,
// and the node resource group that is the cluster's own (aks-rules 12.2, 12.3).
// base's default is MC_ + 14 + _ + 19 + _ + 6: a group of 50 characters
// makes it 80.
func TestNodeResourceGroup(t *testing.T) {
	const key = "cluster.nodeResourceGroup"
	runCases(t, []testCase{
		{"set, 80 characters", func(s *spec.Stack) { s.Cluster.NodeResourceGroup = strings.Repeat("n", 80) }, nil, ""},
		{"set, 81 characters", func(s *spec.Stack) { s.Cluster.NodeResourceGroup = strings.Repeat("n", 81) },
			[]string{key + ` "nnnn`, "is 81 characters long: AKS takes a node resource group of at most 80", "aks-rules 12.2"}, CodeInvalidParameter},
		{"set, 91 characters: Azure's rule, once", func(s *spec.Stack) { s.Cluster.NodeResourceGroup = strings.Repeat("n", 91) },
			[]string{key, "is 91 characters long: resource group names have 1-90"}, ""},
		{"default, 80 characters", func(s *spec.Stack) { s.ResourceGroup.Name = strings.Repeat("g", 50) }, nil, ""},
		{"default, 81 characters", func(s *spec.Stack) { s.ResourceGroup.Name = strings.Repeat("g", 51) },
			[]string{key + " is unset, and the node resource group AKS names from aks-kubenet:resourceGroupName \"ggg",
				`cluster.name "aks-kubenet-cluster" and azure-native:location eastus`, "is 81 characters long: AKS takes at most 80",
				"set cluster.nodeResourceGroup to a name of at most 80 characters", "aks-rules 12.2"}, CodeInvalidParameter},
		{"default of a long group, set short", func(s *spec.Stack) {
			s.ResourceGroup.Name, s.Cluster.NodeResourceGroup = strings.Repeat("g", 51), "nodes"
		}, nil, ""},
		{"default from the names of a stack of 19 characters", fromStackName(strings.Repeat("s", 19)), nil, ""},
		{"default from the names of a stack of 20 characters", fromStackName(strings.Repeat("s", 20)),
			[]string{key + " is unset", `cluster.name "aks-kubenet-ssssssssssssssssssss-aks"`, "is 82 characters long"}, CodeInvalidParameter},
		{"the cluster's own group", func(s *spec.Stack) { s.Cluster.NodeResourceGroup = s.ResourceGroup.Name },
			[]string{key + ` "aks-kubenet-rg" is the cluster's own resource group, aks-kubenet:resourceGroupName "aks-kubenet-rg"`, "aks-rules 12.3"},
			CodeNodeResourceGroupSameAsResourceGroup},
		{"the cluster's own group in other letter case", func(s *spec.Stack) { s.Cluster.NodeResourceGroup = "AKS-Kubenet-RG" },
			[]string{key + ` "AKS-Kubenet-RG" is the cluster's own resource group`}, CodeNodeResourceGroupSameAsResourceGroup},
		{"a group of its own", func(s *spec.Stack) { s.Cluster.NodeResourceGroup = "aks-kubenet-rg-nodes" }, nil, ""},
	})
}

// TestNodeResourceGroupKeys checks that a default too long names the keys
// it is built from, and the key that fixes it.
func TestNodeResourceGroupKeys(t *testing.T) {
	s := base()
	s.ResourceGroup.Name = strings.Repeat("g", 51)
	f, ok := findingWith(Check(s).Errors, []string{"node resource group AKS names"})
	want := []string{spec.KeyResourceGroupName, spec.PathClusterName, spec.KeyLocation, spec.PathClusterNodeResourceGroup}
	if !ok || !slices.Equal(f.Keys, want) {
		t.Errorf("keys %q, want %q", f.Keys, want)
	}
}

// TestNodeResourceGroupOfInvalidNames checks that a default built from an
// invalid group or cluster name is not refused again for its length.
func TestNodeResourceGroupOfInvalidNames(t *testing.T) {
	s := base()
	s.Cluster.Name = strings.Repeat("c", 64)
	for _, f := range Check(s).Errors {
		if slices.Contains(f.Keys, spec.PathClusterNodeResourceGroup) {
			t.Errorf("a node resource group finding for an invalid cluster name: %s", f)
		}
	}
}

// TestReservedWordsAccepted checks that names with words ARM reserves for
// resources with a public endpoint of their name ("microsoft", "windows" in
// any name, "login" at the start, "azure" as the whole name) are accepted:
// no resource the program names has such an endpoint (aks-rules 12.1).
func TestReservedWordsAccepted(t *testing.T) {
	runCases(t, []testCase{
		{"the words as whole names", func(s *spec.Stack) {
			s.ResourceGroup.Name, s.Cluster.Name, s.Cluster.DNSPrefix, s.Network.VnetName = "azure", "windows", "microsoft", "login"
			s.Network.SubnetName, s.Network.RouteTableName, s.Cluster.IdentityName = "xbox", "office", "azure"
		}, nil, ""},
		{"the words inside names", func(s *spec.Stack) {
			s.Cluster.Name, s.Cluster.DNSPrefix, s.Network.RouteTableName = "microsoft-aks", "windows-api", "login-routes"
		}, nil, ""},
	})
}

// TestReservedLabel checks the label keys a pool may carry under the
// prefixes AKS and Kubernetes reserve: what the kubelet sets on its own
// node, under node.kubernetes.io and kubelet.kubernetes.io, is taken, except
// the labels AKS sets itself (aks-rules 12.6, 12.7).
func TestReservedLabel(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want int
	}{
		{"example.com/team", labelFree},
		{"team", labelFree},
		{"k8s.io", labelFree},
		{"kubernetes.io/team", labelKubernetes},
		{"k8s.io/team", labelKubernetes},
		{"apps.k8s.io/team", labelKubernetes},
		{"example.kubernetes.io/team", labelKubernetes},
		{"node-restriction.kubernetes.io/team", labelKubernetes},
		{"topology.kubernetes.io/team", labelKubernetes},
		{"xnode.kubernetes.io/team", labelKubernetes},
		{"ak8s.io/team", labelFree},
		{"kubernetes.iox/team", labelFree},
		{"node.kubernetes.io/team", labelFree},
		{"a.node.kubernetes.io/team", labelFree},
		{"kubelet.kubernetes.io/team", labelFree},
		{"node-role.kubernetes.io/gpu", labelFree},
		{"failure-domain.beta.kubernetes.io/zone", labelFree},
		{"beta.kubernetes.io/instance-type", labelFree},
		{"node.kubernetes.io/instance-type", labelOfAKS},
		{"topology.kubernetes.io/zone", labelOfAKS},
		{"kubernetes.io/hostname", labelOfAKS},
		{"kubernetes.io/os", labelOfAKS},
		{"kubernetes.azure.com/mode", labelAKSPrefix},
		{"kubernetes.azure.com/team", labelAKSPrefix},
		{"example.azure.com/team", labelFree},
	} {
		if got := reservedLabel(tc.key); got != tc.want {
			t.Errorf("reservedLabel(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
}

// TestPoolLabelRefusal checks a reserved label through Check: its key, the
// key as written, the rule and AKS's code; and a taint of a Kubernetes
// prefix, which neither AKS nor the kubelet restricts, accepted.
func TestPoolLabelRefusal(t *testing.T) {
	runCases(t, []testCase{
		{"kubernetes.io", withPools(userPool("general", labels("kubernetes.io/x", "y"))),
			[]string{`pools[0].labels key "kubernetes.io/x" has the prefix kubernetes.io/, which Kubernetes reserves: under kubernetes.io and k8s.io a node takes only labels under kubelet.kubernetes.io, node.kubernetes.io or node-role.kubernetes.io`, "aks-rules 12.7"},
			CodeBadRequest},
		{"node-restriction.kubernetes.io", withPools(userPool("general", labels("node-restriction.kubernetes.io/x", "y"))),
			[]string{`pools[0].labels key "node-restriction.kubernetes.io/x" has the prefix node-restriction.kubernetes.io/`}, CodeBadRequest},
		{"node.kubernetes.io/instance-type", withPools(userPool("general", labels("node.kubernetes.io/instance-type", "big"))),
			[]string{`pools[0].labels key "node.kubernetes.io/instance-type" is a label AKS sets on every node itself (aks-rules 12.6)`}, ""},
		{"example.com", withPools(userPool("general", labels("example.com/x", "y"))), nil, ""},
		{"kubernetes.azure.com", withPools(userPool("general", labels("kubernetes.azure.com/x", "y"))),
			[]string{`pools[0].labels key "kubernetes.azure.com/x" has the prefix kubernetes.azure.com/, which AKS reserves for its own labels (aks-rules 12.6)`}, ""},
		{"node.kubernetes.io", withPools(userPool("general", labels("node.kubernetes.io/x", "y"))), nil, ""},
		{"a taint under kubernetes.io", withPools(userPool("general", taints("example.kubernetes.io/x=y:NoSchedule"))), nil, ""},
	})
}

// TestLocation checks azure-native:location as written: the programmatic
// name, a display name (normalized, with one warning), and neither (aks-rules
// 12.4, 12.5). A region the program cannot know of, such as mars, is Azure's
// to refuse.
func TestLocation(t *testing.T) {
	const warning = "is not the region's name as Azure writes it"
	for _, tc := range []struct {
		written, location, warn, err string
	}{
		{written: "eastus", location: "eastus"},
		{written: "East US", location: "eastus", warn: `azure-native:location "East US" is not the region's name as Azure writes it: the program uses eastus, in lower case without spaces; set it so (pulumi config set azure-native:location eastus) (aks-rules 12.4)`},
		{written: "EastUS", location: "eastus", warn: `azure-native:location "EastUS" ` + warning},
		{written: "West Europe", location: "westeurope", warn: `"West Europe" ` + warning},
		{written: "East US 2", location: "eastus2", warn: `"East US 2" ` + warning},
		{written: "Mars", location: "mars", warn: `"Mars" ` + warning},
		{written: "East-US", location: "east-us", err: `azure-native:location "East-US" is not an Azure region: region names are lower-case letters and digits, such as eastus or westeurope`},
		{written: "eastus.", location: "eastus.", err: `azure-native:location "eastus." is not an Azure region`},
		{written: "", location: "", err: "azure-native:location is missing"},
	} {
		s := base()
		s.Location, s.LocationAsWritten = tc.written, ""
		s = spec.Defaults(s)
		if s.Location != tc.location {
			t.Errorf("%q: location %q, want %q", tc.written, s.Location, tc.location)
		}
		r := Check(s)
		var warned []Finding
		for _, w := range r.Warnings {
			if strings.Contains(w.Message, warning) {
				warned = append(warned, w)
			}
		}
		switch {
		case tc.warn == "" && len(warned) > 0, tc.warn != "" && (len(warned) != 1 || !strings.Contains(warned[0].Message, tc.warn)):
			t.Errorf("%q: warnings %v, want one containing %q", tc.written, warned, tc.warn)
		case tc.warn != "" && !slices.Equal(warned[0].Keys, []string{spec.KeyLocation}):
			t.Errorf("%q: warning keys %q", tc.written, warned[0].Keys)
		}
		if _, ok := findingWith(r.Errors, []string{tc.err}); tc.err != "" && !ok || tc.err == "" && len(r.Errors) > 0 {
			t.Errorf("%q: errors\n%v\nwant one containing %q", tc.written, r.Err(), tc.err)
		}
	}
}

// TestLocationNormalFormDownstream checks that what is built from the
// location, AKS's node resource group name and the firewall's service tag,
// takes its normal form.
func TestLocationNormalFormDownstream(t *testing.T) {
	s := base()
	s.Location = "West Europe"
	s = spec.Defaults(s)
	if got, want := aksfacts.NodeResourceGroup(s), "MC_aks-kubenet-rg_aks-kubenet-cluster_westeurope"; got != want {
		t.Errorf("NodeResourceGroup = %q, want %q", got, want)
	}
	if got := aksfacts.RequiredRules(s.Location, aksfacts.Addons{})[0].Destinations; !slices.Equal(got, []string{"AzureCloud.westeurope"}) {
		t.Errorf("the API server rule's destinations %q, want AzureCloud.westeurope", got)
	}
}
