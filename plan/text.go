package plan

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

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
	writeNetworkText(w, s.Network)

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
	for _, note := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", note)
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
// together, the binding one first, each with its headroom. A kubenet
// cluster's nodes each take a route in the table; an Overlay cluster's take
// none.
func writeIPPlanText(w io.Writer, p *IPPlan) {
	fmt.Fprintln(w, "\nIP plan")
	fmt.Fprintf(w, "  %-15s %-18s %d addresses\n", "VNet", p.VnetCidr, p.VnetAddresses)
	fmt.Fprintf(w, "  %-15s %-18s %d addresses, %d usable (Azure reserves %d)\n",
		"Node subnet", p.NodeSubnetCidr, p.SubnetAddresses, p.SubnetUsable, ipplan.AzureReservedPerSubnet)
	fmt.Fprintf(w, "  %-15s %-18s %d nodes at one /24 per node\n", "Pod CIDR", p.PodCidr, p.PodCIDRNodes)
	fmt.Fprintf(w, "  %-15s %-18s %d addresses\n", "Service CIDR", p.ServiceCidr, p.ServiceAddresses)
	fmt.Fprintf(w, "  %-15s %s\n", "DNS service IP", p.DNSServiceIP)
	if !p.Overlay {
		fmt.Fprintf(w, "  %-15s %d of %d routes at the peak: %d AKS node routes + %d user-defined\n",
			"Route table", p.RouteTableUsed, ipplan.MaxRoutesPerTable, p.Peak, p.UDRs)
	} else {
		fmt.Fprintf(w, "  %-15s %d of %d routes: user-defined only (Overlay writes no route per node)\n",
			"Route table", p.UDRs, ipplan.MaxRoutesPerTable)
	}

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
	takes := "a subnet address, a pod /24 and a route"
	if p.Overlay {
		takes = "a subnet address and a pod /24"
	}
	fmt.Fprintf(w, "  %-15s (all pools at their upgrade peak together: every node, Spot too, takes %s)\n", "", takes)
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
	for _, path := range armid.Types[r.Type].KeyProperties {
		v, ok := lookup(r.Properties, path)
		switch {
		case path == "routes" && !ok:
			fmt.Fprintln(w, "      routes: none inline (the UDRs are the Route resources; with kubenet AKS adds one per node)")
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

// writeNetworkText writes the stack's network mode: for kubenet, the days
// left to its retirement and the way to Overlay.
func writeNetworkText(w io.Writer, n Network) {
	switch {
	case n.Plugin == spec.NetworkPluginOverlay:
		fmt.Fprintf(w, "Network: Azure CNI Overlay, %s dataplane; the route table holds only the user-defined routes (no per-node routes)\n", n.Dataplane)
	case n.DaysLeft != nil:
		fmt.Fprintf(w, "Network: kubenet, a route per node in the route table; %s\n", aksfacts.KubenetRetirementNotice(*n.DaysLeft))
	}
}

// writeEgressText writes the egress mode: with a firewall its rules, each
// with the document that requires it; with a hub the peering and the default
// route.
func writeEgressText(w io.Writer, s spec.Stack) {
	switch {
	case s.Firewall != nil:
		f := s.Firewall
		fmt.Fprintf(w, "\nEgress: Azure Firewall %s (%s) in %s, default route %s to its private IP (expected: the subnet's first usable host)\n",
			f.Name, f.Tier, f.SubnetCidr, s.Network.DefaultRouteName)
		fmt.Fprintf(w, "  rules of %s, from %s:\n", aksfacts.RuleCollectionGroupName, s.Network.NodeSubnetCidr)
		for _, r := range aksfacts.RequiredRules(s.Location, aksfacts.Addons{AzurePolicy: spec.On(s.Cluster.AzurePolicy), ContainerInsights: s.Cluster.MonitoringEnabled()}) {
			ports := ""
			if len(r.Ports) > 0 {
				ports = ":" + strings.Join(r.Ports, ",")
			}
			fmt.Fprintf(w, "    %-11s %-24s %s to %s%s (required: %s)\n", r.Kind, r.Name, strings.Join(r.Protocols, ","), strings.Join(slices.Concat(r.Destinations, r.Fqdns), ","), ports, r.Source)
		}
		for _, r := range f.NetworkRules {
			to := strings.Join(append(append([]string{}, r.DestinationAddresses...), r.DestinationFqdns...), ",")
			fmt.Fprintf(w, "    %-11s %-24s %s to %s:%s (%s)\n", "network", r.Name, strings.Join(r.Protocols, ","), to, strings.Join(r.DestinationPorts, ","), spec.PathFirewallNetworkRules)
		}
		if len(f.AllowFqdns) > 0 {
			fmt.Fprintf(w, "    %-11s %-24s Https:443 to %s (%s)\n", "application", "allow-fqdns", strings.Join(f.AllowFqdns, ","), spec.PathFirewallAllowFqdns)
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
