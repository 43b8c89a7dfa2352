package azuresim

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// networkContributor is the id of the built-in Network Contributor role.
const networkContributor = "4d97b98b-1d4f-4787-a291-c67834d212e7"

// ID returns the ARM id of a resource of type typ with inputs in.
func (c *Cloud) ID(typ string, in resource.PropertyMap) (string, error) {
	id, _, err := armID(c.Subscription, typ, in)
	return id, err
}

// Put creates (create) or updates the resource of type typ with inputs in, as
// an ARM PUT does, after the checks Azure makes; urn is the Pulumi resource
// that asks, logged with the operation. A create of an id that exists fails,
// as azure-native refuses to adopt a resource it did not create. An update
// of a cluster keeps the network settings it leaves out, and changes the
// network only as AKS does in place (checkNetworkChange,
// applyNetworkChange).
func (c *Cloud) Put(typ, urn string, in resource.PropertyMap, create bool) (*Resource, error) {
	id, parent, err := armID(c.Subscription, typ, in)
	if err != nil {
		return nil, err
	}
	existing := c.Get(id)
	k := kinds[typ]
	switch {
	case create && existing != nil:
		return nil, alreadyExists(id)
	case !create && existing == nil && k.inlineKey != "":
		// An update is a PUT, which recreates what is gone, but for the
		// types whose unset sub-resources azure-native keeps: it reads them
		// first (MaintainSubResourcePropertiesIfNotSet; faults.md §1.2).
		return nil, fmt.Errorf("failed maintaining unset sub-resource properties: reading cloud state: %w",
			refusal("ResourceNotFound", "The Resource '%s' under resource group '%s' was not found", id, str(in, "resourceGroupName")))
	}
	if parent != "" && c.Get(parent) == nil {
		if typ == RoleAssignment {
			return nil, refusal("InvalidScope", "the scope %q of role assignment %q does not exist", parent, id)
		}
		if strings.Count(parent, "/") == 4 {
			return nil, refusal("ResourceGroupNotFound", "Resource group '%s' could not be found", lastSegment(parent))
		}
		return nil, refusal("ParentResourceNotFound", "cannot create %q: its parent %q does not exist", id, parent)
	}
	if cluster := aksCluster(typ, id); cluster != "" && c.Get(cluster) != nil {
		if err := c.checkNotBusy(cluster); err != nil {
			c.Log = append(c.Log, Operation{Op: "refused", Type: typ, ID: id, URN: urn, Code: "OperationNotAllowed"})
			return nil, err
		}
	}
	if existing != nil && !sameLocation(str(resource.PropertyMap(existing.Properties), "location"), str(in, "location")) {
		return nil, invalidLocation(existing, str(in, "location"))
	}
	if typ == RoleAssignment && existing != nil && !roleAssignmentUnchanged(resource.PropertyMap(existing.Properties), in) {
		// azure-native v2 plans an update for a new roleDefinitionId
		// (forceNewMap has principalId and scope only); ARM refuses any
		// change of an existing assignment's substance, in these words
		// (Azure/Azure-Landing-Zones#2040, microsoft/finops-toolkit#1702).
		return nil, refusal("RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
	}
	if typ == ManagedCluster && existing != nil {
		in = withNetworkBackfilled(existing, in)
	}
	if err := c.check(typ, id, in); err != nil {
		return nil, err
	}
	switch {
	case typ == ManagedCluster && existing != nil:
		if err := checkClusterChange(existing, in); err != nil {
			return nil, err
		}
		if err := c.checkNetworkChange(existing, in); err != nil {
			return nil, err
		}
		if err := c.checkPoolProfiles(existing, in); err != nil {
			return nil, err
		}
	case typ == AgentPool:
		if err := c.checkAgentPool(id, parent, in, existing); err != nil {
			return nil, err
		}
	}

	props := in.Copy()
	if typ == ManagedCluster && existing != nil {
		// The pools the update lists take its settings, AgentPools
		// included; the cluster keeps the ones made with it.
		if own := c.updatePools(existing, in); len(own) > 0 || in.HasValue("agentPoolProfiles") {
			props["agentPoolProfiles"] = resource.NewProperty(own)
		}
	}
	inline, hasInline := props[resource.PropertyKey(k.inlineKey)]
	if k.inlineKey != "" {
		delete(props, resource.PropertyKey(k.inlineKey))
	}
	if typ == ManagedCluster {
		fillNetworkProfile(props)
	}
	r := &Resource{ID: id, Type: typ, URN: urn, By: "pulumi", Properties: Properties(props)}
	if existing != nil {
		r.Computed = Properties(resource.PropertyMap(existing.Computed).Copy())
		if typ == ManagedCluster {
			// What AKS adds inside the profiles follows the new inputs: an
			// add-on turned on gets its identity, the issuer its URL.
			for _, k := range clusterFilledKeys {
				delete(r.Computed, resource.PropertyKey(k))
			}
			for k, v := range clusterFilled(id, in) {
				r.Computed[k] = v
			}
		}
	} else {
		r.Computed = Properties(computed(typ, id, in))
	}
	if typ == AzureFirewall {
		r.Computed["ipConfigurations"] = c.firewallIPConfigurations(id, in)
	}
	c.put(r)
	if hasInline && inline.IsArray() {
		c.replaceChildren(r, k, inline.ArrayValue())
	}
	op := "update"
	if create {
		op = "create"
	}
	c.Log = append(c.Log, Operation{Op: op, Type: typ, ID: id, URN: urn})
	if typ == ManagedCluster && existing != nil {
		c.applyNetworkChange(existing, r, urn)
	}
	return r, nil
}

// roleAssignmentUnchanged reports whether a PUT of a role assignment with
// inputs in keeps the existing one's principal, scope and role.
func roleAssignmentUnchanged(old, in resource.PropertyMap) bool {
	for _, key := range []string{"principalId", "scope", "roleDefinitionId"} {
		if !strings.EqualFold(str(old, key), str(in, key)) {
			return false
		}
	}
	return true
}

// sameLocation reports whether two locations are the same region: ARM and
// azure-native compare them without case and spaces ("West Europe" is
// westeurope; azure-native provider/pkg/provider/diff.go
// applyAzureSpecificDiff, normalizedLocation).
func sameLocation(a, b string) bool {
	return normalizedLocation(a) == normalizedLocation(b)
}

func normalizedLocation(l string) string { return strings.ToLower(strings.ReplaceAll(l, " ", "")) }

// invalidLocation is ARM's refusal of a PUT that moves the existing resource
// to another location: a resource cannot move, and azure-native v2 plans an
// update (not a replacement) for a location change of a type whose location
// is neither in its forceNewMap nor create-only in the spec (a route table,
// a firewall, a firewall policy, an NSG), which ARM then refuses with
// InvalidResourceLocation, in the words of ARM's message as users quote it
// (MicrosoftDocs/azure-docs#53676: "The resource '...' already exists in
// location 'northeurope' in resource group '...'. A resource with the same
// name cannot be created in location 'centralus'. Please select a new
// resource name.").
func invalidLocation(existing *Resource, location string) error {
	p := resource.PropertyMap(existing.Properties)
	return refusal("InvalidResourceLocation", "The resource '%s' already exists in location '%s' in resource group '%s'. A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
		lastSegment(existing.ID), str(p, "location"), str(p, "resourceGroupName"), location)
}

// replaceChildren makes the declared sub-resources the only ones of parent,
// as a PUT that lists them does (aks-rules 9.3): the others, AKS's included,
// are gone.
func (c *Cloud) replaceChildren(parent *Resource, k kind, items []resource.PropertyValue) {
	for _, child := range c.Children(parent.ID, k.inlineType) {
		delete(c.Resources, strings.ToLower(child.ID))
	}
	ck := kinds[k.inlineType]
	for _, item := range items {
		if !item.IsObject() {
			continue
		}
		props := item.ObjectValue().Copy()
		name := str(props, "name")
		delete(props, "name")
		props[resource.PropertyKey(ck.NameKey)] = resource.NewProperty(name)
		props["resourceGroupName"] = parent.Properties["resourceGroupName"]
		props[resource.PropertyKey(ck.ParentKeys[0])] = resource.NewProperty(lastSegment(parent.ID))
		id, _, err := armID(c.Subscription, k.inlineType, props)
		if err != nil {
			continue
		}
		c.put(&Resource{ID: id, Type: k.inlineType, By: "pulumi", Properties: Properties(props), Computed: Properties(computed(k.inlineType, id, props))})
	}
}

// check makes the type-specific checks Azure makes before it accepts a PUT.
func (c *Cloud) check(typ, id string, in resource.PropertyMap) error {
	switch typ {
	case Subnet:
		for _, ref := range []string{"routeTable", "networkSecurityGroup"} {
			if target := refID(in, ref); target != "" && c.Get(target) == nil {
				return refusal("InvalidResourceReference", "%s %q referenced by subnet %q was not found", ref, target, id)
			}
		}
	case Route:
		return c.checkRoutePrefix(id, in)
	case RouteTable:
		// A table PUT that lists routes is refused the same way when two of
		// them share a prefix.
		seen := map[string]string{}
		routes, _ := in["routes"].V.([]resource.PropertyValue)
		for _, v := range routes {
			route, _ := v.V.(resource.PropertyMap)
			prefix := str(route, "addressPrefix")
			if other, ok := seen[prefix]; ok {
				return refusal("RouteConflict", "Route: %s conflicts with Route: %s. Routes cannot have the same AddressPrefix (%s in route table %s)",
					str(route, "name"), other, prefix, id)
			}
			seen[prefix] = str(route, "name")
		}
	case AzureFirewall:
		return c.checkFirewall(id, in)
	case VirtualNetworkPeering:
		if remote := refID(in, "remoteVirtualNetwork"); c.Get(remote) == nil {
			return refusal("InvalidGlobalResourceReference", "Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists", remote, id)
		}
	case RoleAssignment:
		return c.checkPrincipal(in)
	case ManagedCluster:
		return c.checkCluster(id, in)
	}
	return nil
}

// checkRoutePrefix refuses a route whose address prefix another route of the
// same table already has, whoever made that one (a route of the program's,
// one of AKS's node routes): Azure answers RouteConflict, naming both routes
// (aks-rules 6.4, "same prefix can't appear twice in a table"). A PUT of the
// route that holds the prefix, changing its next hop, is no conflict.
func (c *Cloud) checkRoutePrefix(id string, in resource.PropertyMap) error {
	prefix := str(in, "addressPrefix")
	table := id[:strings.LastIndex(strings.ToLower(id), "/routes/")]
	for _, other := range c.Children(table, Route) {
		if !strings.EqualFold(other.ID, id) && strings.EqualFold(str(resource.PropertyMap(other.Properties), "addressPrefix"), prefix) {
			return refusal("RouteConflict", "Route: %s conflicts with Route: %s. Routes cannot have the same AddressPrefix (%s in route table %s)",
				lastSegment(id), lastSegment(other.ID), prefix, table)
		}
	}
	return nil
}

// checkFirewall makes Azure Firewall's create-time checks: the first IP
// configuration places the firewall in its subnet, which must exist and be
// named AzureFirewallSubnet (aks-rules 7.1); no other configuration names a
// subnet; every public IP and the policy it references exist. The wrong
// subnet name's error code is the simulation's own; the others are Azure's.
func (c *Cloud) checkFirewall(id string, in resource.PropertyMap) error {
	configs := firewallIPConfigs(in)
	if len(configs) == 0 || refID(configs[0], "subnet") == "" {
		return refusal("MissingJsonReferenceId", "Value for reference id is missing. Path properties.ipConfigurations[0].properties.subnet (Azure Firewall %s)", id)
	}
	subnetID := refID(configs[0], "subnet")
	if c.Get(subnetID) == nil {
		return refusal("InvalidResourceReference", "Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists", subnetID, id)
	}
	if name := lastSegment(subnetID); !strings.EqualFold(name, FirewallSubnetName) {
		return refusal("AzureFirewallSubnetNameInvalid", "Azure Firewall %s must be placed in a subnet named %s; subnet %s is named %s", id, FirewallSubnetName, subnetID, name)
	}
	for i, config := range configs {
		if i > 0 && refID(config, "subnet") != "" {
			return refusal("AzureFirewallMultipleSubnetReferences", "Azure Firewall %s cannot have more than one subnet reference, please ensure only one IpConfiguration contains a subnet reference", id)
		}
		if pip := refID(config, "publicIPAddress"); pip != "" && c.Get(pip) == nil {
			return refusal("InvalidResourceReference", "Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists", pip, id)
		}
	}
	if policy := refID(in, "firewallPolicy"); policy != "" && c.Get(policy) == nil {
		return refusal("InvalidResourceReference", "Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists", policy, id)
	}
	return nil
}

// firewallIPConfigs are the firewall's ipConfigurations inputs.
func firewallIPConfigs(in resource.PropertyMap) []resource.PropertyMap {
	var out []resource.PropertyMap
	list, _ := in["ipConfigurations"].V.([]resource.PropertyValue)
	for _, v := range list {
		if m, ok := v.V.(resource.PropertyMap); ok {
			out = append(out, m)
		}
	}
	return out
}

// firewallIPConfigurations are the firewall's ipConfigurations as Azure
// returns them: the input list, each entry with its id, and the one that
// places the firewall in its subnet with the firewall's private IP, the first
// address Azure does not reserve in that subnet (the network address + 4:
// 10.0.2.4 for 10.0.2.0/26). The same subnet gives the same address on every
// PUT and read. The other entries carry a public IP only and no private IP,
// as in Azure.
func (c *Cloud) firewallIPConfigurations(id string, in resource.PropertyMap) resource.PropertyValue {
	var out []resource.PropertyValue
	for _, config := range firewallIPConfigs(in) {
		entry := config.Copy()
		entry["id"] = resource.NewProperty(id + "/azureFirewallIpConfigurations/" + str(config, "name"))
		entry["provisioningState"] = resource.NewProperty("Succeeded")
		if subnet := c.Get(refID(config, "subnet")); subnet != nil {
			if prefix, err := netip.ParsePrefix(str(resource.PropertyMap(subnet.Properties), "addressPrefix")); err == nil {
				entry["privateIPAddress"] = resource.NewProperty(nthHost(prefix, 4).String())
			}
		}
		out = append(out, resource.NewProperty(entry))
	}
	return resource.NewProperty(out)
}

// checkCluster makes AKS's checks of a kubenet cluster in a bring-your-own
// subnet with a custom route table, on every PUT: its identity holds its
// grants, its table has a default route (checkNodeSubnet, for each pool's
// subnet), and local accounts are disabled only with managed Entra ID.
func (c *Cloud) checkCluster(id string, in resource.PropertyMap) error {
	if boolAt(in, "disableLocalAccounts") && !boolAt(in, "aadProfile", "managed") {
		return refusal("BadRequest", "Since kubernetes version 1.25, disableLocalAccounts can only be set on Azure AD integration enabled cluster. Please integrate your cluster with AAD. (cluster %s)", id)
	}
	if err := checkOverlayPodCIDR(id, in); err != nil {
		return err
	}
	principals, err := c.principalsOf(id, in)
	if err != nil {
		return err
	}
	netProfile, _ := in["networkProfile"].V.(resource.PropertyMap)
	for _, pool := range profiles(in) {
		if subnetID := str(pool, "vnetSubnetID"); subnetID != "" {
			if err := c.checkNodeSubnet(principals, str(netProfile, "outboundType"), subnetID, str(pool, "name")); err != nil {
				return err
			}
		}
	}
	return nil
}

// principalsOf are the principals of the user-assigned identities of the
// cluster with id and inputs in; each identity must exist.
func (c *Cloud) principalsOf(id string, in resource.PropertyMap) ([]string, error) {
	ident, _ := in["identity"].V.(resource.PropertyMap)
	var principals []string
	if ids, ok := ident["userAssignedIdentities"]; ok && ids.IsArray() {
		for _, v := range ids.ArrayValue() {
			uami := c.Get(v.StringValue())
			if uami == nil {
				return nil, refusal("InvalidParameter", "user-assigned identity %q of cluster %q does not exist", v.StringValue(), id)
			}
			principals = append(principals, str(resource.PropertyMap(uami.Computed), "principalId"))
		}
	}
	return principals, nil
}

// checkNodeSubnet makes AKS's checks of the subnet with subnetID for the
// nodes of the pool named pool, of a cluster whose identities have
// principals and whose outbound type is outboundType: the subnet exists;
// when it has a route table, the cluster has a user-assigned identity that
// holds Network Contributor on the table and on the subnet, and with
// userDefinedRouting the table has a default route.
func (c *Cloud) checkNodeSubnet(principals []string, outboundType, subnetID, pool string) error {
	subnet := c.Get(subnetID)
	if subnet == nil {
		return refusal("InvalidParameter", "subnet %q of pool %q does not exist", subnetID, pool)
	}
	tableID := refID(resource.PropertyMap(subnet.Properties), "routeTable")
	if tableID == "" {
		return nil
	}
	if len(principals) == 0 {
		return refusal("CustomRouteTableWithUnsupportedMSIType", "Clusters using managed identity type SystemAssigned do not support bringing your own route table")
	}
	for _, principal := range principals {
		if !c.granted(principal, tableID) {
			return refusal("CustomRouteTableMissingPermission", "Managed identity or service principle must be given permission to read and write to custom route table %s", tableID)
		}
		if !c.granted(principal, subnetID) {
			return refusal("LinkedAuthorizationFailed", "the cluster identity %s has no permission to join subnet %s", principal, subnetID)
		}
	}
	if outboundType == "userDefinedRouting" && !c.hasDefaultRoute(tableID) {
		return refusal("RouteTableMissingDefaultRouteError", "Default route 0.0.0.0/0 missing from route table %s", tableID)
	}
	return nil
}

// granted reports whether principal holds Network Contributor on scope or on
// a scope above it.
func (c *Cloud) granted(principal, scope string) bool {
	for _, ra := range c.Find(RoleAssignment) {
		p := resource.PropertyMap(ra.Properties)
		if str(p, "principalId") != principal || !strings.HasSuffix(str(p, "roleDefinitionId"), "/"+networkContributor) {
			continue
		}
		if recent(ra.Created, c.Delays.RoleAssignmentPropagation) {
			continue // not in effect yet
		}
		at := strings.ToLower(str(p, "scope"))
		if s := strings.ToLower(scope); s == at || strings.HasPrefix(s, at+"/") {
			return true
		}
	}
	return false
}

func (c *Cloud) hasDefaultRoute(tableID string) bool {
	for _, r := range c.Children(tableID, Route) {
		if str(resource.PropertyMap(r.Properties), "addressPrefix") == "0.0.0.0/0" {
			return true
		}
	}
	return false
}

func (c *Cloud) identityByPrincipal(principal string) *Resource {
	for _, r := range c.Find(UserAssignedIdentity) {
		if strings.EqualFold(str(resource.PropertyMap(r.Computed), "principalId"), principal) {
			return r
		}
	}
	return nil
}

// refID is the id of the reference object under key ({id: ...}), or "".
func refID(m resource.PropertyMap, key string) string {
	ref, ok := m[resource.PropertyKey(key)]
	if !ok || !ref.IsObject() {
		return ""
	}
	return str(ref.ObjectValue(), "id")
}

// Delete deletes the resource with id as an ARM DELETE does, refusing what
// Azure refuses: a route table, NSG or subnet still in use (by a cluster's
// pool or a firewall), or a VNet holding such a subnet, and a public IP a
// firewall still uses. Deleting what does not exist succeeds, as azure-native
// treats a 404 on delete.
func (c *Cloud) Delete(typ, urn, id string) error {
	r := c.Get(id)
	if r == nil {
		return nil
	}
	if cluster := aksCluster(typ, r.ID); cluster != "" {
		if err := c.checkNotBusy(cluster); err != nil {
			return err
		}
	}
	switch typ {
	case RouteTable:
		for _, s := range c.Find(Subnet) {
			if strings.EqualFold(refID(resource.PropertyMap(s.Properties), "routeTable"), id) {
				return refusal("InUseRouteTableCannotBeDeleted", "Route table %s is in use by subnet %s", id, s.ID)
			}
		}
	case NetworkSecurityGroup:
		for _, sn := range c.Find(Subnet) {
			if strings.EqualFold(refID(resource.PropertyMap(sn.Properties), "networkSecurityGroup"), id) {
				return refusal("InUseNetworkSecurityGroupCannotBeDeleted", "Network security group %s is in use by subnet %s", id, sn.ID)
			}
		}
	case Subnet, VirtualNetwork:
		for subnet, user := range c.subnetUsers() {
			if strings.EqualFold(subnet, id) || strings.HasPrefix(strings.ToLower(subnet), strings.ToLower(id)+"/") {
				return refusal("InUseSubnetCannotBeDeleted", "Subnet %s is in use by %s", subnet, user)
			}
		}
	case PublicIPAddress:
		for _, fw := range c.Find(AzureFirewall) {
			for _, config := range firewallIPConfigs(resource.PropertyMap(fw.Properties)) {
				if strings.EqualFold(refID(config, "publicIPAddress"), id) {
					return refusal("PublicIPAddressCannotBeDeleted", "Public IP address %s can not be deleted since it is still allocated to resource %s", id, fw.ID)
				}
			}
		}
	}
	if err := c.Remove(id); err != nil {
		return err
	}
	c.Log = append(c.Log, Operation{Op: "delete", Type: typ, ID: r.ID, URN: urn})
	return nil
}

// subnetUsers are the subnets in use, each with what uses it: a cluster's
// pool, or a firewall placed in it.
func (c *Cloud) subnetUsers() map[string]string {
	users := map[string]string{}
	for _, cl := range c.Find(ManagedCluster) {
		for _, s := range c.clusterSubnets(cl) {
			users[s] = "cluster " + cl.ID
		}
	}
	for _, fw := range c.Find(AzureFirewall) {
		for _, config := range firewallIPConfigs(resource.PropertyMap(fw.Properties)) {
			if s := refID(config, "subnet"); s != "" {
				users[s] = "Azure Firewall " + fw.ID
			}
		}
	}
	return users
}

// clusterSubnets are the node subnets of a cluster's pools, its AgentPools
// included.
func (c *Cloud) clusterSubnets(cluster *Resource) []string {
	var out []string
	for _, p := range c.poolsOf(cluster) {
		if s := str(p.settings, "vnetSubnetID"); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ListUserCredentials answers listClusterUserCredential for the cluster
// resourceName in resourceGroup: its user kubeconfig in format (see
// UserKubeconfig), base64-encoded as ARM returns it.
func (c *Cloud) ListUserCredentials(resourceGroup, resourceName, format string) (string, error) {
	id, err := c.ID(ManagedCluster, resource.PropertyMap{
		"resourceGroupName": resource.NewProperty(resourceGroup),
		"resourceName":      resource.NewProperty(resourceName),
	})
	if err != nil {
		return "", err
	}
	r := c.Get(id)
	if r == nil {
		return "", refusal("ResourceNotFound", "the managed cluster %q was not found", id)
	}
	config, err := UserKubeconfig(r, format)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString([]byte(config)), nil
}

// ResourceGroup answers getResourceGroup: the group named name, or
// ResourceGroupNotFound.
func (c *Cloud) ResourceGroup(name string) (*Resource, error) {
	r := c.Get("/subscriptions/" + c.Subscription + "/resourceGroups/" + name)
	if r == nil {
		return nil, refusal("ResourceGroupNotFound", "Resource group '%s' could not be found", name)
	}
	return r, nil
}

// CreateGroup creates a resource group in subscription as someone other than
// Pulumi would (a platform team that pre-creates groups), and returns it.
func (c *Cloud) CreateGroup(subscription, name, location string) *Resource {
	in := resource.PropertyMap{"resourceGroupName": resource.NewProperty(name), "location": resource.NewProperty(location)}
	id, _, _ := armID(subscription, ResourceGroup, in)
	r := &Resource{ID: id, Type: ResourceGroup, By: "platform team", Properties: Properties(in), Computed: Properties(computed(ResourceGroup, id, in))}
	c.put(r)
	return r
}

// CreateHubNetwork creates, in subscription, a resource group and in it a VNet
// with addressSpace, as the team that owns a hub would before any stack peers
// with it (By "hub team"), and returns the VNet.
func (c *Cloud) CreateHubNetwork(subscription, group, vnet, location string, addressSpace ...string) *Resource {
	c.CreateGroup(subscription, group, location).By = "hub team"
	var prefixes []resource.PropertyValue
	for _, p := range addressSpace {
		prefixes = append(prefixes, resource.NewProperty(p))
	}
	in := resource.PropertyMap{
		"resourceGroupName":  resource.NewProperty(group),
		"virtualNetworkName": resource.NewProperty(vnet),
		"location":           resource.NewProperty(location),
		"addressSpace":       resource.NewProperty(resource.PropertyMap{"addressPrefixes": resource.NewProperty(prefixes)}),
	}
	id, _, _ := armID(subscription, VirtualNetwork, in)
	r := &Resource{ID: id, Type: VirtualNetwork, By: "hub team", Properties: Properties(in), Computed: Properties(computed(VirtualNetwork, id, in))}
	c.put(r)
	return r
}

// aksServerAppID is the application id of AKS's Entra ID server
// application, the audience kubelogin asks tokens for.
const aksServerAppID = "6dae42f8-4368-4678-94ff-3960e28e3630"

// UserKubeconfig is the user kubeconfig of cluster as
// listClusterUserCredential returns it in format: "" (AKS's default) or
// "azure" or "exec", compared without case; another format is refused, as
// AKS refuses it. Without managed Entra ID the format makes no difference:
// the user holds a token. With Entra ID, "exec" runs kubelogin and holds no
// credential; "azure" and the default are the azure auth provider, which
// kubectl 1.26 and later no longer has. Every form carries the cluster's
// certificate authority, unique to the cluster (ClusterCA), so that a test
// can look for it in Pulumi's state.
func UserKubeconfig(cluster *Resource, format string) (string, error) {
	if f := strings.ToLower(format); f != "" && f != "azure" && f != "exec" {
		return "", refusal("InvalidParameter", "format %q of listClusterUserCredential: want azure or exec", format)
	}
	fqdn := str(resource.PropertyMap(cluster.Computed), "fqdn")
	name := lastSegment(cluster.ID)
	user := "    token: simtoken-" + stableUUID("token", cluster.ID) + "\n"
	if boolAt(resource.PropertyMap(cluster.Properties), "aadProfile", "managed") {
		if strings.EqualFold(format, "exec") {
			user = fmt.Sprintf(`    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --environment, AzurePublicCloud, --server-id, %s, --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, %s, --login, devicecode]
`, aksServerAppID, TenantID)
		} else {
			user = fmt.Sprintf(`    auth-provider:
      name: azure
      config: {apiserver-id: %s, client-id: 80faf920-1908-4b52-b5ef-a8e7bedfc67a, tenant-id: %s, environment: AzurePublicCloud, config-mode: "1"}
`, aksServerAppID, TenantID)
		}
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    certificate-authority-data: %[3]s
    server: https://%[2]s:443
contexts:
- name: %[1]s
  context: {cluster: %[1]s, user: clusterUser_%[1]s}
current-context: %[1]s
users:
- name: clusterUser_%[1]s
  user:
%[4]s`, name, fqdn, ClusterCA(cluster), user), nil
}

// ClusterCA is the certificate-authority-data of the cluster's kubeconfig:
// base64 of a value unique to the cluster.
func ClusterCA(cluster *Resource) string {
	return base64.StdEncoding.EncodeToString([]byte("simca-" + stableUUID("ca", cluster.ID)))
}
