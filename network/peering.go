package network

import (
	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	azurenative "github.com/pulumi/pulumi-azure-native-sdk/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// HubPeeringArgs configures a HubPeering.
type HubPeeringArgs struct {
	// ResourceGroupName and VnetName name the cluster's (spoke) VNet; VnetID
	// is its id.
	ResourceGroupName, VnetName, VnetID pulumi.StringInput
	// SpokeVnetName is the spoke VNet's name, for the peering names.
	SpokeVnetName string
	// HubVnetID is the hub VNet's resource id; HubSubscription, HubGroup and
	// HubVnetName are its parts.
	HubVnetID, HubSubscription, HubGroup, HubVnetName string
	// UseRemoteGateways routes through the hub's VPN or ExpressRoute gateway.
	UseRemoteGateways bool
}

// HubPeering peers the cluster's VNet with a hub VNet, both ways, so that
// egress reaches the hub's firewall: spoke to hub with virtual network access
// and forwarded traffic (and the hub's gateways when asked), hub to spoke in
// the hub's resource group and subscription, through an azure-native provider
// of its own for the hub's subscription, which may differ from the stack's
// (https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview).
type HubPeering struct {
	pulumi.ResourceState

	// HubProvider is the azure-native provider of the hub's subscription.
	HubProvider *azurenative.Provider
	// SpokeToHub and HubToSpoke are the two halves of the peering; the
	// cluster waits for both.
	SpokeToHub, HubToSpoke *network.VirtualNetworkPeering
}

// NewHubPeering registers both peerings as children of a component of type
// aks-kubenet:network:HubPeering.
func NewHubPeering(ctx *pulumi.Context, name string, args HubPeeringArgs, opts ...pulumi.ResourceOption) (*HubPeering, error) {
	hp := &HubPeering{}
	if err := ctx.RegisterComponentResource("aks-kubenet:network:HubPeering", name, hp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(hp)

	hub, err := azurenative.NewProvider(ctx, name+"-hub-subscription", &azurenative.ProviderArgs{
		SubscriptionId: pulumi.String(args.HubSubscription),
	}, parent)
	if err != nil {
		return nil, err
	}
	hp.HubProvider = hub

	hp.SpokeToHub, err = network.NewVirtualNetworkPeering(ctx, name+"-spoke-to-hub", &network.VirtualNetworkPeeringArgs{
		ResourceGroupName:         args.ResourceGroupName,
		VirtualNetworkName:        args.VnetName,
		VirtualNetworkPeeringName: pulumi.String(args.SpokeVnetName + "-to-" + args.HubVnetName),
		RemoteVirtualNetwork:      &network.SubResourceArgs{Id: pulumi.String(args.HubVnetID)},
		AllowVirtualNetworkAccess: pulumi.Bool(true),
		AllowForwardedTraffic:     pulumi.Bool(true), // replies come back through the hub's firewall
		UseRemoteGateways:         pulumi.Bool(args.UseRemoteGateways),
	}, parent)
	if err != nil {
		return nil, err
	}
	hp.HubToSpoke, err = network.NewVirtualNetworkPeering(ctx, name+"-hub-to-spoke", &network.VirtualNetworkPeeringArgs{
		ResourceGroupName:         pulumi.String(args.HubGroup),
		VirtualNetworkName:        pulumi.String(args.HubVnetName),
		VirtualNetworkPeeringName: pulumi.String(args.HubVnetName + "-to-" + args.SpokeVnetName),
		RemoteVirtualNetwork:      &network.SubResourceArgs{Id: args.VnetID},
		AllowVirtualNetworkAccess: pulumi.Bool(true),
		AllowForwardedTraffic:     pulumi.Bool(true),
		AllowGatewayTransit:       pulumi.Bool(args.UseRemoteGateways),
	}, parent, pulumi.Provider(hub))
	if err != nil {
		return nil, err
	}

	return hp, ctx.RegisterResourceOutputs(hp, pulumi.Map{
		"spokeToHub": hp.SpokeToHub.Name,
		"hubToSpoke": hp.HubToSpoke.Name,
	})
}
