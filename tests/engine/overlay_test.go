package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// TestOverlayStack: the committed Azure CNI Overlay stack (staging) previews
// a create of everything and changes nothing; up makes an Overlay cluster
// (networkPlugin azure, networkPluginMode overlay, the Cilium dataplane and
// policy) in the node subnet, whose route table carries the egress routes
// only: AKS writes no route per node. After AKS's activity (its tags on the
// table, the autoscaler, the values it fills in), refresh and a preview
// plan no change, and one more up changes nothing in the cloud. Then the
// same stack, as if deployed under the cluster component's earlier type,
// keeps its cluster (componentRenameKeepsTheCluster).
func TestOverlayStack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "staging")
	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	for urn, s := range steps {
		if s.Op != apitype.OpCreate && s.Op != apitype.OpSame && s.Op != apitype.OpRead {
			t.Errorf("preview of a new stack plans %s of %s", s.Op, urn)
		}
	}
	if n := w.openCloud().PulumiResources(); n != 0 {
		t.Fatalf("preview made %d resources in the cloud", n)
	}
	w.up()

	c := w.openCloud()
	aks, err := c.Cluster(clusterNames["staging"])
	if err != nil {
		t.Fatal(err)
	}
	profile, _ := aks.Properties["networkProfile"].V.(resource.PropertyMap)
	for key, want := range map[string]string{
		"networkPlugin": aksfacts.NetworkPluginAzure, "networkPluginMode": aksfacts.NetworkPluginModeOverlay,
		"networkDataplane": spec.DataplaneCilium, "networkPolicy": spec.NetworkPolicyCilium,
		"podCidr": "100.64.0.0/16", "outboundType": spec.OutboundUserDefinedRouting,
	} {
		if got, _ := profile[resource.PropertyKey(key)].V.(string); got != want {
			t.Errorf("the Overlay cluster's networkProfile.%s = %q, want %q", key, got, want)
		}
	}
	tables := c.Find(armid.RouteTable)
	if len(tables) != 1 {
		t.Fatalf("%d route tables, want 1", len(tables))
	}
	before := len(c.RoutesOf(tables[0].ID))

	w.changeCloud(func(c *azuresim.Cloud) error {
		routes, err := c.WriteNodeRoutes(clusterNames["staging"])
		if err != nil {
			return err
		}
		if len(routes) != 0 {
			t.Errorf("AKS wrote %d node routes for an Overlay cluster, want none", len(routes))
		}
		if err := c.TagRouteTable(clusterNames["staging"], cloudProviderTags); err != nil {
			return err
		}
		if err := c.Autoscale(clusterNames["staging"], "system", 5); err != nil {
			return err
		}
		return c.FillClusterDefaults(clusterNames["staging"], "1.31.7")
	})
	if after := len(w.openCloud().RoutesOf(tables[0].ID)); after != before {
		t.Errorf("the route table has %d routes after AKS's activity, %d before: Overlay writes none", after, before)
	}
	w.refresh()
	w.expectNoChanges("the Overlay stack after AKS's activity and a refresh")
	ops := len(w.openCloud().Log)
	w.up()
	for _, op := range w.openCloud().Log[ops:] {
		if op.Op != "read" {
			t.Errorf("one more up on a healthy Overlay stack: %s %s", op.Op, op.ID)
		}
	}
	t.Run("deployed under the component's earlier type", func(t *testing.T) { componentRenameKeepsTheCluster(t, w) })
}

// componentRenameKeepsTheCluster: a stack deployed while the cluster
// component was aks-kubenet:cluster:KubenetCluster (the state's URNs name
// it, the component's and its children's) previews no change under the
// component's new type, aliased from the old one: no replacement, no
// delete, nothing in the cloud touched; the up moves the state to the new
// URNs. It runs on the Overlay stack's world, deployed and healthy, to
// spare the engine tests a stack of its own.
func componentRenameKeepsTheCluster(t *testing.T, w *world) {
	exported, err := w.stack.Export(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(exported.Deployment), cluster.ComponentType) {
		t.Fatalf("the state holds no %s", cluster.ComponentType)
	}
	exported.Deployment = json.RawMessage(strings.ReplaceAll(string(exported.Deployment), cluster.ComponentType, cluster.LegacyComponentType))
	if err := w.stack.Import(w.ctx, exported); err != nil {
		t.Fatal(err)
	}

	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview of a stack with the earlier component type: %v", err)
	}
	if c := changed(steps); len(c) > 0 {
		t.Errorf("planned changes, want none: %v", c)
	}
	ops := len(w.openCloud().Log)
	w.up()
	for _, op := range w.openCloud().Log[ops:] {
		if op.Op != "read" {
			t.Errorf("the up after the rename: %s %s", op.Op, op.ID)
		}
	}
	exported, err = w.stack.Export(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(exported.Deployment), cluster.LegacyComponentType) {
		t.Errorf("the state still names %s after the up", cluster.LegacyComponentType)
	}
}
