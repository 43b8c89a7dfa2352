package engine

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// The simulated provider replaces a ManagedCluster and an AgentPool on exactly
// the inputs the real provider's forceNewMap lists (aksfacts.ClusterCreateOnlyInputs,
// aksfacts.PoolCreateOnlyInputs, which aksfacts' tests check against the
// provider's source), so the engine tests below see the replacements a real
// pulumi up would plan.
func TestSimulatorReplacesOnTheProvidersCreateOnlyInputs(t *testing.T) {
	t.Parallel()
	got := azuresim.ReplaceKeys(azuresim.ManagedCluster)
	want := aksfacts.ClusterCreateOnlyInputs
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("simulated ManagedCluster replace keys %v, want the program's create-only inputs %v", got, want)
	}
	// A pool has no location of its own.
	pool := slices.DeleteFunc(azuresim.ReplaceKeys(azuresim.AgentPool), func(k string) bool { return k == "location" })
	if !slices.Equal(slices.Sorted(slices.Values(pool)), slices.Sorted(slices.Values(aksfacts.PoolCreateOnlyInputs))) {
		t.Errorf("simulated AgentPool replace keys %v, want the program's %v", pool, aksfacts.PoolCreateOnlyInputs)
	}
}

// setConfig sets one config value with the CLI (pulumi config set --path).
func (w *world) setConfig(key, value string, secret bool) {
	w.t.Helper()
	if err := w.stack.SetConfigWithOptions(w.ctx, key, auto.ConfigValue{Value: value, Secret: secret}, &auto.ConfigOptions{Path: true}); err != nil {
		w.t.Fatal(err)
	}
}

// previewOutput runs pulumi preview and returns what it printed.
func (w *world) previewOutput() (string, error) {
	w.t.Helper()
	var out bytes.Buffer
	_, err := w.stack.Preview(w.ctx, optpreview.ProgressStreams(&out))
	return out.String(), err
}

// Adding, rotating or removing the SSH key on a running stack changes nothing:
// the key is create-only, and azure-native would replace the cluster on it.
func TestSSHKeyEditsNeverReplaceTheCluster(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.up()
	w.setConfig("aks-kubenet:sshPublicKey", rsaPublicKey(t), true)
	w.expectNoChanges("preview after adding an SSH key")
	w.up()
	w.setConfig("aks-kubenet:sshPublicKey", rsaPublicKey(t), true)
	w.expectNoChanges("preview after rotating the SSH key")
	if err := w.stack.RemoveConfig(w.ctx, "aks-kubenet:sshPublicKey"); err != nil {
		t.Fatal(err)
	}
	w.expectNoChanges("preview after removing the SSH key")
	for _, op := range w.openCloud().Log {
		if op.Op == "delete" {
			t.Errorf("up deleted %s", op.ID)
		}
	}
}

// A rename, or a change of a create-only input, on a protected stack fails
// the preview with Pulumi's protect message and the program's own account of
// the rename; the cloud is untouched. On an unprotected stack the same edit
// plans a replacement: protection is what stands between an edit and a
// deleted cluster.
func TestReplacingEditsFailOnProtection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, key, value string
		want             []string // in the preview's output
	}{
		{"route table renamed", "aks-kubenet:network.routeTableName", "aks-prod-weu-rt2", []string{
			"marked for protection",
			"network.routeTableName changes from aks-prod-weu-rt to aks-prod-weu-rt2 on a deployed stack",
		}},
		{"pod range changed", "aks-kubenet:cluster.podCidr", "10.246.0.0/16", []string{"marked for protection"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "prod")
			w.up()
			before := len(w.openCloud().Log)
			w.setConfig(tc.key, tc.value, false)
			out, err := w.previewOutput()
			if err == nil {
				t.Fatalf("preview succeeded on a protected stack:\n%s", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(out, want) {
					t.Errorf("the preview does not say %q:\n%s", want, out)
				}
			}
			if _, err := w.stack.Up(w.ctx); err == nil {
				t.Error("up succeeded on a protected stack")
			}
			if after := len(w.openCloud().Log); after != before {
				t.Errorf("the refused edit reached the cloud: %v", w.openCloud().Log[before:])
			}
		})
	}

	t.Run("pod range changed on unprotected dev", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "dev") // aks-kubenet:protect false
		w.up()
		w.setConfig("aks-kubenet:cluster.podCidr", "10.246.0.0/16", false)
		steps, err := w.previewSteps()
		if err != nil {
			t.Fatal(err)
		}
		if s := stepFor(t, steps, typeOf(managedCluster), managedCluster); !replaces(s.Op) {
			t.Errorf("unprotected dev: a pod range change plans %s for the cluster, want a replacement", s.Op)
		}
	})
}

// With resourceGroup.existing the stack deploys into a group a platform team
// created, and destroy leaves the group as it found it.
func TestExistingResourceGroupIsNeverDeleted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	var group string
	w.changeCloud(func(c *azuresim.Cloud) error {
		group = c.CreateGroup(subscription, "platform-dev-rg", "eastus").ID
		return nil
	})
	w.setConfigs("aks-kubenet:resourceGroup.name", "platform-dev-rg", "aks-kubenet:resourceGroup.existing", "true")
	w.up()
	c := w.openCloud()
	if _, err := c.Cluster("aks-kubenet-cluster"); err != nil {
		t.Fatal(err)
	}
	for _, op := range c.Log {
		if op.Type == azuresim.ResourceGroup {
			t.Errorf("up did %s the resource group %s", op.Op, op.ID)
		}
		if op.Op == "create" && !strings.Contains(op.ID, "/resourceGroups/platform-dev-rg/") {
			t.Errorf("created %s outside the existing group", op.ID)
		}
	}
	w.expectNoChanges("second preview")
	if _, err := w.stack.Destroy(w.unreadCtx()); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	c = w.openCloud()
	if c.Get(group) == nil {
		t.Error("destroy deleted the existing resource group")
	}
	if n := c.PulumiResources(); n != 0 {
		t.Errorf("%d resources Pulumi created are left after destroy", n)
	}
}

// A setting AKS changes in place but the provider replaces on (outboundType,
// in networkProfile) goes around the provider, as "Changing a stack" says:
// az aks update changes the cluster, pulumi refresh reads it back, and the
// same change in config then plans nothing, on a protected stack too. Prod
// runs in egress mode 1 here (its hub's firewall through a hand-written
// default route): with aks-kubenet:hub or aks-kubenet:firewall the program
// refuses any outbound type but userDefinedRouting.
func TestAKSUpdateThenRefreshAvoidsTheReplacement(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.handWrittenEgress(1, "default-via-firewall", "10.100.0.4")
	w.up()
	w.changeCloud(func(c *azuresim.Cloud) error { // az aks update --outbound-type loadBalancer
		cl, err := c.Cluster("aks-prod-weu")
		if err != nil {
			return err
		}
		cl.Properties["networkProfile"].ObjectValue()["outboundType"] = resource.NewProperty("loadBalancer")
		return nil
	})
	w.refresh()
	w.setConfig("aks-kubenet:cluster.outboundType", "loadBalancer", false)
	w.expectNoChanges("preview after az aks update, refresh and the same change in config")
}
