package migration

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

var (
	kubenetCalico = Network{Plugin: "kubenet", Policy: "calico", PodCIDR: "10.244.0.0/16"}
	kubenetNone   = Network{Plugin: "kubenet", Policy: "none", PodCIDR: "10.244.0.0/16"}
	overlayAzure  = Network{Plugin: "azure", Mode: "overlay", Dataplane: "azure", Policy: "none", PodCIDR: "10.244.0.0/16"}
	overlayCilium = Network{Plugin: "azure", Mode: "overlay", Dataplane: "cilium", Policy: "cilium", PodCIDR: "10.244.0.0/16"}
	overlayCalico = Network{Plugin: "azure", Mode: "overlay", Dataplane: "azure", Policy: "calico", PodCIDR: "10.244.0.0/16"}
	toCilium      = Target{PodCIDR: "10.244.0.0/16", Dataplane: "cilium", Policy: "cilium"}
	toCalico      = Target{PodCIDR: "10.244.0.0/16", Dataplane: "azure", Policy: "calico"}
	toNone        = Target{PodCIDR: "10.244.0.0/16", Dataplane: "azure", Policy: "none"}
)

func names(steps []Step) []string {
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.Name
	}
	return out
}

// Plan gives every step from kubenet in §8.3's order, and the same steps
// from a start partway along, where Remaining leaves out the done ones.
func TestPlan(t *testing.T) {
	for _, c := range []struct {
		name          string
		from          Network
		to            Target
		steps, remain []string
	}{
		{"kubenet+calico to cilium", kubenetCalico, toCilium, []string{StepPolicyNone, StepOverlay, StepCilium}, []string{StepPolicyNone, StepOverlay, StepCilium}},
		{"kubenet+calico to calico", kubenetCalico, toCalico, []string{StepPolicyNone, StepOverlay, StepCalico}, []string{StepPolicyNone, StepOverlay, StepCalico}},
		{"kubenet+calico to none", kubenetCalico, toNone, []string{StepPolicyNone, StepOverlay}, []string{StepPolicyNone, StepOverlay}},
		{"kubenet+none to cilium", kubenetNone, toCilium, []string{StepOverlay, StepCilium}, []string{StepOverlay, StepCilium}},
		{"kubenet, policy unset, to calico", Network{PodCIDR: "10.244.0.0/16"}, toCalico, []string{StepOverlay, StepCalico}, []string{StepOverlay, StepCalico}},
		{"overlay+azure partway to cilium", overlayAzure, toCilium, []string{StepOverlay, StepCilium}, []string{StepCilium}},
		{"overlay+azure partway to calico", overlayAzure, toCalico, []string{StepOverlay, StepCalico}, []string{StepCalico}},
		{"overlay done, no policy", overlayAzure, toNone, []string{StepOverlay}, nil},
		{"overlay+cilium done", overlayCilium, toCilium, []string{StepOverlay, StepCilium}, nil},
		{"overlay+calico done", overlayCalico, toCalico, []string{StepOverlay, StepCalico}, nil},
		{"overlay+calico to cilium: Cilium replaces Calico", overlayCalico, toCilium, []string{StepOverlay, StepCilium}, []string{StepCilium}},
		{"overlay+calico to none", overlayCalico, toNone, []string{StepPolicyNone, StepOverlay}, []string{StepPolicyNone}},
		{"upper case from AKS", Network{Plugin: "Azure", Mode: "Overlay", Dataplane: "Cilium", Policy: "Cilium", PodCIDR: "10.244.0.0/16"}, toCilium, []string{StepOverlay, StepCilium}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			steps, err := Plan(c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(steps); !slices.Equal(got, c.steps) {
				t.Errorf("steps %v, want %v", got, c.steps)
			}
			if got := names(Remaining(c.from, steps)); !slices.Equal(got, c.remain) {
				t.Errorf("remaining %v, want %v", got, c.remain)
			}
			checkEnds(t, c.from, c.to, steps)
		})
	}
}

// checkEnds checks that steps take from to t, and that no step sets the
// plugin or mode with the dataplane or the policy (aks-rules 11.5, 11.6).
func checkEnds(t *testing.T, from Network, to Target, steps []Step) {
	t.Helper()
	n := from
	for _, st := range steps {
		if (st.Set.Plugin != "") != (st.Set.Mode != "") || st.Set.Plugin != "" && (st.Set.Dataplane != "" || st.Set.Policy != "") {
			t.Errorf("step %s sets %+v", st.Name, st.Set)
		}
		n = st.Apply(n)
		if !st.Done(n) {
			t.Errorf("step %s is not done after it: %+v", st.Name, n)
		}
	}
	want := to.Network()
	if want.PodCIDR == "" {
		want.PodCIDR = from.PodCIDR
	}
	if !n.Overlay() || leaves(n) != leaves(want) {
		t.Errorf("the steps end at %s, want %s", n, want)
	}
}

// The move sets the pod CIDR only when it changes.
func TestPlanPodCIDR(t *testing.T) {
	to := toCilium
	to.PodCIDR = "10.244.0.0/15"
	steps, err := Plan(kubenetNone, to)
	if err != nil {
		t.Fatal(err)
	}
	if steps[0].Set.PodCIDR != "10.244.0.0/15" || !strings.Contains(steps[0].Title, "instead of 10.244.0.0/16") {
		t.Errorf("overlay step %+v", steps[0])
	}
	steps, _ = Plan(kubenetNone, toCilium)
	if steps[0].Set.PodCIDR != "" || !strings.Contains(steps[0].Title, "keeping pod CIDR 10.244.0.0/16") {
		t.Errorf("overlay step %+v", steps[0])
	}
}

// Plan refuses what the move cannot reach.
func TestPlanUnreachable(t *testing.T) {
	for _, c := range []struct {
		name string
		from Network
		to   Target
		want string
	}{
		{"cilium back to azure", overlayCilium, toCalico, "cannot go back"},
		{"Azure CNI node subnet", Network{Plugin: "azure", PodCIDR: "10.244.0.0/16"}, toCilium, "starts from kubenet"},
		{"unknown plugin", Network{Plugin: "none"}, toCilium, "starts from kubenet"},
		{"unknown dataplane", Network{Plugin: "kubenet", Dataplane: "ebpf"}, toCilium, "not azure or cilium"},
		{"kubenet on cilium", Network{Plugin: "kubenet", Dataplane: "cilium"}, toCilium, "only the azure dataplane"},
		{"overlay pod CIDR changed", overlayAzure, Target{PodCIDR: "10.250.0.0/16", Dataplane: "cilium", Policy: "cilium"}, "does not change it"},
		{"cilium policy on azure", kubenetNone, Target{PodCIDR: "10.244.0.0/16", Dataplane: "azure", Policy: "cilium"}, "needs the cilium dataplane"},
		{"calico on cilium", kubenetNone, Target{PodCIDR: "10.244.0.0/16", Dataplane: "cilium", Policy: "calico"}, "needs the azure dataplane"},
		{"unknown policy", kubenetNone, Target{Dataplane: "azure", Policy: "azure"}, "not none, calico or cilium"},
		{"unknown target dataplane", kubenetNone, Target{Dataplane: "ebpf", Policy: "cilium"}, "not azure or cilium"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Plan(c.from, c.to)
			if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Plan = %v, want ErrUnreachable saying %q", err, c.want)
			}
		})
	}
}

// Done compares the leaves a step sets, in any case, a policy of "" as none
// and a dataplane of "" as azure; Apply sets them and nothing else.
func TestDoneApply(t *testing.T) {
	policyNone := Step{Name: StepPolicyNone, Set: Network{Policy: "none"}}
	overlay := Step{Name: StepOverlay, Set: Network{Plugin: "azure", Mode: "overlay"}}
	for _, c := range []struct {
		step Step
		n    Network
		want bool
	}{
		{policyNone, Network{Plugin: "kubenet"}, true},
		{policyNone, Network{Plugin: "kubenet", Policy: "None"}, true},
		{policyNone, kubenetCalico, false},
		{overlay, kubenetNone, false},
		{overlay, Network{Plugin: "azure"}, false},
		{overlay, Network{Plugin: "AZURE", Mode: "Overlay"}, true},
		{Step{Set: Network{Dataplane: "azure"}}, Network{}, true},
		{Step{Set: Network{PodCIDR: "10.1.0.0/16"}}, Network{PodCIDR: "10.2.0.0/16"}, false},
		{Step{}, Network{}, true},
	} {
		if got := c.step.Done(c.n); got != c.want {
			t.Errorf("%+v.Done(%+v) = %v, want %v", c.step.Set, c.n, got, c.want)
		}
	}
	got := overlay.Apply(kubenetCalico)
	if want := (Network{Plugin: "azure", Mode: "overlay", Policy: "calico", PodCIDR: "10.244.0.0/16"}); got != want {
		t.Errorf("Apply = %+v, want %+v", got, want)
	}
}

// Each step is one az command, with the flags of the leaves it sets.
func TestAzCommands(t *testing.T) {
	to := toCilium
	to.PodCIDR = "10.244.0.0/15"
	steps, err := Plan(kubenetCalico, to)
	if err != nil {
		t.Fatal(err)
	}
	got := AzCommands("sub", "my rg", "aks", steps)
	want := []string{
		"az aks update --subscription sub --resource-group 'my rg' --name aks --network-policy none",
		"az aks update --subscription sub --resource-group 'my rg' --name aks --network-plugin azure --network-plugin-mode overlay --pod-cidr 10.244.0.0/15",
		"az aks update --subscription sub --resource-group 'my rg' --name aks --network-dataplane cilium --network-policy cilium",
	}
	if !slices.Equal(got, want) {
		t.Errorf("AzCommands =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	steps, _ = Plan(kubenetNone, toCalico)
	if got := AzCommands("", "rg", "it's", steps); got[1] != `az aks update --resource-group rg --name 'it'\''s' --network-policy calico` {
		t.Errorf("AzCommands = %q", got)
	}
}

// Network says what it is for a person.
func TestNetwork(t *testing.T) {
	for _, c := range []struct {
		n                Network
		overlay, kubenet bool
		text             string
	}{
		{kubenetCalico, false, true, "kubenet, policy calico, pod CIDR 10.244.0.0/16"},
		{Network{}, false, true, "kubenet, policy none"},
		{overlayCilium, true, false, "Azure CNI Overlay, dataplane cilium, policy cilium, pod CIDR 10.244.0.0/16"},
		{Network{Plugin: "azure"}, false, false, "plugin azure, policy none"},
		{Network{Plugin: "Kubenet", Mode: "overlay"}, false, true, "kubenet, policy none"},
	} {
		if c.n.Overlay() != c.overlay || c.n.Kubenet() != c.kubenet || c.n.String() != c.text {
			t.Errorf("%+v: Overlay %v Kubenet %v %q", c.n, c.n.Overlay(), c.n.Kubenet(), c.n.String())
		}
	}
}

// TargetOf takes the stack's pod CIDR and Overlay's defaults, one of the
// dataplane and the policy following the other.
func TestTargetOf(t *testing.T) {
	s := spec.Stack{Cluster: spec.Cluster{PodCidr: "10.244.0.0/16", NetworkPolicy: "calico"}}
	none := spec.Stack{Cluster: spec.Cluster{PodCidr: "10.244.0.0/16", NetworkPolicy: "none"}}
	for _, c := range []struct {
		s                  spec.Stack
		pod, plane, policy string
		want               Target
	}{
		{s, "", "", "", Target{"10.244.0.0/16", "cilium", "cilium"}},
		{s, "10.244.0.0/15", "", "", Target{"10.244.0.0/15", "cilium", "cilium"}},
		{s, "", "azure", "", Target{"10.244.0.0/16", "azure", "calico"}},
		{none, "", "azure", "", Target{"10.244.0.0/16", "azure", "none"}},
		{s, "", "", "calico", Target{"10.244.0.0/16", "azure", "calico"}},
		{s, "", "", "None", Target{"10.244.0.0/16", "azure", "none"}},
		{s, "", "Cilium", "", Target{"10.244.0.0/16", "cilium", "cilium"}},
		{s, "", "azure", "cilium", Target{"10.244.0.0/16", "azure", "cilium"}},
	} {
		if got := TargetOf(c.s, c.pod, c.plane, c.policy); got != c.want {
			t.Errorf("TargetOf(%q, %q, %q) = %+v, want %+v", c.pod, c.plane, c.policy, got, c.want)
		}
	}
}
