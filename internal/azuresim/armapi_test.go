package azuresim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

const (
	uamiID    = rgID + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami"
	user1ID   = clusterID + "/agentPools/user1"
	systemID  = clusterID + "/agentPools/system"
	plainID   = rgID + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/plain"
	pollEvery = time.Millisecond
)

// armCloud writes a cloud for the ARM endpoint's tests and returns its
// path: cloudWithCluster's network, grants and cluster (postureCluster
// changed by change, when not nil: kubenet, Kubernetes 1.30.6), a user pool
// user1 (an AgentPool) in the system pool's subnet, and AKS's node routes
// when the subnet has a route table; then more, when not nil.
func armCloud(t *testing.T, change func(in resource.PropertyMap), more func(c *Cloud)) string {
	t.Helper()
	c, cluster := cloudWithCluster(t)
	if _, err := c.Put(Subnet, "urn", props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "subnetName", "plain",
		"addressPrefix", "10.0.5.0/24"), true); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		in := postureCluster()
		change(in)
		if err := c.Delete(ManagedCluster, "urn", cluster.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Put(ManagedCluster, "urn", in, true); err != nil {
			t.Fatalf("creating the cluster: %v", err)
		}
	}
	subnet := str(profiles(resource.PropertyMap(c.Get(clusterID).Properties))[0], "vnetSubnetID")
	if _, err := c.Put(AgentPool, "urn:pool", agentPool("user1", "vnetSubnetID", subnet), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.routeTableOf(c.Get(clusterID)); err == nil {
		if _, err := c.WriteNodeRoutes("aks"); err != nil {
			t.Fatal(err)
		}
	}
	if more != nil {
		more(c)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	return c.path
}

// withNetwork sets the cluster inputs' network profile to np.
func withNetwork(np resource.PropertyMap) func(in resource.PropertyMap) {
	return func(in resource.PropertyMap) { in["networkProfile"] = resource.NewProperty(np) }
}

// kubenetWith is postureCluster's kubenet profile with kv on top.
func kubenetWith(kv ...any) resource.PropertyMap {
	np := props("networkPlugin", "kubenet", "podCidr", "10.244.0.0/16", "outboundType", "userDefinedRouting")
	for k, v := range props(kv...) {
		np[k] = v
	}
	return np
}

// overlayWith is an Overlay profile with kv on top.
func overlayWith(kv ...any) resource.PropertyMap {
	np := props("networkPlugin", "azure", "networkPluginMode", "overlay", "podCidr", "10.244.0.0/16", "outboundType", "userDefinedRouting")
	for k, v := range props(kv...) {
		np[k] = v
	}
	return np
}

func clustersClient(t *testing.T, path string) *armcontainerservice.ManagedClustersClient {
	t.Helper()
	cl, err := armcontainerservice.NewManagedClustersClient(sub, &azfake.TokenCredential{}, ClientOptions(path))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func getCluster(t *testing.T, cl *armcontainerservice.ManagedClustersClient) armcontainerservice.ManagedCluster {
	t.Helper()
	resp, err := cl.Get(context.Background(), "rg", "aks", nil)
	if err != nil {
		t.Fatalf("GET the cluster: %v", err)
	}
	return resp.ManagedCluster
}

// putCluster PUTs mc with If-Match its eTag and polls the operation to its
// end, counting the polls that saw it running.
func putCluster(ctx context.Context, cl *armcontainerservice.ManagedClustersClient, mc armcontainerservice.ManagedCluster) (armcontainerservice.ManagedCluster, int, error) {
	poller, err := cl.BeginCreateOrUpdate(ctx, "rg", "aks", mc, &armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions{IfMatch: mc.ETag})
	if err != nil {
		return armcontainerservice.ManagedCluster{}, 0, err
	}
	running := 0
	for !poller.Done() {
		if _, err := poller.Poll(ctx); err != nil {
			return armcontainerservice.ManagedCluster{}, running, err
		}
		if !poller.Done() {
			running++
		}
	}
	resp, err := poller.Result(ctx)
	return resp.ManagedCluster, running, err
}

// errorCode is the ARM error code of err, or "".
func errorCode(err error) string {
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		return respErr.ErrorCode
	}
	return ""
}

func openCloud(t *testing.T, path string) *Cloud {
	t.Helper()
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The GET returns the cluster in ARM's shape: its identity's principal, its
// network profile as AKS fills it in, every pool with AKS's defaults, its
// eTag, state and version.
func TestARMGetCluster(t *testing.T) {
	t.Parallel()
	path := armCloud(t, nil, nil)
	mc := getCluster(t, clustersClient(t, path))
	c := openCloud(t, path)
	uami := resource.PropertyMap(c.Get(uamiID).Computed)
	if *mc.ID != clusterID || *mc.Name != "aks" || *mc.Location != "eastus" || !strings.EqualFold(*mc.Type, "Microsoft.ContainerService/managedClusters") {
		t.Errorf("id %s, name %s, location %s, type %s", *mc.ID, *mc.Name, *mc.Location, *mc.Type)
	}
	if mc.ETag == nil || len(*mc.ETag) < 3 || !strings.HasPrefix(*mc.ETag, `"`) {
		t.Errorf("eTag %v, want a quoted value", mc.ETag)
	}
	if got := mc.Identity.UserAssignedIdentities[uamiID]; *mc.Identity.Type != armcontainerservice.ResourceIdentityTypeUserAssigned || got == nil ||
		*got.PrincipalID != str(uami, "principalId") || *got.ClientID != str(uami, "clientId") {
		t.Errorf("identity %+v, want the user-assigned identity with its principal and client", mc.Identity)
	}
	p := mc.Properties
	np := p.NetworkProfile
	if *np.NetworkPlugin != armcontainerservice.NetworkPluginKubenet || *np.PodCidr != "10.244.0.0/16" || len(np.PodCidrs) != 1 ||
		*np.OutboundType != armcontainerservice.OutboundTypeUserDefinedRouting || np.NetworkPluginMode != nil {
		t.Errorf("network profile %+v", np)
	}
	if *p.ProvisioningState != "Succeeded" || *p.KubernetesVersion != "1.30.6" || *p.CurrentKubernetesVersion != "1.30.6" {
		t.Errorf("state %s, version %s, current %s", *p.ProvisioningState, *p.KubernetesVersion, *p.CurrentKubernetesVersion)
	}
	var names []string
	for _, pool := range p.AgentPoolProfiles {
		names = append(names, *pool.Name)
		if *pool.VnetSubnetID != nodesID || *pool.Type != armcontainerservice.AgentPoolTypeVirtualMachineScaleSets || *pool.MaxPods != 110 ||
			*pool.OrchestratorVersion != "1.30.6" || pool.Count == nil {
			t.Errorf("pool %s: %+v", *pool.Name, pool)
		}
	}
	if !slices.Equal(names, []string{"system", "user1"}) {
		t.Errorf("pools %v, want [system user1], the AgentPool included", names)
	}
	if *p.AgentPoolProfiles[1].VMSize != "Standard_D4s_v5" {
		t.Errorf("user1's vmSize %s", *p.AgentPoolProfiles[1].VMSize)
	}
}

// A cluster created without a version reports AKS's default; a cluster that
// does not exist is ResourceNotFound.
func TestARMGetDefaultVersionAndNotFound(t *testing.T) {
	t.Parallel()
	path := armCloud(t, func(in resource.PropertyMap) { delete(in, "kubernetesVersion") }, nil)
	cl := clustersClient(t, path)
	p := getCluster(t, cl).Properties
	if *p.CurrentKubernetesVersion != DefaultKubernetesVersion || *p.AgentPoolProfiles[0].OrchestratorVersion != DefaultKubernetesVersion {
		t.Errorf("current version %s, pool %s, want %s", *p.CurrentKubernetesVersion, *p.AgentPoolProfiles[0].OrchestratorVersion, DefaultKubernetesVersion)
	}
	_, err := cl.Get(context.Background(), "rg", "nope", nil)
	if code := errorCode(err); code != "ResourceNotFound" || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET of a missing cluster: %v, want 404 ResourceNotFound", err)
	}
}

// A GET then a PUT of the unchanged cluster is accepted, polled through
// Updating, and changes nothing: the cluster, its AgentPool, its eTag and
// the Pulumi resource it is stay as they were; the log records the update
// as the ARM endpoint's; no pool is reimaged.
func TestARMUnchangedPutChangesNothing(t *testing.T) {
	t.Parallel()
	path := armCloud(t, func(in resource.PropertyMap) { delete(in, "kubernetesVersion") }, nil)
	before := openCloud(t, path)
	cl := clustersClient(t, path)
	mc := getCluster(t, cl)
	got, running, err := putCluster(context.Background(), cl, mc)
	if err != nil {
		t.Fatalf("an unchanged PUT: %v", err)
	}
	if running != armPolls-1 || *got.Properties.ProvisioningState != "Succeeded" {
		t.Errorf("the poller saw %d running polls and ended %s, want %d and Succeeded", running, *got.Properties.ProvisioningState, armPolls-1)
	}
	after := openCloud(t, path)
	for _, id := range []string{clusterID, user1ID} {
		if a, b := after.Get(id), before.Get(id); !resource.PropertyMap(a.Properties).DeepEquals(resource.PropertyMap(b.Properties)) || a.URN != b.URN {
			t.Errorf("%s changed:\n%v\nwas\n%v", id, a.Properties, b.Properties)
		}
	}
	if again := getCluster(t, cl); *again.ETag != *mc.ETag {
		t.Errorf("eTag %s after an unchanged PUT, was %s", *again.ETag, *mc.ETag)
	}
	last := after.Log[len(after.Log)-1]
	if last.Op != "update" || last.URN != ARMCaller || after.Reimages(systemID) != 0 {
		t.Errorf("last operation %+v, reimages %d", last, after.Reimages(systemID))
	}
}

// A PUT whose If-Match is not the cluster's eTag is refused, 412, and
// changes nothing; a changed cluster has a new eTag.
func TestARMIfMatch(t *testing.T) {
	t.Parallel()
	path := armCloud(t, withNetwork(kubenetWith("networkPolicy", "calico")), nil)
	cl := clustersClient(t, path)
	mc := getCluster(t, cl)
	stale := mc
	stale.ETag = to.Ptr(`"stale"`)
	stale.Properties.NetworkProfile.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyNone)
	logged := len(openCloud(t, path).Log)
	_, _, err := putCluster(context.Background(), cl, stale)
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) || respErr.StatusCode != http.StatusPreconditionFailed || respErr.ErrorCode != "PreconditionFailed" {
		t.Fatalf("a PUT with a stale If-Match: %v, want 412 PreconditionFailed", err)
	}
	if c := openCloud(t, path); len(c.Log) != logged || str(networkProfileOf(resource.PropertyMap(c.Get(clusterID).Properties)), "networkPolicy") != "calico" {
		t.Error("the refused PUT changed the cluster")
	}
	fresh := getCluster(t, cl)
	fresh.Properties.NetworkProfile.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyNone)
	if _, _, err := putCluster(context.Background(), cl, fresh); err != nil {
		t.Fatal(err)
	}
	if now := getCluster(t, cl); *now.ETag == *mc.ETag {
		t.Error("the changed cluster kept its eTag")
	}
}

// The migration a kubenet cluster with Calico takes, each step a PUT of its
// own, each accepted and reimaging every pool: Calico off, then Azure CNI
// Overlay (plugin and mode in one PUT), which deletes AKS's node routes
// and keeps the user's routes and the subnet's association, then the
// Cilium data plane with Cilium's policy.
func TestARMMigration(t *testing.T) {
	t.Parallel()
	path := armCloud(t, withNetwork(kubenetWith("networkPolicy", "calico")), nil)
	if n := len(openCloud(t, path).RoutesOf(tableIDRef)); n != 6 {
		t.Fatalf("the table holds %d routes before, want the default route and 5 node routes", n)
	}
	cl := clustersClient(t, path)
	steps := []struct {
		name   string
		change func(np *armcontainerservice.NetworkProfile)
	}{
		{"Calico off", func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyNone)
		}},
		{"to Overlay", func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPlugin, np.NetworkPluginMode = to.Ptr(armcontainerservice.NetworkPluginAzure), to.Ptr(armcontainerservice.NetworkPluginModeOverlay)
		}},
		{"to Cilium", func(np *armcontainerservice.NetworkProfile) {
			np.NetworkDataplane, np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkDataplaneCilium), to.Ptr(armcontainerservice.NetworkPolicyCilium)
		}},
	}
	for i, step := range steps {
		mc := getCluster(t, cl)
		step.change(mc.Properties.NetworkProfile)
		if _, _, err := putCluster(context.Background(), cl, mc); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		c := openCloud(t, path)
		for _, pool := range []string{systemID, user1ID} {
			if n := c.Reimages(pool); n != i+1 {
				t.Errorf("%s: pool %s reimaged %d times, want %d", step.name, pool, n, i+1)
			}
		}
		if step.name != "to Overlay" {
			continue
		}
		routes := c.RoutesOf(tableIDRef)
		if len(routes) != 1 || routes[0].By != "pulumi" {
			t.Errorf("after the move the table holds %d routes, want the user's default route only", len(routes))
		}
		if refID(resource.PropertyMap(c.Get(nodesID).Properties), "routeTable") != tableIDRef {
			t.Error("the move dissociated the route table")
		}
		np := getCluster(t, cl).Properties.NetworkProfile
		if *np.NetworkDataplane != armcontainerservice.NetworkDataplaneAzure || *np.PodCidr != "10.244.0.0/16" || *np.PodCidrs[0] != "10.244.0.0/16" {
			t.Errorf("after the move the network profile is %+v", np)
		}
	}
	np := getCluster(t, cl).Properties.NetworkProfile
	if *np.NetworkPlugin != "azure" || *np.NetworkPluginMode != "overlay" || *np.NetworkDataplane != "cilium" || *np.NetworkPolicy != "cilium" {
		t.Errorf("after the migration the network profile is %+v", np)
	}
}

// The move through the provider's Update (Cloud.Put) is the same: a PUT
// that leaves the policy and the pod range out keeps the cluster's, and the
// node routes go.
func TestProviderUpdateMovesToOverlay(t *testing.T) {
	t.Parallel()
	c := openCloud(t, armCloud(t, nil, nil))
	in := postureCluster()
	in["networkProfile"] = resource.NewProperty(props("networkPlugin", "azure", "networkPluginMode", "overlay", "outboundType", "userDefinedRouting"))
	r, err := c.Put(ManagedCluster, "urn", in, false)
	if err != nil {
		t.Fatal(err)
	}
	np := networkProfileOf(resource.PropertyMap(r.Properties))
	if str(np, "podCidr") != "10.244.0.0/16" || str(np, "networkDataplane") != "azure" || len(c.RoutesOf(tableIDRef)) != 1 || c.Reimages(user1ID) != 1 {
		t.Errorf("after the move: network profile %v, %d routes, %d reimages of user1", np, len(c.RoutesOf(tableIDRef)), c.Reimages(user1ID))
	}
}

// AKS refuses the network changes it does not make, each with its code; a
// refused PUT changes nothing and reimages nothing.
func TestARMNetworkRefusals(t *testing.T) {
	t.Parallel()
	toOverlay := func(np *armcontainerservice.NetworkProfile) {
		np.NetworkPlugin, np.NetworkPluginMode = to.Ptr(armcontainerservice.NetworkPluginAzure), to.Ptr(armcontainerservice.NetworkPluginModeOverlay)
	}
	for _, tc := range []struct {
		name    string
		cluster func(in resource.PropertyMap)
		more    func(c *Cloud)
		change  func(np *armcontainerservice.NetworkProfile)
		code    string
		words   string
	}{
		{name: "kubenet with mode overlay", change: func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPluginMode = to.Ptr(armcontainerservice.NetworkPluginModeOverlay)
		}, code: "UnsupportedNetworkPluginModeWithNetworkPlugin", words: "NetworkPluginMode overlay is not supported with NetworkPlugin kubenet"},
		{name: "kubenet to azure without overlay", change: func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPlugin = to.Ptr(armcontainerservice.NetworkPluginAzure)
		}, code: "BadRequest", words: "can only be updated to Azure CNI Overlay"},
		{name: "the move with Calico on", cluster: withNetwork(kubenetWith("networkPolicy", "calico")), change: toOverlay,
			code: "ValidationError", words: "while using network policies"},
		{name: "the move with Calico turned on", change: func(np *armcontainerservice.NetworkProfile) {
			toOverlay(np)
			np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyCalico)
		}, code: "ValidationError", words: "while using network policies"},
		{name: "Calico off on Kubernetes 1.29", cluster: func(in resource.PropertyMap) {
			withNetwork(kubenetWith("networkPolicy", "calico"))(in)
			in["kubernetesVersion"] = resource.NewProperty("1.29.9")
		}, change: func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyNone)
		}, code: "BadRequest", words: "needs Kubernetes 1.30"},
		{name: "the move on Kubernetes 1.26", cluster: func(in resource.PropertyMap) {
			in["kubernetesVersion"] = resource.NewProperty("1.26.3")
		}, change: toOverlay, code: "BadRequest", words: "needs Kubernetes 1.27"},
		{name: "Calico to Azure NPM", cluster: withNetwork(kubenetWith("networkPolicy", "calico")), change: func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyAzure)
		}, code: "BadRequest", words: "set networkProfile.networkPolicy none first"},
		{name: "Cilium without Cilium's policy", cluster: withNetwork(overlayWith()), change: func(np *armcontainerservice.NetworkProfile) {
			np.NetworkDataplane = to.Ptr(armcontainerservice.NetworkDataplaneCilium)
		}, code: "BadRequest", words: "Cilium dataplane requires network policy cilium. Target: networkProfile.networkPolicy"},
		{name: "Cilium in the move's PUT", change: func(np *armcontainerservice.NetworkProfile) {
			toOverlay(np)
			np.NetworkDataplane, np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkDataplaneCilium), to.Ptr(armcontainerservice.NetworkPolicyCilium)
		}, code: "BadRequest", words: "can't be updated in a single operation"},
		{name: "Cilium back to azure", cluster: withNetwork(overlayWith("networkDataplane", "cilium", "networkPolicy", "cilium")),
			change: func(np *armcontainerservice.NetworkProfile) {
				np.NetworkDataplane, np.NetworkPolicy = to.Ptr(armcontainerservice.NetworkDataplaneAzure), to.Ptr(armcontainerservice.NetworkPolicyNone)
			}, code: "PropertyChangeNotAllowed", words: "networkDataplane"},
		{name: "Overlay back to kubenet", cluster: withNetwork(overlayWith()), change: func(np *armcontainerservice.NetworkProfile) {
			np.NetworkPlugin, np.NetworkPluginMode, np.NetworkDataplane = to.Ptr(armcontainerservice.NetworkPluginKubenet), nil, nil
		}, code: "PropertyChangeNotAllowed", words: "one-way"},
		{name: "a system-assigned identity", cluster: func(in resource.PropertyMap) {
			in["identity"] = resource.NewProperty(props("type", "SystemAssigned"))
			in["agentPoolProfiles"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(props("name", "system", "count", 2.0, "vnetSubnetID", plainID))})
		}, change: toOverlay, code: "BadRequest", words: "user-assigned managed identity"},
		{name: "a route table another subnet uses", more: func(c *Cloud) {
			if _, err := c.Put(Subnet, "urn", props("resourceGroupName", "rg", "virtualNetworkName", "vnet", "subnetName", "appgw",
				"addressPrefix", "10.0.6.0/24", "routeTable", ref(tableIDRef)), true); err != nil {
				panic(err)
			}
		}, change: toOverlay, code: "CustomRouteTableSharedWithOtherSubnets", words: "subnets/appgw"},
		{name: "a new service range", change: func(np *armcontainerservice.NetworkProfile) {
			np.ServiceCidr = to.Ptr("10.1.0.0/16")
		}, code: "PropertyChangeNotAllowed", words: "networkProfile.serviceCidr"},
		{name: "a new kubenet pod range", change: func(np *armcontainerservice.NetworkProfile) {
			np.PodCidr = to.Ptr("10.250.0.0/16")
		}, code: "PropertyChangeNotAllowed", words: "networkProfile.podCidr"},
		{name: "the move to a reserved pod range", change: func(np *armcontainerservice.NetworkProfile) {
			toOverlay(np)
			np.PodCidr = to.Ptr("172.16.0.0/12")
		}, code: "NetworkProfileCIDROverlapReserved", words: "overlaps with reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := armCloud(t, tc.cluster, tc.more)
			before := resource.PropertyMap(openCloud(t, path).Get(clusterID).Properties)
			cl := clustersClient(t, path)
			mc := getCluster(t, cl)
			tc.change(mc.Properties.NetworkProfile)
			_, _, err := putCluster(context.Background(), cl, mc)
			if code := errorCode(err); code != tc.code || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("error %v, want %s: %s", err, tc.code, tc.words)
			}
			c := openCloud(t, path)
			if !resource.PropertyMap(c.Get(clusterID).Properties).DeepEquals(before) || c.Reimages(systemID) != 0 {
				t.Error("the refused PUT changed the cluster or reimaged its pools")
			}
		})
	}
}

// While a PUT runs the cluster is Updating and AKS refuses another PUT,
// 409 OperationNotAllowed; once its poller is done, the cluster is
// Succeeded and takes PUTs again.
func TestARMBusyWhileAPutRuns(t *testing.T) {
	t.Parallel()
	path := armCloud(t, nil, nil)
	cl, other := clustersClient(t, path), clustersClient(t, path)
	ctx := context.Background()
	mc := getCluster(t, cl)
	poller, err := cl.BeginCreateOrUpdate(ctx, "rg", "aks", mc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if state := *getCluster(t, other).Properties.ProvisioningState; state != "Updating" {
		t.Errorf("the cluster is %s while its PUT runs, want Updating", state)
	}
	if _, err := other.BeginCreateOrUpdate(ctx, "rg", "aks", mc, nil); errorCode(err) != "OperationNotAllowed" || !strings.Contains(err.Error(), "409") {
		t.Errorf("a second PUT while the first runs: %v, want 409 OperationNotAllowed", err)
	}
	if _, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: pollEvery}); err != nil {
		t.Fatal(err)
	}
	if state := *getCluster(t, other).Properties.ProvisioningState; state != "Succeeded" {
		t.Errorf("the cluster is %s after its PUT, want Succeeded", state)
	}
	if _, _, err := putCluster(ctx, other, getCluster(t, other)); err != nil {
		t.Errorf("a PUT after the first ended: %v", err)
	}
	if refused := openCloud(t, path).Refused(); len(refused) != 1 {
		t.Errorf("refused operations %v, want the second PUT", refused)
	}
}

// The faults armed for an update of the cluster fire on ARM PUTs: Refuse
// refuses the PUT (nothing changes), Fail ends the operation Failed with
// the PUT's inputs kept, until a PUT again succeeds; Throttle answers 429s,
// which the client's retries absorb up to three.
func TestARMFaults(t *testing.T) {
	t.Parallel()
	arm := func(f Fault) func(c *Cloud) {
		return func(c *Cloud) { c.Arm(f) }
	}
	for _, tc := range []struct {
		name   string
		fault  Fault
		code   string
		state  string
		policy string
	}{
		{"refuse", Fault{Op: "update", Type: ManagedCluster, Kind: Refuse, Code: "QuotaExceeded"}, "QuotaExceeded", "Succeeded", "calico"},
		{"fail", Fault{Op: "update", Type: ManagedCluster, Kind: Fail, Code: "VMExtensionProvisioningError"}, "VMExtensionProvisioningError", "Failed", "none"},
		{"throttled within the retries", Fault{Op: "update", Type: ManagedCluster, Kind: Throttle, Times: 3}, "", "Succeeded", "none"},
		{"throttled beyond them", Fault{Op: "update", Type: ManagedCluster, Kind: Throttle, Times: 5}, "InternalServerError", "Succeeded", "calico"},
		{"for another cluster", Fault{Op: "update", Type: ManagedCluster, Name: "other", Kind: Refuse}, "", "Succeeded", "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := armCloud(t, withNetwork(kubenetWith("networkPolicy", "calico")), arm(tc.fault))
			cl := clustersClient(t, path)
			mc := getCluster(t, cl)
			mc.Properties.NetworkProfile.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicyNone)
			_, _, err := putCluster(context.Background(), cl, mc)
			if code := errorCode(err); code != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			got := getCluster(t, cl).Properties
			if *got.ProvisioningState != tc.state || string(*got.NetworkProfile.NetworkPolicy) != tc.policy {
				t.Errorf("the cluster is %s with policy %s, want %s with %s", *got.ProvisioningState, *got.NetworkProfile.NetworkPolicy, tc.state, tc.policy)
			}
			if tc.state != "Failed" {
				return
			}
			if _, _, err := putCluster(context.Background(), cl, getCluster(t, cl)); err != nil || *getCluster(t, cl).Properties.ProvisioningState != "Succeeded" {
				t.Errorf("a PUT again after the failure: %v, want the cluster Succeeded", err)
			}
		})
	}
}

// A Hang's poller never ends until the client's context is canceled; the
// cluster is Updating and refuses other PUTs meanwhile, and for the
// fault's Busy after the cancel.
func TestARMHang(t *testing.T) {
	t.Parallel()
	busy := 200 * time.Millisecond
	path := armCloud(t, nil, func(c *Cloud) { c.Arm(Fault{Op: "update", Type: ManagedCluster, Kind: Hang, Busy: busy}) })
	cl, other := clustersClient(t, path), clustersClient(t, path)
	mc := getCluster(t, cl)
	ctx, cancel := context.WithCancel(context.Background())
	poller, err := cl.BeginCreateOrUpdate(ctx, "rg", "aks", mc, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: pollEvery})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the hung operation ended: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := other.BeginCreateOrUpdate(context.Background(), "rg", "aks", mc, nil); errorCode(err) != "OperationNotAllowed" {
		t.Errorf("a PUT during the hang: %v, want OperationNotAllowed", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the canceled poller: %v, want context.Canceled", err)
	}
	if state := *getCluster(t, other).Properties.ProvisioningState; state != "Updating" {
		t.Errorf("right after the cancel the cluster is %s, want Updating for the fault's Busy", state)
	}
	time.Sleep(busy)
	if _, _, err := putCluster(context.Background(), other, getCluster(t, other)); err != nil {
		t.Errorf("a PUT after the operation ran out: %v", err)
	}
}

// The route table's GET lists its routes, the user's and AKS's node routes,
// and the subnets associated with it; a subnet's GET its range and table.
func TestARMRouteTableAndSubnet(t *testing.T) {
	t.Parallel()
	path := armCloud(t, nil, nil)
	opts := ClientOptions(path)
	tables, err := armnetwork.NewRouteTablesClient(sub, &azfake.TokenCredential{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := armnetwork.NewSubnetsClient(sub, &azfake.TokenCredential{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt, err := tables.Get(ctx, "rg", "rt", nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := rt.Properties.Routes
	if len(routes) != 6 || *routes[0].Name != "default" || *routes[0].Properties.AddressPrefix != "0.0.0.0/0" ||
		*routes[0].Properties.NextHopIPAddress != "10.0.2.4" || *routes[1].Properties.NextHopType != armnetwork.RouteNextHopTypeVirtualAppliance ||
		*routes[1].Properties.AddressPrefix != "10.244.0.0/24" || *routes[1].Properties.NextHopIPAddress != "10.0.1.4" {
		t.Errorf("routes %d, first two %+v %+v", len(routes), routes[0].Properties, routes[1].Properties)
	}
	if len(rt.Properties.Subnets) != 1 || *rt.Properties.Subnets[0].ID != nodesID {
		t.Errorf("subnets %v, want [%s]", rt.Properties.Subnets, nodesID)
	}
	s, err := subnets.Get(ctx, "rg", "vnet", "nodes", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *s.Properties.AddressPrefix != "10.0.1.0/24" || *s.Properties.RouteTable.ID != tableIDRef {
		t.Errorf("subnet %+v", s.Properties)
	}
	if _, err := tables.Get(ctx, "rg", "nope", nil); errorCode(err) != "ResourceNotFound" {
		t.Errorf("GET of a missing table: %v, want ResourceNotFound", err)
	}
}

// The role assignments listed for a scope are those at it and above it,
// below it too without atScope(), of the principal a filter names.
func TestARMRoleAssignments(t *testing.T) {
	t.Parallel()
	path := armCloud(t, nil, nil)
	principal := str(resource.PropertyMap(openCloud(t, path).Get(uamiID).Computed), "principalId")
	ras, err := armauthorization.NewRoleAssignmentsClient(sub, &azfake.TokenCredential{}, ClientOptions(path))
	if err != nil {
		t.Fatal(err)
	}
	list := func(scope, filter string) ([]string, error) {
		pager := ras.NewListForScopePager(scope, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr(filter)})
		var scopes []string
		for pager.More() {
			page, err := pager.NextPage(context.Background())
			if err != nil {
				return nil, err
			}
			for _, ra := range page.Value {
				if *ra.Properties.PrincipalType != armauthorization.PrincipalTypeServicePrincipal ||
					!strings.HasSuffix(*ra.Properties.RoleDefinitionID, networkContributor) || *ra.Properties.PrincipalID != principal {
					return nil, errors.New("unexpected assignment " + *ra.ID)
				}
				scopes = append(scopes, *ra.Properties.Scope)
			}
		}
		return scopes, nil
	}
	vnetID := rgID + "/providers/Microsoft.Network/virtualNetworks/vnet"
	for _, tc := range []struct {
		scope, filter string
		want          []string
	}{
		{tableIDRef, "principalId eq '" + principal + "'", []string{tableIDRef}},
		{tableIDRef + "/routes/default", "atScope() and principalId eq '" + principal + "'", []string{tableIDRef}},
		{tableIDRef, "principalId eq '00000000-0000-0000-0000-000000000000'", nil},
		{vnetID, "principalId eq '" + principal + "'", []string{nodesID}},
		{vnetID, "atScope()", nil},
	} {
		got, err := list(tc.scope, tc.filter)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("list for %s with %q: %v (%v), want %v", tc.scope, tc.filter, got, err, tc.want)
		}
	}
	if _, err := list(tableIDRef, "assignedTo('x')"); errorCode(err) != "BadRequest" {
		t.Errorf("an unsupported filter: %v, want BadRequest", err)
	}
}

// A request for a provider namespace the endpoint does not serve is 501.
func TestARMOtherNamespacesAreNotImplemented(t *testing.T) {
	t.Parallel()
	req, err := http.NewRequest(http.MethodGet, "https://management.azure.com"+rgID+"/providers/Microsoft.Compute/virtualMachines/vm", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ClientOptions(armCloud(t, nil, nil)).Transport.Do(req)
	if err != nil || resp.StatusCode != http.StatusNotImplemented || resp.Header.Get("x-ms-error-code") != "NotImplemented" {
		t.Errorf("a Microsoft.Compute GET: %v %v, want 501 NotImplemented", resp, err)
	}
}
