package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// withPools sets aks-kubenet:pools to pools and applies the defaults, as
// spec.Load does.
func withPools(pools ...spec.Pool) func(*spec.Stack) {
	return func(s *spec.Stack) {
		s.Pools = slices.Clone(pools)
		*s = spec.Defaults(*s)
	}
}

// userPool is a Regular user pool of three nodes named name, as edits change it.
func userPool(name string, edits ...func(*spec.Pool)) spec.Pool {
	p := spec.Pool{Name: name, NodeCount: spec.Int(3)}
	for _, edit := range edits {
		edit(&p)
	}
	return p
}

// spotPool is an autoscaled Spot pool of 0 to 5 nodes named name, as edits
// change it.
func spotPool(name string, edits ...func(*spec.Pool)) spec.Pool {
	return userPool(name, append([]func(*spec.Pool){func(p *spec.Pool) {
		p.NodeCount, p.MinCount, p.MaxCount, p.Priority = nil, spec.Int(0), spec.Int(5), spec.PrioritySpot
	}}, edits...)...)
}

// counts sets a pool's nodeCount, minCount and maxCount; -1 leaves one unset.
func counts(node, min, max int) func(*spec.Pool) {
	set := func(n int) *int {
		if n == -1 {
			return nil
		}
		return spec.Int(n)
	}
	return func(p *spec.Pool) { p.NodeCount, p.MinCount, p.MaxCount = set(node), set(min), set(max) }
}

func system(p *spec.Pool) { p.Mode = spec.PoolModeSystem }

func maxPods(n int) func(*spec.Pool) { return func(p *spec.Pool) { p.MaxPods = spec.Int(n) } }

func labels(kv ...string) func(*spec.Pool) {
	return func(p *spec.Pool) {
		p.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			p.Labels[kv[i]] = kv[i+1]
		}
	}
}

func taints(t ...string) func(*spec.Pool) { return func(p *spec.Pool) { p.Taints = t } }

func price(v float64) func(*spec.Pool) { return func(p *spec.Pool) { p.SpotMaxPrice = &v } }

// manyPools returns n valid user pools of 0 nodes, p0 to p<n-1>.
func manyPools(n int) []spec.Pool {
	pools := make([]spec.Pool, n)
	for i := range pools {
		pools[i] = userPool(fmt.Sprintf("p%d", i), counts(0, -1, -1))
	}
	return pools
}

// afterDefaults applies withPools, then change, for values Defaults would fill in.
func afterDefaults(change func(*spec.Pool), pools ...spec.Pool) func(*spec.Stack) {
	return func(s *spec.Stack) {
		withPools(pools...)(s)
		change(&s.Pools[0])
	}
}

func TestRule16PoolsValid(t *testing.T) {
	runCases(t, []testCase{
		{"a user pool of three nodes", withPools(userPool("general")), nil, ""},
		{"a user pool of 0 nodes", withPools(userPool("idle", counts(0, -1, -1))), nil, ""},
		{"an autoscaled pool scaling to 0", withPools(userPool("batch", counts(-1, 0, 5))), nil, ""},
		{"an autoscaled pool with a node count", withPools(userPool("batch", counts(2, 0, 5))), nil, ""},
		{"a Spot pool with defaults", withPools(userPool("general"), spotPool("spot")), nil, ""},
		{"a Spot pool listing the Spot taint", withPools(spotPool("spot", taints(spec.SpotTaint))), nil, ""},
		{"a Spot pool with Deallocate and a price cap", withPools(spotPool("spot", price(0.98765), func(p *spec.Pool) {
			p.EvictionPolicy = spec.EvictionDeallocate
		})), nil, ""},
		{"a System pool", withPools(userPool("sys2", system)), nil, ""},
		{"a System pool of one node with room for 30 pods", withPools(userPool("sys2", system, counts(1, -1, -1), maxPods(30))), nil, ""},
		{"a System pool tainted CriticalAddonsOnly and PreferNoSchedule", withPools(userPool("sys2", system, taints(spec.CriticalAddonsOnly, "CriticalAddonsOnly=true:NoExecute", "sku=gpu:PreferNoSchedule"))), nil, ""},
		{"a user pool of one node with 10 pods", withPools(userPool("small", counts(1, -1, -1), maxPods(10))), nil, ""},
		{"250 pods per node", withPools(userPool("dense", maxPods(250))), nil, ""},
		{"AzureLinux", withPools(userPool("mariner", func(p *spec.Pool) { p.OSSku = spec.OSSkuAzureLinux })), nil, ""},
		{"a percentage surge", withPools(userPool("general", func(p *spec.Pool) { p.MaxSurge = "33%" })), nil, ""},
		{"zones", withPools(userPool("zonal", func(p *spec.Pool) { p.Zones = spec.StringList{"1", "2", "3"} })), nil, ""},
		{"labels", withPools(userPool("labeled", labels("team", "data", "example.com/tier", "gpu-1", "empty", "", "A_b.c", "X"))), nil, ""},
		{"taints", withPools(userPool("tainted", taints("sku=gpu:NoSchedule", "sku=gpu:NoExecute", "dedicated:PreferNoSchedule", "example.com/x=:NoSchedule"))), nil, ""},
		{"two pools", withPools(userPool("general"), userPool("batch", counts(-1, 0, 5))), nil, ""},
		{"99 pools, 100 with the system pool", withPools(manyPools(99)...), nil, ""},
	})
}

func TestRule16PoolsErrors(t *testing.T) {
	long := strings.Repeat("a", 64)
	runCases(t, []testCase{
		// name
		{"name missing", withPools(userPool("")), []string{"pools[0].name is missing: Linux node pool names have 1-12 characters"}, ""},
		{"name in upper case", withPools(userPool("GPU")), []string{`pools[0].name "GPU" contains 'G': Linux node pool names have`}, ""},
		{"name of 13 characters", withPools(userPool("abcdefghijklm")), []string{`pools[0].name "abcdefghijklm" is 13 characters long`}, ""},
		{"name starting with a digit", withPools(userPool("1gpu")), []string{`pools[0].name "1gpu" starts with '1'`}, ""},
		{"name twice", withPools(userPool("gpu"), userPool("batch"), userPool("gpu")),
			[]string{`pools[2].name "gpu" repeats pools[0].name: node pool names are unique in a cluster`}, ""},
		{"the system pool's name", withPools(userPool("system")),
			[]string{`pools[0].name "system" is cluster.nodePoolName, the system pool's name`}, ""},
		{"101 pools with the system pool", withPools(manyPools(100)...),
			[]string{"pools has 100 pools, 101 with the system pool: an AKS cluster has at most 100 node pools"}, ""},
		// vmSize
		{"vmSize missing", afterDefaults(func(p *spec.Pool) { p.VMSize = "" }, userPool("general")),
			[]string{"pools[0].vmSize is missing: set the nodes' VM size"}, ""},
		{"vmSize with a space", withPools(userPool("general", func(p *spec.Pool) { p.VMSize = "Standard D4s v5" })),
			[]string{`pools[0].vmSize "Standard D4s v5" contains a space`}, ""},
		// counts
		{"nodeCount missing", withPools(userPool("general", counts(-1, -1, -1))),
			[]string{"pools[0].nodeCount is missing: set the pool's node count, or pools[0].minCount and pools[0].maxCount to autoscale it"}, ""},
		{"minCount without maxCount", withPools(userPool("general", counts(-1, 1, -1))),
			[]string{"pools[0].minCount 1 is set without pools[0].maxCount: set both"}, ""},
		{"maxCount without minCount", withPools(userPool("general", counts(-1, -1, 5))),
			[]string{"pools[0].maxCount 5 is set without pools[0].minCount: set both"}, ""},
		{"negative nodeCount", withPools(userPool("general", counts(-2, -1, -1))),
			[]string{"pools[0].nodeCount -2 is negative: a user pool has 0 nodes or more"}, ""},
		{"negative minCount", withPools(userPool("general", counts(-1, -2, 5))),
			[]string{"pools[0].minCount -2 is negative"}, ""},
		{"System pool of 0 nodes", withPools(userPool("sys2", system, counts(0, -1, -1))),
			[]string{"pools[0].nodeCount 0 is less than 1: a System-mode pool needs at least one node"}, ""},
		{"System pool scaling to 0", withPools(userPool("sys2", system, counts(-1, 0, 5))),
			[]string{"pools[0].minCount 0 is less than 1: a System-mode pool needs at least one node"}, ""},
		{"minCount above maxCount", withPools(userPool("general", counts(-1, 5, 2))),
			[]string{"pools[0].minCount 5 exceeds pools[0].maxCount 2: want minCount <= nodeCount <= maxCount"}, ""},
		{"nodeCount above maxCount", withPools(userPool("general", counts(6, 1, 5))),
			[]string{"pools[0].nodeCount 6 exceeds pools[0].maxCount 5"}, ""},
		{"minCount above nodeCount", withPools(userPool("general", counts(1, 2, 5))),
			[]string{"pools[0].minCount 2 exceeds pools[0].nodeCount 1"}, ""},
		{"maxCount over 1000", withPools(userPool("general", counts(-1, 0, 1001))),
			[]string{"pools[0].maxCount 1001 exceeds 1000, the most nodes AKS puts in one node pool"}, ""},
		{"nodeCount over 1000", withPools(userPool("general", counts(1001, -1, -1))),
			[]string{"pools[0].nodeCount 1001 exceeds 1000"}, ""},
		// maxPods
		{"maxPods missing", afterDefaults(func(p *spec.Pool) { p.MaxPods = nil }, userPool("general")),
			[]string{"pools[0].maxPods is missing: set the pods per node, from 10 to 250"}, ""},
		{"maxPods 9", withPools(userPool("general", maxPods(9))), []string{"pools[0].maxPods 9 is outside 10-250, the pods per node kubenet allows"}, ""},
		{"maxPods 251", withPools(userPool("general", maxPods(251))), []string{"pools[0].maxPods 251 is outside 10-250"}, ""},
		{"System pool without room for 30 pods", withPools(userPool("sys2", system, counts(2, -1, -1), maxPods(14))),
			[]string{"pools[0].maxPods 14 × pools[0].nodeCount 2 gives the pool room for 28 pods at its smallest, but a system pool needs room for at least 30"}, ""},
		{"autoscaled System pool without room for 30 pods", withPools(userPool("sys2", system, counts(3, 1, 5), maxPods(20))),
			[]string{"pools[0].maxPods 20 × pools[0].minCount 1 gives the pool room for 20 pods"}, ""},
		// maxSurge
		{"maxSurge 0", withPools(userPool("general", func(p *spec.Pool) { p.MaxSurge = "0" })),
			[]string{`pools[0].maxSurge "0" is neither a node count such as 1 nor a percentage from 1% to 100%`}, ""},
		{"maxSurge over 100%", withPools(userPool("general", func(p *spec.Pool) { p.MaxSurge = "101%" })),
			[]string{`pools[0].maxSurge "101%" is neither`}, ""},
		// mode and osSku
		{"mode in lower case", withPools(userPool("general", func(p *spec.Pool) { p.Mode = "user" })),
			[]string{`pools[0].mode "user" is not a node pool mode: want User or System`}, ""},
		{"a Spot System pool", withPools(spotPool("spot", system, counts(-1, 1, 5))),
			[]string{"pools[0].mode System with pools[0].priority Spot: AKS takes Spot pools only as user pools"}, ""},
		{"Windows", withPools(userPool("win", func(p *spec.Pool) { p.OSSku = "Windows2022" })),
			[]string{`pools[0].osSku "Windows2022" is not a Linux OS SKU the program runs: want Ubuntu or AzureLinux`}, ""},
		// zones
		{"zone 4", withPools(userPool("zonal", func(p *spec.Pool) { p.Zones = spec.StringList{"1", "4"} })),
			[]string{`pools[0].zones[1] "4" is not an availability zone: AKS takes 1, 2 and 3`}, ""},
		{"a zone twice", withPools(userPool("zonal", func(p *spec.Pool) { p.Zones = spec.StringList{"2", "2"} })),
			[]string{`pools[0].zones[1] "2" is listed twice`}, ""},
		// labels
		{"label of AKS", withPools(userPool("general", labels("kubernetes.azure.com/mode", "system"))),
			[]string{`pools[0].labels key "kubernetes.azure.com/mode" has the prefix kubernetes.azure.com/, which AKS reserves for its own labels`}, ""},
		{"label of Kubernetes", withPools(userPool("general", labels("kubernetes.io/role", "agent"))),
			[]string{`pools[0].labels key "kubernetes.io/role" has the prefix kubernetes.io/, which Kubernetes reserves`, "aks-rules 12.7"}, CodeBadRequest},
		{"label key empty", withPools(userPool("general", labels("", "x"))), []string{`pools[0].labels key "" is empty: label keys are`}, ""},
		{"label key starting with a hyphen", withPools(userPool("general", labels("-team", "x"))),
			[]string{`pools[0].labels key "-team" starts with '-': label keys are an optional DNS subdomain and "/", then a name of 1-63 characters`}, ""},
		{"label name of 64 characters", withPools(userPool("general", labels("example.com/"+long, "x"))),
			[]string{`pools[0].labels key "example.com/aaaa`, `has a name that is 64 characters long`}, ""},
		{"label prefix in upper case", withPools(userPool("general", labels("Example.com/team", "x"))),
			[]string{`pools[0].labels key "Example.com/team" has the prefix "Example.com", which is not a DNS subdomain`}, ""},
		{"label prefix of 254 characters", withPools(userPool("general", labels(strings.Repeat("a", 254)+"/team", "x"))),
			[]string{`pools[0].labels key "aaaa`, `has a prefix of 254 characters, more than 253`}, ""},
		{"label prefix empty", withPools(userPool("general", labels("/team", "x"))), []string{`pools[0].labels key "/team" has an empty prefix`}, ""},
		{"label name empty", withPools(userPool("general", labels("example.com/", "x"))), []string{`pools[0].labels key "example.com/" has no name after "/"`}, ""},
		{"label key with two slashes", withPools(userPool("general", labels("a.b/c/d", "x"))),
			[]string{`pools[0].labels key "a.b/c/d" has a name that contains '/'`}, ""},
		{"label value with a space", withPools(userPool("general", labels("team", "data science"))),
			[]string{`pools[0].labels value "data science" of "team" contains ' ': label values are empty or 1-63 characters`}, ""},
		{"label value of 64 characters", withPools(userPool("general", labels("team", long))),
			[]string{`pools[0].labels value "aaaa`, `of "team" is 64 characters long`}, ""},
		{"label value ending in a dot", withPools(userPool("general", labels("team", "data."))),
			[]string{`pools[0].labels value "data." of "team" ends with '.'`}, ""},
		// taints
		{"taint without an effect", withPools(userPool("general", taints("sku=gpu"))),
			[]string{`pools[0].taints[0] "sku=gpu" is not a taint: want key=value:Effect or key:Effect`}, ""},
		{"taint with an unknown effect", withPools(userPool("general", taints("sku=gpu:NoScheduling"))),
			[]string{`pools[0].taints[0] "sku=gpu:NoScheduling" has the effect "NoScheduling": want NoSchedule, PreferNoSchedule or NoExecute`}, ""},
		{"taint key empty", withPools(userPool("general", taints("=gpu:NoSchedule"))),
			[]string{`pools[0].taints[0] "=gpu:NoSchedule" has the key "", which is empty: taint keys are label keys`}, ""},
		{"taint key with a space", withPools(userPool("general", taints("s ku=gpu:NoSchedule"))),
			[]string{`pools[0].taints[0] "s ku=gpu:NoSchedule" has the key "s ku", which contains ' '`}, ""},
		{"taint value with a colon", withPools(userPool("general", taints("sku=a:b:NoSchedule"))),
			[]string{`pools[0].taints[0] "sku=a:b:NoSchedule" has the value "a:b", which contains ':': taint values are empty or`}, ""},
		{"taint key and effect twice", withPools(userPool("general", taints("sku=gpu:NoSchedule", "x:NoExecute", "sku=cpu:NoSchedule"))),
			[]string{`pools[0].taints[2] "sku=cpu:NoSchedule" has the key and effect of pools[0].taints[0]: Kubernetes takes one taint per key and effect`}, ""},
		{"taint on the Spot taint's key and effect", withPools(spotPool("spot", taints("kubernetes.azure.com/scalesetpriority=regular:NoSchedule"))),
			[]string{`pools[0].taints[0] "kubernetes.azure.com/scalesetpriority=regular:NoSchedule" has the key and effect of kubernetes.azure.com/scalesetpriority=spot:NoSchedule, which AKS puts on every Spot node`}, ""},
		{"a System pool tainted NoSchedule", withPools(userPool("sys2", system, taints("sku=gpu:NoSchedule"))),
			[]string{`pools[0].taints[0] "sku=gpu:NoSchedule" is on a pool of pools[0].mode System: AKS refuses a System pool's taints unless the key is CriticalAddonsOnly or the effect PreferNoSchedule; set pools[0].mode User, or change the taint`}, CodeSystemPoolHasRestrictedTaint},
		{"a System pool tainted NoExecute", withPools(userPool("sys2", system, taints("sku=gpu:PreferNoSchedule", "dedicated:NoExecute"))),
			[]string{`pools[0].taints[1] "dedicated:NoExecute" is on a pool of pools[0].mode System`}, CodeSystemPoolHasRestrictedTaint},
		// priority and Spot settings
		{"unknown priority", withPools(userPool("general", func(p *spec.Pool) { p.Priority = "Low" })),
			[]string{`pools[0].priority "Low" is not a node pool priority: want Regular or Spot`}, ""},
		{"eviction policy of a Regular pool", withPools(userPool("general", func(p *spec.Pool) { p.EvictionPolicy = spec.EvictionDelete })),
			[]string{`pools[0].evictionPolicy "Delete" is set but pools[0].priority is Regular: only a Spot pool has an eviction policy`}, ""},
		{"price cap of a Regular pool", withPools(userPool("general", price(-1))),
			[]string{"pools[0].spotMaxPrice -1 is set but pools[0].priority is Regular: only a Spot pool has a price cap"}, ""},
		{"unknown eviction policy", withPools(spotPool("spot", func(p *spec.Pool) { p.EvictionPolicy = "Stop" })),
			[]string{`pools[0].evictionPolicy "Stop" is not an eviction policy: want Delete or Deallocate`}, ""},
		{"price cap 0", withPools(spotPool("spot", price(0))),
			[]string{"pools[0].spotMaxPrice 0 is neither -1 nor a price above 0"}, ""},
		{"price cap -2", withPools(spotPool("spot", price(-2))),
			[]string{"pools[0].spotMaxPrice -2 is neither -1 nor a price above 0"}, ""},
		{"price cap of six decimal places", withPools(spotPool("spot", price(0.123456))),
			[]string{"pools[0].spotMaxPrice 0.123456 has 6 decimal places: AKS takes a price in US dollars with at most 5"}, ""},
		// every problem of a pool at once, keyed by its index
		{"the second pool's problems", withPools(userPool("general"), userPool("B", maxPods(5))),
			[]string{`pools[1].name "B" contains 'B'`}, ""},
	})
}

// TestRule16PoolSizeLimit checks AKS's 1,000 nodes per pool apart from the
// kubenet limit, which a pool of 1,000 nodes also breaks.
func TestRule16PoolSizeLimit(t *testing.T) {
	const limit = "the most nodes AKS puts in one node pool"
	for _, tc := range []struct {
		pool spec.Pool
		want bool
	}{
		{userPool("general", counts(1000, -1, -1)), false},
		{userPool("general", counts(1001, -1, -1)), true},
		{userPool("general", counts(-1, 0, 1000)), false},
		{userPool("general", counts(-1, 0, 1001)), true},
	} {
		s := base()
		withPools(tc.pool)(&s)
		if _, got := findingWith(Check(s).Errors, []string{limit}); got != tc.want {
			t.Errorf("nodeCount %v, maxCount %v: error %q reported %v, want %v", deref(tc.pool.NodeCount), deref(tc.pool.MaxCount), limit, got, tc.want)
		}
	}
}

func deref(n *int) any {
	if n == nil {
		return nil
	}
	return *n
}

// TestRule16EveryProblemOfAPool checks that one pool's problems are all
// reported, each under its own key.
func TestRule16EveryProblemOfAPool(t *testing.T) {
	s := base()
	withPools(userPool("general"), userPool("B", maxPods(5), counts(-1, -1, -1), taints("x"), func(p *spec.Pool) {
		p.Mode, p.OSSku, p.Zones, p.Labels = "user", "Debian", spec.StringList{"0"}, map[string]string{"kubernetes.io/x": "y"}
	}))(&s)
	var got []string
	for _, f := range Check(s).Errors {
		got = append(got, f.Keys[0])
	}
	want := []string{"pools[1].name", "pools[1].nodeCount", "pools[1].maxPods", "pools[1].mode", "pools[1].osSku", "pools[1].zones[0]", "pools[1].labels", "pools[1].taints[0]"}
	if !slices.Equal(got, want) {
		t.Errorf("keys of the errors = %q, want %q", got, want)
	}
}

// TestRule16BadNameReportedOnce checks that a name that breaks AKS's rule is
// not also reported as a repeat.
func TestRule16BadNameReportedOnce(t *testing.T) {
	s := base()
	withPools(userPool("B"), userPool("B"))(&s)
	var got []string
	for _, f := range Check(s).Errors {
		got = append(got, strings.Join(f.Keys, " "))
	}
	if want := []string{"pools[0].name", "pools[1].name"}; !slices.Equal(got, want) {
		t.Errorf("keys of the errors = %q, want %q", got, want)
	}
}

func TestRule16PoolsWarnings(t *testing.T) {
	off := func(s *spec.Stack) { s.Cluster.CriticalAddonsOnly = flag(false) }
	runWarningCases(t, []warningCase{
		{"no pools", func(*spec.Stack) {}, nil},
		{"criticalAddonsOnly false without pools", off, nil},
		{"only Spot pools with the system pool tainted", withPools(spotPool("spot"), spotPool("spot2")),
			[]string{"every pool in pools is Spot and cluster.criticalAddonsOnly taints the system pool CriticalAddonsOnly: workloads run only on nodes Azure can evict at any time"}},
		{"only Spot pools with criticalAddonsOnly false", func(s *spec.Stack) { off(s); withPools(spotPool("spot"))(s) }, nil},
		{"a Spot pool beside a Regular pool", withPools(spotPool("spot"), userPool("general")), nil},
		{"a Regular pool", withPools(userPool("general")), nil},
	})
}
