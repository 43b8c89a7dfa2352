// Package network holds the Azure networking components of an aks-kubenet
// stack: the VNet with the node subnet (and an optional NSG on it), the route
// table with its user-defined routes, the Azure Firewall with its policy and
// rules (egress mode 2), and the peering with a hub VNet (egress mode 3).
package network

import (
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// RouteTableArgs configures a RouteTable.
type RouteTableArgs struct {
	// ResourceGroupName is the resource group the table is created in.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region; it must be the VNet's (aks-rules 6.6).
	Location string
	// Name is the table's Azure name.
	Name string
	// Routes are the user-defined routes, already validated by package rules.
	Routes []spec.Route
	// Tags are applied to the table when it is created (see NewRouteTable).
	Tags pulumi.StringMapInput
	// Protect protects the table: AKS cannot move to another table once the
	// cluster exists (aks-rules 1.3), so the table must never be replaced.
	Protect bool
}

// GeneratedRoute is a route whose prefix or next hop comes from another
// resource, such as the firewall's default route. It is registered exactly as
// a configured route of the same name (same parent, same logical and Azure
// name), so that one takes over from the other as an update in place: under
// any other name Pulumi would create the new route before deleting the old
// one, and Azure refuses a second route for the same prefix (aks-rules 6.4).
type GeneratedRoute struct {
	// Name is the route's Azure name.
	Name string
	// AddressPrefix is the destination; Default marks 0.0.0.0/0.
	AddressPrefix pulumi.StringInput
	Default       bool
	// NextHopType and NextHopIPAddress (for VirtualAppliance) are the hop.
	NextHopType      string
	NextHopIPAddress pulumi.StringInput
	// DependsOn are resources the route waits for beyond its inputs.
	DependsOn []pulumi.Resource
}

// RouteTable is the route table of the node subnet. Its user-defined routes are
// separate network.Route resources and the table itself declares none, because
// AKS writes one route per node into the same table (aks-rules 1.7): a table
// declared with inline routes is a full replacement on every update and would
// delete them (aks-rules 9.3).
type RouteTable struct {
	pulumi.ResourceState

	// Table is the route table; the node subnet references it.
	Table *network.RouteTable
	// Routes are the user-defined routes, in config order.
	Routes []*network.Route
	// DefaultRoute is the 0.0.0.0/0 route, or nil when none is configured. With
	// outboundType userDefinedRouting AKS validates it at create time (aks-rules 5.3).
	DefaultRoute *network.Route

	name              string
	resourceGroupName pulumi.StringInput
	protect           bool
}

// protectRoute protects the 0.0.0.0/0 route with the table when the stack
// protects: azure-native replaces a route by deleting it first (its name is
// fixed), and between the delete and a create that fails the nodes have no
// egress at all (faults.md §3.2, F11). The other routes stay unprotected:
// removing one from config is an ordinary edit.
func (rt *RouteTable) protectRoute(addressPrefix string, isDefault bool) pulumi.ResourceOption {
	return pulumi.Protect(rt.protect && (isDefault || addressPrefix == "0.0.0.0/0"))
}

// AddGeneratedRoutes registers routes derived from resources created after
// the table (the firewall exists only once the VNet does, which needs the
// table) as children of the component, named like its configured routes.
func (rt *RouteTable) AddGeneratedRoutes(ctx *pulumi.Context, routes []GeneratedRoute) error {
	for _, g := range routes {
		route, err := network.NewRoute(ctx, rt.name+"-"+g.Name, &network.RouteArgs{
			ResourceGroupName: rt.resourceGroupName,
			RouteTableName:    rt.Table.Name,
			RouteName:         pulumi.String(g.Name),
			AddressPrefix:     g.AddressPrefix,
			NextHopType:       pulumi.String(g.NextHopType),
			NextHopIpAddress:  g.NextHopIPAddress,
		}, pulumi.Parent(rt), pulumi.DependsOn(g.DependsOn), rt.protectRoute("", g.Default))
		if err != nil {
			return err
		}
		rt.Routes = append(rt.Routes, route)
		if g.Default {
			rt.DefaultRoute = route
		}
	}
	return nil
}

// NewRouteTable registers the route table and one Route per configured UDR as
// children of a component of type aks-kubenet:network:RouteTable.
//
// The table ignores later changes to its tags: the Kubernetes cloud provider
// tags the table it routes through (aks-rules 1.9), and taking those tags away
// on every update would be a fight with AKS over its own table.
func NewRouteTable(ctx *pulumi.Context, name string, args RouteTableArgs, opts ...pulumi.ResourceOption) (*RouteTable, error) {
	rt := &RouteTable{name: name, resourceGroupName: args.ResourceGroupName, protect: args.Protect}
	if err := ctx.RegisterComponentResource("aks-kubenet:network:RouteTable", name, rt, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(rt)

	table, err := network.NewRouteTable(ctx, name+"-table", &network.RouteTableArgs{
		ResourceGroupName: args.ResourceGroupName,
		RouteTableName:    pulumi.String(args.Name),
		Location:          pulumi.String(args.Location),
		Tags:              args.Tags,
	}, parent, pulumi.IgnoreChanges([]string{"tags"}), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	rt.Table = table

	for _, r := range args.Routes {
		routeArgs := &network.RouteArgs{
			ResourceGroupName: args.ResourceGroupName,
			RouteTableName:    table.Name,
			RouteName:         pulumi.String(r.Name),
			AddressPrefix:     pulumi.String(r.AddressPrefix),
			NextHopType:       pulumi.String(r.NextHopType),
		}
		if r.NextHopIPAddress != "" {
			routeArgs.NextHopIpAddress = pulumi.String(r.NextHopIPAddress)
		}
		route, err := network.NewRoute(ctx, name+"-"+r.Name, routeArgs, parent, rt.protectRoute(r.AddressPrefix, false))
		if err != nil {
			return nil, err
		}
		rt.Routes = append(rt.Routes, route)
		if r.AddressPrefix == "0.0.0.0/0" {
			rt.DefaultRoute = route
		}
	}
	return rt, ctx.RegisterResourceOutputs(rt, pulumi.Map{
		"id":   table.ID(),
		"name": table.Name,
	})
}
