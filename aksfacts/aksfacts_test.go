package aksfacts

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// forceNew returns the properties the provider's forceNewMap lists for a
// ContainerService resource, as ../shared/reference/azure-native-replace.md
// quotes pulumi-azure-native's provider/pkg/gen/replacement.go (v2).
func forceNew(t *testing.T, resource string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "shared", "reference", "azure-native-replace.md"))
	if err != nil {
		t.Fatalf("the provider's forceNewMap, as the reference quotes it: %v", err)
	}
	m := regexp.MustCompile(`"` + resource + `": codegen\.NewStringSet\(([^)]*)\)`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("no forceNewMap entry for %s in azure-native-replace.md", resource)
	}
	var props []string
	for _, q := range regexp.MustCompile(`"([A-Za-z]+)"`).FindAllSubmatch(m[1], -1) {
		props = append(props, string(q[1]))
	}
	return props
}

// The create-only inputs are the real provider's forceNewMap, with the
// inputs that name the resource (which replace it too): the simulated Azure
// replaces on these lists, so they must be the provider's, not ours.
func TestCreateOnlyInputsAreTheProvidersForceNewMap(t *testing.T) {
	for _, c := range []struct {
		resource string
		names    []string
		got      []string
	}{
		{"ManagedCluster", []string{"resourceGroupName", "resourceName"}, ClusterCreateOnlyInputs},
		{"AgentPool", []string{"resourceGroupName", "resourceName", "agentPoolName"}, PoolCreateOnlyInputs},
	} {
		want := slices.Sorted(slices.Values(append(forceNew(t, c.resource), c.names...)))
		if got := slices.Sorted(slices.Values(c.got)); !slices.Equal(got, want) {
			t.Errorf("%s create-only inputs %v, the provider's forceNewMap and names %v", c.resource, got, want)
		}
	}
}

// Each name is recorded in a stack output of its own and set by a config
// path that exists; each fixed pool setting is a pool's config path.
func TestNamesAndPoolSettingsAreConfigPaths(t *testing.T) {
	paths := map[string]bool{}
	for _, p := range spec.Paths() {
		paths[p.Path] = true
	}
	outputs := map[string]bool{}
	for _, n := range Names {
		if outputs[n.Output] {
			t.Errorf("output %s twice", n.Output)
		}
		outputs[n.Output] = true
		if n.Path != "" && !paths[n.Path] {
			t.Errorf("%s: %s is no config path", n.Output, n.Path)
		}
		if n.Value == nil || n.What == "" || n.Change == "" || n.Cannot == "" || n.Replaced == "" || n.From == "" {
			t.Errorf("%s: incomplete: %+v", n.Output, n)
		}
	}
	for _, s := range FixedPoolSettings {
		if !paths[s.Path] || !strings.HasPrefix(s.Path, spec.PathOf(spec.KeyPools)+"[].") {
			t.Errorf("fixed pool setting %s is no pool's config path", s.Path)
		}
	}
	if got := PoolSummary(spec.Pool{VMSize: "Standard_D4s_v5", Zones: []string{"1", "2"}, MaxPods: spec.Int(50), OSSku: "Ubuntu"}); got != "vmSize=Standard_D4s_v5 zones=1,2 maxPods=50 osSku=Ubuntu priority=Regular" {
		t.Errorf("PoolSummary = %q", got)
	}
}

// AKS names the node resource group when the stack does not.
func TestNodeResourceGroup(t *testing.T) {
	s := spec.Stack{Location: "westeurope", ResourceGroup: spec.ResourceGroup{Name: "rg"}, Cluster: spec.Cluster{Name: "aks"}}
	if got := NodeResourceGroup(s); got != "MC_rg_aks_westeurope" {
		t.Errorf("default = %q", got)
	}
	s.Cluster.NodeResourceGroup = "nodes"
	if got := NodeResourceGroup(s); got != "nodes" {
		t.Errorf("configured = %q", got)
	}
}

// The days to kubenet's retirement count whole days from the day of now,
// and none after it.
func TestDaysToKubenetRetirement(t *testing.T) {
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, time.December, 7, 23, 59, 0, 0, time.UTC), 480},
		{time.Date(2028, time.March, 30, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(2028, time.March, 31, 12, 0, 0, 0, time.UTC), 0},
		{time.Date(2029, time.January, 1, 0, 0, 0, 0, time.UTC), 0},
	} {
		if got := DaysToKubenetRetirement(c.now); got != c.want {
			t.Errorf("DaysToKubenetRetirement(%s) = %d, want %d", c.now, got, c.want)
		}
	}
}

// The vCPUs of a size are the number after its family letters.
func TestVCPUs(t *testing.T) {
	for size, want := range map[string]int{"Standard_D4s_v5": 4, "Standard_E16ads_v5": 16, "Standard_M128ms": 128, "Standard_NC24ads_A100_v4": 24, "Standard_DC2s_v2": 2, "Basic_A1": 1, "standard_b2ms": 2, "Standard_B1s": 1} {
		if got, ok := VCPUs(size); !ok || got != want {
			t.Errorf("VCPUs(%s) = %d %v, want %d", size, got, ok, want)
		}
	}
	for _, size := range []string{"", "Custom_Size", "Standard_", "Standard_D0s"} {
		if _, ok := VCPUs(size); ok {
			t.Errorf("VCPUs(%q) is known", size)
		}
	}
}
