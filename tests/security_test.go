package tests

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/iam"
	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// wantInputs checks the cluster's inputs at dotted paths against strings,
// numbers (as text) and booleans (as "true"/"false"); "<absent>" wants the
// path unset.
func wantInputs(t *testing.T, what string, inputs resource.PropertyMap, want map[string]string) {
	t.Helper()
	for path, value := range want {
		v := prop(inputs, path)
		var got string
		switch {
		case v.IsNull():
			got = "<absent>"
		case v.IsBool():
			got = map[bool]string{true: "true", false: "false"}[v.BoolValue()]
		case v.IsNumber():
			got = strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
		case v.IsString():
			got = v.StringValue()
		default:
			got = v.String()
		}
		if got != value {
			t.Errorf("%s: %s = %s, want %s", what, path, got, value)
		}
	}
}

// The defaults are the AKS baseline's posture where it costs nothing: Entra
// ID with Azure RBAC, no local accounts, Calico, the patch and NodeImage
// channels, OIDC issuer and workload identity, Azure Policy, the image
// cleaner, and the Free tier; Container insights stays off.
func TestSecurityPostureDefaults(t *testing.T) {
	r := runStackFile(t, "dev")
	mustSucceed(t, r)
	wantInputs(t, "dev", r.one(t, tCluster).Inputs, map[string]string{
		"aadProfile.managed":                          "true",
		"aadProfile.enableAzureRBAC":                  "true",
		"aadProfile.tenantID":                         "<absent>", // the subscription's tenant
		"disableLocalAccounts":                        "true",
		"enableRBAC":                                  "true",
		"networkProfile.networkPolicy":                "calico",
		"autoUpgradeProfile.upgradeChannel":           "patch",
		"autoUpgradeProfile.nodeOSUpgradeChannel":     "NodeImage",
		"oidcIssuerProfile.enabled":                   "true",
		"securityProfile.workloadIdentity.enabled":    "true",
		"securityProfile.imageCleaner.enabled":        "true",
		"securityProfile.imageCleaner.intervalHours":  "168",
		"addonProfiles.azurepolicy.enabled":           "true",
		"addonProfiles.omsagent.enabled":              "false",
		"addonProfiles.omsagent.config":               "<absent>",
		"sku.name":                                    "Base",
		"sku.tier":                                    "Free",
		"apiServerAccessProfile.enablePrivateCluster": "false",
	})
	if n := len(r.byType(tMaintenance)); n != 0 {
		t.Errorf("dev has %d maintenance configurations without cluster.maintenanceWindow", n)
	}
	if n := len(r.byType(tWorkspace)) + len(r.byType(tDeployment)); n != 0 {
		t.Errorf("dev has %d monitoring resources with monitoring off", n)
	}
}

// Every default can be switched off in config, and each key reaches the
// cluster on its own.
func TestSecurityPostureOverrides(t *testing.T) {
	cfg := devConfig(t)
	for field, value := range map[string]any{
		"entraId": false, "disableLocalAccounts": false, "clusterAdmins": nil, "networkPolicy": "none",
		"upgradeChannel": "stable", "nodeOsUpgradeChannel": "SecurityPatch", "oidcIssuer": false, "workloadIdentity": false,
		"azurePolicy": false, "imageCleaner": false, "tier": "Premium",
	} {
		setJSON(t, cfg, spec.KeyCluster, field, value)
	}
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	wantInputs(t, "everything off", r.one(t, tCluster).Inputs, map[string]string{
		"aadProfile":                                  "<absent>",
		"disableLocalAccounts":                        "false",
		"networkProfile.networkPolicy":                "none",
		"autoUpgradeProfile.upgradeChannel":           "stable",
		"autoUpgradeProfile.nodeOSUpgradeChannel":     "SecurityPatch",
		"oidcIssuerProfile.enabled":                   "false",
		"securityProfile.workloadIdentity.enabled":    "false",
		"securityProfile.imageCleaner.enabled":        "false",
		"securityProfile.imageCleaner.intervalHours":  "<absent>",
		"addonProfiles.azurepolicy.enabled":           "false",
		"sku.tier":                                    "Premium",
		"apiServerAccessProfile.enablePrivateCluster": "false",
	})
	if n := len(r.byType(tRoleAssignment)); n != 2 {
		t.Errorf("%d role assignments without admins, want the identity's 2", n)
	}

	prod := runStackFile(t, "prod")
	mustSucceed(t, prod)
	wantInputs(t, "prod", prod.one(t, tCluster).Inputs, map[string]string{
		"sku.tier": "Standard",
		"apiServerAccessProfile.enablePrivateCluster": "true",
		"apiServerAccessProfile.authorizedIPRanges":   "<absent>",
	})
}

// Each cluster admin is granted Azure Kubernetes Service RBAC Cluster Admin
// on the cluster, after the cluster, under a name derived like the
// identity's grants, with the entry's principal type.
func TestClusterAdminGrants(t *testing.T) {
	const user = "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"
	cfg := devConfig(t)
	setJSON(t, cfg, spec.KeyCluster, "clusterAdmins", []string{"Group:" + adminGroup, "User:" + strings.ToUpper(user)})
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	aks := r.one(t, tCluster)
	roleID := "/subscriptions/" + subscription + "/providers/Microsoft.Authorization/roleDefinitions/" + roles.ClusterAdmin
	for _, tc := range []struct{ id, principalType string }{{adminGroup, "Group"}, {user, "User"}} {
		grant := r.named(t, "cluster-admins-"+tc.id)
		wantInputs(t, grant.Name, grant.Inputs, map[string]string{
			"scope":              aks.ID,
			"roleDefinitionId":   roleID,
			"principalId":        tc.id,
			"principalType":      tc.principalType,
			"roleAssignmentName": iam.AssignmentName(aks.ID, tc.id, roleID),
		})
		if !dependsOn(grant, aks) {
			t.Errorf("%s does not wait for the cluster", grant.Name)
		}
		if parent, ok := r.byURN(grant.Parent); !ok || parent.Type != cClusterAdmins {
			t.Errorf("%s is not in the %s component", grant.Name, cClusterAdmins)
		}
	}
	if n := len(r.byType(tRoleAssignment)); n != 4 {
		t.Errorf("%d role assignments, want the identity's 2 and the admins' 2", n)
	}

	// Reordering the list keeps every grant's logical and Azure name.
	setJSON(t, cfg, spec.KeyCluster, "clusterAdmins", []string{"User:" + strings.ToUpper(user), "Group:" + adminGroup})
	again := runProgram(t, "dev", cfg)
	mustSucceed(t, again)
	for _, id := range []string{adminGroup, user} {
		a, b := r.named(t, "cluster-admins-"+id), again.named(t, "cluster-admins-"+id)
		if str(a.Inputs, "roleAssignmentName") != str(b.Inputs, "roleAssignmentName") {
			t.Errorf("reordering the admins renamed the grant of %s", id)
		}
	}
}

// The committed stacks carry a placeholder admin: the preview warns, and
// pulumi up refuses it before creating anything.
func TestPlaceholderAdminIsRefusedAtUp(t *testing.T) {
	cfg := readStack(t, "dev")
	cfg[spec.KeySubscriptionID] = subscription
	preview := runProgramIn(t, surroundings{preview: true}, "dev", cfg)
	mustSucceed(t, preview)
	if !slices.ContainsFunc(preview.warnings, func(w string) bool {
		return strings.Contains(w, "cluster.clusterAdmins[0] is the placeholder 00000000-0000-0000-0000-000000000000")
	}) {
		t.Errorf("no placeholder warning in the preview: %q", preview.warnings)
	}
	up := runProgram(t, "dev", cfg)
	if up.err == nil || !strings.Contains(up.err.Error(), "cluster.clusterAdmins[0] is still the placeholder") {
		t.Fatalf("pulumi up with the placeholder admin: err = %v", up.err)
	}
	if len(up.resources) != 0 {
		t.Errorf("a refused config registered %d resources", len(up.resources))
	}
}

// With the program's firewall, the API server's authorized ranges are the
// configured ones plus the /32 of each firewall public IP; with another
// egress path, only the configured ones; without ranges, none, and the
// preview warns that the API server is open.
func TestAuthorizedRanges(t *testing.T) {
	dev := runStackFile(t, "dev")
	mustSucceed(t, dev)
	var pips []string
	for _, pip := range dev.byType(tPublicIP) {
		pips = append(pips, str(pip.Inputs, "publicIpAddressName"))
	}
	got := stringList(prop(dev.one(t, tCluster).Inputs, "apiServerAccessProfile.authorizedIPRanges"))
	if len(pips) != 1 || len(got) != 2 || got[0] != "203.0.113.0/24" || !strings.HasPrefix(got[1], "20.0.0.") || !strings.HasSuffix(got[1], "/32") {
		t.Errorf("dev authorized ranges = %v, want 203.0.113.0/24 and the firewall's public IP /32", got)
	}

	three := devConfig(t)
	setJSON(t, three, spec.KeyFirewall, "publicIpCount", 3)
	r := runProgram(t, "dev", three)
	mustSucceed(t, r)
	if got := stringList(prop(r.one(t, tCluster).Inputs, "apiServerAccessProfile.authorizedIPRanges")); len(got) != 4 {
		t.Errorf("with 3 firewall IPs: authorized ranges = %v, want the configured one and 3 /32", got)
	}

	own := devConfig(t)
	delete(own, spec.KeyFirewall)
	setJSON(t, own, spec.KeyNetwork, "routes", []any{map[string]any{
		"name": "default-route", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.2.4",
	}})
	r = runProgram(t, "dev", own)
	mustSucceed(t, r)
	if got := stringList(prop(r.one(t, tCluster).Inputs, "apiServerAccessProfile.authorizedIPRanges")); !slices.Equal(got, []string{"203.0.113.0/24"}) {
		t.Errorf("with the user's appliance: authorized ranges = %v, want 203.0.113.0/24 only", got)
	}
	if !slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, "must include the public IP your appliance") }) {
		t.Errorf("no warning about the appliance's public IP: %q", r.warnings)
	}

	open := devConfig(t)
	setJSON(t, open, spec.KeyCluster, "apiServerAuthorizedIpRanges", nil)
	r = runProgram(t, "dev", open)
	mustSucceed(t, r)
	ranges := prop(r.one(t, tCluster).Inputs, "apiServerAccessProfile.authorizedIPRanges")
	if !ranges.IsArray() || len(ranges.ArrayValue()) != 0 {
		t.Errorf("without ranges: authorizedIPRanges = %v, want an empty list (so that removing the last range opens the API server)", ranges)
	}
	if !slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, "the API server is open to the internet") }) {
		t.Errorf("no warning about the open API server: %q", r.warnings)
	}
}

// stringList returns a property's list of strings.
func stringList(v resource.PropertyValue) []string {
	v = unsecret(v)
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, item := range v.ArrayValue() {
		if item.IsString() {
			out = append(out, item.StringValue())
		} else {
			out = append(out, "<"+item.TypeString()+">")
		}
	}
	return out
}

// The maintenance window becomes one weekly schedule per auto-upgrade
// channel that is on, as a child of the cluster component.
func TestMaintenanceSchedules(t *testing.T) {
	prod := runStackFile(t, "prod")
	mustSucceed(t, prod)
	aks := prod.one(t, tCluster)
	for _, name := range []string{"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"} {
		var mc registered
		for _, res := range prod.byType(tMaintenance) {
			if str(res.Inputs, "configName") == name {
				mc = res
			}
		}
		if mc.URN == "" {
			t.Fatalf("prod has no %s", name)
		}
		wantInputs(t, name, mc.Inputs, map[string]string{
			"resourceName":      "aks-prod-weu",
			"resourceGroupName": "aks-kubenet-prod-weu-rg",
			"maintenanceWindow.schedule.weekly.dayOfWeek":     "Sunday",
			"maintenanceWindow.schedule.weekly.intervalWeeks": "1",
			"maintenanceWindow.startTime":                     "02:00",
			"maintenanceWindow.durationHours":                 "4",
			"maintenanceWindow.utcOffset":                     "+01:00",
		})
		if !dependsOn(mc, aks) {
			t.Errorf("%s does not wait for the cluster", name)
		}
		if parent, ok := prod.byURN(mc.Parent); !ok || parent.Type != cAKSCluster {
			t.Errorf("%s is not in the cluster component", name)
		}
	}

	for _, tc := range []struct {
		upgrade, nodeOS string
		want            []string
	}{
		{"none", "NodeImage", []string{"aksManagedNodeOSUpgradeSchedule"}},
		{"patch", "Unmanaged", []string{"aksManagedAutoUpgradeSchedule"}},
		{"rapid", "SecurityPatch", []string{"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}},
	} {
		cfg := ownStack(t, "prod")
		setJSON(t, cfg, spec.KeyCluster, "upgradeChannel", tc.upgrade)
		setJSON(t, cfg, spec.KeyCluster, "nodeOsUpgradeChannel", tc.nodeOS)
		r := runProgram(t, "prod", cfg)
		mustSucceed(t, r)
		var got []string
		for _, res := range r.byType(tMaintenance) {
			got = append(got, str(res.Inputs, "configName"))
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("channels %s/%s: schedules %v, want %v", tc.upgrade, tc.nodeOS, got, tc.want)
		}
	}
}

// Monitoring creates the workspace before the cluster, points Container
// insights at it with managed identity authentication, and creates the data
// collection rule and its association after the cluster.
func TestMonitoring(t *testing.T) {
	cfg := devConfig(t)
	setJSON(t, cfg, spec.KeyCluster, "monitoring", map[string]any{"enabled": true, "retentionDays": 90})
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	ws, aks, dep := r.one(t, tWorkspace), r.one(t, tCluster), r.one(t, tDeployment)
	wantInputs(t, "workspace", ws.Inputs, map[string]string{
		"workspaceName":   "aks-kubenet-cluster-logs",
		"retentionInDays": "90",
		"sku.name":        "PerGB2018",
	})
	wantInputs(t, "cluster", aks.Inputs, map[string]string{
		"addonProfiles.omsagent.enabled":                                "true",
		"addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID": ws.ID,
		"addonProfiles.omsagent.config.useAADAuth":                      "true",
	})
	if !dependsOn(aks, ws) || !dependsOn(dep, aks) || !dependsOn(dep, ws) {
		t.Error("want workspace -> cluster -> data collection deployment")
	}
}

// The kubeconfig output is the cluster user's credential, in kubelogin's
// exec format under Entra ID; the program never reads the admin credential.
func TestKubeconfigIsTheUserCredential(t *testing.T) {
	for _, tc := range []struct {
		entra  bool
		format string
	}{{true, "exec"}, {false, ""}} {
		cfg := devConfig(t)
		cfg[spec.KeyExportKubeconfig] = "true"
		if !tc.entra {
			setJSON(t, cfg, spec.KeyCluster, "entraId", false)
			setJSON(t, cfg, spec.KeyCluster, "disableLocalAccounts", false)
			setJSON(t, cfg, spec.KeyCluster, "clusterAdmins", nil)
		}
		r := runProgram(t, "dev", cfg)
		mustSucceed(t, r)
		if !slices.Equal(r.credentialFormats, []string{tc.format}) {
			t.Errorf("entraId %v: credential formats %q, want [%q]", tc.entra, r.credentialFormats, tc.format)
		}
		for _, call := range r.calls {
			if strings.Contains(strings.ToLower(call), "admin") {
				t.Errorf("the program called %s", call)
			}
		}
	}
}

// A network policy or private API server other than the deployed cluster's
// is called out in the preview: each counts at creation, and the cluster
// ignores later changes.
func TestCreationSettingChangesAreCalledOut(t *testing.T) {
	base := map[string]any{
		"resourceGroupName": "aks-kubenet-rg", "vnetName": "aks-vnet", "subnetName": "aks-subnet",
		"routeTableName": "aks-route-table", "identityName": "aks-kubenet-cluster-identity", "clusterName": "aks-kubenet-cluster",
	}
	with := func(policy string) map[string]any {
		out := map[string]any{"networkPolicy": policy}
		for k, v := range base {
			out[k] = v
		}
		return out
	}
	none := devConfig(t)
	setJSON(t, none, spec.KeyCluster, "networkPolicy", "none")
	private := devConfig(t)
	setJSON(t, private, spec.KeyCluster, "apiServerAuthorizedIpRanges", nil)
	setJSON(t, private, spec.KeyCluster, "privateCluster", true)
	for _, tc := range []struct {
		name     string
		deployed map[string]any
		cfg      map[string]string
		want     string // "" for no warning
	}{
		{"same policy", with("calico"), devConfig(t), ""},
		{"new stack", nil, devConfig(t), ""},
		{"deployed before network policy", base, devConfig(t),
			"cluster.networkPolicy is calico but the deployed cluster has none: the network policy counts at creation, so pulumi up leaves the cluster as it is"},
		{"Calico removed in config", with("calico"), none,
			"cluster.networkPolicy is none but the deployed cluster has calico: the network policy counts at creation, so pulumi up leaves the cluster as it is (the provider would replace the cluster to change it); set it back to calico, or change the cluster in place with az aks update --network-policy none and pulumi refresh"},
		{"made private", with("calico"), private,
			"cluster.privateCluster is true but the deployed cluster's is false: a private API server counts at creation, and AKS refuses to change it on a running cluster, so pulumi up would fail at the cluster"},
		{"private as deployed", map[string]any{"networkPolicy": "calico", "privateCluster": true, "clusterName": "aks-kubenet-cluster"}, private, ""},
	} {
		r := runProgramIn(t, surroundings{preview: true, deployed: tc.deployed}, "dev", tc.cfg)
		mustSucceed(t, r)
		found := slices.ContainsFunc(r.warnings, func(w string) bool {
			return strings.Contains(w, "cluster.networkPolicy is") || strings.Contains(w, "cluster.privateCluster is")
		})
		switch {
		case tc.want == "" && found:
			t.Errorf("%s: unexpected network policy warning in %q", tc.name, r.warnings)
		case tc.want != "" && !slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, tc.want) }):
			t.Errorf("%s: no warning %q in %q", tc.name, tc.want, r.warnings)
		}
	}
}

// Renaming the Log Analytics workspace is called out like the other renames:
// Azure cannot rename it, and its logs go with it. Turning monitoring on or
// off is no rename.
func TestWorkspaceRenameIsCalledOut(t *testing.T) {
	deployed := map[string]any{"clusterName": "aks-kubenet-cluster", "networkPolicy": "calico", "workspaceName": "aks-kubenet-cluster-logs"}
	renamed := devConfig(t)
	setJSON(t, renamed, spec.KeyCluster, "monitoring", map[string]any{"enabled": true, "workspaceName": "dev-logs"})
	same := devConfig(t)
	setJSON(t, same, spec.KeyCluster, "monitoring", map[string]any{"enabled": true})
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want bool
	}{{"renamed", renamed, true}, {"same name", same, false}, {"monitoring off", devConfig(t), false}} {
		r := runProgramIn(t, surroundings{preview: true, deployed: deployed}, "dev", tc.cfg)
		mustSucceed(t, r)
		got := slices.ContainsFunc(r.warnings, func(w string) bool {
			return strings.Contains(w, "cluster.monitoring.workspaceName changes from aks-kubenet-cluster-logs to dev-logs on a deployed stack: Azure cannot rename, so Pulumi would delete the Log Analytics workspace (and the logs in it)")
		})
		if got != tc.want {
			t.Errorf("%s: rename warning %v, want %v: %q", tc.name, got, tc.want, r.warnings)
		}
	}
}
