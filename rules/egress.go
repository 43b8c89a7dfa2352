package rules

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Firewall limits and values (aks-rules 7.1-7.3,
// https://learn.microsoft.com/azure/firewall/firewall-faq).
const (
	// MaxFirewallSubnetBits: the AzureFirewallSubnet is a /26 or larger.
	MaxFirewallSubnetBits = 26
	// MaxFirewallPublicIPs is the most public IPs a firewall takes.
	MaxFirewallPublicIPs = 250
	// ProductionFirewallPublicIPs is the count Microsoft recommends in
	// production against SNAT port exhaustion (aks-rules 7.3).
	ProductionFirewallPublicIPs = 20
)

var (
	firewallTiers     = []string{"Standard", "Premium"}
	threatIntelModes  = []string{"Alert", "Deny", "Off"}
	networkProtocols  = []string{"TCP", "UDP", "ICMP", "Any"}
	fqdnPattern       = regexp.MustCompile(`^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
	serviceTagPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)?$`)

	// Microsoft.Network/azureFirewalls (aks-rules 7.2: at most 50 characters).
	firewallName = nameRule{
		kind: "firewall", min: 1, max: 50,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: `1-50 characters: letters, digits, "_", "." and "-", starting with a letter or digit and ending with a letter, digit or "_"`,
	}
)

// checkEgress is rule 14: the egress mode. Without aks-kubenet:firewall or
// aks-kubenet:hub the 0.0.0.0/0 route is the user's (rule 9). With either, the
// program generates it to the firewall, so the two exclude each other, a
// hand-written 0.0.0.0/0 is refused, and the cluster routes through it
// (outboundType userDefinedRouting).
func (c *checker) checkEgress() {
	f, h := c.s.Firewall, c.s.Hub
	if f == nil && h == nil {
		return
	}
	if f != nil && h != nil {
		c.errorf(keys(spec.KeyFirewall, spec.KeyHub), "%s and %s are both set: they are two egress modes (a firewall in the cluster's VNet, or a hub's firewall through peering); set one",
			spec.KeyFirewall, spec.KeyHub)
	}
	mode := spec.KeyFirewall
	if f == nil {
		mode = spec.KeyHub
	}
	if typ := c.s.Cluster.OutboundType; typ != spec.OutboundUserDefinedRouting {
		c.errorf(keys(spec.PathClusterOutboundType, mode), "%s %s: with %s all egress takes the generated 0.0.0.0/0 route to the firewall; set %s %s",
			spec.PathClusterOutboundType, typ, mode, spec.PathClusterOutboundType, spec.OutboundUserDefinedRouting)
	}
	for i, p := range c.routePrefixes {
		if p == defaultRoute {
			c.errorf(keys(spec.At(spec.PathNetworkRoutesAddressPrefix, i), mode), "%s %s: with %s the program generates the 0.0.0.0/0 route to the firewall; remove this one from %s",
				spec.At(spec.PathNetworkRoutesAddressPrefix, i), p, mode, spec.PathNetworkRoutes)
		}
	}
	if c.checkName(spec.PathNetworkDefaultRouteName, c.s.Network.DefaultRouteName, routeName) {
		for i, r := range c.s.Network.Routes {
			if strings.EqualFold(r.Name, c.s.Network.DefaultRouteName) {
				c.errorf(keys(spec.PathNetworkDefaultRouteName, spec.At(spec.PathNetworkRoutesName, i)), "%s %s is also the name of %s: the generated default route needs a name of its own",
					spec.PathNetworkDefaultRouteName, abbreviate(c.s.Network.DefaultRouteName), spec.At(spec.PathNetworkRoutesName, i))
			}
		}
	}
	if f != nil {
		c.checkFirewall(f)
	}
	if h != nil {
		c.checkHub(h)
	}
}

// checkFirewall checks aks-kubenet:firewall (aks-rules 7.1-7.3).
func (c *checker) checkFirewall(f *spec.Firewall) {
	if sub := c.firewallSubnet; sub.IsValid() {
		if sub.Bits() > MaxFirewallSubnetBits {
			c.errorf(keys(spec.PathFirewallSubnetCidr), "%s %s is smaller than /%d: Azure Firewall needs an AzureFirewallSubnet of /%d or larger",
				spec.PathFirewallSubnetCidr, sub, MaxFirewallSubnetBits, MaxFirewallSubnetBits)
		}
		if c.vnet.IsValid() && !ipplan.Contains(c.vnet, sub) {
			c.errorf(keys(spec.PathFirewallSubnetCidr, spec.PathNetworkVnetCidr), "%s %s is not inside %s %s: the firewall's subnet is carved from the cluster's VNet",
				spec.PathFirewallSubnetCidr, sub, spec.PathNetworkVnetCidr, c.vnet)
		}
		// AKS refuses a pod or service CIDR that overlaps a subnet of the VNet
		// with code (aks-rules 3.3, 3.4).
		for _, other := range []struct {
			key    string
			prefix netip.Prefix
			code   string
		}{
			{spec.PathNetworkNodeSubnetCidr, c.subnet, ""},
			{spec.PathClusterPodCidr, c.pod, CodePodCidrOverlapExistingSubnetsCidr},
			{spec.PathClusterServiceCidr, c.service, CodeServiceCidrOverlapExistingSubnetsCidr},
		} {
			if other.prefix.IsValid() && ipplan.Overlaps(sub, other.prefix) {
				c.refusef(other.code, keys(spec.PathFirewallSubnetCidr, other.key), "%s %s overlaps %s %s: the firewall's subnet holds the firewall alone",
					spec.PathFirewallSubnetCidr, sub, other.key, other.prefix)
			}
		}
		c.refusePeeredOverlap(spec.PathFirewallSubnetCidr, sub, "the firewall's subnet is inside the VNet and cannot also lie behind peering")
	}
	if !slices.Contains(firewallTiers, f.Tier) {
		c.errorf(keys(spec.PathFirewallTier), "%s %s is not a firewall tier: want %s", spec.PathFirewallTier, abbreviate(f.Tier), join("or", firewallTiers))
	}
	if n := *f.PublicIPCount; n < 1 || n > MaxFirewallPublicIPs {
		c.errorf(keys(spec.PathFirewallPublicIPCount), "%s %d is outside 1-%d", spec.PathFirewallPublicIPCount, n, MaxFirewallPublicIPs)
	} else if n < ProductionFirewallPublicIPs && c.production() {
		c.warnf(keys(spec.PathFirewallPublicIPCount), "%s %d in a production stack: Microsoft recommends at least %d public IPs in production, against SNAT port exhaustion",
			spec.PathFirewallPublicIPCount, n, ProductionFirewallPublicIPs)
	}
	if !slices.Contains(threatIntelModes, f.ThreatIntelMode) {
		c.errorf(keys(spec.PathFirewallThreatIntelMode), "%s %s is not a threat intelligence mode: want %s",
			spec.PathFirewallThreatIntelMode, abbreviate(f.ThreatIntelMode), join("or", threatIntelModes))
	}
	c.checkName(spec.PathFirewallName, f.Name, firewallName)
	for i, fqdn := range f.AllowFqdns {
		if !fqdnPattern.MatchString(fqdn) {
			key := spec.Index(spec.PathFirewallAllowFqdns, i)
			c.errorf(keys(key), "%s %s is not a domain name such as ghcr.io or *.blob.core.windows.net", key, abbreviate(fqdn))
		}
	}
	names := map[string]int{}
	for i, r := range f.NetworkRules {
		c.checkNetworkRule(i, r, *f.DNSProxy, names)
	}
}

// production reports whether the stack is named or tagged for production: its
// name contains "prod", or a tag environment or env is prod or production.
func (c *checker) production() bool {
	if strings.Contains(strings.ToLower(c.s.Name), "prod") {
		return true
	}
	for _, k := range []string{"environment", "env"} {
		if v := strings.ToLower(c.s.Tags[k]); v == "prod" || v == "production" {
			return true
		}
	}
	return false
}

// checkNetworkRule checks firewall.networkRules[i].
func (c *checker) checkNetworkRule(i int, r spec.NetworkRule, dnsProxy bool, names map[string]int) {
	nameKey := spec.At(spec.PathFirewallNetworkRulesName, i)
	protocolsKey := spec.At(spec.PathFirewallNetworkRulesProtocols, i)
	addressesKey := spec.At(spec.PathFirewallNetworkRulesDestinationAddresses, i)
	fqdnsKey := spec.At(spec.PathFirewallNetworkRulesDestinationFqdns, i)
	portsKey := spec.At(spec.PathFirewallNetworkRulesDestinationPorts, i)
	if r.Name == "" {
		c.errorf(keys(nameKey), "%s is missing: name the rule", nameKey)
	} else if j, dup := names[strings.ToLower(r.Name)]; dup {
		c.errorf(keys(nameKey), "%s %s is also the name of %s: rule names are unique", nameKey, abbreviate(r.Name), spec.Index(spec.PathFirewallNetworkRules, j))
	} else {
		names[strings.ToLower(r.Name)] = i
	}
	if len(r.Protocols) == 0 {
		c.errorf(keys(protocolsKey), "%s is missing: set %s", protocolsKey, join("or", networkProtocols))
	}
	for j, p := range r.Protocols {
		if !slices.Contains(networkProtocols, p) {
			key := spec.Index(protocolsKey, j)
			c.errorf(keys(key), "%s %s is not a protocol: want %s", key, abbreviate(p), join("or", networkProtocols))
		}
	}
	switch {
	case len(r.DestinationAddresses) == 0 && len(r.DestinationFqdns) == 0:
		c.errorf(keys(addressesKey), "%s: set destinationAddresses or destinationFqdns", nameKey)
	case len(r.DestinationAddresses) > 0 && len(r.DestinationFqdns) > 0:
		c.errorf(keys(fqdnsKey), "%s: set destinationAddresses or destinationFqdns, not both", nameKey)
	}
	for j, a := range r.DestinationAddresses {
		if !destinationAddress(a) {
			key := spec.Index(addressesKey, j)
			c.errorf(keys(key), "%s %s is not an IPv4 address, a CIDR, a service tag such as AzureCloud.eastus, or *", key, abbreviate(a))
		}
	}
	for j, fqdn := range r.DestinationFqdns {
		key := spec.Index(fqdnsKey, j)
		if !fqdnPattern.MatchString(fqdn) {
			c.errorf(keys(key), "%s %s is not a domain name", key, abbreviate(fqdn))
		}
	}
	if len(r.DestinationFqdns) > 0 && !dnsProxy {
		c.errorf(keys(fqdnsKey, spec.PathFirewallDNSProxy), "%s needs %s true: a network rule resolves FQDNs through the firewall's DNS proxy (aks-rules 7.3)",
			fqdnsKey, spec.PathFirewallDNSProxy)
	}
	if len(r.DestinationPorts) == 0 {
		c.errorf(keys(portsKey), "%s is missing: set ports such as [443] or [\"8000-8999\"]", portsKey)
	}
	for j, p := range r.DestinationPorts {
		if !portRange(p) {
			key := spec.Index(portsKey, j)
			c.errorf(keys(key), "%s %s is not a port (1-65535), a range such as 8000-8999, or *", key, abbreviate(p))
		}
	}
}

// destinationAddress reports whether a is an IPv4 address, a canonical IPv4
// CIDR, a service tag or "*".
func destinationAddress(a string) bool {
	if a == "*" || serviceTagPattern.MatchString(a) {
		return true
	}
	if _, err := ipplan.ParseAddr(a); err == nil {
		return true
	}
	_, err := ipplan.ParsePrefix(a)
	return err == nil
}

// portRange reports whether p is a port, a range of ports low-high, or "*".
func portRange(p string) bool {
	if p == "*" {
		return true
	}
	low, high, isRange := strings.Cut(p, "-")
	if !isRange {
		high = low
	}
	l, errL := strconv.Atoi(low)
	h, errH := strconv.Atoi(high)
	return errL == nil && errH == nil && 1 <= l && l <= h && h <= 65535
}

// checkHub checks aks-kubenet:hub: a VNet id, its address space (which counts
// as peered ranges: it must overlap neither the VNet nor the pod or service
// range), and the firewall's IP inside it.
func (c *checker) checkHub(h *spec.Hub) {
	if h.VnetID == "" {
		c.errorf(keys(spec.PathHubVnetID), "%s is missing: set the hub VNet's resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>", spec.PathHubVnetID)
	} else if sub, ok := hubSubscription(h.VnetID); !ok {
		c.errorf(keys(spec.PathHubVnetID), "%s %s is not a VNet's resource id: want /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>",
			spec.PathHubVnetID, abbreviate(h.VnetID))
	} else if sub == spec.PlaceholderSubscription {
		c.warnf(keys(spec.PathHubVnetID), "%s is in the placeholder subscription %s: replace it with the hub VNet's id; pulumi up refuses it", spec.PathHubVnetID, sub)
	}
	if len(h.AddressSpace) == 0 {
		c.errorf(keys(spec.PathHubAddressSpace), "%s is missing: list the hub VNet's ranges, such as [10.100.0.0/16]", spec.PathHubAddressSpace)
	}
	for i, p := range c.hub {
		if !p.IsValid() {
			continue
		}
		for _, other := range []keyedPrefix{
			{spec.PathNetworkVnetCidr, c.vnet, "Azure refuses to peer VNets whose address spaces overlap"},
			{spec.PathClusterPodCidr, c.pod, "pod addresses must not be routable in the hub"},
			{spec.PathClusterServiceCidr, c.service, "service addresses must not be routable in the hub"},
		} {
			if other.prefix.IsValid() && ipplan.Overlaps(p, other.prefix) {
				key := spec.Index(spec.PathHubAddressSpace, i)
				c.errorf(keys(key, other.key), "%s %s overlaps %s %s: %s", key, p, other.key, other.prefix, other.why)
			}
		}
	}
	if h.FirewallPrivateIP == "" {
		c.errorf(keys(spec.PathHubFirewallPrivateIP), "%s is missing: set the hub firewall's private IP, the default route's next hop", spec.PathHubFirewallPrivateIP)
		return
	}
	ip := c.addr(spec.PathHubFirewallPrivateIP, h.FirewallPrivateIP)
	if !ip.IsValid() {
		return
	}
	inside := slices.ContainsFunc(c.hub, func(p netip.Prefix) bool { return p.IsValid() && p.Contains(ip) })
	if !inside && !slices.Contains(c.hub, netip.Prefix{}) && len(c.hub) > 0 {
		c.errorf(keys(spec.PathHubFirewallPrivateIP, spec.PathHubAddressSpace), "%s %s is not inside %s %s: the firewall is in the hub",
			spec.PathHubFirewallPrivateIP, ip, spec.PathHubAddressSpace, strings.Join(h.AddressSpace, ", "))
	}
}

// hubSubscription returns the subscription of the hub VNet's resource id,
// and false when id is not a VNet's id in a subscription whose id is a GUID.
func hubSubscription(id string) (string, bool) {
	vnet, err := armid.Parse(id, armid.Types[armid.VirtualNetwork].ARMType)
	if err != nil || !guid.MatchString(vnet.SubscriptionID) {
		return "", false
	}
	return vnet.SubscriptionID, true
}
