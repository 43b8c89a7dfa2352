package engine

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// driftCheck runs the daily drift job's command, pulumi preview --refresh
// --expect-no-changes, and returns its error.
func (w *world) driftCheck() error {
	w.t.Helper()
	_, err := w.previewSteps(optpreview.Refresh(), optpreview.ExpectNoChanges())
	return err
}

// TestHealthyStackPassesTheDriftCheck: a day in the life of a running stack
// (AKS's node routes and tags, the autoscaler, and what Azure fills in on its
// own: a Windows profile, the load balancer profile, the upgrade settings, an
// upgrade of a version the stack does not pin) is no drift: the daily check
// passes. Each of those is handled in cluster.IgnoredChanges; dropping one
// fails this test.
func TestHealthyStackPassesTheDriftCheck(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, name)
			w.up()
			w.changeCloud(func(c *azuresim.Cloud) error {
				if _, err := c.WriteNodeRoutes(clusterNames[name]); err != nil {
					return err
				}
				if err := c.TagRouteTable(clusterNames[name], cloudProviderTags); err != nil {
					return err
				}
				if name == "prod" {
					if err := c.Autoscale(clusterNames[name], "system", 5); err != nil {
						return err
					}
				}
				return c.FillClusterDefaults(clusterNames[name], "1.31.7")
			})
			if err := w.driftCheck(); err != nil {
				t.Errorf("the drift check fails on a healthy stack: %v", err)
			}
		})
	}
}

// TestDriftCheckCatchesRealDrift: a change to what the program owns (the
// subnet's route table association removed) fails the daily check.
func TestDriftCheckCatchesRealDrift(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	w.changeCloud(func(c *azuresim.Cloud) error { return c.Dissociate(subnetOf(c).ID) })
	if err := w.driftCheck(); err == nil {
		t.Error("the drift check passes with the subnet's route table association removed")
	}
}
