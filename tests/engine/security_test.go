package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

// URN suffixes of the security posture's resources.
const (
	autoUpgradeSchedule   = armid.MaintenanceConfig + "::aks-auto-upgrade-schedule"
	nodeOSUpgradeSchedule = armid.MaintenanceConfig + "::aks-node-os-upgrade-schedule"
	workspace             = "azure-native:operationalinsights:Workspace::logs-workspace"
	insightsDeployment    = "azure-native:resources:Deployment::insights-deployment"
)

// placeholderAdmin is the stack files' placeholder cluster.clusterAdmins
// entry.
const placeholderAdmin = "Group:00000000-0000-0000-0000-000000000000"

// TestPinnedVersionUnderAnUpgradeChannel: dev with cluster.kubernetesVersion
// pinned before its first up. Under the default patch channel AKS moves the
// patch version, and after a refresh the preview plans nothing: the channel
// owns the version, and one more up leaves it where AKS put it. With
// upgradeChannel none the program owns the version: the same move (an
// az aks upgrade, or AKS's forced upgrade of an unsupported version) makes
// the preview plan an update of the cluster back to the pinned version.
func TestPinnedVersionUnderAnUpgradeChannel(t *testing.T) {
	t.Parallel()
	const pinned, moved = "1.30.6", "1.30.7"
	for _, tc := range []struct {
		name, channel string // channel "" is the default, patch
		programOwns   bool
	}{
		{"patch channel", "", false},
		{"channel none", "none", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := []string{"aks-kubenet:cluster.kubernetesVersion", pinned}
			if tc.channel != "" {
				cfg = append(cfg, "aks-kubenet:cluster.upgradeChannel", tc.channel)
			}
			w := newWorld(t, "dev", cfg...)
			w.up()
			if got := clusterVersions(t, w.openCloud()); got != [2]string{pinned, pinned} {
				t.Fatalf("the cluster and its pool are at %v after up, want the pinned %s", got, pinned)
			}
			w.changeCloud(func(c *azuresim.Cloud) error { return c.AutoUpgrade(clusterNames["dev"], moved) })
			w.refresh()

			if !tc.programOwns {
				w.expectNoChanges("preview after AKS's patch upgrade and a refresh")
				before := len(w.openCloud().Log)
				w.up()
				c := w.openCloud()
				if got := clusterVersions(t, c); got != [2]string{moved, moved} {
					t.Errorf("up took the cluster and its pool to %v; AKS had moved them to %s", got, moved)
				}
				if ops := c.Log[before:]; len(ops) != 0 {
					t.Errorf("up after AKS's upgrade did %v", ops)
				}
				return
			}
			steps, err := w.previewSteps()
			if err != nil {
				t.Fatalf("preview: %v", err)
			}
			s := stepFor(t, steps, typeOf(managedCluster), managedCluster)
			if s.Op != apitype.OpUpdate || !slices.Contains(s.Diffs, "kubernetesVersion") || !slices.Contains(s.Diffs, "agentPoolProfiles") {
				t.Errorf("with channel none AKS's move plans %s of the cluster with diffs %v; want an update of kubernetesVersion and agentPoolProfiles, back to %s",
					s.Op, s.Diffs, pinned)
			}
			if all := changedSteps(steps); len(all) != 1 {
				t.Errorf("the preview plans %v, want the cluster's update only", changed(steps))
			}
		})
	}
}

// clusterVersions is the Kubernetes version of the stack's cluster and of its
// first pool in the cloud.
func clusterVersions(t *testing.T, c *azuresim.Cloud) [2]string {
	t.Helper()
	clusters := c.Find(azuresim.ManagedCluster)
	if len(clusters) != 1 {
		t.Fatalf("the cloud holds %d clusters, want 1", len(clusters))
	}
	p := resource.PropertyMap(clusters[0].Properties)
	pool := p["agentPoolProfiles"].ArrayValue()[0].ObjectValue()
	version := func(m resource.PropertyMap, key resource.PropertyKey) string {
		if v, ok := m[key]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	return [2]string{version(p, "kubernetesVersion"), version(pool, "orchestratorVersion")}
}

// TestClusterAdminEdits: a second admin in cluster.clusterAdmins is one new
// role assignment on the cluster and nothing else; reordering the list
// changes nothing; removing the admin deletes exactly that assignment. Each
// grant names its principal's type as the entry does (Group:<id>,
// User:<id>), which the simulated ARM checks against the directory: a group
// listed as User:<id> passes the program's checks and fails up with ARM's
// UnmatchedPrincipalType, touching no other grant.
func TestClusterAdminEdits(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	var user string
	w.changeCloud(func(c *azuresim.Cloud) error {
		var err error
		user, err = c.CreatePrincipal(azuresim.User, "alice@example.com")
		return err
	})
	cluster, err := w.openCloud().Cluster(clusterNames["dev"])
	if err != nil {
		t.Fatal(err)
	}

	w.setConfig("aks-kubenet:cluster.clusterAdmins[1]", azuresim.User+":"+user, false)
	w.expectOneChange("adding an admin", azuresim.RoleAssignment, apitype.OpCreate)
	before := len(w.openCloud().Log)
	w.up()
	c := w.openCloud()
	grants := adminGrants(c, cluster.ID)
	ops := c.Log[before:]
	if len(ops) != 1 || ops[0].Op != "create" || grants[user] == nil || ops[0].ID != grants[user].ID {
		t.Fatalf("adding an admin did %v, want one create of the user's grant", ops)
	}
	for principal, wantType := range map[string]string{w.admins: azuresim.Group, user: azuresim.User} {
		g, ok := grants[principal]
		if !ok {
			t.Errorf("no role assignment on the cluster for %s", principal)
			continue
		}
		if got := g.Properties["principalType"]; !got.IsString() || got.StringValue() != wantType {
			t.Errorf("the grant of %s names principalType %v, want %s", principal, got.V, wantType)
		}
		if role := g.Properties["roleDefinitionId"].StringValue(); !strings.HasSuffix(role, "/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b") {
			t.Errorf("the grant of %s is of role %s, want Azure Kubernetes Service RBAC Cluster Admin", principal, role)
		}
	}

	w.setConfigs("aks-kubenet:cluster.clusterAdmins[0]", azuresim.User+":"+user, "aks-kubenet:cluster.clusterAdmins[1]", azuresim.Group+":"+w.admins)
	w.expectNoChanges("preview after reordering cluster.clusterAdmins")

	w.removeConfig("aks-kubenet:cluster.clusterAdmins[0]")
	w.expectOneChange("removing an admin", azuresim.RoleAssignment, apitype.OpDelete)
	before = len(w.openCloud().Log)
	w.up()
	c = w.openCloud()
	ops = c.Log[before:]
	if len(ops) != 1 || ops[0].Op != "delete" || ops[0].ID != grants[user].ID {
		t.Errorf("removing an admin did %v, want one delete of %s", ops, grants[user].ID)
	}
	if _, ok := adminGrants(c, cluster.ID)[w.admins]; !ok {
		t.Error("removing one admin deleted the group's grant")
	}

	var operators string
	w.changeCloud(func(c *azuresim.Cloud) error {
		var err error
		operators, err = c.CreatePrincipal(azuresim.Group, "aks-operators")
		return err
	})
	w.setConfig("aks-kubenet:cluster.clusterAdmins[1]", azuresim.User+":"+operators, false)
	before = len(w.openCloud().Log)
	_, err = w.stack.Up(w.ctx)
	if want := "Code=\"UnmatchedPrincipalType\" Message=\"The PrincipalId '" + operators + "' has type 'Group'"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("up granting a group as User: error %v, want %q", err, want)
	}
	if ops := w.openCloud().Log[before:]; len(ops) != 0 {
		t.Errorf("the refused grant did %v", ops)
	}
}

// adminGrants are the role assignments on the cluster with id, by principal.
func adminGrants(c *azuresim.Cloud, clusterID string) map[string]*azuresim.Resource {
	grants := map[string]*azuresim.Resource{}
	for _, ra := range c.Find(azuresim.RoleAssignment) {
		if strings.EqualFold(ra.Properties["scope"].StringValue(), clusterID) {
			grants[strings.ToLower(ra.Properties["principalId"].StringValue())] = ra
		}
	}
	return grants
}

// TestPostureEditsAreInPlace: on protected prod, the posture edits a team
// makes on a running cluster (the tier, the upgrade channel, the maintenance
// window, the Azure Policy add-on) are each an update in place of the
// resources they belong to and nothing else, and reach the cloud; so are
// edits of the API server's authorized ranges on dev. The network policy,
// in the create-only networkProfile of azure-native v2, counts at creation:
// a change in config plans nothing (no replacement, which protection would
// refuse) and the preview warns; after AKS changes the cluster in place and
// a refresh, up records it and the warning stops.
func TestPostureEditsAreInPlace(t *testing.T) {
	t.Parallel()
	t.Run("prod", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "prod")
		w.up()
		for _, e := range []struct {
			name, key, value string
			updates          []string
			check            func(c *azuresim.Cloud) (got, want any)
		}{
			{"tier Standard to Premium", "aks-kubenet:cluster.tier", "Premium", []string{managedCluster},
				func(c *azuresim.Cloud) (any, any) { return clusterValue(t, c, "prod", "sku", "tier"), "Premium" }},
			{"upgrade channel patch to stable", "aks-kubenet:cluster.upgradeChannel", "stable", []string{managedCluster},
				func(c *azuresim.Cloud) (any, any) {
					return clusterValue(t, c, "prod", "autoUpgradeProfile", "upgradeChannel"), "stable"
				}},
			{"maintenance window from 03:00", "aks-kubenet:cluster.maintenanceWindow.startTime", "03:00",
				[]string{autoUpgradeSchedule, nodeOSUpgradeSchedule},
				func(c *azuresim.Cloud) (any, any) {
					var starts []string
					for _, mc := range c.Find(azuresim.MaintenanceConfig) {
						starts = append(starts, mc.Properties["maintenanceWindow"].ObjectValue()["startTime"].StringValue())
					}
					return fmt.Sprint(starts), "[03:00 03:00]"
				}},
			{"Azure Policy off", "aks-kubenet:cluster.azurePolicy", "false", []string{managedCluster},
				func(c *azuresim.Cloud) (any, any) {
					return clusterValue(t, c, "prod", "addonProfiles", "azurepolicy", "enabled"), false
				}},
		} {
			w.setConfig(e.key, e.value, false)
			want := map[string]apitype.OpType{}
			for _, u := range e.updates {
				want[u] = apitype.OpUpdate
			}
			w.expectOnly(e.name, want)
			before := len(w.openCloud().Log)
			w.up()
			c := w.openCloud()
			for _, op := range c.Log[before:] {
				if op.Op != "update" || !slices.ContainsFunc(e.updates, func(s string) bool { return strings.HasSuffix(op.URN, s) }) {
					t.Errorf("%s: up did %s of %s, want only updates of %v", e.name, op.Op, op.URN, e.updates)
				}
			}
			if got, want := e.check(c); got != want {
				t.Errorf("%s: the cloud has %v after up, want %v", e.name, got, want)
			}
		}

		// The network policy counts at creation: a change in config alone
		// plans nothing, and the preview says so; up leaves Calico.
		const policyWarning = "cluster.networkPolicy is none but the deployed cluster has calico"
		w.setConfig("aks-kubenet:cluster.networkPolicy", "none", false)
		w.expectNoChanges("preview after networkPolicy calico to none")
		if out, err := w.previewOutput(); err != nil || !strings.Contains(out, policyWarning) {
			t.Errorf("networkPolicy calico to none: preview error %v, want a warning %q:\n%s", err, policyWarning, out)
		}
		before := len(w.openCloud().Log)
		w.up()
		c := w.openCloud()
		if ops := c.Log[before:]; len(ops) != 0 {
			t.Errorf("up after networkPolicy calico to none did %v, want nothing", ops)
		}
		if got := clusterValue(t, c, "prod", "networkProfile", "networkPolicy"); got != "calico" {
			t.Errorf("the cluster's network policy is %v after up, want calico", got)
		}
		// Around the provider, as the README says: az aks update
		// --network-policy none, pulumi refresh; the next up records the
		// cluster's policy, and the warning stops.
		w.changeCloud(func(c *azuresim.Cloud) error {
			cl, err := c.Cluster(clusterNames["prod"])
			if err != nil {
				return err
			}
			cl.Properties["networkProfile"].ObjectValue()["networkPolicy"] = resource.NewProperty("none")
			return nil
		})
		w.refresh()
		w.expectNoChanges("preview after az aks update --network-policy none and a refresh")
		w.up()
		if out, err := w.previewOutput(); err != nil || strings.Contains(out, policyWarning) {
			t.Errorf("after the cluster's own change and an up: preview error %v, and it still warns %q:\n%s", err, policyWarning, out)
		}
	})

	t.Run("dev authorized ranges", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, "dev")
		w.up()
		firewallRange := firewallPublicIP(t, w.openCloud()) + "/32"
		for _, e := range []struct {
			name, index, value string
			want               []string
		}{
			{"a range added", "1", "198.51.100.0/24", []string{"203.0.113.0/24", "198.51.100.0/24", firewallRange}},
			{"a range changed", "0", "192.0.2.0/24", []string{"192.0.2.0/24", "198.51.100.0/24", firewallRange}},
		} {
			w.setConfig("aks-kubenet:cluster.apiServerAuthorizedIpRanges["+e.index+"]", e.value, false)
			w.expectOnly(e.name, map[string]apitype.OpType{managedCluster: apitype.OpUpdate})
			before := len(w.openCloud().Log)
			w.up()
			c := w.openCloud()
			for _, op := range c.Log[before:] {
				if op.Op != "update" || !strings.HasSuffix(op.URN, managedCluster) {
					t.Errorf("%s: up did %s of %s, want only an update of the cluster", e.name, op.Op, op.URN)
				}
			}
			if got := fmt.Sprint(clusterValue(t, c, "dev", "apiServerAccessProfile", "authorizedIPRanges")); got != fmt.Sprint(e.want) {
				t.Errorf("%s: the API server's authorized ranges are %s after up, want %v (the firewall's public IP last)", e.name, got, e.want)
			}
		}
	})
}

// TestPrivateClusterCannotBeTurnedOn: privateCluster false to true on a
// running dev cluster is an update to the provider (apiServerAccessProfile is
// not create-only), which AKS refuses: it cannot make a public cluster
// private. up fails with Azure's error, nothing is deleted or changed, and
// taking the edit back leaves a stack with no change to make.
func TestPrivateClusterCannotBeTurnedOn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev")
	w.up()
	w.setConfig("aks-kubenet:cluster.privateCluster", "true", false)
	w.removeConfig("aks-kubenet:cluster.apiServerAuthorizedIpRanges") // a private cluster takes none
	w.expectOnly("privateCluster true", map[string]apitype.OpType{managedCluster: apitype.OpUpdate})

	before := len(w.openCloud().Log)
	_, err := w.stack.Up(w.ctx)
	if err == nil || !strings.Contains(err.Error(), "Changing enablePrivateCluster is not allowed") {
		t.Fatalf("up making the cluster private: error %v, want Azure's \"Changing enablePrivateCluster is not allowed\"", err)
	}
	c := w.openCloud()
	if ops := c.Log[before:]; len(ops) != 0 {
		t.Errorf("the refused change did %v", ops)
	}
	if got := clusterValue(t, c, "dev", "apiServerAccessProfile", "enablePrivateCluster"); got != false {
		t.Errorf("the cluster's enablePrivateCluster is %v after the refused up, want false", got)
	}

	w.removeConfig("aks-kubenet:cluster.privateCluster")
	w.setConfig("aks-kubenet:cluster.apiServerAuthorizedIpRanges[0]", "203.0.113.0/24", false)
	w.expectNoChanges("preview after taking privateCluster back")
}

// TestPlaceholderAdminIsRefused: a stack that still grants the stack file's
// placeholder admin previews with a warning, and up refuses it before it
// creates anything: the cloud sees no operation.
func TestPlaceholderAdminIsRefused(t *testing.T) {
	t.Parallel()
	// The placeholder back where newWorld puts the admins' group.
	w := newWorld(t, "dev", "aks-kubenet:cluster.clusterAdmins[0]", placeholderAdmin)
	out, err := w.previewOutput()
	if err != nil {
		t.Fatalf("preview with the placeholder admin: %v\n%s", err, out)
	}
	if want := "cluster.clusterAdmins[0] is the placeholder 00000000-0000-0000-0000-000000000000"; !strings.Contains(out, want) {
		t.Errorf("the preview does not warn %q:\n%s", want, out)
	}
	_, err = w.stack.Up(w.ctx)
	assertRefused(t, "up", err, []string{"cluster.clusterAdmins[0] is still the placeholder 00000000-0000-0000-0000-000000000000"})
	if c := w.openCloud(); len(c.Log) != 0 || c.PulumiResources() != 0 {
		t.Errorf("up with the placeholder admin reached the cloud: %d operations, %d resources", len(c.Log), c.PulumiResources())
	}
}

// TestFilledInClusterValuesAreNoDrift: what Azure adds inside the profiles
// the program declares (the Entra tenant, the OIDC issuer's URL, each enabled
// add-on's managed identity; on dev with Container insights on, the
// omsagent's too) reaches the state as outputs, and the stack's oidcIssuerUrl
// output is the issuer's; after AKS's usual activity, the defaults Azure
// fills in and a refresh, the inputs hold none of it and the daily drift
// check passes.
func TestFilledInClusterValuesAreNoDrift(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"dev", "prod"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			addons := []string{"azurepolicy"}
			var cfg []string
			if name == "dev" {
				cfg = []string{"aks-kubenet:cluster.monitoring.enabled", "true"}
				addons = append(addons, "omsagent")
			}
			w := newWorld(t, name, cfg...)
			w.up()
			c := w.openCloud()
			if name == "dev" {
				for _, suffix := range []string{workspace, insightsDeployment} {
					opIndex(t, c.Log, "create", suffix)
				}
			}
			cluster, err := c.Cluster(clusterNames[name])
			if err != nil {
				t.Fatal(err)
			}
			issuer := cluster.Computed["oidcIssuerProfile"].ObjectValue()["issuerURL"].StringValue()
			outs, err := w.stack.Outputs(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := outs["oidcIssuerUrl"].Value; got != issuer || issuer == "" {
				t.Errorf("output oidcIssuerUrl = %v, want the cluster's issuer %q", got, issuer)
			}

			filled := [][]string{{"aadProfile", "tenantID"}, {"oidcIssuerProfile", "issuerURL"}}
			for _, addon := range addons {
				filled = append(filled, []string{"addonProfiles", addon, "identity", "objectId"})
			}
			w.changeCloud(func(c *azuresim.Cloud) error {
				if _, err := c.WriteNodeRoutes(clusterNames[name]); err != nil {
					return err
				}
				if err := c.TagRouteTable(clusterNames[name], cloudProviderTags); err != nil {
					return err
				}
				return c.FillClusterDefaults(clusterNames[name], "")
			})
			w.refresh()
			state := w.stateOf(azuresim.ManagedCluster)
			for _, path := range filled {
				if v := lookup(state.Outputs, path...); v == nil || v == "" {
					t.Errorf("the cluster's outputs in the state have no %s", strings.Join(path, "."))
				}
				if v := lookup(state.Inputs, path...); v != nil {
					t.Errorf("after the refresh the cluster's inputs hold %s = %v", strings.Join(path, "."), v)
				}
			}
			if err := w.driftCheck(); err != nil {
				t.Errorf("the drift check fails after Azure filled in its values: %v", err)
			}
		})
	}
}

// expectOnly runs pulumi preview and fails the test unless it plans exactly
// want: the operation for each URN suffix, and no other change.
func (w *world) expectOnly(when string, want map[string]apitype.OpType) {
	w.t.Helper()
	steps, err := w.previewSteps()
	if err != nil {
		w.t.Fatalf("%s: preview: %v", when, err)
	}
	got := changedSteps(steps)
	for suffix, op := range want {
		s := stepFor(w.t, steps, typeOf(suffix), suffix)
		if s.Op != op {
			w.t.Errorf("%s: the preview plans %s for %s, want %s", when, s.Op, suffix, op)
		}
	}
	if len(got) != len(want) {
		w.t.Errorf("%s: the preview plans %v, want only %v", when, changed(steps), slices.Sorted(maps.Keys(want)))
	}
}

// expectOneChange runs pulumi preview and fails the test unless it plans
// exactly one change, op of a resource of type typ.
func (w *world) expectOneChange(when, typ string, op apitype.OpType) {
	w.t.Helper()
	steps, err := w.previewSteps()
	if err != nil {
		w.t.Fatalf("%s: preview: %v", when, err)
	}
	got := changedSteps(steps)
	for _, s := range got {
		if len(got) == 1 && s.Type == typ && s.Op == op {
			return
		}
	}
	w.t.Errorf("%s: the preview plans %v, want one %s of a %s", when, changed(steps), op, typ)
}

// changedSteps are the steps that change something in Azure (see changed),
// by URN.
func changedSteps(steps map[string]step) map[string]step {
	out := map[string]step{}
	for urn, s := range steps {
		if s.Op != apitype.OpSame && s.Op != apitype.OpRead && !strings.HasPrefix(s.Type, "pulumi:providers:") {
			out[urn] = s
		}
	}
	return out
}

// clusterValue is the value at path in the properties of the cluster of
// stack name in the cloud: a string, bool, number or []string, or nil.
func clusterValue(t *testing.T, c *azuresim.Cloud, name string, path ...string) any {
	t.Helper()
	cluster, err := c.Cluster(clusterNames[name])
	if err != nil {
		t.Fatal(err)
	}
	return lookup(resource.PropertyMap(cluster.Properties).Mappable(), path...)
}

// lookup is the value at path in m, through nested maps, or nil; a list of
// strings comes back as []string.
func lookup(m map[string]any, path ...string) any {
	var v any = m
	for _, key := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[key]
	}
	if list, ok := v.([]any); ok {
		strs := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				return v
			}
			strs = append(strs, s)
		}
		return strs
	}
	return v
}

// stateOf is the one resource of type typ in the stack's state, as the
// backend stores it.
func (w *world) stateOf(typ string) apitype.ResourceV3 {
	w.t.Helper()
	var found []apitype.ResourceV3
	for _, r := range w.deployment().Resources {
		if string(r.Type) == typ {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		w.t.Fatalf("the state holds %d resources of type %s, want 1", len(found), typ)
	}
	return found[0]
}

// firewallPublicIP is the address of the stack's one firewall public IP.
func firewallPublicIP(t *testing.T, c *azuresim.Cloud) string {
	t.Helper()
	pips := c.Find(azuresim.PublicIPAddress)
	if len(pips) != 1 {
		t.Fatalf("the cloud holds %d public IPs, want 1", len(pips))
	}
	return pips[0].Computed["ipAddress"].StringValue()
}
