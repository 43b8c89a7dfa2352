package migration

import (
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// loadStack reads the committed Pulumi.<name>.yaml of the repository.
func loadStack(t testing.TB, name string) spec.Stack {
	t.Helper()
	return loadFrom(t, "..", name)
}

// loadFrom reads the stack name of the project in dir as the program does.
func loadFrom(t testing.TB, dir, name string) spec.Stack {
	t.Helper()
	cfg, err := stackfile.Read(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Load(name, cfg.Get)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// find returns the first finding whose message contains text, or nil.
func find(findings []rules.Finding, text string) *rules.Finding {
	for i, f := range findings {
		if strings.Contains(f.Message, text) {
			return &findings[i]
		}
	}
	return nil
}

// humane fails for a message that shows Go internals or a number with an
// exponent.
func humane(t *testing.T, findings ...rules.Finding) {
	t.Helper()
	for _, f := range findings {
		for _, bad := range []string{"netip.", "ParsePrefix", "e+0", "%!", "<nil>", "[]"} {
			if strings.Contains(f.Message, bad) {
				t.Errorf("message shows %q: %s", bad, f.Message)
			}
		}
	}
}
