package tests

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// goList runs go list with format on the packages and returns its lines.
func goList(t *testing.T, format string, deps bool, pkgs ...string) []string {
	t.Helper()
	args := []string{"list", "-f", format}
	if deps {
		args = append(args, "-deps")
	}
	cmd := exec.Command("go", append(args, pkgs...)...)
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// The arrows go one way: the config, the rules, the arithmetic and the
// facts have no Pulumi import (the plan, the pipelines' setup and the
// simulator read them without the SDK), and the plan reads the facts, not
// the components, which it runs only through the program.
func TestLayers(t *testing.T) {
	const module = "github.com/aks-kubenet/aks-kubenet/"
	pure := []string{"spec", "ipplan", "rules", "aksfacts", "armid", "retry", "pipeline", "iam/roles", "migration"}
	for _, pkg := range pure {
		for _, dep := range goList(t, "{{.ImportPath}}", true, "./"+pkg) {
			if strings.HasPrefix(dep, "github.com/pulumi/") {
				t.Errorf("%s imports %s (through its dependencies): it must stay free of Pulumi", pkg, dep)
				break
			}
		}
	}
	imports := goList(t, `{{join .Imports "\n"}}`, false, "./plan")
	for _, component := range []string{"network", "cluster", "iam", "monitoring"} {
		if slices.Contains(imports, module+component) {
			t.Errorf("plan imports the components of %s: read the fact from aksfacts instead", component)
		}
	}
}
