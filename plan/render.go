package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/network"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// keyProperties are the properties the text format shows for each type, the
// ones a network reviewer reads; the json format has them all.
var keyProperties = map[string][]string{
	"azure-native:resources:ResourceGroup":                   {"resourceGroupName", "location"},
	"azure-native:network:VirtualNetwork":                    {"virtualNetworkName", "addressSpace.addressPrefixes"},
	"azure-native:network:Subnet":                            {"subnetName", "addressPrefix", "routeTable.id"},
	"azure-native:network:RouteTable":                        {"routeTableName", "routes"},
	"azure-native:network:NetworkSecurityGroup":              {"networkSecurityGroupName"},
	"azure-native:network:PublicIPAddress":                   {"publicIpAddressName", "sku.name", "publicIPAllocationMethod"},
	"azure-native:network:FirewallPolicy":                    {"firewallPolicyName", "sku.tier", "threatIntelMode", "dnsSettings.enableProxy"},
	"azure-native:network:FirewallPolicyRuleCollectionGroup": {"ruleCollectionGroupName", "priority"},
	"azure-native:network:AzureFirewall":                     {"azureFirewallName", "sku.name", "sku.tier"},
	"azure-native:network:VirtualNetworkPeering": {
		"virtualNetworkPeeringName", "virtualNetworkName", "remoteVirtualNetwork.id",
		"allowVirtualNetworkAccess", "allowForwardedTraffic", "useRemoteGateways", "allowGatewayTransit",
	},
	"azure-native:network:Route":                        {"routeName", "addressPrefix", "nextHopType", "nextHopIpAddress"},
	"azure-native:managedidentity:UserAssignedIdentity": {"resourceName"},
	"azure-native:authorization:RoleAssignment":         {"roleDefinitionId", "scope", "principalId", "principalType", "roleAssignmentName"},
	typeManagedCluster: {
		"resourceName", "dnsPrefix", "kubernetesVersion", "nodeResourceGroup", "identity.userAssignedIdentities",
		"networkProfile.networkPlugin", "networkProfile.podCidr", "networkProfile.serviceCidr",
		"networkProfile.dnsServiceIP", "networkProfile.outboundType", "networkProfile.loadBalancerSku",
		"networkProfile.networkPolicy",
		"agentPoolProfiles[0].name", "agentPoolProfiles[0].vmSize", "agentPoolProfiles[0].count",
		"agentPoolProfiles[0].enableAutoScaling", "agentPoolProfiles[0].minCount", "agentPoolProfiles[0].maxCount",
		"agentPoolProfiles[0].maxPods", "agentPoolProfiles[0].upgradeSettings.maxSurge",
		"agentPoolProfiles[0].nodeTaints", "agentPoolProfiles[0].vnetSubnetID", "linuxProfile.ssh.publicKeys[0].keyData",
		"aadProfile.managed", "aadProfile.enableAzureRBAC", "disableLocalAccounts",
		"apiServerAccessProfile.enablePrivateCluster", "apiServerAccessProfile.authorizedIPRanges",
		"autoUpgradeProfile.upgradeChannel", "autoUpgradeProfile.nodeOSUpgradeChannel",
		"oidcIssuerProfile.enabled", "securityProfile.workloadIdentity.enabled",
		"securityProfile.imageCleaner.enabled", "securityProfile.imageCleaner.intervalHours",
		"addonProfiles.azurepolicy.enabled", "addonProfiles.omsagent.enabled",
		"addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID", "sku.tier",
	},
	typeMaintenanceConfiguration: {
		"configName", "resourceName", "maintenanceWindow.schedule.weekly.dayOfWeek", "maintenanceWindow.startTime",
		"maintenanceWindow.durationHours", "maintenanceWindow.utcOffset",
	},
	typeAgentPool: {
		"agentPoolName", "resourceName", "mode", "vmSize", "count", "enableAutoScaling", "minCount", "maxCount",
		"maxPods", "upgradeSettings.maxSurge", "availabilityZones", "osSKU", "orchestratorVersion",
		"scaleSetPriority", "scaleSetEvictionPolicy", "spotMaxPrice", "nodeLabels", "nodeTaints", "vnetSubnetID",
	},
	"azure-native:operationalinsights:Workspace": {"workspaceName", "sku.name", "retentionInDays"},
	"azure-native:resources:Deployment": {
		"deploymentName", "properties.mode",
		"properties.parameters.workspaceResourceId.value", "properties.parameters.clusterResourceId.value",
	},
}

// WriteText writes the plan of each stack for people; with several stacks,
// the cross-stack errors and the stacks' security postures side by side;
// and with base (nil without -base) each stack's renames and pool changes
// among its findings, and what was compared.
func WriteText(w io.Writer, stacks []Stack, crossStack []string, base *Base) {
	for i, s := range stacks {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeStackText(w, s, base.findingsOf(s.Stack))
	}
	if len(stacks) > 1 {
		fmt.Fprintf(w, "\nAcross stacks (%d)\n", len(stacks))
		if len(crossStack) == 0 {
			fmt.Fprintln(w, "  no VNet overlaps another stack's VNet or peered ranges, and no two stacks name the same resource")
		}
		for _, e := range crossStack {
			fmt.Fprintf(w, "  error: %s\n", e)
		}
		writePostureTable(w, stacks)
	}
	if base != nil {
		writeBaseText(w, base)
	}
}

// writeBaseText says what -base compared, and the pools each stack adds and
// removes; the renames and pool changes are among each stack's findings.
func writeBaseText(w io.Writer, b *Base) {
	fmt.Fprintf(w, "\nAgainst base %s\n", b.Dir)
	if len(b.Compared) > 0 {
		fmt.Fprintf(w, "  compared: %s\n", strings.Join(b.Compared, ", "))
	}
	if len(b.New) > 0 {
		fmt.Fprintf(w, "  new, nothing to rename: %s\n", strings.Join(b.New, ", "))
	}
	for _, why := range b.NotCompared {
		fmt.Fprintf(w, "  not compared: %s\n", why)
	}
	var renaming []string
	for _, name := range b.Compared {
		if len(b.Renames[name]) > 0 {
			renaming = append(renaming, name)
		}
	}
	if len(renaming) == 0 {
		fmt.Fprintln(w, "  no stack renames a resource")
	} else {
		fmt.Fprintf(w, "  %s, among the findings of %s\n", count(countOf(b.Renames), "rename"), strings.Join(renaming, ", "))
	}
	var changing []string
	for _, name := range b.Compared {
		if len(b.PoolChanges[name]) > 0 {
			changing = append(changing, name)
		}
	}
	if len(changing) > 0 {
		fmt.Fprintf(w, "  %s AKS cannot make on a pool, among the findings of %s\n", count(countOf(b.PoolChanges), "change"), strings.Join(changing, ", "))
	}
	for _, name := range b.Compared {
		if d := b.poolsOf(name); d != nil {
			fmt.Fprintf(w, "  %s\n", poolDiffText(name, *d))
		}
	}
}

// countOf is the number of findings of all stacks.
func countOf(findings map[string][]string) int {
	n := 0
	for _, f := range findings {
		n += len(f)
	}
	return n
}

// poolDiffText says which pools stack adds and removes, and what removing a
// pool takes with it.
func poolDiffText(stack string, d PoolDiff) string {
	var parts []string
	if len(d.Added) > 0 {
		parts = append(parts, "adds "+poolList(d.Added))
	}
	if len(d.Removed) > 0 {
		parts = append(parts, "removes "+poolList(d.Removed))
	}
	text := fmt.Sprintf("stack %s %s", stack, strings.Join(parts, " and "))
	if len(d.Removed) > 0 {
		text += ": Pulumi creates new pools before it deletes removed ones; deleting a pool deletes the pods on its nodes (move them first), and a protected pool must be unprotected first (pulumi state unprotect)"
	}
	return text
}

// poolList is "pool general", "pools general, spot".
func poolList(names []string) string {
	if len(names) == 1 {
		return "pool " + names[0]
	}
	return "pools " + strings.Join(names, ", ")
}

// writeStackText writes one stack's plan; renames are -base's findings
// (renames and pool changes).
func writeStackText(w io.Writer, s Stack, renames []string) {
	fmt.Fprintf(w, "Stack %s (%s), location %s\n", s.Stack, s.File, orNone(s.Location))

	fmt.Fprintf(w, "\nFindings: %s, %s\n", count(len(s.Errors)+len(renames), "error"), count(len(s.Warnings), "warning"))
	for _, e := range s.Errors {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	for _, e := range renames {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	for _, warning := range s.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warning)
	}

	if p := s.IPPlan; p != nil {
		writeIPPlanText(w, p)
	}

	writeEgressText(w, s.config)
	writePostureText(w, s.Posture)

	if len(s.Errors) > 0 {
		fmt.Fprintln(w, "\nResources: none; the program refuses this config before registering anything")
		return
	}
	custom := 0
	for _, r := range s.Resources {
		if !r.Component {
			custom++
		}
	}
	fmt.Fprintf(w, "\nResources: %s in %s, by step of creation (one step's resources are created in parallel)\n",
		count(custom, "Azure resource"), count(len(s.Resources)-custom, "component"))
	fmt.Fprintf(w, "  (%s: only Azure knows it before apply; %s: the subscription you deploy to)\n", Unknown, SubscriptionPlaceholder)
	var components []string
	types := map[string]string{}
	for _, r := range s.Resources {
		if r.Component {
			components = append(components, fmt.Sprintf("%s (%s)", r.Name, r.Type))
			types[r.Name] = r.Type
		}
	}
	fmt.Fprintf(w, "  components: %s\n", strings.Join(components, ", "))
	for _, r := range s.Resources {
		if !r.Component {
			writeResourceText(w, r, types[r.Parent])
		}
	}
}

// writeIPPlanText writes the IP plan: the address ranges, the route table at
// the upgrade peak, a table of the node pools, and the limits on the pools
// together, the binding one first, each with its headroom.
func writeIPPlanText(w io.Writer, p *IPPlan) {
	fmt.Fprintln(w, "\nIP plan")
	fmt.Fprintf(w, "  %-15s %-18s %d addresses\n", "VNet", p.VnetCidr, p.VnetAddresses)
	fmt.Fprintf(w, "  %-15s %-18s %d addresses, %d usable (Azure reserves %d)\n",
		"Node subnet", p.NodeSubnetCidr, p.SubnetAddresses, p.SubnetUsable, ipplan.AzureReservedPerSubnet)
	fmt.Fprintf(w, "  %-15s %-18s %d nodes at one /24 per node\n", "Pod CIDR", p.PodCidr, p.PodCIDRNodes)
	fmt.Fprintf(w, "  %-15s %-18s %d addresses\n", "Service CIDR", p.ServiceCidr, p.ServiceAddresses)
	fmt.Fprintf(w, "  %-15s %s\n", "DNS service IP", p.DNSServiceIP)
	fmt.Fprintf(w, "  %-15s %d of %d routes at the peak: %d AKS node routes + %d user-defined\n",
		"Route table", p.RouteTableUsed, ipplan.MaxRoutesPerTable, p.Peak, p.UDRs)

	rows := [][]string{{"pool", "mode", "priority", "nodes", "surge", "peak"}}
	for _, pool := range p.Pools {
		surge := fmt.Sprint(pool.Surge)
		if strings.HasSuffix(pool.MaxSurge, "%") {
			surge += " (" + pool.MaxSurge + ")"
		}
		rows = append(rows, []string{pool.Name, pool.Mode, pool.Priority, fmt.Sprintf("%s %d", pool.CountKey, pool.Nodes), surge, fmt.Sprint(pool.Peak)})
	}
	if len(p.Pools) > 1 {
		rows = append(rows, []string{"total", "", "", fmt.Sprint(p.Nodes), fmt.Sprint(p.Surge), fmt.Sprint(p.Peak)})
	}
	for i, line := range alignColumns(rows) {
		label := ""
		if i == 0 {
			label = "Node pools"
		}
		fmt.Fprintf(w, "  %-15s %s\n", label, line)
	}

	first := p.Binding
	var ceiling string
	if p.Peak > first.MaxNodes {
		ceiling = fmt.Sprintf("%d nodes at the upgrade peak, bound first by %s%s (%d): over by %d",
			p.Peak, limitName(first), keysSuffix(first.Keys), first.MaxNodes, p.Peak-first.MaxNodes)
	} else {
		ceiling = fmt.Sprintf("%d of %d nodes at the upgrade peak, bound first by %s%s: %d to spare",
			p.Peak, first.MaxNodes, limitName(first), keysSuffix(first.Keys), first.MaxNodes-p.Peak)
	}
	fmt.Fprintf(w, "  %-15s %s\n", "Node ceiling", ceiling)
	var rest []string
	for _, l := range p.Limits[1:] {
		rest = append(rest, fmt.Sprintf("%s %d (%s)", l.Name, l.MaxNodes, headroom(l.MaxNodes, p.Peak)))
	}
	if len(rest) > 0 {
		fmt.Fprintf(w, "  %-15s then %s\n", "", strings.Join(rest, ", "))
	}
	fmt.Fprintf(w, "  %-15s (all pools at their upgrade peak together: every node, Spot too, takes a subnet address, a pod /24 and a route)\n", "")
}

// limitName is the limit's name as the subject of "bound first by":
// "the node subnet", "kubenet".
func limitName(l ipplan.Limit) string {
	if l.Name == "kubenet" {
		return l.Name
	}
	return "the " + l.Name
}

// headroom is "12 to spare" or "over by 12": what a limit of maxNodes leaves
// at a peak of peak nodes.
func headroom(maxNodes, peak int) string {
	if peak > maxNodes {
		return fmt.Sprintf("over by %d", peak-maxNodes)
	}
	return fmt.Sprintf("%d to spare", maxNodes-peak)
}

// alignColumns pads each cell of rows to its column's widest, two spaces
// apart, and returns one line per row, the last column unpadded.
func alignColumns(rows [][]string) []string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	lines := make([]string, len(rows))
	for r, row := range rows {
		line := ""
		for i, cell := range row {
			if i == len(row)-1 {
				line += cell
			} else {
				line += fmt.Sprintf("%-*s  ", widths[i], cell)
			}
		}
		lines[r] = line
	}
	return lines
}

func writeResourceText(w io.Writer, r Resource, parentType string) {
	fmt.Fprintf(w, "  step %d  %s  %s\n", r.Step, r.Name, r.Type)
	if r.Parent != "" {
		fmt.Fprintf(w, "      in component: %s (%s)\n", r.Parent, parentType)
	}
	if len(r.DependsOn) > 0 {
		fmt.Fprintf(w, "      depends on: %s\n", strings.Join(r.DependsOn, ", "))
	}
	for _, path := range keyProperties[r.Type] {
		v, ok := lookup(r.Properties, path)
		switch {
		case path == "routes" && !ok:
			fmt.Fprintln(w, "      routes: none inline (AKS adds one per node; the UDRs are the Route resources)")
		case !ok:
		case path == "roleDefinitionId":
			fmt.Fprintf(w, "      role: %s (%s)\n", roleName(fmt.Sprint(v)), v)
		case path == "spotMaxPrice" && v == spec.DefaultSpotMaxPrice:
			fmt.Fprintf(w, "      %s: %s (up to the on-demand price)\n", path, format(v))
		default:
			fmt.Fprintf(w, "      %s: %s\n", path, format(v))
		}
	}
}

func roleName(id string) string {
	for guid, name := range roles.Names {
		if strings.HasSuffix(id, "/"+guid) {
			return name
		}
	}
	return "custom role"
}

// lookup returns the value at a dotted path with [i] indexes.
func lookup(props map[string]any, path string) (any, bool) {
	var v any = props
	for _, part := range strings.Split(path, ".") {
		name, index, hasIndex := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
		if hasIndex {
			items, ok := v.([]any)
			var i int
			if _, err := fmt.Sscan(index, &i); err != nil || !ok || i >= len(items) {
				return nil, false
			}
			v = items[i]
		}
	}
	return v, true
}

func format(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = format(item)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, k+"="+format(x[k]))
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprintf("%g", x)
	}
	return fmt.Sprint(v)
}

func keysSuffix(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return " (" + strings.Join(keys, ", ") + ")"
}

// count is "1 error", "2 errors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orNone(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}

// jsonStack is a stack's plan with, under -base, its renames, its pool
// changes and the pools it adds and removes.
type jsonStack struct {
	Stack
	// Renames and PoolChanges are -base's findings: an error each. Only with
	// -base.
	Renames     []string `json:"renames,omitempty"`
	PoolChanges []string `json:"poolChanges,omitempty"`
	// BasePools are the user pools the stack adds and removes against the
	// base, matched by name; only with -base, and when it adds or removes one.
	BasePools *PoolDiff `json:"basePools,omitempty"`
}

// WriteJSON writes everything machine-readable: each stack's plan (with its
// renames, pool changes and added and removed pools under -base), the cross-stack errors, what -base compared (base,
// only with -base), and ok, false when any error was found.
func WriteJSON(w io.Writer, stacks []Stack, crossStack []string, base *Base) error {
	ok := len(crossStack) == 0 && base.count() == 0
	out := make([]jsonStack, len(stacks))
	for i, s := range stacks {
		ok = ok && len(s.Errors) == 0
		out[i] = jsonStack{Stack: s, Renames: base.renamesOf(s.Stack), PoolChanges: base.poolChangesOf(s.Stack), BasePools: base.poolsOf(s.Stack)}
	}
	if crossStack == nil {
		crossStack = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Stacks     []jsonStack `json:"stacks"`
		CrossStack []string    `json:"crossStackErrors"`
		Base       *Base       `json:"base,omitempty"`
		OK         bool        `json:"ok"`
	}{out, crossStack, base, ok})
}

// WriteMermaid writes each stack's dependency graph as a Mermaid flowchart:
// one subgraph per component, and an arrow from each resource to those that
// wait for it. An arrow that a longer path already implies (the resource group
// to the cluster, say) is left out, so that the graph shows the order of
// creation; the text and json formats list every dependency.
func WriteMermaid(w io.Writer, stacks []Stack) {
	for i, s := range stacks {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%%%% aks-kubenet stack %s: generated by go run ./cmd/plan -stack %s -format mermaid\n", s.Stack, s.Stack)
		fmt.Fprintln(w, "flowchart LR")
		for _, r := range s.Resources {
			switch {
			case r.Component:
				fmt.Fprintf(w, "  subgraph %s[\"%s\"]\n", "component_"+nodeID(r.Name), label(shortType(r.Type)+" component: "+r.Name))
				for _, child := range s.Resources {
					if child.Parent == r.Name {
						fmt.Fprintf(w, "    %s[\"%s\"]\n", nodeID(child.Name), label(nodeLabel(child)))
					}
				}
				fmt.Fprintln(w, "  end")
			case r.Parent == "":
				fmt.Fprintf(w, "  %s[\"%s\"]\n", nodeID(r.Name), label(nodeLabel(r)))
			}
		}
		var edges []string
		for _, r := range s.Resources {
			for _, dep := range directDependencies(s.Resources, r) {
				edges = append(edges, fmt.Sprintf("  %s --> %s", nodeID(dep), nodeID(r.Name)))
			}
		}
		sort.Strings(edges)
		for _, e := range edges {
			fmt.Fprintln(w, e)
		}
	}
}

// directDependencies returns the dependencies of r that no other dependency
// of r depends on, directly or not: the transitive reduction of the graph.
func directDependencies(all []Resource, r Resource) []string {
	deps := map[string][]string{}
	for _, res := range all {
		deps[res.Name] = res.DependsOn
	}
	var reaches func(from, to string) bool
	reaches = func(from, to string) bool {
		for _, d := range deps[from] {
			if d == to || reaches(d, to) {
				return true
			}
		}
		return false
	}
	var direct []string
	for _, d := range r.DependsOn {
		implied := false
		for _, other := range r.DependsOn {
			implied = implied || other != d && reaches(other, d)
		}
		if !implied {
			direct = append(direct, d)
		}
	}
	return direct
}

// nodeLabel is a resource's type and what tells it apart: its Azure name and,
// for routes and address spaces, the prefixes.
func nodeLabel(r Resource) string {
	parts := []string{shortType(r.Type)}
	if props := keyProperties[r.Type]; len(props) > 0 {
		if name, ok := lookup(r.Properties, props[0]); ok && name != Unknown {
			parts = append(parts, fmt.Sprint(name))
		}
	}
	switch shortType(r.Type) {
	case "Route":
		hop := fmt.Sprint(r.Properties["addressPrefix"]) + " → " + fmt.Sprint(r.Properties["nextHopType"])
		if ip, ok := r.Properties["nextHopIpAddress"]; ok {
			hop += " " + fmt.Sprint(ip)
		}
		parts = append(parts, hop)
	case "VirtualNetwork":
		if v, ok := lookup(r.Properties, "addressSpace.addressPrefixes"); ok {
			parts = append(parts, format(v))
		}
	case "Subnet":
		parts = append(parts, fmt.Sprint(r.Properties["addressPrefix"]))
	case "AgentPool":
		parts = append(parts, agentPoolSize(r.Properties))
	case "RoleAssignment":
		parts = []string{"RoleAssignment", roleName(fmt.Sprint(r.Properties["roleDefinitionId"]))}
		if scope := strings.Split(fmt.Sprint(r.Properties["scope"]), "/"); len(scope) >= 2 {
			parts = append(parts, "on "+strings.Join(scope[len(scope)-2:], "/"))
		}
	}
	for i, p := range parts { // a value such as <known after apply> is text, not HTML
		parts[i] = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(p)
	}
	return strings.Join(parts, "<br/>")
}

// agentPoolSize is a pool's VM size and node count, with its priority when
// Spot: "Standard_D8s_v5, 3-30 nodes", "Standard_D8s_v5, 0-20 nodes, Spot".
func agentPoolSize(props map[string]any) string {
	nodes := format(props["count"])
	if props["enableAutoScaling"] == true {
		nodes = format(props["minCount"]) + "-" + format(props["maxCount"])
	}
	size := fmt.Sprintf("%s, %s nodes", format(props["vmSize"]), nodes)
	if props["scaleSetPriority"] == spec.PrioritySpot {
		size += ", Spot"
	}
	return size
}

func shortType(t string) string { return t[strings.LastIndex(t, ":")+1:] }

var notID = regexp.MustCompile(`[^A-Za-z0-9_]`)

func nodeID(name string) string { return notID.ReplaceAllString(name, "_") }

func label(s string) string { return strings.ReplaceAll(s, `"`, "#quot;") }

// writeEgressText writes the egress mode: with a firewall its rules, each
// with the document that requires it; with a hub the peering and the default
// route.
func writeEgressText(w io.Writer, s spec.Stack) {
	switch {
	case s.Firewall != nil:
		f := s.Firewall
		fmt.Fprintf(w, "\nEgress: Azure Firewall %s (%s) in %s, default route %s to its private IP (expected: the subnet's first usable host)\n",
			f.Name, f.Tier, f.SubnetCidr, s.Network.DefaultRouteName)
		fmt.Fprintf(w, "  rules of %s, from %s:\n", network.RuleCollectionGroupName, s.Network.NodeSubnetCidr)
		for _, r := range network.RequiredRules(s.Location, network.Addons{AzurePolicy: spec.On(s.Cluster.AzurePolicy), ContainerInsights: s.Cluster.MonitoringEnabled()}) {
			ports := ""
			if len(r.Ports) > 0 {
				ports = ":" + strings.Join(r.Ports, ",")
			}
			fmt.Fprintf(w, "    %-11s %-24s %s to %s%s (required: %s)\n", r.Kind, r.Name, strings.Join(r.Protocols, ","), strings.Join(slices.Concat(r.Destinations, r.Fqdns), ","), ports, r.Source)
		}
		for _, r := range f.NetworkRules {
			to := strings.Join(append(append([]string{}, r.DestinationAddresses...), r.DestinationFqdns...), ",")
			fmt.Fprintf(w, "    %-11s %-24s %s to %s:%s (firewall.networkRules)\n", "network", r.Name, strings.Join(r.Protocols, ","), to, strings.Join(r.DestinationPorts, ","))
		}
		if len(f.AllowFqdns) > 0 {
			fmt.Fprintf(w, "    %-11s %-24s Https:443 to %s (firewall.allowFqdns)\n", "application", "allow-fqdns", strings.Join(f.AllowFqdns, ","))
		}
	case s.Hub != nil:
		fmt.Fprintf(w, "\nEgress: the hub's firewall %s, through peering with %s (%s), default route %s\n",
			s.Hub.FirewallPrivateIP, s.Hub.VnetID, strings.Join(s.Hub.AddressSpace, ", "), s.Network.DefaultRouteName)
	}
}

// writePostureText writes a stack's security posture, one setting a line,
// a setting rules warns about marked as the findings mark warnings; nothing
// for a stack without one (a refused config).
func writePostureText(w io.Writer, posture []Setting) {
	if len(posture) == 0 {
		return
	}
	fmt.Fprintln(w, "\nSecurity posture")
	for _, p := range posture {
		fmt.Fprintf(w, "  %s%s: %s\n", warningMark(p.Warning), p.Label, p.Value)
	}
}

// warningMark is "warning: " for a setting rules warns about, as the
// findings mark warnings, else "".
func warningMark(warning bool) string {
	if warning {
		return "warning: "
	}
	return ""
}

// writePostureTable writes the stacks' security postures side by side: one
// row per setting, one column per stack, a setting rules warns about marked
// as in each stack's posture. A refused stack's column says so.
func writePostureTable(w io.Writer, stacks []Stack) {
	const refused = "(refused: errors)"
	var labels []string
	for _, s := range stacks {
		if len(s.Posture) > 0 {
			for _, p := range s.Posture {
				labels = append(labels, p.Label)
			}
			break
		}
	}
	if len(labels) == 0 {
		return
	}
	rows := [][]string{append([]string{"setting"}, stackNames(stacks)...)}
	for i, label := range labels {
		row := []string{label}
		for _, s := range stacks {
			cell := refused
			if i < len(s.Posture) {
				cell = warningMark(s.Posture[i].Warning) + s.Posture[i].Value
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(w, "\nSecurity posture by stack (%d)\n", len(stacks))
	for _, line := range alignColumns(rows) {
		fmt.Fprintf(w, "  %s\n", line)
	}
}

func stackNames(stacks []Stack) []string {
	names := make([]string, len(stacks))
	for i, s := range stacks {
		names[i] = s.Stack
	}
	return names
}
