package azuresim

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

// Cluster returns the managed cluster named name, or an error.
func (c *Cloud) Cluster(name string) (*Resource, error) {
	for _, r := range c.Find(ManagedCluster) {
		if strings.EqualFold(lastSegment(r.ID), name) {
			return r, nil
		}
	}
	return nil, fmt.Errorf("managed cluster %q: %w", name, ErrNotFound)
}

// routeTableOf is the id of the route table of the cluster's first node
// subnet: the one the Kubernetes cloud provider writes its routes into.
func (c *Cloud) routeTableOf(cluster *Resource) (string, error) {
	for _, subnetID := range c.clusterSubnets(cluster) {
		subnet := c.Get(subnetID)
		if subnet == nil {
			continue
		}
		if table := refID(resource.PropertyMap(subnet.Properties), "routeTable"); table != "" {
			return table, nil
		}
	}
	return "", fmt.Errorf("cluster %s: no node subnet with a route table", cluster.ID)
}

// WriteNodeRoutes plays the Kubernetes cloud provider of the cluster named
// name: one route per node of every pool (the ones made with the cluster and
// its AgentPools), named after the node, for the node's /24 of the pod range
// (the n-th node across the pools the n-th /24), to the node's address, the
// next free one of its pool's subnet from the subnet's network address + 4
// on (aks-rules 1.7). The route controller keeps the table in step with the
// nodes: AKS's routes for nodes that are gone (a pool deleted or scaled
// down) are removed. The routes are made in the cloud only, as AKS makes
// them: they are no Pulumi resources. It returns the routes' ids.
func (c *Cloud) WriteNodeRoutes(name string) ([]string, error) {
	cluster, err := c.Cluster(name)
	if err != nil {
		return nil, err
	}
	netProfile, _ := cluster.Properties["networkProfile"].V.(resource.PropertyMap)
	if !kubenet(netProfile) {
		// Azure CNI Overlay routes pods without the route table ("pods are
		// given IPs from the PodCIDR address space but use Azure Routing
		// Domains rather than Kubenet's method of route tables",
		// ContainerServiceNetworkPluginMode.Overlay; overlay-migration.md
		// §2.2): no node routes.
		return nil, nil
	}
	tableID, err := c.routeTableOf(cluster)
	if err != nil {
		return nil, err
	}
	table := c.Get(tableID)
	podRange, err := netip.ParsePrefix(str(netProfile, "podCidr"))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: pod range: %w", cluster.ID, err)
	}
	var ids []string
	node := 0
	addresses := map[string]int{} // nodes placed in each subnet so far
	for _, pool := range c.poolsOf(cluster) {
		subnetID := str(pool.settings, "vnetSubnetID")
		subnet := c.Get(subnetID)
		if subnet == nil {
			return nil, fmt.Errorf("cluster %s: pool %s has no subnet", cluster.ID, pool.name)
		}
		subnetRange, err := netip.ParsePrefix(str(resource.PropertyMap(subnet.Properties), "addressPrefix"))
		if err != nil {
			return nil, fmt.Errorf("subnet %s: %w", subnet.ID, err)
		}
		count := 0
		if v, ok := pool.settings["count"]; ok && v.IsNumber() {
			count = int(v.NumberValue())
		}
		vmss := stableUUID("vmss", cluster.ID+"/"+pool.name)[:8]
		for i := 0; i < count; i++ {
			nodeName := fmt.Sprintf("aks-%s-%s-vmss%06x", pool.name, vmss, i)
			route := resource.PropertyMap{
				"resourceGroupName": table.Properties["resourceGroupName"],
				"routeTableName":    resource.NewProperty(lastSegment(tableID)),
				"routeName":         resource.NewProperty(nodeName),
				"addressPrefix":     resource.NewProperty(nth24(podRange, node).String()),
				"nextHopType":       resource.NewProperty("VirtualAppliance"),
				"nextHopIpAddress":  resource.NewProperty(nthHost(subnetRange, 4+addresses[strings.ToLower(subnetID)]).String()),
			}
			id := table.ID + "/routes/" + nodeName
			c.put(&Resource{ID: id, Type: Route, By: "aks", Properties: Properties(route), Computed: Properties(computed(Route, id, route))})
			ids = append(ids, id)
			addresses[strings.ToLower(subnetID)]++
			node++
		}
	}
	for _, r := range c.RoutesOf(tableID) {
		if r.By == "aks" && !slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, r.ID) }) {
			delete(c.Resources, strings.ToLower(r.ID))
		}
	}
	return ids, nil
}

// kubenet reports whether a cluster's network profile is kubenet's: its
// networkPlugin kubenet, or none given (kubenet is the plugin AKS takes then,
// ContainerServiceNetworkProfile.networkPlugin's default in the 2024-09-01
// spec's docs).
func kubenet(netProfile resource.PropertyMap) bool {
	plugin := str(netProfile, "networkPlugin")
	return plugin == "" || strings.EqualFold(plugin, "kubenet")
}

// overlay reports whether a cluster's network profile is Azure CNI
// Overlay's: networkPluginMode overlay.
func overlay(netProfile resource.PropertyMap) bool {
	return strings.EqualFold(str(netProfile, "networkPluginMode"), "overlay")
}

// fillNetworkProfile adds to the network profile of the cluster inputs in
// what AKS fills in and returns on every GET, when the request leaves it
// out: podCidrs ([podCidr]) and serviceCidrs ([serviceCidr]), ipFamilies
// (["IPv4"]), and on Overlay networkDataplane azure (AKS's default data
// plane; concepts-network-azure-cni-overlay, overlay-migration.md §5). These
// are keys of the inputs' shape (ContainerServiceNetworkProfile in the
// 2024-09-01 spec), as the real provider's recorded state shows them in the
// outputs only (pulumi-azure-native provider/pkg/provider/testdata/recorded/
// TestProviderUpgrade/upgrade-aks-api-version/2.90.0/stack.json;
// azure-native-replace.md §5): a refresh takes them into the inputs only
// when they change (refreshedInputs).
func fillNetworkProfile(in resource.PropertyMap) {
	np, ok := in["networkProfile"].V.(resource.PropertyMap)
	if !ok {
		return
	}
	np = np.Copy()
	list := func(key, from string) {
		if !np.HasValue(resource.PropertyKey(key)) && str(np, from) != "" {
			np[resource.PropertyKey(key)] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(str(np, from))})
		}
	}
	list("podCidrs", "podCidr")
	list("serviceCidrs", "serviceCidr")
	if !np.HasValue("ipFamilies") {
		np["ipFamilies"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty("IPv4")})
	}
	if overlay(np) && !np.HasValue("networkDataplane") {
		np["networkDataplane"] = resource.NewProperty("azure")
	}
	in["networkProfile"] = resource.NewProperty(np)
}

// reservedRanges are the ranges AKS reserves, which no pod range may
// overlap (concepts-network-cni-overview.md:105-114; overlay-migration.md
// §4.1).
var reservedRanges = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("172.30.0.0/16"),
	netip.MustParsePrefix("172.31.0.0/16"), netip.MustParsePrefix("192.0.2.0/24"),
}

// checkOverlayPodCIDR refuses, on create and on update, an Overlay cluster
// whose pod range (podCidr, or any of podCidrs) overlaps a range AKS
// reserves: AKS validates this since its 2026-05-29 release
// (overlay-migration.md §4.1, P15). The refusal's code and words are
// inferred, not recorded: the shape of AKS's other pod-range refusal,
// NetworkProfileCIDROverlapVNET ("NetworkProfile CIDR 10.240.100.0/24
// overlaps with reserved VNET CIDR 10.240.0.0/16", target
// networkProfile.podCIDR; Azure/AKS-Construction#403), as a 400.
func checkOverlayPodCIDR(id string, in resource.PropertyMap) error {
	np, _ := in["networkProfile"].V.(resource.PropertyMap)
	if !overlay(np) {
		return nil
	}
	ranges := []string{str(np, "podCidr")}
	if list, ok := np["podCidrs"]; ok && list.IsArray() {
		for _, v := range list.ArrayValue() {
			if v.IsString() {
				ranges = append(ranges, v.StringValue())
			}
		}
	}
	for _, r := range ranges {
		pod, err := netip.ParsePrefix(r)
		if err != nil {
			continue
		}
		for _, reserved := range reservedRanges {
			if pod.Overlaps(reserved) {
				return refusal("NetworkProfileCIDROverlapReserved", "NetworkProfile CIDR %s overlaps with reserved CIDR %s (target networkProfile.podCIDR, cluster %s)", pod, reserved, id)
			}
		}
	}
	return nil
}

// nth24 is the n-th /24 of prefix.
func nth24(prefix netip.Prefix, n int) netip.Prefix {
	a := prefix.Masked().Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v := base + uint32(n)<<8
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), 24)
}

// nthHost is the n-th address of prefix.
func nthHost(prefix netip.Prefix, n int) netip.Addr {
	a := prefix.Masked().Addr()
	for i := 0; i < n; i++ {
		a = a.Next()
	}
	return a
}

// TagRouteTable plays the cloud provider tagging the route table it routes
// through (aks-rules 1.9): it adds tags to the table of the cluster named
// name, keeping the ones it has.
func (c *Cloud) TagRouteTable(name string, tags map[string]string) error {
	cluster, err := c.Cluster(name)
	if err != nil {
		return err
	}
	tableID, err := c.routeTableOf(cluster)
	if err != nil {
		return err
	}
	table := c.Get(tableID)
	merged := resource.PropertyMap{}
	if old, ok := table.Properties["tags"]; ok && old.IsObject() {
		merged = old.ObjectValue().Copy()
	}
	for k, v := range tags {
		merged[resource.PropertyKey(k)] = resource.NewProperty(v)
	}
	table.Properties["tags"] = resource.NewProperty(merged)
	return nil
}

// Autoscale plays the cluster autoscaler: it sets the node count of the pool
// named pool of the cluster named name, one made with the cluster or an
// AgentPool.
func (c *Cloud) Autoscale(name, pool string, count int) error {
	cluster, err := c.Cluster(name)
	if err != nil {
		return err
	}
	p, ok := c.poolNamed(cluster, pool)
	if !ok {
		return fmt.Errorf("cluster %s: pool %q: %w", cluster.ID, pool, ErrNotFound)
	}
	p.settings["count"] = resource.NewProperty(float64(count))
	return nil
}

// Dissociate removes the route table from the subnet with id, behind Pulumi's
// back, as a subnet PUT without routeTable does (aks-rules 9.2).
func (c *Cloud) Dissociate(subnetID string) error {
	s := c.Get(subnetID)
	if s == nil {
		return fmt.Errorf("subnet %s: %w", subnetID, ErrNotFound)
	}
	delete(s.Properties, "routeTable")
	return nil
}

// RoutesOf returns the routes in the table with id, by whom they were made
// ("pulumi" or "aks"), in the order they were added.
func (c *Cloud) RoutesOf(tableID string) []*Resource {
	return c.Children(tableID, Route)
}

// FillClusterDefaults plays Azure filling in, after the cluster exists, what
// the program never asked for: a Windows profile (Azure/AKS#1545), the load
// balancer profile in the network profile (pulumi-azure-native#4505), the
// cluster-wide upgrade settings, and, when upgradeTo is not empty, an upgrade
// to that version of the cluster and every pool (an upgrade channel, or the
// forced upgrade of a version AKS no longer supports). The values AKS adds
// inside the profiles the program declares (the tenant, the OIDC issuer's
// URL, the add-ons' identities) are there from the cluster's creation.
func (c *Cloud) FillClusterDefaults(name, upgradeTo string) error {
	cluster, err := c.Cluster(name)
	if err != nil {
		return err
	}
	p := cluster.Properties
	p["windowsProfile"] = resource.NewProperty(resource.PropertyMap{
		"adminUsername":  resource.NewProperty("azureuser"),
		"enableCSIProxy": resource.NewProperty(true),
	})
	p["upgradeSettings"] = resource.NewProperty(resource.PropertyMap{
		"overrideSettings": resource.NewProperty(resource.PropertyMap{"forceUpgrade": resource.NewProperty(false)}),
	})
	if netProfile, ok := p["networkProfile"].V.(resource.PropertyMap); ok {
		netProfile["loadBalancerProfile"] = resource.NewProperty(resource.PropertyMap{
			"backendPoolType": resource.NewProperty("nodeIPConfiguration"),
		})
	}
	if upgradeTo != "" {
		c.setVersion(cluster, upgradeTo)
	}
	return nil
}

// AutoUpgrade plays the patch auto-upgrade channel on the cluster named name:
// it moves the cluster's kubernetesVersion and every pool's
// orchestratorVersion to version. version must be MAJOR.MINOR.PATCH, and when
// the cluster has a version, a later patch of its minor version: the patch
// channel never changes the minor version and never goes back. AKS moves
// the version whatever the program pinned; the channel decides whether it
// moves at all, and the simulation leaves that to the caller.
func (c *Cloud) AutoUpgrade(name, version string) error {
	cluster, err := c.Cluster(name)
	if err != nil {
		return err
	}
	to, ok := parseVersion(version)
	if !ok || to[2] < 0 {
		return fmt.Errorf("cluster %s: the patch channel upgrades to a MAJOR.MINOR.PATCH version, not %q", cluster.ID, version)
	}
	if current := str(resource.PropertyMap(cluster.Properties), "kubernetesVersion"); current != "" {
		from, ok := parseVersion(current)
		switch {
		case !ok:
			return fmt.Errorf("cluster %s: version %q is not MAJOR.MINOR[.PATCH]", cluster.ID, current)
		case from[0] != to[0] || from[1] != to[1]:
			return fmt.Errorf("cluster %s: the patch channel keeps the minor version of %s; %s is another minor version", cluster.ID, current, version)
		case from[2] >= to[2]:
			return fmt.Errorf("cluster %s: the patch channel moves %s to a later patch only, not to %s", cluster.ID, current, version)
		}
	}
	c.setVersion(cluster, version)
	return nil
}

// setVersion sets the Kubernetes version of the cluster and of every pool,
// its AgentPools included.
func (c *Cloud) setVersion(cluster *Resource, version string) {
	cluster.Properties["kubernetesVersion"] = resource.NewProperty(version)
	for _, pool := range c.poolsOf(cluster) {
		pool.settings["orchestratorVersion"] = resource.NewProperty(version)
	}
}

// parseVersion splits "1.30.6" into [1 30 6] and "1.30" into [1 30 -1].
func parseVersion(v string) ([3]int, bool) {
	out := [3]int{0, 0, -1}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// clusterFilledKeys are the cluster's profiles that Azure returns with values
// of its own inside (clusterFilled).
var clusterFilledKeys = []string{"aadProfile", "oidcIssuerProfile", "addonProfiles"}

// clusterFilled returns what AKS adds inside the profiles of the cluster with
// id and inputs in, in the shape of the inputs: the tenant of a managed Entra
// ID profile (the login's), the OIDC issuer's URL when the issuer is on, and
// the managed identity AKS makes for each enabled add-on, in the node
// resource group. They are outputs only: a refresh never takes them into the
// inputs, as azure-native's projection of a GET onto the inputs leaves out
// what the schema marks output-only.
func clusterFilled(id string, in resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	if boolAt(in, "aadProfile", "managed") {
		out["aadProfile"] = resource.NewProperty(resource.PropertyMap{"tenantID": resource.NewProperty(TenantID)})
	}
	if boolAt(in, "oidcIssuerProfile", "enabled") {
		out["oidcIssuerProfile"] = resource.NewProperty(resource.PropertyMap{
			"issuerURL": resource.NewProperty("https://" + str(in, "location") + ".oic.prod-aks.azure.com/" + TenantID + "/" + stableUUID("oidc-issuer", id) + "/"),
		})
	}
	addons, _ := valueAt(in, "addonProfiles").V.(resource.PropertyMap)
	identities := resource.PropertyMap{}
	for key := range addons {
		if !boolAt(addons, string(key), "enabled") {
			continue
		}
		addon := strings.ToLower(string(key)) + "-" + str(in, "resourceName")
		identities[key] = resource.NewProperty(resource.PropertyMap{
			"identity": resource.NewProperty(resource.PropertyMap{
				"resourceId": resource.NewProperty("/subscriptions/" + subscriptionOf(id) + "/resourcegroups/" + nodeResourceGroup(in) +
					"/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + addon),
				"clientId": resource.NewProperty(stableUUID("addon-client", id+"/"+string(key))),
				"objectId": resource.NewProperty(stableUUID("addon-principal", id+"/"+string(key))),
			}),
		})
	}
	if len(identities) > 0 {
		out["addonProfiles"] = resource.NewProperty(identities)
	}
	return out
}

// nodeResourceGroup is the cluster's node resource group: the one it names,
// or AKS's MC_<group>_<cluster>_<location>.
func nodeResourceGroup(in resource.PropertyMap) string {
	if rg := str(in, "nodeResourceGroup"); rg != "" {
		return rg
	}
	return fmt.Sprintf("MC_%s_%s_%s", str(in, "resourceGroupName"), str(in, "resourceName"), str(in, "location"))
}

// subscriptionOf is the subscription id in an ARM id, "" for none.
func subscriptionOf(id string) string {
	parsed, err := armid.Parse(id, "")
	if err != nil {
		return ""
	}
	return parsed.SubscriptionID
}

// checkClusterChange makes AKS's checks of an update of the cluster existing
// to inputs in: what AKS cannot change on a running cluster. A public API
// server cannot become private, nor a private one public (the cluster must be
// made anew, https://learn.microsoft.com/azure/aks/private-clusters); managed
// Entra ID cannot be turned off once on; nor can the OIDC issuer.
func checkClusterChange(existing *Resource, in resource.PropertyMap) error {
	old := resource.PropertyMap(existing.Properties)
	if was, now := boolAt(old, "apiServerAccessProfile", "enablePrivateCluster"), boolAt(in, "apiServerAccessProfile", "enablePrivateCluster"); was != now {
		return refusal("BadRequest", "Changing enablePrivateCluster is not allowed. It can only be set while creating the cluster. (cluster %s, enablePrivateCluster %t to %t)",
			existing.ID, was, now)
	}
	if boolAt(old, "aadProfile", "managed") && !boolAt(in, "aadProfile", "managed") {
		return refusal("PropertyChangeNotAllowed", "Changing property 'aadProfile.managed' is not allowed: managed Entra ID cannot be disabled on cluster %s", existing.ID)
	}
	if boolAt(old, "oidcIssuerProfile", "enabled") && !boolAt(in, "oidcIssuerProfile", "enabled") {
		return refusal("BadRequest", "the OIDC issuer of cluster %s cannot be disabled once enabled", existing.ID)
	}
	return nil
}

// valueAt is the value at path in m, through objects and secrets, or a null
// value.
func valueAt(m resource.PropertyMap, path ...string) resource.PropertyValue {
	v := resource.NewProperty(m)
	for _, key := range path {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsObject() {
			return resource.NewNullProperty()
		}
		v = v.ObjectValue()[resource.PropertyKey(key)]
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// boolAt reports whether the value at path in m is true.
func boolAt(m resource.PropertyMap, path ...string) bool {
	v := valueAt(m, path...)
	return v.IsBool() && v.BoolValue()
}

// DefaultKubernetesVersion is the Kubernetes version AKS gives a cluster
// created without kubernetesVersion, as the simulation plays it: the cluster
// holds no version of its own then, and its ARM GET reports this one
// (kubernetesVersion, currentKubernetesVersion and each pool's
// orchestratorVersion), as do the version rules of a network update. The
// value is the simulation's choice, a version AKS supported in 2026.
const DefaultKubernetesVersion = "1.32.7"

// currentVersion is the Kubernetes version the cluster runs: its
// kubernetesVersion, or DefaultKubernetesVersion.
func currentVersion(cluster resource.PropertyMap) string {
	if v := str(cluster, "kubernetesVersion"); v != "" {
		return v
	}
	return DefaultKubernetesVersion
}

// versionBelow reports whether version (MAJOR.MINOR[.PATCH]) is below
// major.minor; a version that does not parse is not.
func versionBelow(version string, major, minor int) bool {
	v, ok := parseVersion(version)
	return ok && (v[0] < major || v[0] == major && v[1] < minor)
}

// network is the part of a cluster's network profile that AKS's in-place
// network updates turn on, in lower case: the plugin (kubenet when none is
// given), the plugin mode, the network policy (none when none is given) and
// the data plane (azure when none is given).
type network struct{ plugin, mode, policy, dataplane string }

// networkOf is the network of a cluster's network profile np.
func networkOf(np resource.PropertyMap) network {
	n := network{plugin: "kubenet", mode: strings.ToLower(str(np, "networkPluginMode")), policy: "none", dataplane: "azure"}
	if !kubenet(np) {
		n.plugin = strings.ToLower(str(np, "networkPlugin"))
	}
	if p := str(np, "networkPolicy"); p != "" {
		n.policy = strings.ToLower(p)
	}
	if d := str(np, "networkDataplane"); d != "" {
		n.dataplane = strings.ToLower(d)
	}
	return n
}

func (n network) kubenet() bool { return n.plugin == "kubenet" }
func (n network) overlay() bool { return n.plugin == "azure" && n.mode == "overlay" }

// networkProfileOf is the networkProfile input of a cluster's inputs, or an
// empty one.
func networkProfileOf(in resource.PropertyMap) resource.PropertyMap {
	np, _ := in["networkProfile"].V.(resource.PropertyMap)
	if np == nil {
		return resource.PropertyMap{}
	}
	return np
}

// networkBackfilled are the network profile's settings that a cluster PUT
// leaving them out keeps: an omitted networkPolicy is the cluster's (AKS's
// PUT semantics, Azure/azure-cli-extensions#6809 review;
// azure-native-replace.md §4), and so, inferred, are the others; a full
// PUT built from a GET carries them all anyway.
var networkBackfilled = []resource.PropertyKey{
	"networkPlugin", "networkPluginMode", "networkPolicy", "networkDataplane", "podCidr", "podCidrs",
	"serviceCidr", "serviceCidrs", "dnsServiceIP", "outboundType", "loadBalancerSku", "ipFamilies",
}

// withNetworkBackfilled returns the inputs in of an update of the cluster
// existing with the network settings it leaves out taken from the cluster
// (networkBackfilled; the whole profile when it has none), and podCidrs
// following podCidr: a list that still names the cluster's pod range while
// podCidr moves is AKS's to fill anew (fillNetworkProfile).
func withNetworkBackfilled(existing *Resource, in resource.PropertyMap) resource.PropertyMap {
	old := networkProfileOf(resource.PropertyMap(existing.Properties))
	if len(old) == 0 {
		return in
	}
	np := networkProfileOf(in).Copy()
	for _, key := range networkBackfilled {
		if !np.HasValue(key) && old.HasValue(key) {
			np[key] = old[key]
		}
	}
	if str(np, "podCidr") != str(old, "podCidr") && np["podCidrs"].DeepEquals(old["podCidrs"]) {
		delete(np, "podCidrs")
	}
	out := in.Copy()
	out["networkProfile"] = resource.NewProperty(np)
	return out
}

// networkFixed are the network settings AKS cannot change on a running
// cluster, each with the value AKS takes when the cluster has none
// (aks-rules 3.7): the service range and DNS address (overlay-migration.md §2.2, §4.2:
// "Immutable"), the IP families and the load balancer's SKU (§2.2:
// unchanged by the migration). The refusal's code and words are inferred:
// AKS's PropertyChangeNotAllowed, as for a pool (checkPoolChange). The
// outbound type is not among them: it changes in place (aks-rules 5.9).
var networkFixed = []struct{ key, unset string }{
	{"serviceCidr", "10.0.0.0/16"}, {"dnsServiceIP", "10.0.0.10"}, {"ipFamilies", "IPv4"}, {"loadBalancerSku", "standard"},
}

// checkNetworkChange makes AKS's checks of an update of the network of the
// cluster existing to inputs in (backfilled, withNetworkBackfilled): the
// plugin moves from kubenet to Azure CNI Overlay only, one way
// (checkPluginChange); the fixed settings and the pod range stay
// (checkFixedNetwork); the move's preconditions hold (checkOverlayMove); the
// data plane (checkDataplaneChange) and the network policy
// (checkPolicyChange) change only as AKS lets them.
func (c *Cloud) checkNetworkChange(existing *Resource, in resource.PropertyMap) error {
	old, np := networkProfileOf(resource.PropertyMap(existing.Properties)), networkProfileOf(in)
	was, now := networkOf(old), networkOf(np)
	if err := checkPluginChange(existing.ID, was, now); err != nil {
		return err
	}
	if err := checkFixedNetwork(existing.ID, old, np, was, now); err != nil {
		return err
	}
	version := currentVersion(resource.PropertyMap(existing.Properties))
	if was.kubenet() && now.overlay() {
		if err := c.checkOverlayMove(existing, in, was, now, version); err != nil {
			return err
		}
	}
	if err := checkDataplaneChange(existing.ID, was, now); err != nil {
		return err
	}
	return checkPolicyChange(existing.ID, was, now, version)
}

// checkPluginChange refuses a change of the network plugin other than
// kubenet to Azure CNI Overlay (networkPlugin azure with networkPluginMode
// overlay, in one PUT: overlay-migration.md P1, §2.2), and any way back
// from Overlay (P2: "a one-way, irreversible operation"). The codes and
// words are inferred, but for kubenet with networkPluginMode overlay, whose
// refusal AKS answers in these words (§7, Azure/AKS#5662).
func checkPluginChange(id string, was, now network) error {
	switch {
	case was.overlay() && !now.overlay():
		return refusal("PropertyChangeNotAllowed", "Changing property 'networkProfile.networkPlugin' is not allowed: updating to Azure CNI Overlay is one-way "+
			"(cluster %s: %s/%s to %s/%s)", id, was.plugin, was.mode, now.plugin, now.mode)
	case now.kubenet() && now.mode == "overlay":
		return refusal("UnsupportedNetworkPluginModeWithNetworkPlugin", "NetworkPluginMode overlay is not supported with NetworkPlugin kubenet. Target: networkProfile.networkpluginMode")
	case was.kubenet() && !now.kubenet() && !now.overlay():
		return refusal("BadRequest", "A kubenet cluster can only be updated to Azure CNI Overlay: networkPlugin azure with networkPluginMode overlay "+
			"(cluster %s: networkPlugin %s, networkPluginMode %q). Target: networkProfile.networkPluginMode", id, now.plugin, now.mode)
	}
	return nil
}

// checkFixedNetwork refuses an update that changes a setting of
// networkFixed, or the pod range but as AKS lets it: any new range on the
// move from kubenet to Overlay (overlay-migration.md P11; the reserved
// ranges are checkOverlayPodCIDR's), on Overlay a range that holds the
// current one (the expansion of azure-cni-overlay-pod-expand.md, §4.1), on
// kubenet none. Codes and words inferred, as for networkFixed.
func checkFixedNetwork(id string, old, np resource.PropertyMap, was, now network) error {
	for _, f := range networkFixed {
		if a, b := fixedValue(old, f.key, f.unset), fixedValue(np, f.key, f.unset); !strings.EqualFold(a, b) {
			return refusal("PropertyChangeNotAllowed", "Changing property 'networkProfile.%s' is not allowed (cluster %s: %q to %q)", f.key, id, a, b)
		}
	}
	a, b := fixedValue(old, "podCidr", "10.244.0.0/16"), fixedValue(np, "podCidr", "10.244.0.0/16")
	if a == b || was.kubenet() && now.overlay() || was.overlay() && expands(a, b) {
		return nil
	}
	return refusal("PropertyChangeNotAllowed", "Changing property 'networkProfile.podCidr' is not allowed (cluster %s: %q to %q)", id, a, b)
}

// expands reports whether the range to holds the range from and is larger.
func expands(from, to string) bool {
	f, err1 := netip.ParsePrefix(from)
	t, err2 := netip.ParsePrefix(to)
	return err1 == nil && err2 == nil && t.Bits() < f.Bits() && t.Contains(f.Addr())
}

// checkOverlayMove makes AKS's checks of the move of the cluster existing
// from kubenet to Azure CNI Overlay with inputs in, the cluster at version:
//   - a user-assigned identity, which AKS needs to detach the route table
//     (overlay-migration.md P9, §3.1; aks-rules 8.3);
//   - Kubernetes 1.27 or later (P3; aks-rules 8.2);
//   - the data plane unchanged (P17, §5: "The IPAM mode and the data plane
//     can't be updated in a single operation");
//   - no network policy, before or after (P4: "This scenario is now
//     blocked"); the words are the shape of Azure CNI's refusal
//     (ValidationError, Azure/AKS#4006);
//   - a route table that no subnet but the cluster's own uses
//     (MicrosoftDocs/azure-aks-docs#334, P16: the move failed "with a
//     custom-route-table error").
//
// The codes and words are inferred, the documentation quoted where it has
// words.
func (c *Cloud) checkOverlayMove(existing *Resource, in resource.PropertyMap, was, now network, version string) error {
	identity, _ := valueAt(in, "identity").V.(resource.PropertyMap)
	switch {
	case !strings.Contains(strings.ToLower(str(identity, "type")), "userassigned"):
		return refusal("BadRequest", "Updating a kubenet cluster to Azure CNI Overlay needs a user-assigned managed identity to detach its route table; "+
			"identity type %q is not supported (cluster %s)", str(identity, "type"), existing.ID)
	case versionBelow(version, 1, 27):
		return refusal("BadRequest", "Updating a kubenet cluster to Azure CNI Overlay needs Kubernetes 1.27 or later; cluster %s runs %s", existing.ID, version)
	case now.dataplane != was.dataplane:
		return refusal("BadRequest", "The IPAM mode and the data plane can't be updated in a single operation: update to Azure CNI Overlay first, "+
			"then the data plane (cluster %s: networkDataplane %s to %s)", existing.ID, was.dataplane, now.dataplane)
	case was.policy != "none" || now.policy != "none":
		return refusal("ValidationError", "Cannot update cluster to Azure CNI Overlay while using network policies: set networkProfile.networkPolicy none first "+
			"(cluster %s: networkPolicy %s to %s)", existing.ID, was.policy, now.policy)
	}
	return c.checkRouteTableNotShared(existing)
}

// checkRouteTableNotShared refuses the move of the cluster to Overlay when
// the route table of one of its node subnets is associated with a subnet
// the cluster has no pool in (MicrosoftDocs/azure-aks-docs#334, which
// names no code: the code and words are the simulation's, inferred).
func (c *Cloud) checkRouteTableNotShared(cluster *Resource) error {
	own := c.clusterSubnets(cluster)
	for _, table := range c.clusterRouteTables(cluster) {
		for _, s := range c.Find(Subnet) {
			if strings.EqualFold(refID(resource.PropertyMap(s.Properties), "routeTable"), table) &&
				!slices.ContainsFunc(own, func(id string) bool { return strings.EqualFold(id, s.ID) }) {
				return refusal("CustomRouteTableSharedWithOtherSubnets", "Custom route table %s is associated with subnet %s, which is not a node subnet of cluster %s: "+
					"the route table must be used by the cluster's node subnets only to update to Azure CNI Overlay", table, s.ID, cluster.ID)
			}
		}
	}
	return nil
}

// clusterRouteTables are the ids of the route tables of the cluster's node
// subnets, each once.
func (c *Cloud) clusterRouteTables(cluster *Resource) []string {
	var out []string
	for _, subnetID := range c.clusterSubnets(cluster) {
		s := c.Get(subnetID)
		if s == nil {
			continue
		}
		if t := refID(resource.PropertyMap(s.Properties), "routeTable"); t != "" && !slices.ContainsFunc(out, func(id string) bool { return strings.EqualFold(id, t) }) {
			out = append(out, t)
		}
	}
	return out
}

// checkDataplaneChange refuses a change of the data plane AKS does not make
// (overlay-migration.md §5; aks-rules 10.10): Cilium only on Overlay
// ("Kubenet clusters can't update the data plane directly to Cilium") and
// with network policy cilium in the same PUT, which AKS refuses in these
// words (MicrosoftDocs/azure-aks-docs#264); network policy cilium only
// with the Cilium data plane (the ARM enum's "requires networkDataplane to
// be 'cilium'"); and no way back from Cilium (inferred: the update is
// documented one way). Codes and words inferred, but #264's.
func checkDataplaneChange(id string, was, now network) error {
	switch {
	case was.dataplane == "cilium" && now.dataplane != "cilium":
		return refusal("PropertyChangeNotAllowed", "Changing property 'networkProfile.networkDataplane' from cilium to %s is not allowed (cluster %s)", now.dataplane, id)
	case now.dataplane == "cilium" && was.dataplane != "cilium" && !now.overlay():
		return refusal("BadRequest", "Kubenet clusters can't update the data plane directly to Cilium: update to Azure CNI Overlay first (cluster %s)", id)
	case now.dataplane == "cilium" && now.policy != "cilium":
		return refusal("BadRequest", "Cilium dataplane requires network policy cilium. Target: networkProfile.networkPolicy")
	case now.policy == "cilium" && now.dataplane != "cilium":
		return refusal("BadRequest", "Network policy cilium requires networkDataplane cilium (cluster %s). Target: networkProfile.networkDataplane", id)
	}
	return nil
}

// checkPolicyChange refuses a change of the network policy engine between
// none, calico and azure that AKS does not make (overlay-migration.md §5):
// below Kubernetes 1.30 any install or uninstall (P5, the release of
// 2026-05-29), and a switch from one engine to the other without going
// through none. The Cilium step, which replaces the engine, is
// checkDataplaneChange's. Codes and words inferred.
func checkPolicyChange(id string, was, now network, version string) error {
	if was.policy == now.policy || was.policy == "cilium" || now.policy == "cilium" {
		return nil
	}
	if versionBelow(version, 1, 30) {
		return refusal("BadRequest", "Installing or uninstalling network policy %s needs Kubernetes 1.30 or later; cluster %s runs %s. Target: networkProfile.networkPolicy",
			policyChanged(was, now), id, version)
	}
	if was.policy != "none" && now.policy != "none" {
		return refusal("BadRequest", "Changing network policy %s to %s is not allowed: set networkProfile.networkPolicy none first (cluster %s). Target: networkProfile.networkPolicy",
			was.policy, now.policy, id)
	}
	return nil
}

// policyChanged is the engine an install or an uninstall is about.
func policyChanged(was, now network) string {
	if now.policy == "none" {
		return was.policy
	}
	return now.policy
}

// applyNetworkChange plays what AKS does after it accepts an update of the
// cluster from existing to r, urn asking: the move to Overlay deletes the
// node routes AKS wrote in the cluster's route tables, the user's routes
// and the subnets' association staying (overlay-migration.md §3.1, §3.2;
// aks-rules 8.3), and reimages every pool (P10); a network policy
// installed or uninstalled (use-network-policies, §5) and the Cilium data
// plane (§5) reimage every pool too.
func (c *Cloud) applyNetworkChange(existing, r *Resource, urn string) {
	was := networkOf(networkProfileOf(resource.PropertyMap(existing.Properties)))
	now := networkOf(networkProfileOf(resource.PropertyMap(r.Properties)))
	if was.kubenet() && now.overlay() {
		for _, table := range c.clusterRouteTables(r) {
			for _, route := range c.RoutesOf(table) {
				if route.By == "aks" {
					delete(c.Resources, strings.ToLower(route.ID))
				}
			}
		}
	}
	if was.plugin != now.plugin || was.policy != now.policy || was.dataplane != now.dataplane {
		for _, p := range c.poolsOf(r) {
			c.Log = append(c.Log, Operation{Op: "reimage", Type: AgentPool, ID: r.ID + "/agentPools/" + p.name, URN: urn})
		}
	}
}

// Reimages returns how many times AKS reimaged the pool with ARM id poolID
// (a pool made with its cluster has the id of an AgentPool of that name):
// the "reimage" operations of the log, which a network update that needs
// new nodes records for every pool of the cluster (applyNetworkChange).
func (c *Cloud) Reimages(poolID string) int {
	n := 0
	for _, op := range c.Log {
		if op.Op == "reimage" && strings.EqualFold(op.ID, poolID) {
			n++
		}
	}
	return n
}
