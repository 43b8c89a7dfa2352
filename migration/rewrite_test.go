package migration

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// reread reads a stack file's bytes as the program does, beside the
// repository's Pulumi.yaml.
func reread(t *testing.T, name string, file []byte) spec.Stack {
	t.Helper()
	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join("..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range map[string][]byte{"Pulumi.yaml": project, "Pulumi." + name + ".yaml": file} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return loadFrom(t, dir, name)
}

// Rewrite keeps every line of the committed stack files, comments
// included, adds the keys the move sets, and the result reads as the
// Overlay stack Migrated says, which the program's checks accept.
func TestRewriteCommittedStacks(t *testing.T) {
	for _, c := range []struct {
		name, pod, plane, policy string
		removed, added           []string
	}{
		{"dev", "", "", "", nil, []string{"    networkPlugin: overlay", "    networkDataplane: cilium", "    networkPolicy: cilium", "    maxPods: 110"}},
		{"prod", "10.244.0.0/14", "azure", "calico", []string{"    podCidr: 10.245.0.0/16"},
			[]string{"    podCidr: 10.244.0.0/14", "    networkPlugin: overlay", "    networkDataplane: azure", "    networkPolicy: calico", "      maxPods: 110", "      maxPods: 110"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file, err := os.ReadFile(filepath.Join("..", "Pulumi."+c.name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			before := loadStack(t, c.name)
			to := TargetOf(before, c.pod, c.plane, c.policy)
			out, err := Rewrite(file, before, to)
			if err != nil {
				t.Fatal(err)
			}
			removed, added := diff(strings.Split(string(file), "\n"), strings.Split(string(out), "\n"))
			if !slices.Equal(removed, c.removed) || !slices.Equal(added, c.added) {
				t.Errorf("removed %q, added %q; want %q and %q; result:\n%s", removed, added, c.removed, c.added, out)
			}
			after := reread(t, c.name, out)
			m := Migrated(before, to)
			if !after.Cluster.Overlay() || after.Cluster.NetworkDataplane != to.Dataplane || after.Cluster.NetworkPolicy != to.Policy || after.Cluster.PodCidr != m.Cluster.PodCidr {
				t.Errorf("re-read cluster %+v", after.Cluster)
			}
			for i, p := range after.Pools {
				if *p.MaxPods != *m.Pools[i].MaxPods {
					t.Errorf("pool %s maxPods %d, want %d", p.Name, *p.MaxPods, *m.Pools[i].MaxPods)
				}
			}
			if *after.Cluster.MaxPods != spec.DefaultMaxPods {
				t.Errorf("maxPods %d", *after.Cluster.MaxPods)
			}
			if r := rules.Check(after); len(r.Errors) > 0 {
				t.Errorf("the rewritten stack is refused: %v", r.Errors)
			}
			again, err := Rewrite(out, after, to)
			if err != nil || string(again) != string(out) {
				t.Errorf("a second Rewrite changed the file (%v):\n%s", err, again)
			}
		})
	}
}

// diff returns the lines of in that out lacks and the lines out adds, in
// order, by their longest common subsequence.
func diff(in, out []string) (removed, added []string) {
	lcs := make([][]int, len(in)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(out)+1)
	}
	for i := len(in) - 1; i >= 0; i-- {
		for j := len(out) - 1; j >= 0; j-- {
			if in[i] == out[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(in) || j < len(out) {
		switch {
		case i < len(in) && j < len(out) && in[i] == out[j]:
			i, j = i+1, j+1
		case j < len(out) && (i == len(in) || lcs[i][j+1] >= lcs[i+1][j]):
			added = append(added, out[j])
			j++
		default:
			removed = append(removed, in[i])
			i++
		}
	}
	return removed, added
}

const small = `config:
  aks-kubenet:cluster:
    podCidr: "10.244.0.0/16"   # quoted
    networkPlugin: 'kubenet'
    networkPolicy: calico # calico
  aks-kubenet:pools:
    - name: a
      maxPods: 30
    - name: b`

// Values the file has change in place, quoted or not, with their comments;
// a file without a final line break gets one before the added key.
func TestRewriteInPlace(t *testing.T) {
	before := spec.Stack{Cluster: spec.Cluster{PodCidr: "10.244.0.0/16", MaxPods: spec.Int(110)}, Pools: []spec.Pool{{Name: "a", MaxPods: spec.Int(30)}, {Name: "b", MaxPods: spec.Int(110)}}}
	out, err := Rewrite([]byte(small), before, Target{PodCIDR: "10.244.0.0/15", Dataplane: "azure", Policy: "none"})
	if err != nil {
		t.Fatal(err)
	}
	want := `config:
  aks-kubenet:cluster:
    podCidr: 10.244.0.0/15   # quoted
    networkPlugin: overlay
    networkPolicy: none # calico
    networkDataplane: azure
    maxPods: 110
  aks-kubenet:pools:
    - name: a
      maxPods: 30
    - name: b
      maxPods: 110
`
	if string(out) != want {
		t.Errorf("Rewrite =\n%s\nwant\n%s", out, want)
	}
}

// Rewrite refuses a file it cannot edit safely.
func TestRewriteRefuses(t *testing.T) {
	before := spec.Stack{Cluster: spec.Cluster{PodCidr: "10.244.0.0/16", MaxPods: spec.Int(110)}}
	to := Target{PodCIDR: "10.244.0.0/16", Dataplane: "cilium", Policy: "cilium"}
	for name, file := range map[string]string{
		"secret cluster":        "config:\n  aks-kubenet:cluster:\n    secure: AAAB\n",
		"string cluster":        "config:\n  aks-kubenet:cluster: '{\"podCidr\": \"10.244.0.0/16\"}'\n",
		"flow cluster":          "config:\n  aks-kubenet:cluster: {podCidr: 10.244.0.0/16}\n",
		"no cluster":            "config:\n  aks-kubenet:network:\n    vnetName: v\n",
		"no config":             "name: x\n",
		"secret value":          "config:\n  aks-kubenet:cluster:\n    networkPolicy:\n      secure: AAAB\n",
		"block scalar":          "config:\n  aks-kubenet:cluster:\n    networkPolicy: |\n      calico\n",
		"tagged value":          "config:\n  aks-kubenet:cluster:\n    networkPolicy: !!str calico\n",
		"pools not the stack's": "config:\n  aks-kubenet:cluster:\n    podCidr: 10.244.0.0/16\n  aks-kubenet:pools:\n    - name: a\n",
		"flow pool":             "config:\n  aks-kubenet:cluster:\n    podCidr: 10.244.0.0/16\n  aks-kubenet:pools: [{name: a}]\n",
		"merged cluster":        "x: &base\n  podCidr: 10.244.0.0/16\nconfig:\n  aks-kubenet:cluster:\n    <<: *base\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Rewrite([]byte(file), before, to); !errors.Is(err, ErrCannotEdit) {
				t.Errorf("Rewrite = %v, want ErrCannotEdit", err)
			}
		})
	}
	if _, err := Rewrite([]byte("config: [\n"), before, to); err == nil || errors.Is(err, ErrCannotEdit) {
		t.Errorf("invalid YAML: %v", err)
	}
}

// The namespace-less spelling of the keys, which the Pulumi CLI reads too,
// is edited the same way.
func TestRewriteWithoutNamespace(t *testing.T) {
	before := spec.Stack{Cluster: spec.Cluster{PodCidr: "10.244.0.0/16", MaxPods: spec.Int(110)}}
	out, err := Rewrite([]byte("config:\n  cluster:\n    podCidr: 10.244.0.0/16\n"), before, Target{PodCIDR: "10.244.0.0/16", Dataplane: "cilium", Policy: "cilium"})
	if want := "config:\n  cluster:\n    podCidr: 10.244.0.0/16\n    networkPlugin: overlay\n    networkDataplane: cilium\n    networkPolicy: cilium\n    maxPods: 110\n"; err != nil || string(out) != want {
		t.Errorf("Rewrite = %q, %v", out, err)
	}
}
