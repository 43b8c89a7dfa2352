package azuresim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// clusterTopLevel are the inputs of a cluster that ARM keeps beside its
// properties rather than in them.
var clusterTopLevel = []string{"location", "tags", "sku", "extendedLocation", "identity"}

// clusterReadOnly are the properties of a cluster ARM returns and ignores in
// a PUT, and poolReadOnly a pool's.
var (
	clusterReadOnly = []string{"provisioningState", "currentKubernetesVersion", "powerState", "maxAgentPools",
		"fqdn", "azurePortalFQDN", "privateFQDN", "resourceUID"}
	poolReadOnly = []string{"provisioningState", "currentOrchestratorVersion", "nodeImageVersion", "eTag"}
)

// clusterDefaults are the values AKS returns for a cluster that has none of
// its own, and poolDefaults a pool's (a Virtual Machine Scale Set, kubenet's
// 110 pods, the cluster's version). A PUT that carries one back, unchanged,
// sets nothing (dropDefaults), so that a GET then a PUT changes nothing.
func clusterDefaults() resource.PropertyMap {
	return resource.PropertyMap{"kubernetesVersion": resource.NewProperty(DefaultKubernetesVersion)}
}

func poolDefaults(version string) resource.PropertyMap {
	return resource.PropertyMap{
		"type":                resource.NewProperty("VirtualMachineScaleSets"),
		"maxPods":             resource.NewProperty(110.0),
		"orchestratorVersion": resource.NewProperty(version),
	}
}

// getCluster answers ManagedClustersClient.Get.
func (e armEndpoint) getCluster(ctx context.Context, _, _ string, _ *armcontainerservice.ManagedClustersClientGetOptions,
) (resp azfake.Responder[armcontainerservice.ManagedClustersClientGetResponse], errResp azfake.ErrorResponder) {
	id := idFrom(ctx)
	err := e.with(id, func(c *Cloud) error {
		r := c.Get(id)
		if r == nil || r.Type != ManagedCluster {
			return notFound("Microsoft.ContainerService/managedClusters", id)
		}
		mc, err := c.armCluster(r, c.clusterState(r))
		resp.SetResponse(http.StatusOK, armcontainerservice.ManagedClustersClientGetResponse{ManagedCluster: mc}, nil)
		return err
	})
	if err != nil {
		errResp.SetError(err)
	}
	return resp, errResp
}

// clusterState is the cluster's provisioningState: the AKS operation that
// runs on it (Updating), else its own (Succeeded, Failed).
func (c *Cloud) clusterState(r *Resource) string {
	if b, ok := c.Busy[strings.ToLower(r.ID)]; ok && time.Now().Before(b.Until) {
		if what, ok := strings.CutPrefix(b.What, "operation ("); ok {
			return strings.TrimSuffix(what, ")")
		}
	}
	return r.provisioningState()
}

// armCluster is the cluster r as ARM returns it, in provisioningState state:
// its id, name, type, location, tags, SKU and identity (armIdentity), its
// eTag (clusterETag), and its properties, which are its inputs and what AKS
// computed (its view, with every pool, and outputs), with
// currentKubernetesVersion and the defaults AKS reports (clusterDefaults,
// poolDefaults, each pool's currentOrchestratorVersion).
func (c *Cloud) armCluster(r *Resource, state string) (armcontainerservice.ManagedCluster, error) {
	outs := c.outputs(r)
	version := currentVersion(outs)
	props := plainMap(withDefaults(outs, clusterDefaults()))
	body := map[string]any{"id": r.ID, "name": lastSegment(r.ID), "type": "Microsoft.ContainerService/ManagedClusters", "eTag": c.clusterETag(r)}
	for _, key := range clusterTopLevel {
		if v, ok := props[key]; ok {
			body[key] = v
			delete(props, key)
		}
	}
	if v, ok := outs["identity"]; ok {
		body["identity"] = c.armIdentity(r.ID, v)
	}
	for _, key := range []string{"resourceGroupName", "resourceName", "name", "type"} {
		delete(props, key)
	}
	props["provisioningState"], props["currentKubernetesVersion"] = state, version
	var pools []any
	for _, p := range profiles(outs) {
		pool := plainMap(withDefaults(p, poolDefaults(version)))
		pool["currentOrchestratorVersion"] = pool["orchestratorVersion"]
		pools = append(pools, pool)
	}
	if pools != nil {
		props["agentPoolProfiles"] = pools
	}
	body["properties"] = props
	var mc armcontainerservice.ManagedCluster
	b, err := json.Marshal(body)
	if err != nil {
		return mc, fmt.Errorf("azuresim: cluster %s in ARM's shape: %w", r.ID, err)
	}
	if err := json.Unmarshal(b, &mc); err != nil {
		return mc, fmt.Errorf("azuresim: cluster %s in ARM's shape: %w", r.ID, err)
	}
	return mc, nil
}

// withDefaults is m with the values of defaults it has none of.
func withDefaults(m, defaults resource.PropertyMap) resource.PropertyMap {
	out := m.Copy()
	for k, v := range defaults {
		if !out.HasValue(k) {
			out[k] = v
		}
	}
	return out
}

// clusterETag is the cluster's eTag, quoted as ARM's: a hash of its view
// and of what AKS computed, so that it changes whenever the cluster does,
// its pools included, and not when nothing changed (an unchanged PUT keeps
// it). The provisioning state is not part of it.
func (c *Cloud) clusterETag(r *Resource) string {
	b, _ := json.Marshal([]any{plainMap(c.View(r)), plainMap(resource.PropertyMap(r.Computed))})
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:16]) + `"`
}

// armIdentity is the cluster identity v (inputs: type and the list of
// userAssignedIdentities) as ARM returns it: each user-assigned identity
// by its id with its principalId and clientId, and a system-assigned
// identity's principalId and tenantId.
func (c *Cloud) armIdentity(clusterID string, v resource.PropertyValue) map[string]any {
	in, _ := plain(v).(map[string]any)
	out := map[string]any{"type": in["type"]}
	if ids, ok := in["userAssignedIdentities"].([]any); ok {
		identities := map[string]any{}
		for _, id := range ids {
			s, _ := id.(string)
			entry := map[string]any{}
			if uami := c.Get(s); uami != nil {
				computed := resource.PropertyMap(uami.Computed)
				entry["principalId"], entry["clientId"] = str(computed, "principalId"), str(computed, "clientId")
			}
			identities[s] = entry
		}
		out["userAssignedIdentities"] = identities
	}
	if t, _ := in["type"].(string); strings.Contains(strings.ToLower(t), "systemassigned") {
		out["principalId"], out["tenantId"] = stableUUID("cluster-principal", clusterID), TenantID
	}
	return out
}

// clusterInputs is the ARM body mc of a PUT of the cluster existing in the
// shape of the cluster's inputs: its properties and what ARM keeps beside
// them (clusterTopLevel, the identity as a list of ids, in the cluster's
// order when it names the same ones), without what ARM and AKS fill in:
// the read-only properties, what the cluster's outputs hold beside its
// inputs or inside them (inputShape), and the defaults AKS reports that the
// cluster and its pools have no value of (dropDefaults).
func (c *Cloud) clusterInputs(existing *Resource, mc armcontainerservice.ManagedCluster) (resource.PropertyMap, error) {
	b, err := json.Marshal(mc)
	if err != nil {
		return nil, fmt.Errorf("azuresim: the PUT of %s: %w", existing.ID, err)
	}
	var body map[string]any
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, fmt.Errorf("azuresim: the PUT of %s: %w", existing.ID, err)
	}
	props, _ := body["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	for _, key := range clusterReadOnly {
		delete(props, key)
	}
	for _, key := range clusterTopLevel[:4] {
		if v, ok := body[key]; ok {
			props[key] = v
		}
	}
	in := resource.NewPropertyMapFromMap(props)
	if ident, ok := body["identity"].(map[string]any); ok {
		in["identity"] = identityInput(ident, resource.PropertyMap(existing.Properties))
	}
	in = inputShape(in, existing)
	c.dropDefaults(existing, in)
	old := resource.PropertyMap(existing.Properties)
	in["resourceGroupName"], in["resourceName"] = old["resourceGroupName"], old["resourceName"]
	return in, nil
}

// identityInput is the ARM identity ident in the shape of the inputs: its
// type and the ids of its user-assigned identities, in the order the
// cluster's inputs old list them when they are the same ones, sorted
// otherwise.
func identityInput(ident map[string]any, old resource.PropertyMap) resource.PropertyValue {
	out := resource.PropertyMap{}
	if t, ok := ident["type"].(string); ok {
		out["type"] = resource.NewProperty(t)
	}
	uai, _ := ident["userAssignedIdentities"].(map[string]any)
	if len(uai) == 0 {
		return resource.NewProperty(out)
	}
	var ids []string
	for id := range uai {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	list := valueAt(old, "identity", "userAssignedIdentities")
	if list.IsArray() && sameIDs(list.ArrayValue(), ids) {
		out["userAssignedIdentities"] = list
		return resource.NewProperty(out)
	}
	var values []resource.PropertyValue
	for _, id := range ids {
		values = append(values, resource.NewProperty(id))
	}
	out["userAssignedIdentities"] = resource.NewProperty(values)
	return resource.NewProperty(out)
}

// sameIDs reports whether list holds the ids ids, compared without case.
func sameIDs(list []resource.PropertyValue, ids []string) bool {
	if len(list) != len(ids) {
		return false
	}
	for _, v := range list {
		if !v.IsString() || !slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, v.StringValue()) }) {
			return false
		}
	}
	return true
}

// dropDefaults takes out of the cluster PUT's inputs in the read-only
// values of its pools, and the defaults AKS reports (clusterDefaults,
// poolDefaults) that the cluster existing, or the pool of the same name,
// has no value of and in carries unchanged.
func (c *Cloud) dropDefaults(existing *Resource, in resource.PropertyMap) {
	old := resource.PropertyMap(existing.Properties)
	dropUnchanged(in, old, clusterDefaults())
	defaults := poolDefaults(currentVersion(old))
	for _, entry := range profiles(in) {
		for _, key := range poolReadOnly {
			delete(entry, resource.PropertyKey(key))
		}
		if p, ok := c.poolNamed(existing, str(entry, "name")); ok {
			dropUnchanged(entry, p.settings, defaults)
		}
	}
}

// dropUnchanged deletes from m each key of defaults that old has no value
// of and m holds with the default value.
func dropUnchanged(m, old, defaults resource.PropertyMap) {
	for k, v := range defaults {
		if !old.HasValue(k) && m[k].DeepEquals(v) {
			delete(m, k)
		}
	}
}

// plain is v as JSON holds it: secrets as their values, nothing for a null
// or unknown value.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, item := range v.ArrayValue() {
			out = append(out, plain(item))
		}
		return out
	case v.IsString(), v.IsNumber(), v.IsBool():
		return v.V
	}
	return nil
}

// plainMap is m as a JSON object (plain), without its null values.
func plainMap(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if p := plain(v); p != nil {
			out[string(k)] = p
		}
	}
	return out
}

// getRouteTable answers RouteTablesClient.Get: the table with its routes
// (the program's and AKS's node routes, each with its prefix and next hop)
// and the ids of the subnets associated with it.
func (e armEndpoint) getRouteTable(ctx context.Context, _, _ string, _ *armnetwork.RouteTablesClientGetOptions,
) (resp azfake.Responder[armnetwork.RouteTablesClientGetResponse], errResp azfake.ErrorResponder) {
	id := idFrom(ctx)
	err := e.with(id, func(c *Cloud) error {
		r := c.Get(id)
		if r == nil || r.Type != RouteTable {
			return notFound("Microsoft.Network/routeTables", id)
		}
		resp.SetResponse(http.StatusOK, armnetwork.RouteTablesClientGetResponse{RouteTable: c.armRouteTable(r)}, nil)
		return nil
	})
	if err != nil {
		errResp.SetError(err)
	}
	return resp, errResp
}

// armRouteTable is the route table r as ARM returns it.
func (c *Cloud) armRouteTable(r *Resource) armnetwork.RouteTable {
	p := resource.PropertyMap(r.Properties)
	props := &armnetwork.RouteTablePropertiesFormat{
		ProvisioningState: to.Ptr(armnetwork.ProvisioningStateSucceeded),
		Routes:            []*armnetwork.Route{},
	}
	if v := p["disableBgpRoutePropagation"]; v.IsBool() {
		props.DisableBgpRoutePropagation = to.Ptr(v.BoolValue())
	}
	for _, route := range c.RoutesOf(r.ID) {
		rp := resource.PropertyMap(route.Properties)
		format := &armnetwork.RoutePropertiesFormat{
			AddressPrefix:     to.Ptr(str(rp, "addressPrefix")),
			NextHopType:       to.Ptr(armnetwork.RouteNextHopType(str(rp, "nextHopType"))),
			ProvisioningState: to.Ptr(armnetwork.ProvisioningStateSucceeded),
		}
		if hop := str(rp, "nextHopIpAddress"); hop != "" {
			format.NextHopIPAddress = to.Ptr(hop)
		}
		props.Routes = append(props.Routes, &armnetwork.Route{ID: to.Ptr(route.ID), Name: to.Ptr(lastSegment(route.ID)),
			Type: to.Ptr("Microsoft.Network/routeTables/routes"), Properties: format})
	}
	for _, s := range c.Find(Subnet) {
		if strings.EqualFold(refID(resource.PropertyMap(s.Properties), "routeTable"), r.ID) {
			props.Subnets = append(props.Subnets, &armnetwork.Subnet{ID: to.Ptr(s.ID)})
		}
	}
	return armnetwork.RouteTable{ID: to.Ptr(r.ID), Name: to.Ptr(lastSegment(r.ID)), Type: to.Ptr("Microsoft.Network/routeTables"),
		Location: to.Ptr(str(p, "location")), Tags: stringMap(p["tags"]), Properties: props}
}

// stringMap is the object v (tags) as a map of strings, nil when v is none.
func stringMap(v resource.PropertyValue) map[string]*string {
	m, ok := plain(v).(map[string]any)
	if !ok {
		return nil
	}
	out := map[string]*string{}
	for k, val := range m {
		out[k] = to.Ptr(fmt.Sprint(val))
	}
	return out
}

// getSubnet answers SubnetsClient.Get: the subnet's address prefix and the
// ids of its route table and NSG.
func (e armEndpoint) getSubnet(ctx context.Context, _, _, _ string, _ *armnetwork.SubnetsClientGetOptions,
) (resp azfake.Responder[armnetwork.SubnetsClientGetResponse], errResp azfake.ErrorResponder) {
	id := idFrom(ctx)
	err := e.with(id, func(c *Cloud) error {
		r := c.Get(id)
		if r == nil || r.Type != Subnet {
			return notFound("Microsoft.Network/virtualNetworks/subnets", id)
		}
		p := resource.PropertyMap(r.Properties)
		props := &armnetwork.SubnetPropertiesFormat{ProvisioningState: to.Ptr(armnetwork.ProvisioningStateSucceeded)}
		if prefix := str(p, "addressPrefix"); prefix != "" {
			props.AddressPrefix = to.Ptr(prefix)
		}
		if table := refID(p, "routeTable"); table != "" {
			props.RouteTable = &armnetwork.RouteTable{ID: to.Ptr(table)}
		}
		if nsg := refID(p, "networkSecurityGroup"); nsg != "" {
			props.NetworkSecurityGroup = &armnetwork.SecurityGroup{ID: to.Ptr(nsg)}
		}
		resp.SetResponse(http.StatusOK, armnetwork.SubnetsClientGetResponse{Subnet: armnetwork.Subnet{ID: to.Ptr(r.ID), Name: to.Ptr(lastSegment(r.ID)),
			Type: to.Ptr("Microsoft.Network/virtualNetworks/subnets"), Properties: props}}, nil)
		return nil
	})
	if err != nil {
		errResp.SetError(err)
	}
	return resp, errResp
}

// principalFilter is the $filter principalId eq '<id>'.
var principalFilter = regexp.MustCompile(`^principalId\s+eq\s+'([^']*)'$`)

// roleFilter is a role assignment list's $filter: atScope(), a principal,
// or both joined with "and".
type roleFilter struct {
	atScope   bool
	principal string
}

// parseRoleFilter reads a role assignment list's $filter.
func parseRoleFilter(filter string) (roleFilter, error) {
	var f roleFilter
	for _, part := range strings.Split(filter, " and ") {
		part = strings.TrimSpace(part)
		switch m := principalFilter.FindStringSubmatch(part); {
		case part == "":
		case part == "atScope()":
			f.atScope = true
		case m != nil:
			f.principal = m[1]
		default:
			return f, refusal("BadRequest", "azuresim: the $filter %q is not simulated: want atScope() or principalId eq '<id>'", filter)
		}
	}
	return f, nil
}

// listRoleAssignments answers RoleAssignmentsClient.NewListForScopePager as
// ARM does (the client's Filter option): the role assignments at the scope
// or above it, and below it too but with atScope(), of the principal of a
// principalId filter; each with its principal, role, scope and the
// principal's type. One page.
func (e armEndpoint) listRoleAssignments(scope string, o *armauthorization.RoleAssignmentsClientListForScopeOptions,
) (resp azfake.PagerResponder[armauthorization.RoleAssignmentsClientListForScopeResponse]) {
	scope = "/" + strings.TrimLeft(scope, "/")
	var filter roleFilter
	var page armauthorization.RoleAssignmentsClientListForScopeResponse
	err := e.with(scope, func(c *Cloud) error {
		var err error
		if o != nil && o.Filter != nil {
			if filter, err = parseRoleFilter(*o.Filter); err != nil {
				return err
			}
		}
		page.Value = c.roleAssignmentsFor(scope, filter)
		return nil
	})
	if err != nil {
		resp.AddError(err)
		return resp
	}
	resp.AddPage(http.StatusOK, page, nil)
	return resp
}

// roleAssignmentsFor are the role assignments listed for scope with filter,
// in ARM's shape.
func (c *Cloud) roleAssignmentsFor(scope string, filter roleFilter) []*armauthorization.RoleAssignment {
	out := []*armauthorization.RoleAssignment{}
	s := strings.ToLower(scope)
	for _, ra := range c.Find(RoleAssignment) {
		p := resource.PropertyMap(ra.Properties)
		at := strings.ToLower(str(p, "scope"))
		above := s == at || strings.HasPrefix(s, at+"/")
		below := strings.HasPrefix(at, s+"/")
		if !above && (filter.atScope || !below) || filter.principal != "" && !strings.EqualFold(filter.principal, str(p, "principalId")) {
			continue
		}
		typ := str(p, "principalType")
		if typ == "" {
			typ, _ = c.principalType(str(p, "principalId"))
		}
		out = append(out, &armauthorization.RoleAssignment{
			ID: to.Ptr(ra.ID), Name: to.Ptr(lastSegment(ra.ID)), Type: to.Ptr("Microsoft.Authorization/roleAssignments"),
			Properties: &armauthorization.RoleAssignmentProperties{
				PrincipalID: to.Ptr(str(p, "principalId")), RoleDefinitionID: to.Ptr(str(p, "roleDefinitionId")),
				Scope: to.Ptr(str(p, "scope")), PrincipalType: to.Ptr(armauthorization.PrincipalType(typ)),
			},
		})
	}
	return out
}
