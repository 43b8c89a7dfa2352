package stackfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const project = `name: proj
runtime: go
config:
  tags:
    type: object
    default: {}
  size:
    type: integer
    default: 3
`

func TestReadRendersValuesAsTheCLIPassesThem(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.dev.yaml", `config:
  azure-native:location: eastus
  proj:network:
    vnetCidr: 10.0.0.0/16
    routes:
      - name: r
        count: 2
  proj:size: 5
  plain: text
`)
	cfg, err := Read(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"azure-native:location": "eastus",
		"proj:network":          `{"routes":[{"count":2,"name":"r"}],"vnetCidr":"10.0.0.0/16"}`,
		"proj:size":             "5",
		"proj:plain":            "text",
		"proj:tags":             "{}",
	}
	for k, v := range want {
		if cfg.Values[k] != v {
			t.Errorf("%s = %q, want %q", k, cfg.Values[k], v)
		}
	}
	if len(cfg.Values) != len(want) || len(cfg.Secure) != 0 {
		t.Errorf("values %v, secure %v", cfg.Values, cfg.Secure)
	}
}

func TestReadReportsEncryptedValuesByPath(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.dev.yaml", `config:
  proj:sshPublicKey:
    secure: AAABAJk=
  proj:cluster:
    nodes:
      - token:
          secure: AAABAJk=
  proj:network:
    vnetCidr: 10.0.0.0/16
`)
	cfg, err := Read(dir, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"proj:cluster.nodes[0].token", "proj:sshPublicKey"}; !slices.Equal(cfg.Secure, want) {
		t.Errorf("Secure = %v, want %v", cfg.Secure, want)
	}
	if _, ok := cfg.Values["proj:sshPublicKey"]; ok {
		t.Error("an encrypted value was passed on")
	}
	if _, ok := cfg.Values["proj:cluster"]; ok {
		t.Error("an object holding an encrypted value was passed on")
	}
	if cfg.Values["proj:network"] == "" {
		t.Error("plain values next to encrypted ones were dropped")
	}
}

func TestReadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir, "dev"); err == nil || !strings.Contains(err.Error(), "Pulumi.yaml: no such file") {
		t.Errorf("missing project file: %v", err)
	}
	write(t, dir, "Pulumi.yaml", project)
	if _, err := Read(dir, "dev"); err == nil || !strings.Contains(err.Error(), "Pulumi.dev.yaml: no such file") {
		t.Errorf("missing stack file: %v", err)
	}
	write(t, dir, "Pulumi.dev.yaml", "config: [unclosed\n")
	if _, err := Read(dir, "dev"); err == nil || !strings.Contains(err.Error(), "Pulumi.dev.yaml: not valid YAML") {
		t.Errorf("bad YAML: %v", err)
	}
	write(t, dir, "Pulumi.dev.yaml", "config: just text\n")
	if _, err := Read(dir, "dev"); err == nil || !strings.Contains(err.Error(), "want a map") {
		t.Errorf("config not a map: %v", err)
	}
}

func TestStacks(t *testing.T) {
	dir := t.TempDir()
	if _, err := Stacks(dir); err == nil {
		t.Error("no stack files: want an error")
	}
	write(t, dir, "Pulumi.yaml", project)
	write(t, dir, "Pulumi.prod.yaml", "config: {}\n")
	write(t, dir, "Pulumi.dev.yaml", "config: {}\n")
	write(t, dir, "Pulumi.staging.yaml", "config: {}\n")
	got, err := Stacks(dir)
	if err != nil || !slices.Equal(got, []string{"dev", "prod", "staging"}) {
		t.Errorf("Stacks = %v, %v", got, err)
	}
}

// Encrypted values are sorted by namespace: the project's go to Secure (the
// program reads them, so the plan must know), any other namespace's go to
// ProviderSecrets (provider credentials the program never reads). Neither
// keeps the ciphertext.
func TestReadSortsEncryptedValuesByNamespace(t *testing.T) {
	const cipher = "AAABAHNlY3JldA=="
	cases := []struct {
		name         string
		config       string
		wantSecure   []string
		wantProvider []string
		wantValues   []string // keys that must stay in Values
	}{
		{
			name:         "service principal secret",
			config:       "  azure-native:clientId: 6f1d1c2e-0000-4000-8000-000000000001\n  azure-native:clientSecret:\n    secure: " + cipher + "\n",
			wantProvider: []string{"azure-native:clientSecret"},
			wantValues:   []string{"azure-native:clientId"},
		},
		{
			name: "certificate password and a secret inside a provider object",
			config: "  azure-native:clientCertificatePassword:\n    secure: " + cipher + "\n" +
				"  azure-native:auxiliary:\n    token:\n      secure: " + cipher + "\n",
			wantProvider: []string{"azure-native:auxiliary.token", "azure-native:clientCertificatePassword"},
		},
		{
			name:       "project keys stay Secure, with or without the namespace",
			config:     "  proj:sshPublicKey:\n    secure: " + cipher + "\n  password:\n    secure: " + cipher + "\n",
			wantSecure: []string{"proj:password", "proj:sshPublicKey"},
		},
		{
			name: "a namespace that only starts like the project's is a provider's",
			config: "  projx:token:\n    secure: " + cipher + "\n" +
				"  azure-native:clientSecret:\n    secure: " + cipher + "\n  proj:sshPublicKey:\n    secure: " + cipher + "\n",
			wantSecure:   []string{"proj:sshPublicKey"},
			wantProvider: []string{"azure-native:clientSecret", "projx:token"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "Pulumi.yaml", project)
			write(t, dir, "Pulumi.dev.yaml", "config:\n  azure-native:location: eastus\n"+tc.config)
			cfg, err := Read(dir, "dev")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Secure, tc.wantSecure) {
				t.Errorf("Secure = %q, want %q", cfg.Secure, tc.wantSecure)
			}
			if !slices.Equal(cfg.ProviderSecrets, tc.wantProvider) {
				t.Errorf("ProviderSecrets = %q, want %q", cfg.ProviderSecrets, tc.wantProvider)
			}
			for _, key := range append([]string{"azure-native:location"}, tc.wantValues...) {
				if _, ok := cfg.Values[key]; !ok {
					t.Errorf("plain value %s was dropped", key)
				}
			}
			for key, v := range cfg.Values {
				if strings.Contains(v, cipher) {
					t.Errorf("Values[%s] keeps the ciphertext: %q", key, v)
				}
				if slices.Contains(cfg.ProviderSecrets, key) || slices.Contains(cfg.Secure, key) {
					t.Errorf("Values keeps the encrypted key %s", key)
				}
			}
		})
	}
}

// Keys lists every key the program is passed, as the Pulumi CLI passes them
// in PULUMI_CONFIG: plain and encrypted, from the stack file and from
// Pulumi.yaml's defaults, in the project's namespace and any other.
func TestReadListsEveryKey(t *testing.T) {
	const cipher = "AAABAHNlY3JldA=="
	cases := []struct {
		name   string
		config string
		want   []string
	}{
		{
			name: "only the defaults", config: "config: {}\n",
			want: []string{"proj:size", "proj:tags"},
		},
		{
			name:   "plain keys, with and without the namespace",
			config: "config:\n  azure-native:location: eastus\n  proj:network: {}\n  tag: x\n  proj:size: 5\n",
			want:   []string{"azure-native:location", "proj:network", "proj:size", "proj:tag", "proj:tags"},
		},
		{
			name: "encrypted keys, whole or inside an object",
			config: "config:\n  proj:sshPublicKy:\n    secure: " + cipher + "\n  proj:cluster:\n    token:\n      secure: " + cipher + "\n" +
				"  azure-native:clientSecret:\n    secure: " + cipher + "\n",
			want: []string{"azure-native:clientSecret", "proj:cluster", "proj:size", "proj:sshPublicKy", "proj:tags"},
		},
		{
			name:   "a key written both ways is one key",
			config: "config:\n  proj:password:\n    secure: " + cipher + "\n  password:\n    secure: " + cipher + "\n",
			want:   []string{"proj:password", "proj:size", "proj:tags"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "Pulumi.yaml", project)
			write(t, dir, "Pulumi.dev.yaml", tc.config)
			cfg, err := Read(dir, "dev")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.Keys, tc.want) {
				t.Errorf("Keys = %q, want %q", cfg.Keys, tc.want)
			}
		})
	}
}
