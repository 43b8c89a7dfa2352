package tests

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/aks-kubenet/aks-kubenet/stackfile"
)

// workflow is the part of a GitHub Actions workflow that names stacks.
type workflow struct {
	On struct {
		WorkflowDispatch struct {
			Inputs map[string]struct {
				Options []string `yaml:"options"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Jobs map[string]struct {
		Strategy struct {
			Matrix struct {
				Stack []string `yaml:"stack"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		With map[string]string `yaml:"with"`
	} `yaml:"jobs"`
}

func readWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(b, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return w
}

// The preview, deploy and drift workflows name every committed stack, and
// only those: a Pulumi.<stack>.yaml added without them fails here.
func TestWorkflowsCoverEveryStack(t *testing.T) {
	stacks, err := stackfile.Stacks("..")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(stacks)
	deploy := readWorkflow(t, "deploy.yml")
	var deployed []string
	for _, job := range deploy.Jobs {
		if s := job.With["stack"]; s != "" && job.With["command"] == "up" {
			deployed = append(deployed, s)
		}
	}
	for what, got := range map[string][]string{
		"pull-request.yml preview matrix":    readWorkflow(t, "pull-request.yml").Jobs["preview"].Strategy.Matrix.Stack,
		"drift.yml drift matrix":             readWorkflow(t, "drift.yml").Jobs["drift"].Strategy.Matrix.Stack,
		"deploy.yml jobs running up":         deployed,
		"deploy.yml workflow_dispatch stack": deploy.On.WorkflowDispatch.Inputs["stack"].Options,
	} {
		got = slices.Sorted(slices.Values(got))
		if !slices.Equal(got, stacks) {
			t.Errorf("%s lists stacks %v; the stack files are %v", what, got, stacks)
		}
	}
}
