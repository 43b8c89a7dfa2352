// Package workflow is cmd/migrate's body: the move of a deployed kubenet
// stack to Azure CNI Overlay, in place, checked first, from the offline
// preflight to the preview that must show no change. The command wires it
// to Azure (an azidentity login) and to the stack (the Automation API on the
// project's folder); the engine tests wire it to the simulated cloud and the
// engine's stack.
//
// The order (docs/migration.md): the offline checks on the stack's config;
// the live checks on the cluster, its route table and its identity's grants;
// the steps (migration.Plan), each an ARM update of the live cluster taken
// only when the cluster has not taken it yet, so that a rerun resumes; then
// a pulumi refresh, which reads the moved cluster into the stack's state, the
// stack file rewritten to say Overlay (comments and order kept), and a
// preview that must plan no change. Without Apply it stops before the first
// step and changes nothing.
package workflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/migration"
	"github.com/aks-kubenet/aks-kubenet/migration/live"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
	"github.com/aks-kubenet/aks-kubenet/stack"
)

// Options are the command's flags.
type Options struct {
	// Stack is the stack's name; Dir the project's folder, which holds
	// Pulumi.yaml and Pulumi.<Stack>.yaml.
	Stack, Dir string
	// Apply runs the steps; without it the command is a dry run.
	Apply bool
	// Print prints the steps as az commands and stops, offline.
	Print bool
	// PodCIDR, Dataplane and Policy are the target's (migration.TargetOf),
	// "" for the defaults.
	PodCIDR, Dataplane, Policy string
}

// Stack is what the command uses of the stack's Automation API stack.
type Stack interface {
	Refresh(ctx context.Context, opts ...optrefresh.Option) (auto.RefreshResult, error)
	Preview(ctx context.Context, opts ...optpreview.Option) (auto.PreviewResult, error)
	Outputs(ctx context.Context) (auto.OutputMap, error)
}

// Deps are what the command works on, opened only when a step needs them:
// -print needs neither, a dry run Azure only.
type Deps struct {
	Azure func(subscription string) (*live.Azure, error)
	Stack func() (Stack, error)
	// Out receives the report and the progress.
	Out io.Writer
}

// ErrRefused is the error of a move the checks refused: nothing was changed.
var ErrRefused = errors.New("the move was refused before anything was changed")

// Result is what a run did, for the caller (and the tests) to report.
type Result struct {
	// Steps are the steps planned from the live cluster, in order.
	Steps []migration.Step
	// Taken are the results of the steps run, in order.
	Taken []live.StepResult
	// Refresh and Preview are how long the refresh and the final preview
	// took.
	Refresh, Preview time.Duration
}

// Migrate moves the stack's cluster as Options say, writing the report to
// deps.Out.
//
// The stack file says kubenet, and the target comes from the flags: the
// offline checks run on the config, and after the steps the file is
// rewritten to say Overlay. Or the file says Overlay already (edited first,
// which the preview refused, or rewritten by an earlier run): the target is
// the file's, the flags are refused, and the steps left are planned from the
// live cluster, kubenet or partway, the Cilium step included.
func Migrate(ctx context.Context, o Options, deps Deps) (Result, error) {
	out := deps.Out
	s, err := load(o)
	if err != nil {
		return Result{}, err
	}
	t, printed, err := offline(o, s, out)
	if err != nil || printed != nil {
		return Result{Steps: printed}, err
	}
	if s.Subscription == "" || s.Subscription == spec.PlaceholderSubscription {
		return Result{}, fmt.Errorf("%w: %s is %q: the command moves the cluster in the subscription the stack names", ErrRefused, spec.KeySubscriptionID, s.Subscription)
	}
	azure, err := deps.Azure(s.Subscription)
	if err != nil {
		return Result{}, err
	}
	pulumiStack, err := deps.Stack()
	if err != nil {
		return Result{}, err
	}
	if err := checkDeployed(ctx, pulumiStack, s); err != nil {
		return Result{}, err
	}
	state, err := azure.Read(ctx, s)
	if err != nil {
		return Result{}, err
	}
	steps, err := livePlan(s, t, state, out)
	if err != nil {
		return Result{}, err
	}
	res := Result{Steps: steps}
	switch {
	case !o.Apply && len(migration.Remaining(state.Network, steps)) == 0:
		fmt.Fprintf(out, "\nDry run: nothing was changed. Every step is taken already: %s -apply refreshes the stack and previews it, changing nothing in Azure.\n", migration.Command(o.Stack))
		return res, nil
	case !o.Apply:
		fmt.Fprintf(out, "\nDry run: nothing was changed. Take the steps with %s -apply, in a maintenance window: every node pool is reimaged at once, in each step.\n", migration.Command(o.Stack))
		return res, nil
	}
	fmt.Fprintln(out)
	res.Taken, err = azure.Run(ctx, s, steps, out)
	if err != nil {
		return res, stopped(ctx, azure, s, o, err)
	}
	return after(ctx, o, s, t, pulumiStack, res, out)
}

// offline finds the target and makes the offline checks; with -print it
// writes the steps as az commands and returns them.
func offline(o Options, s spec.Stack, out io.Writer) (t migration.Target, printed []migration.Step, err error) {
	if s.Cluster.Overlay() {
		if t, err = configTarget(o, s); err != nil {
			return t, nil, err
		}
		fmt.Fprintf(out, "Stack %s: cluster %s in %s; the stack file says %s already, the target.\n\n", o.Stack, s.Cluster.Name, s.ResourceGroup.Name, t.Network())
		fmt.Fprintf(out, "Offline checks (the stack's config):\n  the program's own checks of an Overlay stack passed\n\n")
		return t, nil, nil
	}
	t = migration.TargetOf(s, o.PodCIDR, o.Dataplane, o.Policy)
	fmt.Fprintf(out, "Stack %s: cluster %s in %s, from %s to %s.\n\n", o.Stack, s.Cluster.Name, s.ResourceGroup.Name,
		migration.ConfigNetwork(s.Cluster), t.Network())
	report := migration.Preflight(s, t)
	writeFindings(out, "Offline checks (the stack's config)", migration.Report{Report: report, Infos: migration.Infos(s, t)})
	if len(report.Errors) > 0 {
		return t, nil, fmt.Errorf("%w: the stack's config fails %d offline check(s) above", ErrRefused, len(report.Errors))
	}
	if !o.Print {
		return t, nil, nil
	}
	steps, err := migration.Plan(migration.ConfigNetwork(s.Cluster), t)
	if err != nil {
		return t, nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	printCommands(out, o, s, t, steps)
	return t, steps, nil
}

// livePlan makes the live checks and plans the steps from the live cluster.
func livePlan(s spec.Stack, t migration.Target, state migration.Live, out io.Writer) ([]migration.Step, error) {
	deployed := s
	if s.Cluster.Overlay() {
		// The file's pod CIDR is the target's; the cluster runs its own
		// until the move.
		deployed.Cluster.PodCidr = state.Network.PodCIDR
	}
	report := migration.LivePreflight(deployed, t, state)
	if s.Cluster.Overlay() {
		report.Errors = append(report.Errors, migration.CheckMaxPods(s, state)...)
	}
	writeFindings(out, "Live checks (the cluster in Azure)", report)
	if len(report.Errors) > 0 {
		return nil, fmt.Errorf("%w: the live cluster fails %d check(s) above", ErrRefused, len(report.Errors))
	}
	steps, err := migration.Plan(state.Network, t)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	writeSteps(out, steps, state.Network)
	return steps, nil
}

// configTarget is the target of a stack whose file says Overlay already: the
// file's. The flags would be a second target, and are refused.
func configTarget(o Options, s spec.Stack) (migration.Target, error) {
	if o.PodCIDR != "" || o.Dataplane != "" || o.Policy != "" {
		return migration.Target{}, fmt.Errorf("%w: the stack file says %s already, which is the target: edit it instead of giving %s, %s or %s",
			ErrRefused, spec.NetworkPluginOverlay, migration.FlagPodCIDR, migration.FlagDataplane, migration.FlagPolicy)
	}
	if o.Print {
		return migration.Target{}, fmt.Errorf("%w: -print plans from the stack file, which must say kubenet; with Overlay in it, run the dry run (no -print), which plans from the live cluster", ErrRefused)
	}
	return migration.Target{PodCIDR: s.Cluster.PodCidr, Dataplane: s.Cluster.NetworkDataplane, Policy: s.Cluster.NetworkPolicy}, nil
}

// load reads and checks the stack's config as the program's preview would
// (an encrypted SSH key, which the command cannot decrypt, is left to it).
func load(o Options) (spec.Stack, error) {
	cfg, err := stackfile.Read(o.Dir, o.Stack)
	if err != nil {
		return spec.Stack{}, err
	}
	s, report := stack.Validate(o.Stack, cfg.Get, cfg.Keys, stack.Checks{SecretSSHKey: slices.Contains(cfg.Secure, spec.KeySSHPublicKey)})
	if err := report.Err(); err != nil {
		return spec.Stack{}, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return s, nil
}

// checkDeployed refuses a stack whose last deployment is not the cluster its
// config names: the command moves only the stack's own cluster.
func checkDeployed(ctx context.Context, st Stack, s spec.Stack) error {
	outputs, err := st.Outputs(ctx)
	if err != nil {
		return fmt.Errorf("reading the stack's outputs: %w", err)
	}
	for key, want := range map[string]string{"clusterName": s.Cluster.Name, "resourceGroupName": s.ResourceGroup.Name} {
		got, _ := outputs[key].Value.(string)
		if got == "" {
			return fmt.Errorf("%w: the stack has no %s output: is it deployed? The command moves a deployed stack's cluster", ErrRefused, key)
		}
		if !strings.EqualFold(got, want) {
			return fmt.Errorf("%w: the stack deployed %s %s, but its config names %s: deploy the config first (pulumi up), or set it back", ErrRefused, key, got, want)
		}
	}
	return nil
}

// stopped is the error of a run that stopped at a step: where the cluster
// stands, and how to go on.
func stopped(ctx context.Context, azure *live.Azure, s spec.Stack, o Options, err error) error {
	where := "unknown (it could not be read)"
	// The run's context may be the reason it stopped: read with a fresh one.
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if n, readErr := azure.Network(readCtx, s); readErr == nil {
		where = n.String()
	}
	return fmt.Errorf("%w\nThe cluster now stands at: %s. Run no pulumi up until the move is done: the stack's state still holds the network the last refresh read, and an up that updates the cluster for another reason would send it back. "+
		"Run %s -apply again: it plans from the live cluster and takes the steps left", err, where, migration.Command(o.Stack))
}

// after brings the stack to the moved cluster: a refresh, the stack file
// rewritten to say Overlay (when it says kubenet), and a preview that must
// plan no change.
func after(ctx context.Context, o Options, s spec.Stack, t migration.Target, st Stack, res Result, out io.Writer) (Result, error) {
	fmt.Fprintf(out, "\nThe cluster is %s. Refreshing the stack %s ...\n", t.Network(), o.Stack)
	start := time.Now()
	if _, err := st.Refresh(ctx); err != nil {
		return res, fmt.Errorf("the cluster moved, but the refresh failed: %w\nRun pulumi refresh --stack %s, then %s -apply again to finish", err, o.Stack, migration.Command(o.Stack))
	}
	res.Refresh = time.Since(start)
	if !s.Cluster.Overlay() {
		if err := rewrite(o, s, t, out); err != nil {
			return res, err
		}
	}
	return res, preview(ctx, o, st, &res, out)
}

// rewrite rewrites the stack file to say what migration.Migrated says.
func rewrite(o Options, s spec.Stack, t migration.Target, out io.Writer) error {
	file := filepath.Join(o.Dir, "Pulumi."+o.Stack+".yaml")
	says := describeConfig(migration.Migrated(s, t))
	by := fmt.Sprintf("set %s by hand (docs/migration.md), then run %s -apply again", says, migration.Command(o.Stack))
	before, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("the cluster moved and the stack was refreshed, but %s cannot be read: %w; %s", file, err, by)
	}
	rewritten, err := migration.Rewrite(before, s, t)
	if err != nil {
		return fmt.Errorf("the cluster moved and the stack was refreshed, but %s cannot be rewritten: %w; %s", file, err, by)
	}
	if err := os.WriteFile(file, rewritten, 0o644); err != nil {
		return fmt.Errorf("the cluster moved and the stack was refreshed, but writing %s failed: %w; %s", file, err, by)
	}
	fmt.Fprintf(out, "Rewrote %s: %s.\n", filepath.Base(file), says)
	return nil
}

// preview runs the stack's preview, which must plan no change.
func preview(ctx context.Context, o Options, st Stack, res *Result, out io.Writer) error {
	fmt.Fprintf(out, "Previewing the stack %s ...\n", o.Stack)
	start := time.Now()
	p, err := st.Preview(ctx)
	res.Preview = time.Since(start)
	if err != nil {
		return fmt.Errorf("the preview failed: %w\nThe cluster has moved and the stack file says Overlay; fix what the preview says and run %s -apply again", err, migration.Command(o.Stack))
	}
	var changes []string
	for op, n := range p.ChangeSummary {
		if op != apitype.OpSame && n > 0 {
			changes = append(changes, fmt.Sprintf("%d %s", n, op))
		}
	}
	if len(changes) > 0 {
		return fmt.Errorf("the preview plans changes (%s) where it must plan none: do not run pulumi up; see docs/migration.md, \"If the preview plans a change\"", strings.Join(changes, ", "))
	}
	fmt.Fprintf(out, "The preview plans no change. The move is done: commit %s, and let the next pulumi up record the cluster.\n", "Pulumi."+o.Stack+".yaml")
	return nil
}

// writeFindings writes a report's errors, warnings and infos under a title.
func writeFindings(out io.Writer, title string, r migration.Report) {
	fmt.Fprintf(out, "%s:\n", title)
	if len(r.Errors)+len(r.Warnings)+len(r.Infos) == 0 {
		fmt.Fprintln(out, "  all passed")
	}
	for _, group := range []struct {
		label    string
		findings []rules.Finding
	}{{"refused", r.Errors}, {"warning", r.Warnings}, {"note", r.Infos}} {
		for _, f := range group.findings {
			fmt.Fprintf(out, "  %s: %s\n", group.label, f)
		}
	}
	fmt.Fprintln(out)
}

// writeSteps lists the steps, and which the live cluster has taken.
func writeSteps(out io.Writer, steps []migration.Step, from migration.Network) {
	fmt.Fprintln(out, "Steps, each an update of the live cluster that reimages every node pool at once:")
	n := from
	for i, st := range steps {
		state := "to take"
		if st.Done(n) {
			state = "taken already"
		}
		fmt.Fprintf(out, "  %d. %s (%s)\n", i+1, st.Title, state)
		n = st.Apply(n)
	}
}

// printCommands writes the steps as az commands, with the refresh and the
// config edit that follow them.
func printCommands(out io.Writer, o Options, s spec.Stack, t migration.Target, steps []migration.Step) {
	fmt.Fprintln(out, "The same steps by hand, one at a time, each after the last has ended (az aks show ... --query provisioningState says Succeeded):")
	for _, cmd := range migration.AzCommands(s.Subscription, s.ResourceGroup.Name, s.Cluster.Name, steps) {
		fmt.Fprintf(out, "  %s\n", cmd)
	}
	fmt.Fprintf(out, "then:\n  pulumi refresh --stack %s --yes\n  set in Pulumi.%s.yaml: %s\n  pulumi preview --stack %s   (must plan no change)\n",
		o.Stack, o.Stack, describeConfig(migration.Migrated(s, t)), o.Stack)
}

// describeConfig says what the stack config after the move sets.
func describeConfig(s spec.Stack) string {
	c := s.Cluster
	parts := []string{
		spec.PathClusterNetworkPlugin + " " + c.NetworkPlugin,
		spec.PathClusterNetworkDataplane + " " + c.NetworkDataplane,
		spec.PathClusterNetworkPolicy + " " + c.NetworkPolicy,
		spec.PathClusterPodCidr + " " + c.PodCidr,
	}
	if c.MaxPods != nil {
		parts = append(parts, fmt.Sprintf("%s %d", spec.PathClusterMaxPods, *c.MaxPods))
	}
	for i, p := range s.Pools {
		if p.MaxPods != nil {
			parts = append(parts, fmt.Sprintf("%s %d", spec.At(spec.PathPoolsMaxPods, i), *p.MaxPods))
		}
	}
	return strings.Join(parts, ", ")
}
