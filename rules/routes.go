package rules

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// MaxServiceTagRoutes is the most routes of one route table whose prefix is
// a service tag (aks-rules 2.4).
const MaxServiceTagRoutes = 25

// serviceTags are the service tags a route's addressPrefix may name, as the
// service tags overview lists them
// (https://learn.microsoft.com/azure/virtual-network/service-tags-overview;
// routes: https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#service-tags-for-user-defined-routes).
// VirtualNetwork, Internet and AzureLoadBalancer are left out: they name no
// published ranges, and a route cannot take them.
var serviceTags = []string{
	"ActionGroup", "ApiManagement", "AppConfiguration", "AppService", "AppServiceManagement",
	"ATPCloud", "AutonomousDevelopmentPlatform", "AzureActiveDirectory", "AzureActiveDirectoryDomainServices",
	"AzureAdvancedThreatProtection", "AzureAPIForFHIR", "AzureArcInfrastructure", "AzureAttestation",
	"AzureBackup", "AzureBotService", "AzureCloud", "AzureCognitiveSearch", "AzureConnectors",
	"AzureContainerAppsService", "AzureContainerRegistry", "AzureCosmosDB", "AzureDatabricks",
	"AzureDataExplorerManagement", "AzureDataLake", "AzureDeviceUpdate", "AzureDevOps", "AzureDevSpaces",
	"AzureDigitalTwins", "AzureEventGrid", "AzureFrontDoor.Backend", "AzureFrontDoor.FirstParty",
	"AzureFrontDoor.Frontend", "AzureHealthcareAPIs", "AzureInformationProtection", "AzureIoTHub",
	"AzureKeyVault", "AzureLoadTestingInstanceManagement", "AzureMachineLearning",
	"AzureMachineLearningInference", "AzureManagedGrafana", "AzureMonitor", "AzureOpenDatasets",
	"AzurePortal", "AzureResourceManager", "AzureSentinel", "AzureSignalR", "AzureSiteRecovery",
	"AzureSphere", "AzureSpringCloud", "AzureStack", "AzureTrafficManager", "AzureUpdateDelivery",
	"AzureWebPubSub", "BatchNodeManagement", "ChaosStudio", "CognitiveServicesFrontend",
	"CognitiveServicesManagement", "DataFactory", "DataFactoryManagement", "Dynamics365BusinessCentral",
	"Dynamics365ForMarketingEmail", "EOPExternalPublishedIPs", "EventHub", "GatewayManager",
	"GenevaActions", "GuestAndHybridManagement", "HDInsight", "KustoAnalytics", "LogicApps",
	"LogicAppsManagement", "M365ManagementActivityApi", "M365ManagementActivityApiWebhook", "Marketplace",
	"MicrosoftAzureFluidRelay", "MicrosoftCloudAppSecurity", "MicrosoftContainerRegistry",
	"MicrosoftDefenderForEndpoint", "MicrosoftPurviewPolicyDistribution", "PowerBI", "PowerPlatformInfra",
	"PowerPlatformPlex", "PowerQueryOnline", "Scuba", "SerialConsole", "ServiceBus", "ServiceFabric",
	"Sql", "SqlManagement", "Storage", "StorageMover", "StorageSyncService", "VideoIndexer",
	"WindowsAdminCenter", "WindowsVirtualDesktop",
}

// regionName is the form of the region of a regional service tag, the part
// after its dot: WestEurope, eastus, usgovvirginia.
var regionName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// isServiceTag reports whether s is one of serviceTags, or one followed by
// "." and a region ("Storage.WestEurope", "AzureCloud.eastus"). Azure writes
// service tags and regions in either letter case ("AzureCloud.eastus" in
// the AKS egress articles, "Storage.EastUS" in the service tags overview), so
// case is ignored.
func isServiceTag(s string) bool {
	if caseFold(serviceTags, s) != "" {
		return true
	}
	tag, region, regional := cutLast(s, ".")
	return regional && caseFold(serviceTags, tag) != "" && regionName.MatchString(region)
}

// cutLast slices s around the last sep, as strings.Cut does around the first.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// routePrefixHint says what a route's addressPrefix takes.
const routePrefixHint = "the route's destination: a CIDR such as 0.0.0.0/0, or a service tag such as AzureMonitor or Storage.WestEurope"

// routePrefix parses value, the addressPrefix of route i: a canonical IPv4
// CIDR or a service tag (aks-rules 6.4). It returns the CIDR (the zero Prefix
// for a tag, or for a value it reports) and whether value is a service tag. A
// value that starts with a letter and has no "/" or ":" is taken as meant for
// a service tag, and one that is none is reported as such, with the tag it
// probably means.
func (c *checker) routePrefix(i int, value string) (netip.Prefix, bool) {
	key := spec.At(spec.PathNetworkRoutesAddressPrefix, i)
	switch first := []rune(value + " ")[0]; {
	case isServiceTag(value):
		return netip.Prefix{}, true
	case unicode.IsLetter(first) && !strings.ContainsAny(value, "/:"):
		meant := ""
		tag, region, _ := cutLast(value, ".")
		if near, ok := spec.Nearest(value, serviceTags); ok {
			meant = "; did you mean " + near + "?"
		} else if near, ok := spec.Nearest(tag, serviceTags); ok && regionName.MatchString(region) {
			meant = "; did you mean " + near + "." + region + "?"
		}
		c.errorf(keys(key), "%s %s is not a service tag a route takes: set %s%s", key, abbreviate(value), routePrefixHint, meant)
		return netip.Prefix{}, false
	}
	return c.prefix(key, value, routePrefixHint), false
}

// checkRoutes is rule 7: the route table holds the routes, at most
// MaxServiceTagRoutes of them to a service tag, and each route has a valid
// name unique in the table, a prefix unique in the table, a next hop type
// Azure knows, and a next hop address exactly when the type is
// VirtualAppliance, one an appliance can have.
func (c *checker) checkRoutes() {
	routes := c.s.Network.Routes
	// aks-rules 2.2: https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits
	if len(routes) > ipplan.MaxRoutesPerTable {
		c.errorf(keys(spec.PathNetworkRoutes), "%s has %d routes, but a route table holds at most %d",
			spec.PathNetworkRoutes, len(routes), ipplan.MaxRoutesPerTable)
	}
	// aks-rules 2.4: https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
	if tags := countTrue(c.routeTags); tags > MaxServiceTagRoutes {
		c.errorf(keys(spec.PathNetworkRoutes), "%s has %d routes to a service tag, but a route table holds at most %d",
			spec.PathNetworkRoutes, tags, MaxServiceTagRoutes)
	}
	names := map[string]int{}
	prefixes := map[string]int{}
	for i, r := range routes {
		c.checkRouteName(i, r.Name, names)
		c.checkRoutePrefixUnique(i, prefixes)
		if c.checkNextHopType(i, r.NextHopType) {
			c.checkNextHopAddress(i, r)
		}
	}
}

// checkRouteName checks the name of route i; names maps the lower-case names
// of the routes before it to their index.
func (c *checker) checkRouteName(i int, name string, names map[string]int) {
	key := spec.At(spec.PathNetworkRoutesName, i)
	// aks-rules 6.5: https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftnetwork
	if !c.checkName(key, name, routeName) {
		return
	}
	// Route names are case-insensitive and unique in their table (aks-rules 6.5).
	folded := strings.ToLower(name)
	if j, ok := names[folded]; ok {
		c.errorf(keys(key, spec.At(spec.PathNetworkRoutesName, j)), "%s %q repeats %s %q: route names are case-insensitive and unique in a route table",
			key, name, spec.At(spec.PathNetworkRoutesName, j), c.s.Network.Routes[j].Name)
		return
	}
	names[folded] = i
}

// checkRoutePrefixUnique checks that route i's prefix is not one of an earlier
// route's; prefixes maps those, CIDRs in canonical form and service tags in
// lower case, to their route's index (aks-rules 6.4,
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview).
func (c *checker) checkRoutePrefixUnique(i int, prefixes map[string]int) {
	var prefix string
	switch p := c.routePrefixes[i]; {
	case c.routeTags[i]:
		prefix = strings.ToLower(c.s.Network.Routes[i].AddressPrefix)
	case p.IsValid():
		prefix = p.String()
	default:
		return
	}
	if j, ok := prefixes[prefix]; ok {
		c.refusef(CodeRouteConflict, keys(spec.At(spec.PathNetworkRoutesAddressPrefix, i), spec.At(spec.PathNetworkRoutesAddressPrefix, j)), "%s %s repeats %s: a route table holds one route per address prefix",
			spec.At(spec.PathNetworkRoutesAddressPrefix, i), c.s.Network.Routes[i].AddressPrefix, spec.At(spec.PathNetworkRoutesAddressPrefix, j))
		return
	}
	prefixes[prefix] = i
}

// checkNextHopType checks route i's next hop type and reports whether it is
// one of spec.NextHopTypes (aks-rules 6.1,
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#user-defined).
func (c *checker) checkNextHopType(i int, typ string) bool {
	key := spec.At(spec.PathNetworkRoutesNextHopType, i)
	allowed := join("or", spec.NextHopTypes)
	switch {
	case slices.Contains(spec.NextHopTypes, typ):
		return true
	case typ == "":
		c.errorf(keys(key), "%s is missing: set %s", key, allowed)
	case caseFold(spec.NextHopTypes, typ) != "":
		c.errorf(keys(key), "%s %q is not a next hop type; did you mean %s? (next hop types are case-sensitive)",
			key, typ, caseFold(spec.NextHopTypes, typ))
	default:
		c.errorf(keys(key), "%s %q is not a next hop type: want %s", key, typ, allowed)
	}
	return false
}

// checkNextHopAddress checks the next hop address of route r, number i, whose
// type is valid: required for VirtualAppliance and refused for every other
// type (aks-rules 6.2); for an appliance, outside the pod and service ranges,
// and best inside the VNet or a peered range but outside the node subnet.
func (c *checker) checkNextHopAddress(i int, r spec.Route) {
	key, typeKey := spec.At(spec.PathNetworkRoutesNextHopIPAddress, i), spec.At(spec.PathNetworkRoutesNextHopType, i)
	switch {
	case r.NextHopType != spec.NextHopVirtualAppliance && r.NextHopIPAddress != "":
		c.errorf(keys(key, typeKey), "%s %q is set, but %s is %s: only VirtualAppliance routes take a next hop address",
			key, r.NextHopIPAddress, typeKey, r.NextHopType)
		return
	case r.NextHopType != spec.NextHopVirtualAppliance:
		return
	case r.NextHopIPAddress == "":
		c.refusef(CodeMissingNextHopIPAddress, keys(key, typeKey), "%s is missing: %s VirtualAppliance needs the appliance's private IP address, such as the firewall's 10.0.2.4",
			key, typeKey)
		return
	}
	c.checkApplianceAddress(i, c.routeHops[i])
}

// checkApplianceAddress checks hop, the parsed next hop address of
// VirtualAppliance route i (the zero Addr when it did not parse).
func (c *checker) checkApplianceAddress(i int, hop netip.Addr) {
	if !hop.IsValid() {
		return
	}
	key := spec.At(spec.PathNetworkRoutesNextHopIPAddress, i)
	// Pod addresses move with pods, and service addresses are virtual, answered
	// by no machine: neither can be an appliance (aks-rules 1.7, 3.4, 6.2).
	for _, r := range []keyedPrefix{
		{spec.PathClusterPodCidr, c.pod, "pod addresses come and go with pods"},
		{spec.PathClusterServiceCidr, c.service, "service addresses are virtual and no appliance answers on them"},
	} {
		if r.prefix.IsValid() && r.prefix.Contains(hop) {
			c.errorf(keys(key, r.key), "%s %s lies inside %s %s: a next hop must be an appliance's address, and %s",
				key, hop, r.key, r.prefix, r.why)
		}
	}
	// aks-rules 6.2: the appliance must be directly reachable, through the VNet
	// or a peering (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#user-defined).
	if c.reachable(hop) == unreachable {
		c.warnf(keys(key, spec.PathNetworkVnetCidr, spec.PathNetworkPeeredCidrs), "%s %s lies outside %s %s and every %s range: the VNet probably cannot reach that appliance, and traffic on this route would be dropped",
			key, hop, spec.PathNetworkVnetCidr, c.vnet, spec.PathNetworkPeeredCidrs)
	}
	// aks-rules 6.2: an appliance in the subnet whose traffic it routes risks a
	// routing loop.
	if c.subnet.IsValid() && c.subnet.Contains(hop) {
		c.warnf(keys(key, spec.PathNetworkNodeSubnetCidr), "%s %s lies inside %s %s: an appliance in the subnet it routes risks a routing loop; put it in a subnet of its own",
			key, hop, spec.PathNetworkNodeSubnetCidr, c.subnet)
	}
}

// reachability is whether the VNet reaches an address.
type reachability int

const (
	unknown     reachability = iota // a range it depends on is missing or did not parse
	reachable                       // inside the VNet or a peered range
	unreachable                     // outside all of them
)

func (c *checker) reachable(a netip.Addr) reachability {
	if !c.vnet.IsValid() {
		return unknown
	}
	result := unreachable
	for _, p := range slices.Concat([]netip.Prefix{c.vnet}, c.peered, c.hub) {
		switch {
		case p.IsValid() && p.Contains(a):
			return reachable
		case !p.IsValid():
			result = unknown
		}
	}
	return result
}

// checkPodRoutes is rule 8: no route's prefix lies inside the pod range, where
// AKS adds one /24 route per node and the Kubernetes route controller deletes
// every other route (aks-rules 1.7, 1.8). A route around the whole pod range,
// such as 0.0.0.0/0, is fine.
//
// With Azure CNI Overlay AKS writes no pod routes (aks-rules 10.7), so the
// rule does not apply.
func (c *checker) checkPodRoutes() {
	if c.s.Cluster.Overlay() {
		return
	}
	for i, p := range c.routePrefixes {
		if ipplan.Contains(c.pod, p) {
			c.errorf(keys(spec.At(spec.PathNetworkRoutesAddressPrefix, i), spec.PathClusterPodCidr), "%s %s lies inside %s %s: AKS routes that range itself, one /24 per node, and its route controller would delete or collide with this route",
				spec.At(spec.PathNetworkRoutesAddressPrefix, i), p, spec.PathClusterPodCidr, c.pod)
		}
	}
}

// defaultRoute is the prefix of a default route, 0.0.0.0/0.
var defaultRoute = netip.PrefixFrom(netip.IPv4Unspecified(), 0)

// outboundTypes are the values of cluster.outboundType the program supports.
var outboundTypes = []string{spec.OutboundUserDefinedRouting, spec.OutboundLoadBalancer}

// checkOutbound is rule 9: cluster.outboundType is supported and, for
// userDefinedRouting, the route table sends 0.0.0.0/0 to an appliance or a
// gateway, as AKS checks at create time (aks-rules 5.2-5.4,
// https://learn.microsoft.com/azure/aks/egress-udr).
func (c *checker) checkOutbound() {
	typ := c.s.Cluster.OutboundType
	switch {
	case typ == spec.OutboundUserDefinedRouting && c.s.Firewall == nil && c.s.Hub == nil:
		c.checkDefaultRoute()
	case typ == spec.OutboundUserDefinedRouting:
		// The program generates the default route to the firewall (checkEgress).
	case typ == spec.OutboundLoadBalancer:
	case typ == "":
		c.errorf(keys(spec.PathClusterOutboundType), "%s is missing: set %s", spec.PathClusterOutboundType, join("or", outboundTypes))
	case caseFold(outboundTypes, typ) != "":
		c.errorf(keys(spec.PathClusterOutboundType), "%s %q is not supported; did you mean %s? (outbound types are case-sensitive)",
			spec.PathClusterOutboundType, typ, caseFold(outboundTypes, typ))
	default:
		c.errorf(keys(spec.PathClusterOutboundType), "%s %q is not supported: want %s", spec.PathClusterOutboundType, typ, join("or", outboundTypes))
	}
}

// checkDefaultRoute checks the first 0.0.0.0/0 route for outboundType
// userDefinedRouting. When there is none, it reports it missing only if every
// route's prefix parsed (one that did not might have been meant as it).
func (c *checker) checkDefaultRoute() {
	i := slices.Index(c.routePrefixes, defaultRoute)
	if i < 0 {
		if !c.unparsedRoute() {
			c.refusef(CodeRouteTableMissingDefaultRoute, keys(spec.PathNetworkRoutes, spec.PathClusterOutboundType), "%s has no %s route, which %s %s requires: add one with nextHopType VirtualAppliance (the firewall's private IP) or VirtualNetworkGateway",
				spec.PathNetworkRoutes, defaultRoute, spec.PathClusterOutboundType, spec.OutboundUserDefinedRouting)
		}
		return
	}
	switch typ := c.s.Network.Routes[i].NextHopType; typ {
	case spec.NextHopInternet, spec.NextHopVnetLocal, spec.NextHopNone:
		c.refusef(CodeRouteTableInvalidNextHop, keys(spec.At(spec.PathNetworkRoutesNextHopType, i), spec.PathClusterOutboundType), "%s %s on the %s route is refused with %s %s: send the default route to VirtualAppliance (the firewall's private IP) or VirtualNetworkGateway",
			spec.At(spec.PathNetworkRoutesNextHopType, i), typ, defaultRoute, spec.PathClusterOutboundType, spec.OutboundUserDefinedRouting)
	}
}

// countTrue returns the number of true values in bs.
func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// unparsedRoute reports whether a route's prefix is neither a CIDR that
// parsed nor a service tag.
func (c *checker) unparsedRoute() bool {
	for i, p := range c.routePrefixes {
		if !p.IsValid() && !c.routeTags[i] {
			return true
		}
	}
	return false
}

// caseFold returns the element of allowed equal to s under Unicode case
// folding, or "" when there is none.
func caseFold(allowed []string, s string) string {
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a
		}
	}
	return ""
}
