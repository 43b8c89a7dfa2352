package engine

import (
	"strings"
	"testing"
)

// TestRefusedConfigTouchesNothing: a bad IP plan written with the CLI makes
// preview and up fail with the program's whole list of problems, and the
// simulated cloud sees no operation at all.
func TestRefusedConfigTouchesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev",
		"aks-kubenet:network.nodeSubnetCidr", "10.1.0.0/24", // outside the VNet 10.0.0.0/16
		"aks-kubenet:cluster.podCidr", "10.0.128.0/17", // inside the VNet
	)
	want := []string{
		"stack configuration refused, nothing was created",
		"network.nodeSubnetCidr 10.1.0.0/24 is not inside network.vnetCidr 10.0.0.0/16",
		"cluster.podCidr 10.0.128.0/17 overlaps network.vnetCidr 10.0.0.0/16",
	}
	_, err := w.stack.Preview(w.ctx)
	assertRefused(t, "preview", err, want)
	_, err = w.stack.Up(w.ctx)
	assertRefused(t, "up", err, want)

	c := w.openCloud()
	if len(c.Log) != 0 || len(c.Resources) != 0 {
		t.Errorf("a refused config reached the cloud: %d operations, %d resources", len(c.Log), len(c.Resources))
	}
}

func assertRefused(t *testing.T, what string, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded with a refused config", what)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s's error does not say %q:\n%v", what, w, err)
		}
	}
}
