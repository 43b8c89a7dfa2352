package network

import (
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// VirtualNetworkArgs configures a VirtualNetwork.
type VirtualNetworkArgs struct {
	// ResourceGroupName is the resource group the VNet is created in.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region.
	Location string
	// Name is the VNet's Azure name; AddressSpace its one address prefix.
	Name, AddressSpace string
	// SubnetName and SubnetPrefix name and size the node subnet.
	SubnetName, SubnetPrefix string
	// RouteTableID is the route table the node subnet is associated with.
	RouteTableID pulumi.StringInput
	// NSGName, when not empty, names a network security group the node subnet
	// is associated with.
	NSGName string
	// Tags are applied to the VNet and the NSG.
	Tags pulumi.StringMapInput
	// Protect protects the VNet and the node subnet from deletion, including
	// the delete-first replacement a rename plans.
	Protect bool
}

// VirtualNetwork is the cluster's VNet and its node subnet. The subnet is its own
// network.Subnet resource, never inline in the VNet (an update of a VNet declared
// with inline subnets replaces them, aks-rules 9.4), and it carries the route
// table association in its own definition: a subnet PUT without routeTable
// drops the association (aks-rules 9.2), and kubenet needs the table on the
// subnet before the cluster exists (aks-rules 1.2).
type VirtualNetwork struct {
	pulumi.ResourceState

	// Network is the VNet.
	Network *network.VirtualNetwork
	// NodeSubnet is the subnet the cluster's nodes live in; the cluster and the
	// Network Contributor grant depend on it.
	NodeSubnet *network.Subnet
	// NSG is the node subnet's network security group, or nil without one.
	NSG *network.NetworkSecurityGroup
}

// NewVirtualNetwork registers the VNet and the node subnet as children of a
// component of type aks-kubenet:network:VirtualNetwork.
func NewVirtualNetwork(ctx *pulumi.Context, name string, args VirtualNetworkArgs, opts ...pulumi.ResourceOption) (*VirtualNetwork, error) {
	vn := &VirtualNetwork{}
	if err := ctx.RegisterComponentResource("aks-kubenet:network:VirtualNetwork", name, vn, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(vn)

	vnet, err := network.NewVirtualNetwork(ctx, name+"-vnet", &network.VirtualNetworkArgs{
		ResourceGroupName:  args.ResourceGroupName,
		VirtualNetworkName: pulumi.String(args.Name),
		Location:           pulumi.String(args.Location),
		AddressSpace: &network.AddressSpaceArgs{
			AddressPrefixes: pulumi.StringArray{pulumi.String(args.AddressSpace)},
		},
		Tags: args.Tags,
	}, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	vn.Network = vnet

	subnetArgs := &network.SubnetArgs{
		ResourceGroupName:  args.ResourceGroupName,
		VirtualNetworkName: vnet.Name,
		SubnetName:         pulumi.String(args.SubnetName),
		AddressPrefix:      pulumi.String(args.SubnetPrefix),
		RouteTable:         &network.RouteTableTypeArgs{Id: args.RouteTableID},
	}
	if args.NSGName != "" {
		// No inline securityRules: the NSG keeps Azure's default rules
		// (VNet and load balancer inbound allowed, other inbound denied) and
		// takes rules of its own as separate resources, as the route table
		// does its routes.
		nsg, err := network.NewNetworkSecurityGroup(ctx, name+"-nsg", &network.NetworkSecurityGroupArgs{
			ResourceGroupName:        args.ResourceGroupName,
			NetworkSecurityGroupName: pulumi.String(args.NSGName),
			Location:                 pulumi.String(args.Location),
			Tags:                     args.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		vn.NSG = nsg
		subnetArgs.NetworkSecurityGroup = &network.NetworkSecurityGroupTypeArgs{Id: nsg.ID()}
	}
	subnet, err := network.NewSubnet(ctx, name+"-node-subnet", subnetArgs, parent, pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	vn.NodeSubnet = subnet

	return vn, ctx.RegisterResourceOutputs(vn, pulumi.Map{
		"vnetId":   vnet.ID(),
		"vnetName": vnet.Name,
		"subnetId": subnet.ID(),
	})
}
