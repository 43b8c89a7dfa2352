package azuresim

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
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
// name: one route per node of every pool, named after the node, for the
// node's /24 of the pod range, to the node's address (aks-rules 1.7). The
// routes are made in the cloud only, as AKS makes them: they are no Pulumi
// resources. It returns the routes' ids.
func (c *Cloud) WriteNodeRoutes(name string) ([]string, error) {
	cluster, err := c.Cluster(name)
	if err != nil {
		return nil, err
	}
	tableID, err := c.routeTableOf(cluster)
	if err != nil {
		return nil, err
	}
	table := c.Get(tableID)
	netProfile, _ := cluster.Properties["networkProfile"].V.(resource.PropertyMap)
	podRange, err := netip.ParsePrefix(str(netProfile, "podCidr"))
	if err != nil {
		return nil, fmt.Errorf("cluster %s: pod range: %w", cluster.ID, err)
	}
	var ids []string
	node := 0
	pools, _ := cluster.Properties["agentPoolProfiles"].V.([]resource.PropertyValue)
	for _, p := range pools {
		pool, _ := p.V.(resource.PropertyMap)
		subnet := c.Get(str(pool, "vnetSubnetID"))
		if subnet == nil {
			return nil, fmt.Errorf("cluster %s: pool %s has no subnet", cluster.ID, str(pool, "name"))
		}
		subnetRange, err := netip.ParsePrefix(str(resource.PropertyMap(subnet.Properties), "addressPrefix"))
		if err != nil {
			return nil, fmt.Errorf("subnet %s: %w", subnet.ID, err)
		}
		count := 0
		if v, ok := pool["count"]; ok && v.IsNumber() {
			count = int(v.NumberValue())
		}
		vmss := stableUUID("vmss", cluster.ID+"/"+str(pool, "name"))[:8]
		for i := 0; i < count; i++ {
			nodeName := fmt.Sprintf("aks-%s-%s-vmss%06x", str(pool, "name"), vmss, i)
			route := resource.PropertyMap{
				"resourceGroupName": table.Properties["resourceGroupName"],
				"routeTableName":    resource.NewProperty(lastSegment(tableID)),
				"routeName":         resource.NewProperty(nodeName),
				"addressPrefix":     resource.NewProperty(nth24(podRange, node).String()),
				"nextHopType":       resource.NewProperty("VirtualAppliance"),
				"nextHopIpAddress":  resource.NewProperty(nthHost(subnetRange, 4+i).String()),
			}
			id := table.ID + "/routes/" + nodeName
			c.put(&Resource{ID: id, Type: Route, By: "aks", Properties: Properties(route), Computed: Properties(computed(Route, id, route))})
			ids = append(ids, id)
			node++
		}
	}
	return ids, nil
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
// named pool of the cluster named name.
func (c *Cloud) Autoscale(name, pool string, count int) error {
	cluster, err := c.Cluster(name)
	if err != nil {
		return err
	}
	pools, _ := cluster.Properties["agentPoolProfiles"].V.([]resource.PropertyValue)
	for _, p := range pools {
		if m, ok := p.V.(resource.PropertyMap); ok && str(m, "name") == pool {
			m["count"] = resource.NewProperty(float64(count))
			return nil
		}
	}
	return fmt.Errorf("cluster %s: pool %q: %w", cluster.ID, pool, ErrNotFound)
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
// to that version of the cluster and every pool (an upgrade channel).
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
		p["kubernetesVersion"] = resource.NewProperty(upgradeTo)
		pools, _ := p["agentPoolProfiles"].V.([]resource.PropertyValue)
		for _, pool := range pools {
			if m, ok := pool.V.(resource.PropertyMap); ok {
				m["orchestratorVersion"] = resource.NewProperty(upgradeTo)
			}
		}
	}
	return nil
}
