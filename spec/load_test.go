package spec

import (
	"strings"
	"testing"
)

// aks-kubenet:pools decodes pool by pool and key by key: every problem is
// named by its path, and the defaults come from the cluster.
func TestLoadPools(t *testing.T) {
	values := map[string]string{
		KeyNetwork: `{}`,
		KeyCluster: `{"vmSize":"Standard_D8s_v5"}`,
		KeyPools: `[{"name":"general","nodeCount":3,"labels":{"tier":"web"},"taints":["gpu=true:NoSchedule"],"zones":[1,2]},
			{"name":"spot","priority":"Spot","minCount":0,"maxCount":5,"spotMaxPrice":0.05},
			{"name":"bad","nodeCount":"three","vmsize":"red"}]`,
	}
	s, err := Load("prod", source(values))
	for _, want := range []string{`pools[2].vmsize: unknown key`, `pools[2].nodeCount: want a whole number, got "three"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v, want it to contain %q", err, want)
		}
	}
	if len(s.Pools) != 3 {
		t.Fatalf("decoded %d pools, want 3", len(s.Pools))
	}
	general, spot := s.Pools[0], s.Pools[1]
	if general.VMSize != "Standard_D8s_v5" || *general.MaxPods != DefaultMaxPods || general.MaxSurge != DefaultMaxSurge ||
		general.Mode != PoolModeUser || general.OSSku != OSSkuUbuntu || general.Priority != PriorityRegular || general.EvictionPolicy != "" {
		t.Errorf("general's defaults: %+v", general)
	}
	if general.Labels["tier"] != "web" || len(general.Taints) != 1 || len(general.Zones) != 2 || general.MaxNodes() != 3 {
		t.Errorf("general: %+v", general)
	}
	if !spot.Spot() || spot.EvictionPolicy != EvictionDelete || *spot.SpotMaxPrice != 0.05 || !spot.Autoscaling() || spot.MaxNodes() != 5 {
		t.Errorf("spot: %+v", spot)
	}
	if got := s.SystemPoolTaints(); len(got) != 1 || got[0] != CriticalAddonsOnly {
		t.Errorf("system pool taints with user pools: %v", got)
	}
	s.Cluster.CriticalAddonsOnly = new(bool)
	if got := s.SystemPoolTaints(); got != nil {
		t.Errorf("system pool taints with criticalAddonsOnly false: %v", got)
	}
	values[KeyPools] = `{"name":"general"}`
	if _, err := Load("prod", source(values)); err == nil ||
		!strings.Contains(err.Error(), `pools: want a list of pool objects, got {"name":"general"}`) {
		t.Errorf("a pool object where a list belongs: %v", err)
	}
}

// A whole number the Pulumi CLI hands over in float form ("1e+06") is the
// number; one that is not whole is refused in decimal form, never in Go's
// exponent form.
func TestLoadWholeNumbersInFloatForm(t *testing.T) {
	values := map[string]string{
		KeyNetwork: `{}`,
		KeyCluster: `{"nodeCount":1e+06,"maxPods":3.0,"minCount":1.5e+00,"maxCount":1e-07}`,
	}
	s, err := Load("dev", source(values))
	if *s.Cluster.NodeCount != 1000000 || *s.Cluster.MaxPods != 3 {
		t.Errorf("nodeCount %v, maxPods %v: want 1000000 and 3", *s.Cluster.NodeCount, *s.Cluster.MaxPods)
	}
	for _, want := range []string{"cluster.minCount: want a whole number, got 1.5", "cluster.maxCount: want a whole number, got 0.0000001"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v, want it to contain %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "e+0") {
		t.Errorf("Load error shows a number in exponent form: %v", err)
	}
}
