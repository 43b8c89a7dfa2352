package azuresim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// SpotLabel and SpotTaint are what AKS puts on every Spot pool: the label
// kubernetes.azure.com/scalesetpriority: spot among its nodeLabels and the
// taint kubernetes.azure.com/scalesetpriority=spot:NoSchedule among its
// nodeTaints (https://learn.microsoft.com/azure/aks/spot-node-pool).
const (
	SpotLabel = "kubernetes.azure.com/scalesetpriority"
	SpotTaint = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
)

// newAgentPoolMessage is AKS's refusal of a managed cluster PUT that lists a
// pool the cluster does not have.
const newAgentPoolMessage = "BadRequest: A new agent pool was introduced. Adding agent pools to an existing cluster is not allowed through " +
	"managed cluster operations. For agent pool specific change, please use per agent pool operations: https://aka.ms/agent-pool-rest-api"

// poolFixed are the pool properties AKS refuses to change on an existing
// pool, through the pool's own PUT or the cluster's agentPoolProfiles, each
// with the value AKS takes when a request leaves it out: "" for none, 110
// pods per node (kubenet's default), Linux, Ubuntu, Regular priority and, on
// Spot, the Delete eviction policy.
var poolFixed = []struct{ key, unset string }{
	{"vmSize", ""}, {"gpuInstanceProfile", ""}, {"osType", "Linux"}, {"osSKU", "Ubuntu"},
	{"availabilityZones", ""}, {"maxPods", "110"}, {"vnetSubnetID", ""},
	{"scaleSetPriority", "Regular"}, {"scaleSetEvictionPolicy", "Delete"},
}

// nodePool is one node pool of a cluster as AKS holds it: an entry of the
// cluster's own agentPoolProfiles (a pool made with the cluster), or an
// AgentPool resource under the cluster.
type nodePool struct {
	name string
	// settings is the map the cloud holds for the pool: the cluster's
	// agentPoolProfiles entry (with its name), or the AgentPool's properties
	// (with the keys of its id). Changing it changes the cloud.
	settings resource.PropertyMap
	// agentPool is the AgentPool resource; nil for a pool made with the
	// cluster.
	agentPool *Resource
}

// profile is the pool as the cluster's agentPoolProfiles list it: its
// settings and its name, without the keys of an AgentPool's id.
func (p nodePool) profile() resource.PropertyMap {
	if p.agentPool == nil {
		return p.settings.Copy()
	}
	out := resource.PropertyMap{"name": resource.NewProperty(p.name)}
	for k, v := range p.settings {
		if !kinds[AgentPool].pathKey(string(k)) {
			out[k] = v
		}
	}
	return out
}

// poolsOf is every pool of the cluster, as AKS lists them in the cluster's
// agentPoolProfiles: the ones made with the cluster, in their order, then its
// AgentPools, in creation order.
func (c *Cloud) poolsOf(cluster *Resource) []nodePool {
	var out []nodePool
	for _, m := range profiles(resource.PropertyMap(cluster.Properties)) {
		out = append(out, nodePool{name: str(m, "name"), settings: m})
	}
	for _, r := range c.Children(cluster.ID, AgentPool) {
		out = append(out, nodePool{name: lastSegment(r.ID), settings: resource.PropertyMap(r.Properties), agentPool: r})
	}
	return out
}

// poolNamed is the pool of the cluster named name, compared without case.
func (c *Cloud) poolNamed(cluster *Resource, name string) (nodePool, bool) {
	for _, p := range c.poolsOf(cluster) {
		if strings.EqualFold(p.name, name) {
			return p, true
		}
	}
	return nodePool{}, false
}

// profiles are the agentPoolProfiles entries of a cluster's inputs.
func profiles(in resource.PropertyMap) []resource.PropertyMap {
	var out []resource.PropertyMap
	list, _ := in["agentPoolProfiles"].V.([]resource.PropertyValue)
	for _, v := range list {
		if m, ok := v.V.(resource.PropertyMap); ok {
			out = append(out, m)
		}
	}
	return out
}

// poolProfiles is the cluster's agentPoolProfiles as AKS returns them: every
// pool, its AgentPools included.
func (c *Cloud) poolProfiles(cluster *Resource) resource.PropertyValue {
	var list []resource.PropertyValue
	for _, p := range c.poolsOf(cluster) {
		list = append(list, resource.NewProperty(p.profile()))
	}
	return resource.NewProperty(list)
}

// Pool returns the pool named pool of the cluster named name as the
// cluster's agentPoolProfiles list it (a copy): a pool made with the cluster
// or an AgentPool.
func (c *Cloud) Pool(name, pool string) (resource.PropertyMap, error) {
	cluster, err := c.Cluster(name)
	if err != nil {
		return nil, err
	}
	p, ok := c.poolNamed(cluster, pool)
	if !ok {
		return nil, fmt.Errorf("cluster %s: pool %q: %w", cluster.ID, pool, ErrNotFound)
	}
	return p.profile(), nil
}

// checkAgentPool makes AKS's checks of a PUT of the AgentPool with id and
// inputs in, in the cluster with id clusterID, which exists: a new pool does
// not take the name of a pool made with the cluster (azure-native finds it
// and refuses to adopt it); its subnet exists and the cluster's identity may
// join it (checkNodeSubnet); an update changes nothing AKS cannot change on
// a pool (checkPoolChange).
func (c *Cloud) checkAgentPool(id, clusterID string, in resource.PropertyMap, existing *Resource) error {
	cluster := c.Get(clusterID)
	if existing == nil {
		if _, ok := c.poolNamed(cluster, str(in, "agentPoolName")); ok {
			return alreadyExists(id) // the GET before the PUT finds the pool the cluster was made with
		}
	}
	clusterIn := resource.PropertyMap(cluster.Properties)
	principals, err := c.principalsOf(clusterID, clusterIn)
	if err != nil {
		return err
	}
	netProfile, _ := clusterIn["networkProfile"].V.(resource.PropertyMap)
	if subnetID := str(in, "vnetSubnetID"); subnetID != "" {
		if err := c.checkNodeSubnet(principals, str(netProfile, "outboundType"), subnetID, str(in, "agentPoolName")); err != nil {
			return err
		}
	}
	if existing != nil {
		return checkPoolChange(id, resource.PropertyMap(existing.Properties), in)
	}
	return nil
}

// checkPoolChange refuses an update of the pool with id from settings old
// to new that changes a property AKS cannot change on an existing pool
// (poolFixed), as AKS does: PropertyChangeNotAllowed, naming the property.
func checkPoolChange(id string, old, new resource.PropertyMap) error {
	for _, f := range poolFixed {
		was, now := fixedValue(old, f.key, f.unset), fixedValue(new, f.key, f.unset)
		if !strings.EqualFold(was, now) {
			return refusal("PropertyChangeNotAllowed", "Changing property '%s' is not allowed (agent pool %s: %q to %q)", f.key, id, was, now)
		}
	}
	return nil
}

// fixedValue is the pool's value of key for comparison: a string, a number
// in decimal, a list's items sorted and joined with commas (zones in any
// order are the same zones), or unset when the pool has none.
func fixedValue(pool resource.PropertyMap, key, unset string) string {
	v, ok := pool[resource.PropertyKey(key)]
	for ok && v.IsSecret() {
		v = v.SecretValue().Element
	}
	switch {
	case !ok || v.IsNull():
		return unset
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
	case v.IsArray():
		var items []string
		for _, item := range v.ArrayValue() {
			items = append(items, fixedValue(resource.PropertyMap{"v": item}, "v", ""))
		}
		slices.Sort(items)
		return strings.Join(items, ",")
	}
	return fmt.Sprint(v.V)
}

// checkPoolProfiles makes AKS's checks of the pools an update of the
// cluster existing to inputs in lists: each is a pool the cluster has (AKS
// adds pools to a running cluster through the pool's own PUT only: "A new
// agent pool was introduced"), and none changes what AKS cannot change on a
// pool (checkPoolChange). A pool the update leaves out is no error.
func (c *Cloud) checkPoolProfiles(existing *Resource, in resource.PropertyMap) error {
	for _, entry := range profiles(in) {
		p, ok := c.poolNamed(existing, str(entry, "name"))
		if !ok {
			return fmt.Errorf("%s (pool %q of cluster %s)", newAgentPoolMessage, str(entry, "name"), existing.ID)
		}
		if err := checkPoolChange(existing.ID+"/agentPools/"+p.name, p.settings, entry); err != nil {
			return err
		}
	}
	return nil
}

// updatePools applies an update of the cluster existing to inputs in to its
// pools, as AKS does: a listed pool takes the listed settings, an AgentPool
// among them too; a pool the update leaves out stays as it is. It returns
// the pools made with the cluster, for its agentPoolProfiles.
func (c *Cloud) updatePools(existing *Resource, in resource.PropertyMap) []resource.PropertyValue {
	listed := map[string]resource.PropertyMap{}
	for _, entry := range profiles(in) {
		listed[strings.ToLower(str(entry, "name"))] = entry
	}
	var own []resource.PropertyValue
	for _, p := range c.poolsOf(existing) {
		entry, ok := listed[strings.ToLower(p.name)]
		switch {
		case p.agentPool == nil && ok:
			own = append(own, resource.NewProperty(entry.Copy()))
		case p.agentPool == nil:
			own = append(own, resource.NewProperty(p.settings))
		case ok:
			settings := entry.Copy()
			delete(settings, "name")
			for _, key := range []resource.PropertyKey{"resourceGroupName", "resourceName", "agentPoolName"} {
				settings[key] = p.settings[key]
			}
			p.agentPool.Properties = Properties(settings)
		}
	}
	return own
}

// LabelSpotPools plays AKS marking the Spot pools of the cluster named name:
// each gets the label SpotLabel: spot in its nodeLabels and, when it lacks
// it, SpotTaint in its nodeTaints, as AKS returns a Spot pool. It returns the
// pools' names, and an error when the cluster has no Spot pool.
func (c *Cloud) LabelSpotPools(name string) ([]string, error) {
	cluster, err := c.Cluster(name)
	if err != nil {
		return nil, err
	}
	var spot []string
	for _, p := range c.poolsOf(cluster) {
		if str(p.settings, "scaleSetPriority") != "Spot" {
			continue
		}
		labels := resource.PropertyMap{}
		if v, ok := p.settings["nodeLabels"]; ok && v.IsObject() {
			labels = v.ObjectValue().Copy()
		}
		labels[SpotLabel] = resource.NewProperty("spot")
		p.settings["nodeLabels"] = resource.NewProperty(labels)
		taints, _ := p.settings["nodeTaints"].V.([]resource.PropertyValue)
		if !slices.ContainsFunc(taints, func(v resource.PropertyValue) bool { return v.IsString() && v.StringValue() == SpotTaint }) {
			p.settings["nodeTaints"] = resource.NewProperty(append(slices.Clone(taints), resource.NewProperty(SpotTaint)))
		}
		spot = append(spot, p.name)
	}
	if len(spot) == 0 {
		return nil, fmt.Errorf("cluster %s: no Spot pool: %w", cluster.ID, ErrNotFound)
	}
	return spot, nil
}
