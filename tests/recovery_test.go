package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// What lets a stack recover from Azure's faults is on every resource that
// needs it, in every committed stack (dev, prod and staging): the retry hook on every azure-native
// resource; no retainOnDelete anywhere (a same-name replacement would be
// stuck on "already exists", faults.md §3.1); the cluster's and the pools'
// operation timeout below the deploy job's; each pool after the previous
// one, as AKS takes one pool operation at a time; and a resource known by
// its type and name alone, which is how the state doctor's adoption finds it.
func TestRecoveryOptions(t *testing.T) {
	want := fmt.Sprint(cluster.OperationTimeout)
	for _, name := range committedStacks(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := runStackFile(t, name)
			mustSucceed(t, r)
			seen := map[string]bool{}
			for _, res := range r.resources {
				if !res.Custom || !strings.HasPrefix(res.Type, "azure-native:") {
					continue
				}
				if len(res.ErrorHooks) != 1 {
					t.Errorf("%s %s: error hooks %v, want the retry hook only", res.Type, res.Name, res.ErrorHooks)
				}
				if res.RetainOnDelete {
					t.Errorf("%s %s: retainOnDelete", res.Type, res.Name)
				}
				if res.ImportID != "" {
					t.Errorf("%s %s: imported from %s without aks-kubenet:adopt", res.Type, res.Name, res.ImportID)
				}
				if key := res.Type + "::" + res.Name; seen[key] {
					t.Errorf("two resources are %s", key)
				} else {
					seen[key] = true
				}
				if res.Type == tCluster || res.Type == tAgentPool {
					tm := res.Timeouts
					if tm.GetCreate() != want || tm.GetUpdate() != want || tm.GetDelete() != want {
						t.Errorf("%s %s: timeouts %v, want %s each", res.Type, res.Name, tm, want)
					}
				}
			}
			pools := r.byType(tAgentPool)
			for i := 1; i < len(pools); i++ {
				if !dependsOn(pools[i], pools[i-1]) {
					t.Errorf("pool %s does not wait for pool %s", pools[i].Name, pools[i-1].Name)
				}
			}
		})
	}
}

// aks-kubenet:adopt, which the state doctor sets for one run, imports
// exactly the resources it names, from the ids it gives; a value that is
// not a URN of the stack or not an Azure id is refused before anything is
// registered.
func TestAdoptImportsTheNamedResources(t *testing.T) {
	t.Parallel()
	config := ownStack(t, "dev")
	clusterURN := "urn:pulumi:dev::aks-kubenet::aks-kubenet:cluster:AKSCluster$" + tCluster + "::aks-cluster"
	id := "/subscriptions/" + subscription + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"
	config[spec.KeyAdopt] = fmt.Sprintf(`{%q: %q}`, clusterURN, id)
	r := runProgram(t, "dev", config)
	mustSucceed(t, r)
	if _, ok := r.byURN(clusterURN); !ok {
		t.Fatalf("no resource %s", clusterURN)
	}
	for _, res := range r.resources {
		want := ""
		if res.URN == clusterURN {
			want = id
		}
		if res.ImportID != want {
			t.Errorf("%s: import id %q, want %q", res.URN, res.ImportID, want)
		}
	}

	config[spec.KeyAdopt] = `{"urn:pulumi:prod::aks-kubenet::x::y": "aks", "z": "/subscriptions/x"}`
	r = runProgram(t, "dev", config)
	if r.err == nil || len(r.resources) > 0 {
		t.Fatalf("a bad adopt map: error %v, %d resources registered; want a refusal and none", r.err, len(r.resources))
	}
	for _, want := range []string{`adopt: "urn:pulumi:prod::aks-kubenet::x::y" is not the URN of a resource of stack dev`,
		`"aks" is not an Azure resource id`, `adopt: "z" is not the URN`} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error %q does not say %q", r.err, want)
		}
	}
}
