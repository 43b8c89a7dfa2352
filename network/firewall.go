package network

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/network/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// FirewallSubnetName is the name Azure Firewall requires of its subnet
// (aks-rules 7.1).
const FirewallSubnetName = "AzureFirewallSubnet"

// FirewallArgs configures a Firewall.
type FirewallArgs struct {
	// ResourceGroupName is the resource group the firewall is created in.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region, the VNet's.
	Location string
	// VirtualNetworkName is the cluster's VNet, where AzureFirewallSubnet goes.
	VirtualNetworkName pulumi.StringInput
	// NodeSubnetCidr is the node subnet: the source of every rule.
	NodeSubnetCidr string
	// Config is the validated aks-kubenet:firewall, with spec.Defaults applied.
	Config spec.Firewall
	// Addons are the cluster add-ons whose endpoints the firewall must allow.
	Addons aksfacts.Addons
	// Tags are applied to every resource that takes tags.
	Tags pulumi.StringMapInput
}

// Firewall is an Azure Firewall in the cluster's VNet with exactly the
// outbound rules Microsoft documents as required for AKS in Azure public
// cloud, and the ones the stack adds: its subnet (no route table: the
// firewall needs direct internet, aks-rules 7.2), its Standard static public
// IPs, a firewall policy with one rule collection group, and the firewall.
type Firewall struct {
	pulumi.ResourceState

	// Subnet is the AzureFirewallSubnet.
	Subnet *network.Subnet
	// PublicIPs are the firewall's public IPs.
	PublicIPs []*network.PublicIPAddress
	// Policy is the firewall policy; Rules its rule collection group.
	Policy *network.FirewallPolicy
	Rules  *network.FirewallPolicyRuleCollectionGroup
	// Firewall is the AZFW_VNet firewall.
	Firewall *network.AzureFirewall
	// PrivateIP is the firewall's private address, the default route's next
	// hop, as Azure reports it.
	PrivateIP pulumi.StringOutput
}

// NewFirewall registers the firewall's resources as children of a component
// of type aks-kubenet:network:Firewall. The firewall waits for its rule
// collection group, so that it never starts without the rules AKS needs.
func NewFirewall(ctx *pulumi.Context, name string, args FirewallArgs, opts ...pulumi.ResourceOption) (*Firewall, error) {
	fw := &Firewall{}
	if err := ctx.RegisterComponentResource("aks-kubenet:network:Firewall", name, fw, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(fw)
	c := args.Config

	subnet, err := network.NewSubnet(ctx, name+"-subnet", &network.SubnetArgs{
		ResourceGroupName:  args.ResourceGroupName,
		VirtualNetworkName: args.VirtualNetworkName,
		SubnetName:         pulumi.String(FirewallSubnetName),
		AddressPrefix:      pulumi.String(c.SubnetCidr),
	}, parent)
	if err != nil {
		return nil, err
	}
	fw.Subnet = subnet

	for i := range *c.PublicIPCount {
		pip, err := network.NewPublicIPAddress(ctx, fmt.Sprintf("%s-pip-%d", name, i+1), &network.PublicIPAddressArgs{
			ResourceGroupName:        args.ResourceGroupName,
			PublicIpAddressName:      pulumi.Sprintf("%s-pip-%d", c.Name, i+1),
			Location:                 pulumi.String(args.Location),
			Sku:                      &network.PublicIPAddressSkuArgs{Name: pulumi.String("Standard")}, // aks-rules 7.2
			PublicIPAllocationMethod: pulumi.String("Static"),
			Tags:                     args.Tags,
		}, parent)
		if err != nil {
			return nil, err
		}
		fw.PublicIPs = append(fw.PublicIPs, pip)
	}

	policy, err := network.NewFirewallPolicy(ctx, name+"-policy", &network.FirewallPolicyArgs{
		ResourceGroupName:  args.ResourceGroupName,
		FirewallPolicyName: pulumi.String(c.Name + "-policy"),
		Location:           pulumi.String(args.Location),
		Sku:                &network.FirewallPolicySkuArgs{Tier: pulumi.String(c.Tier)},
		ThreatIntelMode:    pulumi.String(c.ThreatIntelMode),
		DnsSettings:        &network.DnsSettingsArgs{EnableProxy: pulumi.Bool(*c.DNSProxy)},
		Tags:               args.Tags,
	}, parent)
	if err != nil {
		return nil, err
	}
	fw.Policy = policy

	rules, err := network.NewFirewallPolicyRuleCollectionGroup(ctx, name+"-rules", &network.FirewallPolicyRuleCollectionGroupArgs{
		ResourceGroupName:       args.ResourceGroupName,
		FirewallPolicyName:      policy.Name,
		RuleCollectionGroupName: pulumi.String(aksfacts.RuleCollectionGroupName),
		Priority:                pulumi.Int(200),
		RuleCollections:         ruleCollections(args.Location, args.NodeSubnetCidr, c, args.Addons),
	}, parent)
	if err != nil {
		return nil, err
	}
	fw.Rules = rules

	var ipConfigs network.AzureFirewallIPConfigurationArray
	for i, pip := range fw.PublicIPs {
		ipConfig := &network.AzureFirewallIPConfigurationArgs{
			Name:            pulumi.Sprintf("ipconfig-%d", i+1),
			PublicIPAddress: &network.SubResourceArgs{Id: pip.ID()},
		}
		if i == 0 { // the first configuration places the firewall in its subnet
			ipConfig.Subnet = &network.SubResourceArgs{Id: subnet.ID()}
		}
		ipConfigs = append(ipConfigs, ipConfig)
	}
	firewall, err := network.NewAzureFirewall(ctx, name+"-firewall", &network.AzureFirewallArgs{
		ResourceGroupName: args.ResourceGroupName,
		AzureFirewallName: pulumi.String(c.Name),
		Location:          pulumi.String(args.Location),
		Sku:               &network.AzureFirewallSkuArgs{Name: pulumi.String("AZFW_VNet"), Tier: pulumi.String(c.Tier)},
		FirewallPolicy:    &network.SubResourceArgs{Id: policy.ID()},
		IpConfigurations:  ipConfigs,
		Tags:              args.Tags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{rules}))
	if err != nil {
		return nil, err
	}
	fw.Firewall = firewall
	fw.PrivateIP = firewall.IpConfigurations.Index(pulumi.Int(0)).PrivateIPAddress()

	return fw, ctx.RegisterResourceOutputs(fw, pulumi.Map{
		"id":        firewall.ID(),
		"privateIp": fw.PrivateIP,
	})
}

// ruleCollections is the rule collection group's content: the required
// network rules and the stack's network rules in one collection, the
// required application rule and the stack's allowed FQDNs in another, each
// allowing traffic from the node subnet only.
func ruleCollections(location, source string, c spec.Firewall, addons aksfacts.Addons) pulumi.Array {
	sources := pulumi.StringArray{pulumi.String(source)}
	var networkRules, appRules pulumi.Array
	for _, r := range aksfacts.RequiredRules(location, addons) {
		switch r.Kind {
		case "network":
			networkRules = append(networkRules, network.NetworkRuleArgs{
				RuleType:             pulumi.String("NetworkRule"),
				Name:                 pulumi.String(r.Name),
				IpProtocols:          pulumi.ToStringArray(r.Protocols),
				SourceAddresses:      sources,
				DestinationAddresses: pulumi.ToStringArray(r.Destinations),
				DestinationPorts:     pulumi.ToStringArray(r.Ports),
			})
		case "application":
			rule := network.ApplicationRuleArgs{
				RuleType:        pulumi.String("ApplicationRule"),
				Name:            pulumi.String(r.Name),
				SourceAddresses: sources,
				Protocols:       applicationProtocols(r.Protocols),
			}
			if len(r.Fqdns) > 0 {
				rule.TargetFqdns = pulumi.ToStringArray(r.Fqdns)
			} else {
				rule.FqdnTags = pulumi.ToStringArray(r.Destinations)
			}
			appRules = append(appRules, rule)
		}
	}
	for _, r := range c.NetworkRules {
		rule := network.NetworkRuleArgs{
			RuleType:         pulumi.String("NetworkRule"),
			Name:             pulumi.String(r.Name),
			IpProtocols:      pulumi.ToStringArray(r.Protocols),
			SourceAddresses:  sources,
			DestinationPorts: pulumi.ToStringArray(r.DestinationPorts),
		}
		if len(r.DestinationFqdns) > 0 {
			rule.DestinationFqdns = pulumi.ToStringArray(r.DestinationFqdns)
		} else {
			rule.DestinationAddresses = pulumi.ToStringArray(r.DestinationAddresses)
		}
		networkRules = append(networkRules, rule)
	}
	if len(c.AllowFqdns) > 0 {
		appRules = append(appRules, network.ApplicationRuleArgs{
			RuleType:        pulumi.String("ApplicationRule"),
			Name:            pulumi.String("allow-fqdns"),
			SourceAddresses: sources,
			TargetFqdns:     pulumi.ToStringArray(c.AllowFqdns),
			Protocols: network.FirewallPolicyRuleApplicationProtocolArray{
				network.FirewallPolicyRuleApplicationProtocolArgs{ProtocolType: pulumi.String("Https"), Port: pulumi.Int(443)},
			},
		})
	}
	allow := &network.FirewallPolicyFilterRuleCollectionActionArgs{Type: pulumi.String("Allow")}
	return pulumi.Array{
		network.FirewallPolicyFilterRuleCollectionArgs{
			RuleCollectionType: pulumi.String("FirewallPolicyFilterRuleCollection"),
			Name:               pulumi.String("aks-network"),
			Priority:           pulumi.Int(100),
			Action:             allow,
			Rules:              networkRules,
		},
		network.FirewallPolicyFilterRuleCollectionArgs{
			RuleCollectionType: pulumi.String("FirewallPolicyFilterRuleCollection"),
			Name:               pulumi.String("aks-application"),
			Priority:           pulumi.Int(200),
			Action:             allow,
			Rules:              appRules,
		},
	}
}

// applicationProtocols turns "Https:443" pairs into an application rule's
// protocols. The pairs are RequiredRules' own, so they always parse.
func applicationProtocols(pairs []string) network.FirewallPolicyRuleApplicationProtocolArray {
	var out network.FirewallPolicyRuleApplicationProtocolArray
	for _, pair := range pairs {
		protocol, port, _ := strings.Cut(pair, ":")
		n, _ := strconv.Atoi(port)
		out = append(out, network.FirewallPolicyRuleApplicationProtocolArgs{ProtocolType: pulumi.String(protocol), Port: pulumi.Int(n)})
	}
	return out
}
