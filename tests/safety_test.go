package tests

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/internal/sshkey"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// protected are the resources no config edit may delete: the cluster, its
// user pools (a VM size change would delete one), the VNet, the node subnet, the route table, and the resource group the program
// created (deleting it deletes everything in it); and what would cut the
// running cluster off while a delete-first replacement's create fails: its
// identity (protectedTypes), its two Network Contributor grants and the
// 0.0.0.0/0 route (protectedOne).
var protected = []string{tCluster, tAgentPool, tVnet, tSubnet, tRouteTable, tResourceGroup, tIdentity}

// protectedOne reports whether res is one of the resources protected
// besides the protected types: the cluster identity's grants and the default
// route, not the admins' grants or the other routes.
func protectedOne(res registered) bool {
	switch res.Type {
	case tRoleAssignment:
		return strings.HasSuffix(res.Name, "-network-contributor")
	case tRoute:
		return prop(res.Inputs, "addressPrefix").StringValue() == "0.0.0.0/0"
	}
	return false
}

// The resources that must never be deleted by an edit are protected by
// default, and aks-kubenet:protect false (the dev stack) turns that off; the
// other resources are never protected.
func TestProtection(t *testing.T) {
	prod := runStackFile(t, "prod")
	mustSucceed(t, prod)
	dev := runStackFile(t, "dev")
	mustSucceed(t, dev)
	for _, res := range prod.resources {
		if !res.Custom {
			continue
		}
		if want := slices.Contains(protected, res.Type) || protectedOne(res); res.Protect != want {
			t.Errorf("prod %s %s: protect = %v, want %v", res.Type, res.Name, res.Protect, want)
		}
	}
	for _, res := range dev.resources {
		if res.Protect {
			t.Errorf("dev (aks-kubenet:protect false) protects %s %s", res.Type, res.Name)
		}
	}
}

// rsaPublicKey returns a new RSA public key of the given size in OpenSSH form.
func rsaPublicKey(t *testing.T, bits int) string {
	t.Helper()
	key, err := sshkey.NewRSA(bits, "ops@example")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// An SSH key AKS would refuse is refused before anything is registered,
// without printing it; the one it takes is create-only (ignored later), so
// adding, rotating or removing it never replaces the cluster.
func TestSSHKeyRules(t *testing.T) {
	ed25519 := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKb6Xq3n0t7Y0fYkQXn1Wq0rHn3tC1mBqkq6o9xWm2nN ops@example"
	for _, tc := range []struct {
		name, key, want string
	}{
		{"Ed25519, as the README once said", ed25519, "aks-kubenet:sshPublicKey is a ssh-ed25519 key: AKS nodes take only an RSA public key of at least 2048 bits"},
		{"RSA 1024", rsaPublicKey(t, 1024), "aks-kubenet:sshPublicKey is a 1024-bit RSA key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := devConfig(t)
			cfg[spec.KeySSHPublicKey] = tc.key
			setJSON(t, cfg, spec.KeyCluster, "podCidr", "10.0.64.0/18") // a second problem, reported with it
			r := runProgram(t, "dev", cfg, spec.KeySSHPublicKey)
			if r.err == nil {
				t.Fatal("program accepted the key")
			}
			for _, want := range []string{tc.want, "cluster.podCidr 10.0.64.0/18 overlaps network.vnetCidr", "(2 errors)"} {
				if !strings.Contains(r.err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, r.err)
				}
			}
			if body := strings.Fields(tc.key)[1]; strings.Contains(r.err.Error(), body[len(body)-30:]) {
				t.Errorf("the error prints the secret key:\n%v", r.err)
			}
			if len(r.resources) != 0 {
				t.Errorf("a refused key registered %d resources", len(r.resources))
			}
		})
	}

	cfg := devConfig(t)
	cfg[spec.KeySSHPublicKey] = rsaPublicKey(t, 4096)
	r := runProgram(t, "dev", cfg, spec.KeySSHPublicKey)
	mustSucceed(t, r)
	if aks := r.one(t, tCluster); !slices.Contains(aks.IgnoreChanges, "linuxProfile") {
		t.Errorf("the cluster does not ignore later changes to linuxProfile (the SSH key): ignoreChanges = %v", aks.IgnoreChanges)
	}
}

// The program deploys only into the subscription the stack names: it refuses
// a login in another one, and the committed placeholder at pulumi up, before
// anything is registered; a preview only warns about the placeholder.
func TestSubscriptionCheck(t *testing.T) {
	const other = "99999999-8888-7777-6666-555555555555"
	r := runProgramIn(t, surroundings{loginSubscription: other}, "dev", devConfig(t))
	if r.err == nil || !strings.Contains(r.err.Error(),
		"azure-native:subscriptionId is "+subscription+", but the azure-native provider would deploy into subscription "+other+": nothing was created") {
		t.Errorf("a login in another subscription: error %v", r.err)
	}
	if len(r.resources) != 0 {
		t.Errorf("the wrong subscription registered %d resources", len(r.resources))
	}

	placeholder := readStack(t, "dev")
	up := runProgramIn(t, surroundings{loginSubscription: spec.PlaceholderSubscription}, "dev", placeholder)
	if up.err == nil || !strings.Contains(up.err.Error(), "azure-native:subscriptionId is still the placeholder 00000000-0000-0000-0000-000000000000") {
		t.Errorf("pulumi up with the placeholder: error %v", up.err)
	}
	if len(up.resources) != 0 {
		t.Errorf("the placeholder registered %d resources at up", len(up.resources))
	}
	preview := runProgramIn(t, surroundings{preview: true, loginSubscription: spec.PlaceholderSubscription}, "dev", placeholder)
	mustSucceed(t, preview)
	if !slices.ContainsFunc(preview.warnings, func(w string) bool { return strings.Contains(w, "is the placeholder") }) {
		t.Errorf("preview with the placeholder: no warning in %q", preview.warnings)
	}

	unpinned := devConfig(t)
	delete(unpinned, spec.KeySubscriptionID)
	r = runProgramIn(t, surroundings{loginSubscription: other}, "dev", unpinned)
	mustSucceed(t, r)
	for _, want := range []string{"azure-native:subscriptionId is not set", "deploying into subscription " + other} {
		if !slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("a stack without a subscription: no warning saying %q in %q", want, r.warnings)
		}
	}
}

// With resourceGroup.existing the program looks the group up and never
// creates (so never deletes) it; every resource goes into it. A group that
// does not exist is a clear error before anything is registered.
func TestExistingResourceGroup(t *testing.T) {
	cfg := devConfig(t)
	cfg[spec.KeyResourceGroup] = `{"name":"platform-dev-rg","existing":true}`
	r := runProgramIn(t, surroundings{groups: []string{"platform-dev-rg"}}, "dev", cfg)
	mustSucceed(t, r)
	if n := len(r.byType(tResourceGroup)); n != 0 {
		t.Errorf("the program registered %d resource groups for an existing one", n)
	}
	for _, res := range r.resources {
		if !res.Custom || res.Type == tRoleAssignment {
			continue
		}
		if got := str(res.Inputs, "resourceGroupName"); got != "platform-dev-rg" {
			t.Errorf("%s %s is in group %q, want platform-dev-rg", res.Type, res.Name, got)
		}
	}
	if got := r.outputs["resourceGroupName"].Value; got != "platform-dev-rg" {
		t.Errorf("output resourceGroupName = %v", got)
	}

	r = runProgramIn(t, surroundings{}, "dev", cfg)
	if r.err == nil || !strings.Contains(r.err.Error(), "aks-kubenet:resourceGroup.name platform-dev-rg: the existing resource group cannot be read") {
		t.Errorf("a missing existing group: error %v", r.err)
	}
	if len(r.resources) != 0 {
		t.Errorf("a missing existing group registered %d resources", len(r.resources))
	}

	cfg = devConfig(t)
	cfg[spec.KeyResourceGroupName] = "old-spelling-rg"
	delete(cfg, spec.KeyResourceGroup)
	r = runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	if got := str(r.one(t, tResourceGroup).Inputs, "resourceGroupName"); got != "old-spelling-rg" {
		t.Errorf("aks-kubenet:resourceGroupName still names the created group: got %q", got)
	}
}

// network.nsg puts a network security group, with no inline rules, on the
// node subnet.
func TestNodeSubnetNSG(t *testing.T) {
	cfg := devConfig(t)
	setJSON(t, cfg, spec.KeyNetwork, "nsg", true)
	r := runProgram(t, "dev", cfg)
	mustSucceed(t, r)
	nsg := r.one(t, armid.NetworkSecurityGroup)
	if got := str(nsg.Inputs, "networkSecurityGroupName"); got != "aks-subnet-nsg" {
		t.Errorf("NSG name %q, want aks-subnet-nsg", got)
	}
	if _, ok := nsg.Inputs["securityRules"]; ok {
		t.Error("the NSG declares inline securityRules")
	}
	subnet := r.named(t, "network-node-subnet")
	if got := str(subnet.Inputs, "networkSecurityGroup.id"); got != nsg.ID {
		t.Errorf("subnet networkSecurityGroup.id = %q, want %q", got, nsg.ID)
	}
	if !slices.Contains(subnet.Deps, nsg.URN) {
		t.Error("the subnet does not depend on the NSG")
	}
	if dev := runStackFile(t, "dev"); len(dev.byType(armid.NetworkSecurityGroup)) != 0 {
		t.Error("an NSG without network.nsg")
	}
}

// cluster.zones reach the system pool; prod spreads it over three zones.
func TestZones(t *testing.T) {
	prod := runStackFile(t, "prod")
	mustSucceed(t, prod)
	got := prod.one(t, tCluster).Inputs["agentPoolProfiles"].ArrayValue()[0].ObjectValue()["availabilityZones"]
	if !got.IsArray() || len(got.ArrayValue()) != 3 || got.ArrayValue()[0].StringValue() != "1" || got.ArrayValue()[2].StringValue() != "3" {
		t.Errorf("prod's system pool zones = %v, want [1 2 3]", got)
	}
	dev := runStackFile(t, "dev")
	if _, ok := dev.one(t, tCluster).Inputs["agentPoolProfiles"].ArrayValue()[0].ObjectValue()["availabilityZones"]; ok {
		t.Error("dev's pool has zones without cluster.zones")
	}
}

// A name key changed on a deployed stack is called out in the preview, in the
// config's words; a new stack, or unchanged names, get no such warning.
func TestRenamesAreCalledOut(t *testing.T) {
	deployed := map[string]any{
		"resourceGroupName": "aks-kubenet-rg", "vnetName": "aks-vnet", "subnetName": "aks-subnet",
		"routeTableName": "aks-route-table", "identityName": "aks-kubenet-cluster-identity", "clusterName": "aks-kubenet-cluster",
	}
	r := runProgramIn(t, surroundings{preview: true, deployed: deployed}, "dev", devConfig(t))
	mustSucceed(t, r)
	if slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, "on a deployed stack") }) {
		t.Errorf("unchanged names called out: %q", r.warnings)
	}

	cfg := devConfig(t)
	setJSON(t, cfg, spec.KeyNetwork, "routeTableName", "aks-route-table-2")
	cfg[spec.KeyProtect] = "true"
	r = runProgramIn(t, surroundings{preview: true, deployed: deployed}, "dev", cfg)
	mustSucceed(t, r)
	want := `network.routeTableName changes from aks-route-table to aks-route-table-2 on a deployed stack: Azure cannot rename, so Pulumi would delete the route table (and every route in it) and create it anew. The resource is protected, so pulumi up refuses.`
	if !slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, want) }) {
		t.Errorf("no warning %q in %q", want, r.warnings)
	}

	// deploy.yml's plan and up turn the read off: the preview then registers
	// no StackReference (an update plan could not hold it) and warns of
	// nothing; the pull request's preview warned already.
	cfg[spec.KeyReadLastDeployment] = "false"
	r = runProgramIn(t, surroundings{preview: true, deployed: deployed}, "dev", cfg)
	mustSucceed(t, r)
	if slices.ContainsFunc(r.warnings, func(w string) bool { return strings.Contains(w, "on a deployed stack") }) {
		t.Errorf("with %s false the preview still read the last deployment: %q", spec.KeyReadLastDeployment, r.warnings)
	}
}

// Every name Azure cannot change (aksfacts.Names, the one list the preview
// and the plan's -base both read) is called out by the preview when a
// deployed stack's config changes it, the cluster's DNS prefix and node
// resource group included; a name left to a default that follows the
// others (AKS's node resource group) is not called out on its own.
func TestEveryNameAzureCannotChangeIsCalledOut(t *testing.T) {
	base := devConfig(t)
	setJSON(t, base, spec.KeyCluster, "monitoring", map[string]any{"enabled": true})
	first := runProgramIn(t, surroundings{}, "dev", base)
	mustSucceed(t, first)
	deployed := map[string]any{}
	for _, n := range aksfacts.Names {
		out, ok := first.outputs[n.Output]
		if !ok {
			t.Fatalf("the stack exports no %s: the preview cannot compare %s", n.Output, n.Key(spec.Stack{ResourceGroupKey: spec.KeyResourceGroup + ".name"}))
		}
		deployed[n.Output] = fmt.Sprint(out.Value)
	}
	// The value each name changes to, by its key.
	changed := map[string]struct {
		key, field string
		value      any
	}{
		"resourceGroupName": {spec.KeyResourceGroup, "name", "aks-kubenet-rg2"},
		"vnetName":          {spec.KeyNetwork, spec.Leaf(spec.PathNetworkVnetName), "aks-vnet2"},
		"subnetName":        {spec.KeyNetwork, spec.Leaf(spec.PathNetworkSubnetName), "aks-subnet2"},
		"routeTableName":    {spec.KeyNetwork, spec.Leaf(spec.PathNetworkRouteTableName), "aks-route-table2"},
		"clusterName":       {spec.KeyCluster, spec.Leaf(spec.PathClusterName), "aks-kubenet-cluster2"},
		"identityName":      {spec.KeyCluster, spec.Leaf(spec.PathClusterIdentityName), "aks-identity2"},
		"dnsPrefix":         {spec.KeyCluster, spec.Leaf(spec.PathClusterDNSPrefix), "aks-dns2"},
		"nodeResourceGroup": {spec.KeyCluster, spec.Leaf(spec.PathClusterNodeResourceGroup), "aks-nodes2"},
		"workspaceName":     {spec.KeyCluster, "monitoring", map[string]any{"enabled": true, "workspaceName": "aks-logs2"}},
	}
	for _, n := range aksfacts.Names {
		c, ok := changed[n.Output]
		if !ok {
			t.Errorf("no case for %s: add one", n.Output)
			continue
		}
		cfg := maps.Clone(base)
		setJSON(t, cfg, c.key, c.field, c.value)
		r := runProgramIn(t, surroundings{preview: true, deployed: deployed}, "dev", cfg)
		mustSucceed(t, r)
		key := n.Path
		if key == "" {
			key = spec.KeyResourceGroup + ".name"
		}
		want := fmt.Sprintf("%s changes from %s to ", key, deployed[n.Output])
		if !slices.ContainsFunc(r.warnings, func(w string) bool { return strings.HasPrefix(w, want) && strings.Contains(w, n.Cannot) }) {
			t.Errorf("%s: no warning %q...%q in %q", n.Output, want, n.Cannot, r.warnings)
		}
	}

	// The cluster renamed, its node resource group left to AKS: the group's
	// new default follows the cluster's name, which is called out itself.
	cfg := maps.Clone(base)
	setJSON(t, cfg, spec.KeyCluster, spec.Leaf(spec.PathClusterName), "aks-kubenet-cluster2")
	r := runProgramIn(t, surroundings{preview: true, deployed: deployed}, "dev", cfg)
	mustSucceed(t, r)
	if slices.ContainsFunc(r.warnings, func(w string) bool { return strings.HasPrefix(w, spec.PathClusterNodeResourceGroup) }) {
		t.Errorf("a defaulted node resource group called out on its own: %q", r.warnings)
	}
}

// The inputs on which azure-native v2 replaces the cluster are pinned: the
// program sends exactly these values under them for the committed stacks. A
// change here (a new default in the network profile, say) would replace every
// existing cluster, so it fails this test first; see the README's "Changing a
// stack". networkProfile.networkPolicy is the exception that proves it:
// the cluster ignores it after creation (TestClusterIgnoresWhatAzureChanges),
// so that clusters deployed before the program set a network policy keep
// theirs.
func TestCreateOnlyClusterInputsArePinned(t *testing.T) {
	want := map[string]string{
		"dev": `{"dnsPrefix":"aks-kubenet-cluster","location":"eastus",` +
			`"networkProfile":{"dnsServiceIP":"10.0.4.10","loadBalancerSku":"standard","networkPlugin":"kubenet","networkPolicy":"calico","outboundType":"userDefinedRouting","podCidr":"10.244.0.0/16","serviceCidr":"10.0.4.0/24"},` +
			`"resourceGroupName":"aks-kubenet-rg","resourceName":"aks-kubenet-cluster"}`,
		"prod": `{"dnsPrefix":"aks-prod-weu","location":"westeurope",` +
			`"networkProfile":{"dnsServiceIP":"10.21.0.10","loadBalancerSku":"standard","networkPlugin":"kubenet","networkPolicy":"calico","outboundType":"userDefinedRouting","podCidr":"10.245.0.0/16","serviceCidr":"10.21.0.0/24"},` +
			`"resourceGroupName":"aks-kubenet-prod-weu-rg","resourceName":"aks-prod-weu"}`,
	}
	for name, pinned := range want {
		r := runStackFile(t, name)
		mustSucceed(t, r)
		inputs := r.one(t, tCluster).Inputs
		createOnly := resource.PropertyMap{}
		for _, key := range aksfacts.ClusterCreateOnlyInputs {
			if v, ok := inputs[resource.PropertyKey(key)]; ok {
				createOnly[resource.PropertyKey(key)] = v
			}
		}
		got, err := json.Marshal(createOnly.Mappable())
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != pinned {
			t.Errorf("%s: the cluster's create-only inputs changed; every existing cluster would be replaced.\n got %s\nwant %s", name, got, pinned)
		}
	}
}

// The cluster ignores exactly what changes without the program (see
// cluster.IgnoredChanges), never a whole object the program manages: the
// version only while the stack pins none or its channel moves it, the count
// only when autoscaled.
func TestClusterIgnoresWhatAzureChanges(t *testing.T) {
	always := []string{"linuxProfile", "windowsProfile", "networkProfile.loadBalancerProfile", "networkProfile.networkPolicy",
		"networkProfile.networkPlugin", "networkProfile.networkPluginMode", "networkProfile.networkDataplane",
		"networkProfile.podCidrs", "networkProfile.serviceCidrs", "networkProfile.ipFamilies", "upgradeSettings"}
	unpinned := []string{"kubernetesVersion", "agentPoolProfiles[0].orchestratorVersion"}
	pinned := devConfig(t)
	setJSON(t, pinned, spec.KeyCluster, "kubernetesVersion", "1.31")
	pinnedNoChannel := devConfig(t)
	setJSON(t, pinnedNoChannel, spec.KeyCluster, "kubernetesVersion", "1.31")
	setJSON(t, pinnedNoChannel, spec.KeyCluster, "upgradeChannel", "none")
	pinnedNodeImage := devConfig(t)
	setJSON(t, pinnedNodeImage, spec.KeyCluster, "kubernetesVersion", "1.31")
	setJSON(t, pinnedNodeImage, spec.KeyCluster, "upgradeChannel", "node-image")
	for _, tc := range []struct {
		name   string
		run    run
		ignore []string
	}{
		{"dev", runStackFile(t, "dev"), append(append([]string{}, always...), unpinned...)},
		{"prod without its user pools, autoscaled", runProgram(t, "prod", withoutPools(t)), append(append(append([]string{}, always...), "agentPoolProfiles[0].count"), unpinned...)},
		// With user pools AKS lists every pool in agentPoolProfiles: the cluster
		// ignores the whole list (TestSystemPoolWithUserPools).
		{"prod with its user pools", runStackFile(t, "prod"), append(append([]string{}, always...), "kubernetesVersion", "agentPoolProfiles")},
		// The default channel, patch, moves the version: pinned or not, it is AKS's.
		{"dev with a pinned version under the patch channel", runProgram(t, "dev", pinned), append(append([]string{}, always...), unpinned...)},
		// Without a version-moving channel a pinned version is the program's.
		{"dev with a pinned version and no channel", runProgram(t, "dev", pinnedNoChannel), always},
		{"dev with a pinned version under the node-image channel", runProgram(t, "dev", pinnedNodeImage), always},
	} {
		mustSucceed(t, tc.run)
		got := tc.run.one(t, tCluster).IgnoreChanges
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tc.ignore))) {
			t.Errorf("%s: ignoreChanges = %v, want %v", tc.name, got, tc.ignore)
		}
		for _, managed := range []string{"networkProfile", "agentPoolProfiles", "agentPoolProfiles[0]", "tags", "identity"} {
			if slices.Contains(got, managed) && !(managed == "agentPoolProfiles" && strings.HasSuffix(tc.name, "with its user pools")) {
				t.Errorf("%s: the cluster ignores %s, which the program manages", tc.name, managed)
			}
		}
	}
}

// withoutPools is the committed prod stack without its user pools.
func withoutPools(t *testing.T) map[string]string {
	t.Helper()
	cfg := ownStack(t, "prod")
	delete(cfg, spec.KeyPools)
	return cfg
}
