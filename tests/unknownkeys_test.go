package tests

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/plan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

const (
	// misspelledKeys are two misspelled top-level keys, as a stack file has them.
	misspelledKeys = "  aks-kubenet:tag:\n    owner: platform\n  aks-kubenet:firewal:\n    subnetCidr: 10.0.2.0/26\n"
	tagError       = "aks-kubenet:tag: unknown key (did you mean aks-kubenet:tags?)"
	firewalError   = "aks-kubenet:firewal: unknown key (did you mean aks-kubenet:firewall?)"
	cipher         = "AAABAGNpcGhlcnRleHQ="
)

// The plan refuses every key of the project's namespace that the program does
// not read, naming it with the key it probably meant, next to every other
// problem of the stack.
func TestPlanRefusesUnknownKeys(t *testing.T) {
	dev := committedStack(t, "dev")
	cases := []struct {
		name       string
		stack      string
		args       []string
		wantStatus int
		wantOut    []string
		wantErr    []string
	}{
		{
			name: "misspelled keys", stack: dev + misspelledKeys, args: []string{"-stack", "dev"},
			wantStatus: plan.ExitFindings,
			wantOut: []string{"Findings: 2 errors", "  error: " + firewalError + "\n  error: " + tagError + "\n",
				"Resources: none; the program refuses this config"},
		},
		{
			name: "misspelled keys, every stack", stack: dev + misspelledKeys, args: []string{"-all"},
			wantStatus: plan.ExitFindings, wantOut: []string{"  error: " + firewalError, "  error: " + tagError},
		},
		{
			name: "misspelled keys as JSON", stack: dev + misspelledKeys, args: []string{"-stack", "dev", "-format", "json"},
			wantStatus: plan.ExitFindings, wantOut: []string{`"ok": false`, firewalError, tagError},
		},
		{
			name: "misspelled keys as a graph", stack: dev + misspelledKeys, args: []string{"-stack", "dev", "-format", "mermaid"},
			wantStatus: plan.ExitFindings, wantOut: []string{"flowchart LR\n"},
			wantErr: []string{"Pulumi.dev.yaml: " + firewalError + "\n", "Pulumi.dev.yaml: " + tagError + "\n"},
		},
		{
			name: "a key written without the namespace", stack: dev + "  firewal:\n    subnetCidr: 10.0.2.0/26\n", args: []string{"-stack", "dev"},
			wantStatus: plan.ExitFindings, wantOut: []string{"Findings: 1 error,", firewalError},
		},
		{
			name:       "an encrypted misspelled key is refused, not an input error",
			stack:      dev + "  aks-kubenet:sshPublicKy:\n    secure: " + cipher + "\n",
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitFindings,
			wantOut:    []string{"Findings: 1 error,", "aks-kubenet:sshPublicKy: unknown key (did you mean aks-kubenet:sshPublicKey?)"},
		},
		{
			name: "a key near no known key lists them", stack: dev + "  aks-kubenet:region: eastus\n", args: []string{"-stack", "dev"},
			wantStatus: plan.ExitFindings,
			wantOut:    []string{"aks-kubenet:region: unknown key (known keys: aks-kubenet:adopt, aks-kubenet:cluster, aks-kubenet:exportKubeconfig, aks-kubenet:firewall, aks-kubenet:hub, "},
		},
		{
			name:       "with a decode problem and a rule error, all at once",
			stack:      strings.Replace(dev, "    nodeCount: 3\n", "    nodeCount: three\n    maxPods: 300\n", 1) + misspelledKeys,
			args:       []string{"-stack", "dev"},
			wantStatus: plan.ExitFindings,
			wantOut: []string{"Findings: 4 errors", "  error: " + firewalError, "  error: " + tagError,
				`  error: cluster.nodeCount: want a whole number, got "three"`, "  error: cluster.maxPods 300 is outside 10-250"},
		},
		{
			name:  "other namespaces are not the program's to refuse",
			stack: dev + "  azure-native:tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47\n  pulumi:tags:\n    team: platform\n  azure-native:clientSecret:\n    secure: " + cipher + "\n",
			args:  []string{"-stack", "dev"}, wantStatus: plan.ExitOK, wantOut: []string{"Findings: 0 errors"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"dev": tc.stack})
			status, out, errs := runPlan(append([]string{"-dir", dir}, tc.args...)...)
			if status != tc.wantStatus {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", status, tc.wantStatus, out, errs)
			}
			wantContains(t, "stdout", out, tc.wantOut...)
			wantContains(t, "stderr", errs, tc.wantErr...)
			if strings.Contains(out+errs, cipher) {
				t.Error("the plan printed an encrypted value")
			}
			if strings.Contains(out+errs, "is missing") {
				t.Errorf("a key that did not decode is also reported missing:\n%s", out)
			}
		})
	}
}

// pulumiConfig is the PULUMI_CONFIG the Pulumi CLI would give a program with
// config.
func pulumiConfig(t *testing.T, config map[string]string) string {
	t.Helper()
	raw, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Run by the Pulumi CLI, which hands it every config key in PULUMI_CONFIG,
// the program refuses an unknown key of its namespace before it registers
// anything or calls Azure; without PULUMI_CONFIG it reads only the keys it
// knows, as before.
func TestProgramRefusesUnknownKeysInPulumiConfig(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, cfg map[string]string)
		// env returns PULUMI_CONFIG for the run's config; nil leaves it unset.
		env        func(t *testing.T, cfg map[string]string) *string
		secretKeys []string
		want       []string // substrings of the error; none: the run succeeds
	}{
		{
			name: "misspelled keys",
			mutate: func(t *testing.T, cfg map[string]string) {
				cfg["aks-kubenet:tag"] = `{"owner":"platform"}`
				cfg["aks-kubenet:firewal"] = `{"subnetCidr":"10.0.2.0/26"}`
			},
			want: []string{"(2 errors)", "  - " + firewalError + "\n  - " + tagError},
		},
		{
			name: "with a decode problem and a rule error, all at once",
			mutate: func(t *testing.T, cfg map[string]string) {
				cfg["aks-kubenet:firewal"] = `{"subnetCidr":"10.0.2.0/26"}`
				setJSON(t, cfg, spec.KeyCluster, "nodeCount", "three")
				setJSON(t, cfg, spec.KeyCluster, "maxPods", 300)
			},
			want: []string{"(3 errors)", firewalError, `cluster.nodeCount: want a whole number, got "three"`, "cluster.maxPods 300 is outside 10-250"},
		},
		{
			name: "a misspelled secret is named, not shown",
			mutate: func(t *testing.T, cfg map[string]string) {
				cfg["aks-kubenet:sshPublicKy"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwn"
			},
			secretKeys: []string{"aks-kubenet:sshPublicKy"},
			want:       []string{"aks-kubenet:sshPublicKy: unknown key (did you mean aks-kubenet:sshPublicKey?)"},
		},
		{
			name: "other namespaces are not the program's to refuse",
			mutate: func(t *testing.T, cfg map[string]string) {
				cfg["azure-native:tenantId"] = "72f988bf-86f1-41af-91ab-2d7cd011db47"
				cfg["pulumi:tags"] = `{"team":"platform"}`
			},
		},
		{
			name: "without PULUMI_CONFIG only the known keys are read",
			mutate: func(t *testing.T, cfg map[string]string) {
				cfg["aks-kubenet:firewal"] = `{"subnetCidr":"10.0.2.0/26"}`
			},
			env: func(*testing.T, map[string]string) *string { return nil },
		},
		{
			name: "an unparsable PULUMI_CONFIG is no list of keys",
			mutate: func(t *testing.T, cfg map[string]string) {
				cfg["aks-kubenet:firewal"] = `{"subnetCidr":"10.0.2.0/26"}`
			},
			env: func(*testing.T, map[string]string) *string { s := `{"aks-kubenet:firewal":`; return &s },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devConfig(t)
			tc.mutate(t, cfg)
			env := pulumiConfig(t, cfg)
			t.Setenv(spec.EnvConfig, env)
			if tc.env != nil {
				if e := tc.env(t, cfg); e == nil {
					if err := os.Unsetenv(spec.EnvConfig); err != nil {
						t.Fatal(err)
					}
				} else {
					t.Setenv(spec.EnvConfig, *e)
				}
			}
			r := runProgram(t, "dev", cfg, tc.secretKeys...)
			if len(tc.want) == 0 {
				mustSucceed(t, r)
				return
			}
			if r.err == nil {
				t.Fatal("program accepted an unknown key")
			}
			for _, want := range tc.want {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, r.err)
				}
			}
			if strings.Contains(r.err.Error(), "AAAAC3NzaC1lZDI1NTE5") || strings.Contains(r.err.Error(), "is missing") {
				t.Errorf("error shows a secret or a key that did not decode as missing:\n%v", r.err)
			}
			if len(r.resources) != 0 || len(r.calls) != 0 {
				t.Errorf("a refused config registered %d resources and made calls %v", len(r.resources), r.calls)
			}
		})
	}
}

// The plan and the program under the Pulumi CLI refuse an unknown key in the
// same words.
func TestUnknownKeysAreRefusedInTheSameWordsByPlanAndProgram(t *testing.T) {
	dir := writeProject(t, map[string]string{"dev": withSubscription(committedStack(t, "dev"), subscription) + misspelledKeys})
	p, err := plan.Build(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackfile.Read(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(spec.EnvConfig, pulumiConfig(t, cfg.Values))
	r := runProgram(t, "dev", cfg.Values)
	if r.err == nil || len(p.Errors) != 2 {
		t.Fatalf("plan errors %q, program error %v: want both to refuse the two keys", p.Errors, r.err)
	}
	for _, e := range p.Errors {
		if !strings.Contains(r.err.Error(), "\n  - "+e) {
			t.Errorf("the program does not report the plan's %q:\n%v", e, r.err)
		}
	}
}
