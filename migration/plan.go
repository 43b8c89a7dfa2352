package migration

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Step names, in the order Plan gives them (aks-rules 11.7).
const (
	StepPolicyNone = "policy-none"
	StepOverlay    = "overlay"
	StepCilium     = "cilium"
	StepCalico     = "calico"
)

// Step is one ARM update of the live cluster.
type Step struct {
	// Name is StepPolicyNone, StepOverlay, StepCilium or StepCalico.
	Name string
	// Title is one line a person reads.
	Title string
	// Set are the networkProfile leaves the step sets; "" leaves one as is.
	Set Network
}

// leaves are a Network's leaves, each with how AKS's default reads: a
// policy of "" is none, a dataplane of "" azure.
func leaves(n Network) [5]string {
	return [5]string{strings.ToLower(n.Plugin), strings.ToLower(n.Mode), dataplaneOf(n.Dataplane), policyOf(n.Policy), strings.ToLower(n.PodCIDR)}
}

// Done reports whether every leaf st sets already has that value in n, in
// any case (a policy of "" counts as none, a dataplane of "" as azure). Check
// a step against the network the steps before it left: before the move, the
// last step of kubenet+calico → Overlay+calico is done on the live network,
// though it is not after the first (Remaining does this).
func (st Step) Done(n Network) bool {
	set, have := leaves(st.Set), leaves(n)
	for i, v := range [5]string{st.Set.Plugin, st.Set.Mode, st.Set.Dataplane, st.Set.Policy, st.Set.PodCIDR} {
		if v != "" && set[i] != have[i] {
			return false
		}
	}
	return true
}

// Apply returns n after st: each leaf st sets, set.
func (st Step) Apply(n Network) Network {
	set := func(to *string, v string) {
		if v != "" {
			*to = v
		}
	}
	set(&n.Plugin, st.Set.Plugin)
	set(&n.Mode, st.Set.Mode)
	set(&n.Dataplane, st.Set.Dataplane)
	set(&n.Policy, st.Set.Policy)
	set(&n.PodCIDR, st.Set.PodCIDR)
	return n
}

// Remaining returns the steps a run from the live network from still has to
// make: each step not Done on the network the steps before it leave.
func Remaining(from Network, steps []Step) []Step {
	var out []Step
	for _, st := range steps {
		if !st.Done(from) {
			out = append(out, st)
		}
		from = st.Apply(from)
	}
	return out
}

// ErrUnreachable is wrapped by Plan's errors: the cluster cannot get from its
// network to the target by this move.
var ErrUnreachable = errors.New("the move cannot get there")

// Plan returns the steps from the live network from to t, in order
// (aks-rules 11.7): policy none while a policy engine must come off first
// (aks-rules 11.3, 11.4); the move itself, plugin azure and mode overlay in
// one update, the pod CIDR only when it changes, never the dataplane or the
// policy (aks-rules 11.5, 11.6); then either dataplane cilium with policy
// cilium in one update, or policy calico on the azure dataplane, never
// both (aks-rules 10.10, 11.6). It does not leave out the steps already
// done, which Remaining does, so a rerun partway along resumes.
//
// It returns an error wrapping ErrUnreachable when from cannot reach t: a
// plugin other than kubenet or Overlay, Cilium back to the azure dataplane,
// an Overlay cluster's pod CIDR changed (an expansion, not this move), or a
// target Overlay does not run.
func Plan(from Network, t Target) ([]Step, error) {
	if err := checkTarget(t); err != nil {
		return nil, err
	}
	if err := checkStart(from, t); err != nil {
		return nil, err
	}
	var steps []Step
	if policyOff(from, t) {
		steps = append(steps, Step{Name: StepPolicyNone, Title: fmt.Sprintf("turn network policy %s off (policy none), which the move needs", policyOf(from.Policy)),
			Set: Network{Policy: spec.NetworkPolicyNone}})
	}
	steps = append(steps, overlayStep(from, t))
	switch {
	case t.Dataplane == spec.DataplaneCilium:
		steps = append(steps, Step{Name: StepCilium, Title: "move to the Cilium dataplane with Cilium network policy, in one update; every pool is reimaged again",
			Set: Network{Dataplane: spec.DataplaneCilium, Policy: spec.NetworkPolicyCilium}})
	case t.Policy == spec.NetworkPolicyCalico:
		steps = append(steps, Step{Name: StepCalico, Title: "turn Calico network policy on, on the azure dataplane; every pool is reimaged again",
			Set: Network{Policy: spec.NetworkPolicyCalico}})
	}
	return steps, nil
}

// overlayStep is the move itself: plugin azure and mode overlay together,
// with the pod CIDR when it changes (aks-rules 11.5, 11.13).
func overlayStep(from Network, t Target) Step {
	st := Step{Name: StepOverlay, Set: Network{Plugin: aksfacts.NetworkPluginAzure, Mode: aksfacts.NetworkPluginModeOverlay}}
	pods := strings.TrimSpace("keeping pod CIDR " + from.PodCIDR)
	if t.PodCIDR != "" && !strings.EqualFold(t.PodCIDR, from.PodCIDR) {
		st.Set.PodCIDR = t.PodCIDR
		pods = "with pod CIDR " + t.PodCIDR
		if from.PodCIDR != "" {
			pods += " instead of " + from.PodCIDR
		}
	}
	st.Title = "move to Azure CNI Overlay (plugin azure, mode overlay) " + pods + "; every pool is reimaged at once"
	return st
}

// policyOff reports whether a policy engine must come off before the rest:
// always on kubenet, which the move leaves only without one (aks-rules
// 11.3); on Overlay when the target's policy is another, other than
// Cilium, which replaces an engine itself (aks-rules 11.6).
func policyOff(from Network, t Target) bool {
	policy := policyOf(from.Policy)
	if policy == spec.NetworkPolicyNone {
		return false
	}
	return from.Kubenet() || (t.Policy != spec.NetworkPolicyCilium && policy != t.Policy)
}

// overlayPolicies are the network policies a target may have, each with the
// dataplane it needs (aks-rules 10.10).
var overlayPolicies = map[string]string{
	spec.NetworkPolicyNone:   spec.DataplaneAzure,
	spec.NetworkPolicyCalico: spec.DataplaneAzure,
	spec.NetworkPolicyCilium: spec.DataplaneCilium,
}

// checkTarget checks that Overlay runs t: a known dataplane, and a policy
// that goes with it (aks-rules 10.10).
func checkTarget(t Target) error {
	if !slices.Contains(spec.Dataplanes, t.Dataplane) {
		return fmt.Errorf("%w: dataplane %q is not azure or cilium", ErrUnreachable, t.Dataplane)
	}
	need, ok := overlayPolicies[t.Policy]
	if !ok {
		return fmt.Errorf("%w: network policy %q is not none, calico or cilium", ErrUnreachable, t.Policy)
	}
	if need != t.Dataplane {
		return fmt.Errorf("%w: network policy %s needs the %s dataplane, not %s (aks-rules 10.10)", ErrUnreachable, t.Policy, need, t.Dataplane)
	}
	return nil
}

// checkStart checks that from can reach t: kubenet on the azure dataplane,
// or Overlay partway along the move, on t's pod CIDR and not on Cilium
// when t is not (aks-rules 11.1).
func checkStart(from Network, t Target) error {
	plane := dataplaneOf(from.Dataplane)
	switch {
	case !from.Kubenet() && !from.Overlay():
		return fmt.Errorf("%w: the cluster runs %s; the move starts from kubenet", ErrUnreachable, from)
	case !slices.Contains(spec.Dataplanes, plane):
		return fmt.Errorf("%w: the cluster runs dataplane %q, which is not azure or cilium", ErrUnreachable, from.Dataplane)
	case from.Kubenet() && plane != spec.DataplaneAzure:
		return fmt.Errorf("%w: the cluster runs kubenet on dataplane %s; kubenet has only the azure dataplane", ErrUnreachable, from.Dataplane)
	case plane == spec.DataplaneCilium && t.Dataplane != spec.DataplaneCilium:
		return fmt.Errorf("%w: the cluster runs the Cilium dataplane, which cannot go back to azure (aks-rules 11.1)", ErrUnreachable)
	case from.Overlay() && t.PodCIDR != "" && from.PodCIDR != "" && !strings.EqualFold(from.PodCIDR, t.PodCIDR):
		return fmt.Errorf("%w: the cluster is on Azure CNI Overlay already with pod CIDR %s; the move does not change it to %s (expanding an Overlay pod CIDR is an update of its own)",
			ErrUnreachable, from.PodCIDR, t.PodCIDR)
	}
	return nil
}

// safeArg matches an argument the shell takes as it is.
var safeArg = regexp.MustCompile(`^[A-Za-z0-9._/:=@%+-]+$`)

// shellQuote returns s as one shell word: as it is when safe, else in single
// quotes.
func shellQuote(s string) string {
	if safeArg.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// AzCommands returns steps as az commands, one a step, that make the same
// updates: az aks update --subscription S --resource-group RG --name C and
// the flags of the leaves each step sets (--subscription left out when
// subscription is "").
func AzCommands(subscription, group, cluster string, steps []Step) []string {
	base := []string{"az", "aks", "update"}
	if subscription != "" {
		base = append(base, "--subscription", shellQuote(subscription))
	}
	base = append(base, "--resource-group", shellQuote(group), "--name", shellQuote(cluster))
	out := make([]string, len(steps))
	for i, st := range steps {
		args := slices.Clone(base)
		for _, f := range []struct{ flag, value string }{
			{"--network-plugin", st.Set.Plugin},
			{"--network-plugin-mode", st.Set.Mode},
			{"--pod-cidr", st.Set.PodCIDR},
			{"--network-dataplane", st.Set.Dataplane},
			{"--network-policy", st.Set.Policy},
		} {
			if f.value != "" {
				args = append(args, f.flag, shellQuote(f.value))
			}
		}
		out[i] = strings.Join(args, " ")
	}
	return out
}
