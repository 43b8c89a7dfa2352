package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Config keys of the egress modes.
const (
	keyFirewall       = "firewall"
	keyFirewallSubnet = "firewall.subnetCidr"
	keyHub            = "hub"
	keyHubVnetID      = "hub.vnetId"
	keyHubFirewallIP  = "hub.firewallPrivateIp"
)

func hubSpaceKey(i int) string { return fmt.Sprintf("hub.addressSpace[%d]", i) }

func networkRuleKey(i int, field string) string {
	return fmt.Sprintf("firewall.networkRules[%d].%s", i, field)
}

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
	// armVNetID is a VNet's resource id: subscription, group, name.
	armVNetID = regexp.MustCompile(`(?i)^/subscriptions/([0-9a-f-]{36})/resourceGroups/([^/]+)/providers/Microsoft\.Network/virtualNetworks/([^/]+)$`)

	// Microsoft.Network/azureFirewalls (aks-rules 7.2: at most 50 characters).
	firewallName = nameRule{
		kind: "firewall", min: 1, max: 50,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: `1-50 characters: letters, digits, "_", "." and "-", starting with a letter or digit and ending with a letter, digit or "_"`,
	}
)

// ParseVNetID splits a VNet resource id into its subscription, resource group
// and name, or reports ok false when id is not one.
func ParseVNetID(id string) (subscription, group, name string, ok bool) {
	m := armVNetID.FindStringSubmatch(id)
	if m == nil || !guid.MatchString(m[1]) {
		return "", "", "", false
	}
	return m[1], m[2], m[3], true
}

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
		c.errorf(keys(keyOutboundType, mode), "%s %s: with %s all egress takes the generated 0.0.0.0/0 route to the firewall; set %s %s",
			keyOutboundType, typ, mode, keyOutboundType, spec.OutboundUserDefinedRouting)
	}
	for i, p := range c.routePrefixes {
		if p == defaultRoute {
			c.errorf(keys(routeKey(i, "addressPrefix"), mode), "%s %s: with %s the program generates the 0.0.0.0/0 route to the firewall; remove this one from %s",
				routeKey(i, "addressPrefix"), p, mode, keyRoutes)
		}
	}
	if c.checkName("network.defaultRouteName", c.s.Network.DefaultRouteName, routeName) {
		for i, r := range c.s.Network.Routes {
			if strings.EqualFold(r.Name, c.s.Network.DefaultRouteName) {
				c.errorf(keys("network.defaultRouteName", routeKey(i, "name")), "network.defaultRouteName %s is also the name of %s: the generated default route needs a name of its own",
					abbreviate(c.s.Network.DefaultRouteName), routeKey(i, "name"))
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
			c.errorf(keys(keyFirewallSubnet), "%s %s is smaller than /%d: Azure Firewall needs an AzureFirewallSubnet of /%d or larger",
				keyFirewallSubnet, sub, MaxFirewallSubnetBits, MaxFirewallSubnetBits)
		}
		if c.vnet.IsValid() && !ipplan.Contains(c.vnet, sub) {
			c.errorf(keys(keyFirewallSubnet, keyVnetCidr), "%s %s is not inside %s %s: the firewall's subnet is carved from the cluster's VNet",
				keyFirewallSubnet, sub, keyVnetCidr, c.vnet)
		}
		for _, other := range []keyedPrefix{{key: keyNodeSubnetCidr, prefix: c.subnet}, {key: keyPodCidr, prefix: c.pod}, {key: keyServiceCidr, prefix: c.service}} {
			if other.prefix.IsValid() && ipplan.Overlaps(sub, other.prefix) {
				c.errorf(keys(keyFirewallSubnet, other.key), "%s %s overlaps %s %s: the firewall's subnet holds the firewall alone",
					keyFirewallSubnet, sub, other.key, other.prefix)
			}
		}
		c.refusePeeredOverlap(keyFirewallSubnet, sub, "the firewall's subnet is inside the VNet and cannot also lie behind peering")
	}
	if !slices.Contains(firewallTiers, f.Tier) {
		c.errorf(keys("firewall.tier"), "firewall.tier %s is not a firewall tier: want %s", abbreviate(f.Tier), join("or", firewallTiers))
	}
	if n := *f.PublicIPCount; n < 1 || n > MaxFirewallPublicIPs {
		c.errorf(keys("firewall.publicIpCount"), "firewall.publicIpCount %d is outside 1-%d", n, MaxFirewallPublicIPs)
	} else if n < ProductionFirewallPublicIPs && c.production() {
		c.warnf(keys("firewall.publicIpCount"), "firewall.publicIpCount %d in a production stack: Microsoft recommends at least %d public IPs in production, against SNAT port exhaustion",
			n, ProductionFirewallPublicIPs)
	}
	if !slices.Contains(threatIntelModes, f.ThreatIntelMode) {
		c.errorf(keys("firewall.threatIntelMode"), "firewall.threatIntelMode %s is not a threat intelligence mode: want %s",
			abbreviate(f.ThreatIntelMode), join("or", threatIntelModes))
	}
	c.checkName("firewall.name", f.Name, firewallName)
	for i, fqdn := range f.AllowFqdns {
		if !fqdnPattern.MatchString(fqdn) {
			key := fmt.Sprintf("firewall.allowFqdns[%d]", i)
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
	if r.Name == "" {
		c.errorf(keys(networkRuleKey(i, "name")), "%s is missing: name the rule", networkRuleKey(i, "name"))
	} else if j, dup := names[strings.ToLower(r.Name)]; dup {
		c.errorf(keys(networkRuleKey(i, "name")), "%s %s is also the name of firewall.networkRules[%d]: rule names are unique", networkRuleKey(i, "name"), abbreviate(r.Name), j)
	} else {
		names[strings.ToLower(r.Name)] = i
	}
	if len(r.Protocols) == 0 {
		c.errorf(keys(networkRuleKey(i, "protocols")), "%s is missing: set %s", networkRuleKey(i, "protocols"), join("or", networkProtocols))
	}
	for j, p := range r.Protocols {
		if !slices.Contains(networkProtocols, p) {
			key := fmt.Sprintf("%s[%d]", networkRuleKey(i, "protocols"), j)
			c.errorf(keys(key), "%s %s is not a protocol: want %s", key, abbreviate(p), join("or", networkProtocols))
		}
	}
	switch {
	case len(r.DestinationAddresses) == 0 && len(r.DestinationFqdns) == 0:
		c.errorf(keys(networkRuleKey(i, "destinationAddresses")), "%s: set destinationAddresses or destinationFqdns", networkRuleKey(i, "name"))
	case len(r.DestinationAddresses) > 0 && len(r.DestinationFqdns) > 0:
		c.errorf(keys(networkRuleKey(i, "destinationFqdns")), "%s: set destinationAddresses or destinationFqdns, not both", networkRuleKey(i, "name"))
	}
	for j, a := range r.DestinationAddresses {
		if !destinationAddress(a) {
			key := fmt.Sprintf("%s[%d]", networkRuleKey(i, "destinationAddresses"), j)
			c.errorf(keys(key), "%s %s is not an IPv4 address, a CIDR, a service tag such as AzureCloud.eastus, or *", key, abbreviate(a))
		}
	}
	for j, fqdn := range r.DestinationFqdns {
		key := fmt.Sprintf("%s[%d]", networkRuleKey(i, "destinationFqdns"), j)
		if !fqdnPattern.MatchString(fqdn) {
			c.errorf(keys(key), "%s %s is not a domain name", key, abbreviate(fqdn))
		}
	}
	if len(r.DestinationFqdns) > 0 && !dnsProxy {
		c.errorf(keys(networkRuleKey(i, "destinationFqdns"), "firewall.dnsProxy"), "%s needs firewall.dnsProxy true: a network rule resolves FQDNs through the firewall's DNS proxy (aks-rules 7.3)",
			networkRuleKey(i, "destinationFqdns"))
	}
	if len(r.DestinationPorts) == 0 {
		c.errorf(keys(networkRuleKey(i, "destinationPorts")), "%s is missing: set ports such as [443] or [\"8000-8999\"]", networkRuleKey(i, "destinationPorts"))
	}
	for j, p := range r.DestinationPorts {
		if !portRange(p) {
			key := fmt.Sprintf("%s[%d]", networkRuleKey(i, "destinationPorts"), j)
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
		c.errorf(keys(keyHubVnetID), "%s is missing: set the hub VNet's resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>", keyHubVnetID)
	} else if sub, _, _, ok := ParseVNetID(h.VnetID); !ok {
		c.errorf(keys(keyHubVnetID), "%s %s is not a VNet's resource id: want /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>",
			keyHubVnetID, abbreviate(h.VnetID))
	} else if sub == spec.PlaceholderSubscription {
		c.warnf(keys(keyHubVnetID), "%s is in the placeholder subscription %s: replace it with the hub VNet's id; pulumi up refuses it", keyHubVnetID, sub)
	}
	if len(h.AddressSpace) == 0 {
		c.errorf(keys("hub.addressSpace"), "hub.addressSpace is missing: list the hub VNet's ranges, such as [10.100.0.0/16]")
	}
	for i, p := range c.hub {
		if !p.IsValid() {
			continue
		}
		for _, other := range []keyedPrefix{
			{keyVnetCidr, c.vnet, "Azure refuses to peer VNets whose address spaces overlap"},
			{keyPodCidr, c.pod, "pod addresses must not be routable in the hub"},
			{keyServiceCidr, c.service, "service addresses must not be routable in the hub"},
		} {
			if other.prefix.IsValid() && ipplan.Overlaps(p, other.prefix) {
				c.errorf(keys(hubSpaceKey(i), other.key), "%s %s overlaps %s %s: %s", hubSpaceKey(i), p, other.key, other.prefix, other.why)
			}
		}
	}
	if h.FirewallPrivateIP == "" {
		c.errorf(keys(keyHubFirewallIP), "%s is missing: set the hub firewall's private IP, the default route's next hop", keyHubFirewallIP)
		return
	}
	ip, err := ipplan.ParseAddr(h.FirewallPrivateIP)
	if err != nil {
		c.errorf(keys(keyHubFirewallIP), "%s %v", keyHubFirewallIP, err)
		return
	}
	inside := slices.ContainsFunc(c.hub, func(p netip.Prefix) bool { return p.IsValid() && p.Contains(ip) })
	if !inside && !slices.Contains(c.hub, netip.Prefix{}) && len(c.hub) > 0 {
		c.errorf(keys(keyHubFirewallIP, "hub.addressSpace"), "%s %s is not inside hub.addressSpace %s: the firewall is in the hub",
			keyHubFirewallIP, ip, strings.Join(h.AddressSpace, ", "))
	}
}
