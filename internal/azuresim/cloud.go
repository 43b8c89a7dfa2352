// Package azuresim is a simulated Azure for the engine tests: the "cloud" the
// test provider plugin (pulumi-resource-azure-native in the folder of the same
// name) creates, reads, updates and deletes resources in, kept in one JSON file
// that the tests read and change behind Pulumi's back.
//
// It plays Azure Resource Manager for the resource types aks-kubenet uses, with
// the ARM behavior the program's design depends on:
//
//   - ids in Azure's exact shape (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/...),
//     in the subscription of the provider instance that makes them: an
//     explicit provider for a hub's subscription makes its resources there;
//   - the values Azure fills in, stable across reads: a public IP's address
//     (in 20.0.0.0/8, derived from its id), a firewall's private IP (its
//     subnet's network address + 4), a peering's state (Connected);
//   - a PUT replaces the whole resource: a subnet PUT without routeTable drops
//     the association (aks-rules 9.2);
//   - a route table PUT that declares routes replaces every route in the table,
//     AKS's node routes included (aks-rules 9.3), and one that declares none keeps
//     them, as azure-native v2 preserves unset sub-resources (aks-rules 9.4); the
//     same for a VNet and its subnets;
//   - Azure's refusals that bite when the order is wrong: no parent, a role
//     assignment for a principal that does not exist, a cluster whose identity
//     lacks its grants (CustomRouteTableMissingPermission, aks-rules 1.17) or
//     whose subnet's table has no default route (RouteTableMissingDefaultRouteError,
//     aks-rules 5.3), a firewall whose subnet, public IP or policy does not
//     exist or whose subnet is not AzureFirewallSubnet (aks-rules 7.1), a
//     peering whose remote VNet does not exist, a route table, subnet (a
//     cluster's or a firewall's) or public IP still in use;
//   - a second route for a prefix a table already routes (RouteConflict,
//     aks-rules 6.4): what a create-before-delete of a renamed route runs into;
//   - a directory of Entra principals (CreatePrincipal) besides the managed
//     identities: a role assignment, on a group's resource or on a cluster,
//     names an existing principal (PrincipalNotFound) of the principalType it
//     gives (UnmatchedPrincipalType);
//   - what AKS refuses of the security posture: local accounts disabled
//     without managed Entra ID, and on a running cluster a change of
//     apiServerAccessProfile.enablePrivateCluster, managed Entra ID or the
//     OIDC issuer turned off;
//   - what AKS adds inside the profiles the program declares, as outputs only
//     (the tenant, the OIDC issuer's URL, the add-ons' identities), and the
//     user kubeconfig in the format asked for (exec: kubelogin);
//   - what AKS fills into the network profile and returns on every GET
//     (podCidrs, serviceCidrs, ipFamilies; on Azure CNI Overlay the azure
//     data plane when none is given), which a refresh reads into the inputs
//     only once it changes: the provider's refresh copies the leaves that
//     changed in Azure since the last read, as azure-native's applyDiff does
//     (provider.go Read);
//   - azure-native v2.82's replace keys (kinds.go, Provider.Diff): its
//     forceNewMap, the names of it that recur one level down
//     (agentPoolProfiles[].networkProfile), location only where forceNewMap
//     or the spec makes it create-only (a route table's location change is
//     an update, which ARM refuses: InvalidResourceLocation), location
//     compared without case and spaces;
//   - Azure CNI Overlay: no node routes, and no pod range that overlaps a
//     range AKS reserves;
//   - node pools as AKS keeps them: an AgentPool lives under its cluster
//     (ParentResourceNotFound without it) in a subnet that exists and that
//     the cluster's identity may join; the cluster's GET lists every pool in
//     agentPoolProfiles, its AgentPools included, so a refresh of the cluster
//     reads them into its inputs; a cluster PUT updates the pools it lists,
//     leaves the others as they are, and is refused when it lists a pool the
//     cluster does not have ("A new agent pool was introduced"); an update
//     of a pool's VM size, zones, maxPods, OS, priority, eviction policy or
//     subnet, either way, is refused (PropertyChangeNotAllowed); deleting a
//     cluster deletes its pools.
//
// The same cloud answers the Azure SDK for Go (ClientOptions, armapi.go):
// a cluster's GET with its ETag and every pool, a full-object PUT of an
// existing cluster through the same checks as the provider's update, with
// If-Match (412 PreconditionFailed) and a long-running operation the
// client polls; a route table's GET with its routes and subnets; role
// assignments listed for a scope. On every update of a cluster, by either
// way in, AKS's in-place network changes are checked and made (aks.go):
// kubenet to Azure CNI Overlay, the network policy, the Cilium dataplane,
// each with the refusals AKS gives and the effects it has (its node routes
// removed, every pool reimaged).
//
// It also plays AKS after a cluster exists (WriteNodeRoutes, TagRouteTable,
// Autoscale, LabelSpotPools, AutoUpgrade, FillClusterDefaults), and other
// teams (CreateGroup, CreateHubNetwork, CreatePrincipal): those changes are
// made in the cloud only and are not Pulumi resources. Template deployments and maintenance
// configurations are stored, never run.
package azuresim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// CloudEnv is the environment variable that gives the provider plugin the path
// of the cloud file. The plugin refuses to start an operation without it.
const CloudEnv = "AZURESIM_CLOUD"

// Properties is a resource's properties in the shape of the azure-native SDK's
// inputs. Secrets keep their secret marking in the file, as the plaintext Azure
// itself holds.
type Properties resource.PropertyMap

// MarshalJSON writes the properties in Pulumi's wire form, secrets marked.
func (p Properties) MarshalJSON() ([]byte, error) {
	s, err := plugin.MarshalProperties(resource.PropertyMap(p), plugin.MarshalOptions{KeepSecrets: true})
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(s)
}

// UnmarshalJSON reads properties written by MarshalJSON.
func (p *Properties) UnmarshalJSON(b []byte) error {
	var s structpb.Struct
	if err := protojson.Unmarshal(b, &s); err != nil {
		return err
	}
	m, err := plugin.UnmarshalProperties(&s, plugin.MarshalOptions{KeepSecrets: true})
	if err != nil {
		return err
	}
	*p = Properties(m)
	return nil
}

// Resource is one resource in the simulated cloud.
type Resource struct {
	// ID is the ARM id, as Azure spells it.
	ID string `json:"id"`
	// Type is the azure-native type token, for example azure-native:network:Route.
	Type string `json:"type"`
	// URN is the Pulumi resource that created it; empty for resources AKS made
	// (node routes) or that came inline with their parent.
	URN string `json:"urn,omitempty"`
	// By is "pulumi" or "aks": who created the resource.
	By string `json:"by"`
	// Seq orders resources by creation, so a table's routes list in the order
	// they were added.
	Seq int `json:"seq"`
	// Properties are the resource's inputs as last PUT (or changed by AKS or a
	// test), without the sub-resources that are resources of their own.
	Properties Properties `json:"properties"`
	// Computed are the values Azure fills in (principalId, nodeResourceGroup,
	// ...), outputs only; an object among them holds what Azure adds inside
	// the input of the same name (a cluster's aadProfile.tenantID).
	Computed Properties `json:"computed"`
	// Created is when the resource was first PUT: what the propagation
	// delays (Delays) count from.
	Created time.Time `json:"created"`
	// State is the provisioning state when it is not Succeeded: Creating
	// while a long-running create runs (until Until), Failed after one
	// failed, until a PUT succeeds.
	State string `json:"state,omitempty"`
	// Until is when a Creating resource's operation ends.
	Until time.Time `json:"until,omitzero"`
}

// provisioningState is the resource's provisioningState now.
func (r *Resource) provisioningState() string {
	switch {
	case r.State == "", r.State == "Creating" && !time.Now().Before(r.Until):
		return "Succeeded"
	}
	return r.State
}

// Operation is one create, update or delete the provider carried out.
type Operation struct {
	// Op is "create", "update" or "delete".
	Op string `json:"op"`
	// Type is the azure-native type token.
	Type string `json:"type"`
	// ID is the ARM id.
	ID string `json:"id"`
	// URN is the Pulumi resource the engine asked for.
	URN string `json:"urn"`
	// Code is ARM's error code of a refused operation (Op "refused").
	Code string `json:"code,omitempty"`
}

// Cloud is the simulated Azure: its resources, in any subscription, and the
// log of operations.
type Cloud struct {
	// Subscription is the login's default subscription; while a provider
	// instance works on the cloud, the instance's subscription, which the ids
	// it makes are in.
	Subscription string `json:"subscription"`
	// Resources are keyed by lower-case ARM id: ARM compares ids without case.
	Resources map[string]*Resource `json:"resources"`
	// Log lists the provider's operations in the order it carried them out.
	Log []Operation `json:"log"`
	// NextSeq is the Seq of the next resource.
	NextSeq int `json:"nextSeq"`
	// Directory is the Entra ID tenant's users, groups and service principals
	// besides the managed identities, by lower-case object id.
	Directory map[string]Principal `json:"directory,omitempty"`
	// Faults are the failures armed for the provider's next calls (Arm).
	Faults []Fault `json:"faults,omitempty"`
	// Delays are the propagation delays the cloud plays.
	Delays Delays `json:"delays"`
	// Busy holds the AKS operation running on each cluster, by lower-case
	// cluster id.
	Busy map[string]busy `json:"busy,omitempty"`

	path string
}

// Create writes an empty cloud for subscription at path.
func Create(path, subscription string) (*Cloud, error) {
	c := &Cloud{Subscription: subscription, Resources: map[string]*Resource{}, path: path}
	return c, c.Save()
}

// Open reads the cloud at path.
func Open(path string) (*Cloud, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("opening the simulated cloud: %w", err)
	}
	c := &Cloud{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("reading the simulated cloud %s: %w", path, err)
	}
	if c.Resources == nil {
		c.Resources = map[string]*Resource{}
	}
	c.path = path
	return c, nil
}

// Save writes the cloud back to its file, atomically.
func (c *Cloud) Save() error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.path)
}

// Get returns the resource with ARM id id, compared without case, or nil.
func (c *Cloud) Get(id string) *Resource {
	return c.Resources[strings.ToLower(id)]
}

// ErrNotFound is returned for a resource the cloud does not hold.
var ErrNotFound = errors.New("ResourceNotFound")

// Find returns the resources of type typ, in creation order.
func (c *Cloud) Find(typ string) []*Resource {
	var out []*Resource
	for _, r := range c.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// Children returns the resources of type typ whose id is directly under
// parentID (a table's routes, a VNet's subnets), in creation order.
func (c *Cloud) Children(parentID, typ string) []*Resource {
	prefix := strings.ToLower(parentID) + "/"
	var out []*Resource
	for key, r := range c.Resources {
		if r.Type == typ && strings.HasPrefix(key, prefix) && !strings.Contains(key[len(prefix):], "/providers/") {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// put stores r, keeping the Seq of the resource it replaces.
func (c *Cloud) put(r *Resource) {
	key := strings.ToLower(r.ID)
	if old, ok := c.Resources[key]; ok {
		r.Seq, r.Created = old.Seq, old.Created
	} else {
		r.Seq, r.Created = c.NextSeq, time.Now()
		c.NextSeq++
	}
	c.Resources[key] = r
}

// Remove deletes the resource with id and everything under it (a table's
// routes, a group's resources), behind Pulumi's back. It is ErrNotFound when
// the cloud does not hold id.
func (c *Cloud) Remove(id string) error {
	key := strings.ToLower(id)
	if _, ok := c.Resources[key]; !ok {
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	for k := range c.Resources {
		if k == key || strings.HasPrefix(k, key+"/") {
			delete(c.Resources, k)
		}
	}
	return nil
}

// View is the resource as an ARM GET returns it, in input shape: its
// properties with the sub-resources that are resources of their own listed
// inline (a table's routes, a VNet's subnets), as Azure lists them, and a
// cluster's agentPoolProfiles with every pool of the cluster, its AgentPools
// included, as AKS lists them.
func (c *Cloud) View(r *Resource) resource.PropertyMap {
	v := resource.PropertyMap(r.Properties).Copy()
	if r.Type == ManagedCluster && (v.HasValue("agentPoolProfiles") || len(c.Children(r.ID, AgentPool)) > 0) {
		v["agentPoolProfiles"] = c.poolProfiles(r)
	}
	if k, ok := kinds[r.Type]; ok && k.inlineKey != "" {
		var items []resource.PropertyValue
		for _, child := range c.Children(r.ID, k.inlineType) {
			item := resource.PropertyMap{"name": resource.NewProperty(lastSegment(child.ID))}
			for key, val := range child.Properties {
				if !kinds[child.Type].pathKey(string(key)) {
					item[key] = val
				}
			}
			items = append(items, resource.NewProperty(item))
		}
		v[resource.PropertyKey(k.inlineKey)] = resource.NewProperty(items)
	}
	return v
}

func lastSegment(id string) string {
	return id[strings.LastIndex(id, "/")+1:]
}

// PulumiResources is the number of resources in the cloud that Pulumi
// created (AKS's node routes not counted).
func (c *Cloud) PulumiResources() int {
	n := 0
	for _, r := range c.Resources {
		if r.By == "pulumi" {
			n++
		}
	}
	return n
}
