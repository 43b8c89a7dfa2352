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
	got, err := Stacks(dir)
	if err != nil || !slices.Equal(got, []string{"dev", "prod"}) {
		t.Errorf("Stacks = %v, %v", got, err)
	}
}
