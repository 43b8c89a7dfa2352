// Package engine runs stack.Program in the real Pulumi engine, through the
// Automation API and the pulumi CLI, against the simulated Azure of package
// azuresim: diffs, ignoreChanges, refresh, drift, the state as the backend
// stores it, and config the CLI writes, which the mock tests in package tests
// cannot see.
//
// TestMain builds the pulumi CLI (module tools/, at the version its go.mod
// requires, which the workflows install too) and the simulated provider
// plugin, and fails when it cannot: these tests never pass by skipping.
package engine

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
	"github.com/aks-kubenet/aks-kubenet/retry"
	"github.com/aks-kubenet/aks-kubenet/stack"
)

// subscription is the simulated subscription every stack names and deploys
// into; loginSubscription is the one the simulated Azure login points at,
// another one, so that a resource in it would show that the provider ignored
// the stack's azure-native:subscriptionId.
const (
	subscription      = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	loginSubscription = "ffffffff-1bf0-4dda-aec3-cb9272f09590"
)

// The hub prod peers with (egress mode 3): a VNet another team owns, in a
// subscription of its own, which newWorld creates in the simulated cloud
// before the prod stack exists.
const (
	hubSubscription = "7c3e9a52-5d1b-4f6e-9a08-3b2d4c5e6f71"
	hubGroup        = "hub-weu-rg"
	hubVnetName     = "hub-weu-vnet"
	hubVnetID       = "/subscriptions/" + hubSubscription + "/resourceGroups/" + hubGroup + "/providers/Microsoft.Network/virtualNetworks/" + hubVnetName
)

// testRetries is the program's retry policy in the engine tests: the same
// rules and attempts as retry.Azure, waits of milliseconds instead of
// minutes, as the simulated Azure's delays are.
var testRetries = retry.Policy{Attempts: retry.Azure.Attempts, First: 100 * time.Millisecond, Max: time.Second}

// repoRoot is the repository's root: the stack files and tools/ are there.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// cli is the pulumi command every stack runs with; set by TestMain.
var cli auto.PulumiCommand

func TestMain(m *testing.M) {
	flag.Parse()
	// Four tests at a time unless -parallel says otherwise: a test spends
	// part of its time in the simulated Azure's waits (an AKS operation, a
	// role assignment, the retry hook's back-off), which leave the cores to
	// the others.
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", "4"); err != nil {
			fmt.Fprintln(os.Stderr, "engine tests:", err)
			os.Exit(1)
		}
	}
	dir, err := setup()
	if err != nil {
		_ = os.RemoveAll(dir)
		fmt.Fprintln(os.Stderr, "engine tests: setup failed (they never skip):", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// cliModule is the module of the pulumi CLI.
const cliModule = "github.com/pulumi/pulumi/pkg/v3"

// setup builds the pulumi CLI into tools/bin and the simulated provider into
// a temporary folder put first on PATH, where the engine finds it as
// pulumi-resource-azure-native, and returns that temporary folder. The CLI's
// version is the one the workflows install: what
// .github/scripts/pulumi-version.sh reads from tools/go.mod.
//
// Every test runs in parallel: what a stack needs (its workspace, backend,
// Pulumi home and cloud) is in its own world (see newWorld), and the test
// process's environment, which every test shares, changes here alone, before
// any test runs: PATH, and PULUMI_HOME, which points at an empty folder of
// the run's own so that a CLI run outside a world (the version check of
// auto.NewPulumiCommand) writes nothing into the user's ~/.pulumi.
func setup() (string, error) {
	dir, err := os.MkdirTemp("", "engine-tests-")
	if err != nil {
		return "", err
	}
	pluginDir, home := filepath.Join(dir, "plugin"), filepath.Join(dir, "pulumi-home")
	for _, d := range []string{pluginDir, home} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return dir, err
		}
	}
	if err := os.Setenv("PULUMI_HOME", home); err != nil {
		return dir, err
	}
	out, err := exec.Command("bash", filepath.Join(repoRoot, ".github", "scripts", "pulumi-version.sh")).Output()
	if err != nil {
		return dir, fmt.Errorf("the pulumi CLI version (.github/scripts/pulumi-version.sh): %w", err)
	}
	cliVersion := strings.TrimSpace(string(out))
	tools := filepath.Join(repoRoot, "tools")
	binary := filepath.Join(tools, "bin", "pulumi")
	build := exec.Command("go", "build", "-o", binary,
		"-ldflags", "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version="+cliVersion,
		"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")
	build.Dir = tools
	if out, err := build.CombinedOutput(); err != nil {
		return dir, fmt.Errorf("building the pulumi CLI in %s: %w\n%s", tools, err, out)
	}
	// The CLI compiled is the version stamped into it, and the one the
	// workflows install.
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		return dir, fmt.Errorf("the pulumi CLI's build info: %w", err)
	}
	// The CLI's main package is in cliModule, which the build records as its
	// main module.
	built := ""
	if info.Main.Path == cliModule {
		built = info.Main.Version
	}
	if built != cliVersion {
		return dir, fmt.Errorf("the pulumi CLI in %s is built from %s %q, but pulumi-version.sh says %s", tools, cliModule, built, cliVersion)
	}
	// The version check stays on: it fails when the CLI was built without its
	// version.
	cli, err = auto.NewPulumiCommand(&auto.PulumiCommandOptions{Root: tools})
	if err != nil {
		return dir, fmt.Errorf("the pulumi CLI in %s: %w", tools, err)
	}
	if got := "v" + cli.Version().String(); got != cliVersion {
		return dir, fmt.Errorf("the pulumi CLI in %s is %s, want %s", tools, got, cliVersion)
	}

	build = exec.Command("go", "build", "-o", filepath.Join(pluginDir, "pulumi-resource-azure-native"),
		"./internal/azuresim/pulumi-resource-azure-native")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		return dir, fmt.Errorf("building the simulated provider: %w\n%s", err, out)
	}
	return dir, os.Setenv("PATH", pluginDir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// world is one stack in its own workspace, backend, Pulumi home and
// simulated cloud.
type world struct {
	t       *testing.T
	ctx     context.Context
	stack   auto.Stack
	name    string
	cloud   string // the simulated cloud's file
	backend string // the local backend's folder
	admins  string // the object id of the admins' Entra group, cluster.clusterAdmins[0]
}

// newWorld makes a workspace with the committed Pulumi.yaml and
// Pulumi.<name>.yaml, so that the CLI parses them, a file backend, an empty
// simulated cloud, and the stack name in it running stack.Program inline.
// For prod, whose egress goes through a hub, the cloud holds the hub's group
// and VNet (hubVnetID), made by the hub's team, and the stack names it. The
// cloud's directory holds the admins' Entra group (w.admins), and the stack
// grants it instead of the placeholder admin. config are more keys and
// values, key, value, key, value..., that the test sets before its first up:
// they go in the same run of the CLI (see setConfigs), after newWorld's own.
// Nothing of a world is shared with another test: every test makes its own
// and runs in parallel.
func newWorld(t *testing.T, name string, config ...string) *world {
	t.Helper()
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	backend := filepath.Join(dir, "backend")
	home := filepath.Join(dir, "home")
	for _, d := range []string{work, backend, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"Pulumi.yaml", "Pulumi." + name + ".yaml"} {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cloud := filepath.Join(dir, "cloud.json")
	c, err := azuresim.Create(cloud, loginSubscription)
	if err != nil {
		t.Fatal(err)
	}
	if name == "prod" {
		if hub := c.CreateHubNetwork(hubSubscription, hubGroup, hubVnetName, "westeurope", "10.100.0.0/16"); hub.ID != hubVnetID {
			t.Fatalf("the simulated hub VNet is %s, want %s", hub.ID, hubVnetID)
		}
	}
	// The admins' Entra group, which the tenant's administrators made.
	admins, err := c.CreatePrincipal(azuresim.Group, adminGroupName(name))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A workspace on the copied Pulumi.yaml, and a new stack in it: stack
	// init, not the stack select that auto.UpsertStackInlineSource tries
	// first (the backend is empty).
	ws, err := auto.NewLocalWorkspace(ctx,
		auto.Program(stack.ProgramWith(testRetries)),
		auto.Pulumi(cli),
		auto.WorkDir(work),
		auto.PulumiHome(home),
		auto.SecretsProvider("passphrase"),
		auto.EnvVars(map[string]string{
			"PULUMI_BACKEND_URL":                          "file://" + backend,
			"PULUMI_CONFIG_PASSPHRASE":                    "engine-test-passphrase",
			"PULUMI_SKIP_UPDATE_CHECK":                    "true",
			"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
			azuresim.CloudEnv:                             cloud,
			"ARM_SUBSCRIPTION_ID":                         subscription,
		}),
	)
	if err != nil {
		t.Fatalf("the workspace of stack %s: %v", name, err)
	}
	s, err := auto.NewStack(ctx, name, unread{ws})
	if err != nil {
		t.Fatalf("creating stack %s: %v", name, err)
	}
	w := &world{t: t, ctx: ctx, stack: s, name: name, cloud: cloud, backend: backend, admins: admins}
	// As the README tells the stack's owner: replace the placeholders, the
	// subscription with the stack's, the hub's id (prod) with the hub VNet's,
	// and the admin with the admins' group; then what the test sets before
	// its first up. One pulumi config set-all --path.
	cfg := []string{"azure-native:subscriptionId", subscription}
	if name == "prod" {
		cfg = append(cfg, "aks-kubenet:hub.vnetId", hubVnetID)
	}
	cfg = append(cfg, "aks-kubenet:cluster.clusterAdmins[0]", azuresim.Group+":"+admins)
	w.setConfigs(append(cfg, config...)...)
	return w
}

// setConfigs sets config values, key, value, key, value..., with one run of
// the CLI, pulumi config set-all --path, in the order given (an array grows
// one index at a time).
func (w *world) setConfigs(kv ...string) {
	w.t.Helper()
	if len(kv)%2 != 0 {
		w.t.Fatalf("setConfigs %v: a key without a value", kv)
	}
	args := []string{"config", "set-all", "--path"}
	for i := 0; i < len(kv); i += 2 {
		args = append(args, "--plaintext", kv[i]+"="+kv[i+1])
	}
	w.run(args...)
}

// run runs the pulumi CLI in the stack's workspace, with its environment, as
// the Automation API runs it, and returns its standard output.
func (w *world) run(args ...string) string {
	w.t.Helper()
	ws := w.stack.Workspace()
	env := []string{"PULUMI_HOME=" + ws.PulumiHome()}
	for k, v := range ws.GetEnvVars() {
		env = append(env, k+"="+v)
	}
	stdout, stderr, _, err := cli.Run(w.ctx, ws.WorkDir(), nil, nil, nil, env, append(args, "--stack", w.name)...)
	if err != nil {
		w.t.Fatalf("pulumi %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// unread is the stack's workspace, but for what the Automation API reads
// after a successful update, refresh or destroy and no test reads: under a
// context from unreadCtx, Stack.Up's outputs (pulumi stack output --json,
// then again with --show-secrets) are empty, and the summary (pulumi stack
// history) is that of no update. Each of these is a run of the CLI, two of
// them with the passphrase's key derivation. A test that reads the outputs
// asks for them (w.stack.Outputs(w.ctx)); one that reads the summary runs its
// update under w.ctx.
type unread struct{ auto.Workspace }

type unreadKey struct{}

// unreadCtx is w.ctx for an update whose outputs and summary no test reads.
func (w *world) unreadCtx() context.Context { return context.WithValue(w.ctx, unreadKey{}, true) }

func isUnread(ctx context.Context) bool { return ctx.Value(unreadKey{}) != nil }

func (u unread) StackOutputs(ctx context.Context, name string) (auto.OutputMap, error) {
	if isUnread(ctx) {
		return auto.OutputMap{}, nil
	}
	return u.Workspace.StackOutputs(ctx, name)
}

func (u unread) PulumiCommand() auto.PulumiCommand { return unreadHistory{u.Workspace.PulumiCommand()} }

// unreadHistory runs the CLI, but for pulumi stack history under an unread
// context: no update's summary.
type unreadHistory struct{ auto.PulumiCommand }

func (c unreadHistory) Run(ctx context.Context, workdir string, stdin io.Reader, additionalOutput, additionalErrorOutput []io.Writer, additionalEnv []string, args ...string) (string, string, int, error) {
	if isUnread(ctx) && len(args) >= 2 && args[0] == "stack" && args[1] == "history" {
		return "[]", "", 0, nil
	}
	return c.PulumiCommand.Run(ctx, workdir, stdin, additionalOutput, additionalErrorOutput, additionalEnv, args...)
}

// adminGroupName is the display name of the Entra group newWorld makes for
// the admins of stack name.
func adminGroupName(name string) string { return "aks-kubenet-" + name + "-admins" }

// openCloud reads the simulated cloud.
func (w *world) openCloud() *azuresim.Cloud {
	w.t.Helper()
	c, err := azuresim.Open(w.cloud)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// changeCloud changes the simulated cloud behind Pulumi's back.
func (w *world) changeCloud(change func(c *azuresim.Cloud) error) {
	w.t.Helper()
	c := w.openCloud()
	if err := change(c); err != nil {
		w.t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		w.t.Fatal(err)
	}
}

// up runs pulumi up and fails the test, with the engine's output, when it
// fails.
func (w *world) up() {
	w.t.Helper()
	var out bytes.Buffer
	if _, err := w.stack.Up(w.unreadCtx(), optup.ProgressStreams(&out), optup.ErrorProgressStreams(&out)); err != nil {
		w.t.Fatalf("pulumi up -s %s: %v\n%s", w.name, err, out.String())
	}
}

// refresh runs pulumi refresh and fails the test when it fails.
func (w *world) refresh() {
	w.t.Helper()
	if _, err := w.stack.Refresh(w.unreadCtx()); err != nil {
		w.t.Fatalf("pulumi refresh -s %s: %v", w.name, err)
	}
}

// expectNoChanges runs pulumi preview --expect-no-changes and fails the test,
// naming every planned step, when the preview plans any change.
func (w *world) expectNoChanges(when string) {
	w.t.Helper()
	steps, err := w.previewSteps(optpreview.ExpectNoChanges())
	if err != nil {
		w.t.Errorf("%s: pulumi preview --expect-no-changes failed: %v\nplanned steps: %v", when, err, changed(steps))
	}
}

// previewSteps runs pulumi preview and returns the operation it plans for
// each resource, by URN.
func (w *world) previewSteps(opts ...optpreview.Option) (map[string]step, error) {
	w.t.Helper()
	ch := make(chan events.EngineEvent)
	var mu sync.Mutex
	steps := map[string]step{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range ch {
			if e.ResourcePreEvent == nil {
				continue
			}
			md := e.ResourcePreEvent.Metadata
			mu.Lock()
			steps[md.URN] = step{Op: md.Op, Type: md.Type, Diffs: md.Diffs}
			mu.Unlock()
		}
	}()
	_, err := w.stack.Preview(w.ctx, append(opts, optpreview.EventStreams(ch))...)
	if err != nil {
		// A preview the CLI refuses before the engine starts (a stack config
		// that fails the project's validation) sends no event, and the
		// Automation API never closes the stream: fail, not hang.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	} else {
		<-done
	}
	mu.Lock()
	defer mu.Unlock()
	return maps.Clone(steps), err
}

// step is what a preview plans for one resource.
type step struct {
	Op    apitype.OpType
	Type  string
	Diffs []string
}

// changed lists the steps that change something in Azure: not "same", not
// the read of the program's own last deployment, and not the registration of
// a default provider (the preview-only read needs the pulumi provider), for
// messages.
func changed(steps map[string]step) []string {
	var out []string
	for urn, s := range steps {
		if s.Op != apitype.OpSame && s.Op != apitype.OpRead && !strings.HasPrefix(s.Type, "pulumi:providers:") {
			out = append(out, fmt.Sprintf("%s %s %v", s.Op, urn, s.Diffs))
		}
	}
	return out
}

// replaces reports whether op replaces a resource.
func replaces(op apitype.OpType) bool {
	return slices.Contains([]apitype.OpType{apitype.OpReplace, apitype.OpCreateReplacement, apitype.OpDeleteReplaced}, op)
}

// noneReplaced fails for a step that deletes or replaces a resource.
func noneReplaced(t *testing.T, steps map[string]step, when string) {
	t.Helper()
	for urn, s := range steps {
		if replaces(s.Op) || s.Op == apitype.OpDelete {
			t.Errorf("%s plans %s of %s", when, s.Op, urn)
		}
	}
}

// stepFor returns the step planned for the one resource of type typ whose
// URN ends with suffix.
func stepFor(t *testing.T, steps map[string]step, typ, suffix string) step {
	t.Helper()
	for urn, s := range steps {
		if s.Type == typ && strings.HasSuffix(urn, suffix) {
			return s
		}
	}
	t.Fatalf("no step planned for a %s whose URN ends with %q; steps: %v", typ, suffix, steps)
	return step{}
}

// backendEntry is what a file of the local backend looks like from outside:
// its content and when it was last written.
type backendEntry struct {
	content string
	modTime time.Time
}

// backendFiles returns every file of the local backend by path, with its
// modification time, so that even a rewrite with the same content shows.
func (w *world) backendFiles() map[string]backendEntry {
	w.t.Helper()
	files := map[string]backendEntry{}
	err := filepath.Walk(w.backend, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[path] = backendEntry{content: string(b), modTime: info.ModTime()}
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return files
}

// stateFiles returns every file of the local backend, by path: the state, its
// backups and its history, as the backend stores them.
func (w *world) stateFiles() map[string]string {
	w.t.Helper()
	files := map[string]string{}
	for path, f := range w.backendFiles() {
		files[path] = f.content
	}
	return files
}
