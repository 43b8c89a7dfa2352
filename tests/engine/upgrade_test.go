package engine

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// earlierClusterType is the type under which the program registered the
// cluster before it moved to the containerservice API 2024-09-01.
const earlierClusterType = "azure-native:containerservice:ManagedCluster"

// postureInputs are the cluster inputs the program did not send before the
// security posture: a stack deployed then has none of them in its state.
var postureInputs = []string{
	"aadProfile", "disableLocalAccounts", "apiServerAccessProfile", "autoUpgradeProfile",
	"oidcIssuerProfile", "securityProfile", "addonProfiles", "sku",
}

// TestStackOfTheEarlierVersionUpdatesInPlace: a protected prod stack whose
// state is the earlier program's (the cluster under the default API
// version's type, without the posture's inputs and without a network policy
// in its network profile) plans an update of the cluster, never a
// replacement: the versioned type's alias takes the old URN for the same
// resource, and the network policy, on the create-only network profile, is
// ignored after creation. pulumi up then updates the cluster in Azure and
// deletes nothing.
func TestStackOfTheEarlierVersionUpdatesInPlace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "prod")
	w.up()

	// Rewrite the state as the earlier program left it.
	exported, err := w.stack.Export(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var deployment apitype.DeploymentV3
	if err := json.Unmarshal(exported.Deployment, &deployment); err != nil {
		t.Fatal(err)
	}
	oldURN, newURN := "", ""
	for i, r := range deployment.Resources {
		if string(r.Type) != typeOf(managedCluster) {
			continue
		}
		newURN = string(r.URN)
		oldURN = strings.Replace(newURN, typeOf(managedCluster), earlierClusterType, 1)
		r.Type = earlierClusterType
		for _, key := range postureInputs {
			delete(r.Inputs, key)
		}
		if profile, ok := r.Inputs["networkProfile"].(map[string]any); ok {
			delete(profile, "networkPolicy")
		}
		deployment.Resources[i] = r
	}
	if newURN == "" {
		t.Fatal("no cluster in the state")
	}
	raw, err := json.Marshal(deployment)
	if err != nil {
		t.Fatal(err)
	}
	// Every reference to the cluster (its URN, dependencies on it) names the
	// earlier type.
	exported.Deployment = json.RawMessage(strings.ReplaceAll(string(raw), newURN, oldURN))
	if err := w.stack.Import(w.ctx, exported); err != nil {
		t.Fatal(err)
	}

	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview of the earlier version's stack: %v", err)
	}
	s := stepFor(t, steps, typeOf(managedCluster), managedCluster)
	if s.Op != apitype.OpUpdate {
		t.Fatalf("the earlier version's cluster: planned %s, want an update in place (diffs %v)", s.Op, s.Diffs)
	}
	noneReplaced(t, steps, "the preview of the earlier version's stack")

	before := len(w.openCloud().Log)
	w.up()
	c := w.openCloud()
	updated := false
	for _, op := range c.Log[before:] {
		if op.Op == "delete" {
			t.Errorf("up of the earlier version's stack deleted %s", op.ID)
		}
		updated = updated || op.Op == "update" && strings.HasSuffix(op.ID, "/managedClusters/"+clusterNames["prod"])
	}
	if !updated {
		t.Errorf("up did not update the cluster: %v", c.Log[before:])
	}
	w.expectNoChanges("preview after the update")
}
