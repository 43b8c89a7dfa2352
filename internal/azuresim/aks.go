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
