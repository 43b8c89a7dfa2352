package rules

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// A site is a place in package rules that makes a finding: a call of
// checker.errorf, refusef or warnf, or a Finding literal whose Message is a
// fmt.Sprintf (CheckAcross, CheckSSHPublicKey). Its message format, turned
// into a regexp, tells which site a finding came from.
type site struct {
	pos     string // file:line
	format  string
	pattern *regexp.Regexp
	literal int // characters of format outside its verbs: the larger, the more specific
}

// verb matches a fmt verb with its flags and width.
var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)

// findingSites parses the package's Go files, tests left out, and returns
// every site. A site whose format is not a string literal fails the test: its
// findings could not be told apart.
func findingSites(t *testing.T) []site {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var sites []site
	add := func(pos token.Pos, arg ast.Expr) {
		lit, ok := arg.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			t.Errorf("%s: a finding's format is not a string literal", fset.Position(pos))
			return
		}
		format, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		var re strings.Builder
		literal, last := 0, 0
		for _, m := range verb.FindAllStringIndex(format, -1) {
			re.WriteString(regexp.QuoteMeta(format[last:m[0]]))
			literal += m[0] - last
			if format[m[0]:m[1]] == "%%" {
				re.WriteString("%")
			} else {
				re.WriteString("(?s:.*)")
			}
			last = m[1]
		}
		re.WriteString(regexp.QuoteMeta(format[last:]))
		literal += len(format) - last
		p := fset.Position(pos)
		sites = append(sites, site{fmt.Sprintf("%s:%d", p.Filename, p.Line), format, regexp.MustCompile("^" + re.String() + "$"), literal})
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if recv, ok := sel.X.(*ast.Ident); !ok || recv.Name != "c" {
					return true
				}
				// The helpers themselves pass their format on.
				if at, ok := map[string]int{"errorf": 1, "refusef": 2, "warnf": 1}[sel.Sel.Name]; ok && len(n.Args) > at && !isIdent(n.Args[at], "format") {
					add(n.Pos(), n.Args[at])
				}
			case *ast.KeyValueExpr:
				if key, ok := n.Key.(*ast.Ident); ok && key.Name == "Message" {
					if call, ok := n.Value.(*ast.CallExpr); ok && len(call.Args) > 0 && !isIdent(call.Args[0], "format") {
						add(n.Pos(), call.Args[0])
					}
				}
			}
			return true
		})
	}
	return sites
}

// isIdent reports whether e is the identifier name.
func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// sitesOf returns the most specific sites whose format matches message: one,
// or several of one format.
func sitesOf(sites []site, message string) []site {
	var best []site
	for _, s := range sites {
		switch {
		case !s.pattern.MatchString(message):
		case len(best) == 0 || s.literal > best[0].literal:
			best = []site{s}
		case s.literal == best[0].literal:
			best = append(best, s)
		}
	}
	return best
}

// goInternals is text no message may show: a Go package's error
// ("netip.ParsePrefix(...)"), a bad verb, a nil, a struct dump or a float in
// exponent form.
var goInternals = regexp.MustCompile(`netip\.|strconv\.|json:|[0-9]e[+-][0-9]{2}\b|%!|<nil>|[{}]|0x[0-9a-f]`)

// codeOf is, for messages that contain a text, the code their finding must
// carry: the refusals whose AKS or ARM code depends on the values, which
// the sites' constant codes do not show.
var codeOf = []struct{ text, code string }{
	{"is not inside cluster.serviceCidr", CodeDNSServiceIPOutOfServiceCidr},
	{"is the first address of cluster.serviceCidr", CodeDNSServiceIPConflicting},
	{"is the broadcast address of cluster.serviceCidr", CodeDNSBroadcastAddressConflicting},
	{"cluster.networkPolicy \"azure\" is not a network policy kubenet runs", CodeNetworkPolicyAzureNotSupportedForKubenet},
	{"cluster.podCidr \"", CodeCidrStringParseError},
	{"cluster.serviceCidr \"", CodeCidrStringParseError},
	{"cluster.dnsServiceIP \"", CodeDNSServiceIPParseError},
	{"overlaps cluster.podCidr 10.244.0.0/16: the firewall's subnet", CodePodCidrOverlapExistingSubnetsCidr},
	{"overlaps cluster.serviceCidr 10.0.4.0/24: the firewall's subnet", CodeServiceCidrOverlapExistingSubnetsCidr},
	{"cluster.podCidr 10.0.0.0/16 overlaps network.vnetCidr", CodePodCidrOverlapExistingSubnetsCidr},
}

// walkCase is a stack whose check reaches some sites.
type walkCase struct {
	name  string
	stack spec.Stack
}

// edited returns from with edits applied.
func edited(from spec.Stack, edits ...func(*spec.Stack)) spec.Stack {
	for _, edit := range edits {
		edit(&from)
	}
	return from
}

func walkCases() []walkCase {
	n := spec.Int
	kubenet := func(edits ...func(*spec.Stack)) spec.Stack { return edited(base(), edits...) }
	overlay := func(edits ...func(*spec.Stack)) spec.Stack { return edited(overlayBase(), edits...) }
	cl := func(change func(c *spec.Cluster)) func(*spec.Stack) { return cluster(change) }
	nw := func(change func(n *spec.Network)) func(*spec.Stack) {
		return func(s *spec.Stack) { change(&s.Network) }
	}
	return []walkCase{
		{"missing values", kubenet(nw(func(n *spec.Network) {
			n.VnetCidr, n.NodeSubnetCidr, n.Routes = "", "", []spec.Route{{Name: "", AddressPrefix: "AzureMonitr", NextHopType: ""}}
		}), cl(func(c *spec.Cluster) {
			c.PodCidr, c.ServiceCidr, c.DNSServiceIP, c.OutboundType, c.NodeCount, c.MaxPods = "", "", "", "", nil, nil
		}))},
		{"values that do not parse", kubenet(nw(func(n *spec.Network) {
			n.VnetCidr, n.NodeSubnetCidr, n.PeeredCidrs = "10.0.0.0", "fd00::/64", []string{"10.100.0.1/16"}
			n.Routes = []spec.Route{route("a", "10.9.0.0/16", spec.NextHopVirtualAppliance, "::ffff:10.0.2.4"), route("b", "10.8.0.0/16", spec.NextHopVirtualAppliance, "fd00::4"), route("c", "10.7.0.0/16", spec.NextHopVirtualAppliance, "ten")}
		}), cl(func(c *spec.Cluster) { c.PodCidr, c.ServiceCidr, c.DNSServiceIP = "pods", "10.0.4.0", "10.0.4" }))},
		{"ranges that collide", kubenet(nw(func(n *spec.Network) {
			n.NodeSubnetCidr, n.PeeredCidrs = "10.1.0.0/28", []string{"10.0.0.0/8", "10.0.128.0/17"}
		}), cl(func(c *spec.Cluster) {
			c.PodCidr, c.ServiceCidr, c.DNSServiceIP = "10.0.128.0/17", "10.0.0.0/8", "10.0.0.1"
		}))},
		{"pod CIDR over the node subnet", kubenet(cl(func(c *spec.Cluster) { c.PodCidr = "10.0.0.0/16" }))},
		{"tiny ranges", kubenet(nw(func(n *spec.Network) { n.NodeSubnetCidr = "10.0.1.0/30" }), cl(func(c *spec.Cluster) {
			c.ServiceCidr, c.DNSServiceIP = "10.0.4.0/31", "10.0.4.1"
		}))},
		{"reserved ranges", kubenet(nw(func(n *spec.Network) { n.VnetCidr = "169.254.0.0/16" }), cl(func(c *spec.Cluster) {
			c.PodCidr, c.ServiceCidr, c.DNSServiceIP = "172.16.0.0/12", "192.0.2.0/30", "192.0.2.1"
		}))},
		{"overlay reserved ranges", overlay(cl(func(c *spec.Cluster) { c.PodCidr = "172.16.0.0/12" }))},
		{"dns at the edges", kubenet(cl(func(c *spec.Cluster) { c.DNSServiceIP = "10.0.4.0" }))},
		{"dns at the broadcast address", kubenet(cl(func(c *spec.Cluster) { c.DNSServiceIP = "10.0.4.255" }))},
		{"dns outside", kubenet(cl(func(c *spec.Cluster) { c.DNSServiceIP = "10.0.5.10" }))},
		{"routes", kubenet(nw(func(n *spec.Network) {
			n.Routes = append(n.Routes,
				route("Default-Route", "0.0.0.0/0", spec.NextHopInternet, "10.0.2.4"),
				route("pods", "10.244.1.0/24", "virtualappliance", ""),
				route("x", "10.50.0.0/16", "Firewall", ""),
				route("hop", "10.51.0.0/16", spec.NextHopVirtualAppliance, ""),
				route("podhop", "10.52.0.0/16", spec.NextHopVirtualAppliance, "10.244.0.4"),
				route("svchop", "10.53.0.0/16", spec.NextHopVirtualAppliance, "10.0.4.4"),
				route("far", "10.54.0.0/16", spec.NextHopVirtualAppliance, "192.168.0.4"),
				route("loop", "10.55.0.0/16", spec.NextHopVirtualAppliance, "10.0.1.4"),
				route("bad name!", "Storage.WestEurope", spec.NextHopInternet, ""),
				route("tag", "AzureMonitor", spec.NextHopVirtualAppliance, "10.0.2.4"),
				route("tag2", "azuremonitor", spec.NextHopVirtualAppliance, "10.0.2.4"),
				route("garbage", "Stroage.WestEurope", spec.NextHopInternet, ""),
				route("garbage2", "Nonsense", spec.NextHopInternet, ""),
			)
		}))},
		{"too many tag routes", kubenet(func(s *spec.Stack) {
			for i := range MaxServiceTagRoutes + 1 {
				s.Network.Routes = append(s.Network.Routes, route(fmt.Sprintf("t%d", i), "AzureCloud.region"+strconv.Itoa(i), spec.NextHopInternet, ""))
			}
		})},
		{"too many routes", kubenet(manyRoutes(1001))},
		{"routes leave no room for nodes", kubenet(manyRoutes(700), cl(func(c *spec.Cluster) { c.NodeCount = n(350) }))},
		{"no default route", kubenet(nw(func(n *spec.Network) { n.Routes = nil }))},
		{"default route to the internet", kubenet(nw(func(n *spec.Network) {
			n.Routes[0].NextHopType, n.Routes[0].NextHopIPAddress = spec.NextHopInternet, ""
		}))},
		{"outbound types", kubenet(cl(func(c *spec.Cluster) { c.OutboundType = "UserDefinedRouting" }))},
		{"outbound type unknown", kubenet(cl(func(c *spec.Cluster) { c.OutboundType = "none" }))},
		{"capacity", kubenet(cl(func(c *spec.Cluster) {
			c.PodCidr, c.NodeCount, c.MaxSurge = "10.244.0.0/25", n(3), "0%"
		}))},
		{"capacity at the peak", kubenet(nw(func(n *spec.Network) { n.NodeSubnetCidr = "10.0.1.0/29" }), cl(func(c *spec.Cluster) {
			c.PodCidr, c.NodeCount = "10.244.0.0/23", n(401)
		}))},
		{"overlay capacity", overlay(firewall(nil), manyRoutes(1000), nw(func(n *spec.Network) { n.NodeSubnetCidr = "10.0.1.0/29" }), cl(func(c *spec.Cluster) {
			c.PodCidr, c.NodeCount = "10.244.0.0/23", n(5001)
		}))},
		{"overlay pod CIDR too small", overlay(cl(func(c *spec.Cluster) { c.PodCidr = "10.244.0.0/25" }))},
		{"overlay network", overlay(cl(func(c *spec.Cluster) {
			c.PodCidr, c.NetworkDataplane, c.NetworkPolicy = "10.0.1.0/24", "ebpf", "azure"
		}))},
		{"overlay in the VNet, public pods", overlay(cl(func(c *spec.Cluster) { c.PodCidr = "10.0.128.0/17" }))},
		{"overlay public pod range", overlay(cl(func(c *spec.Cluster) { c.PodCidr = "20.0.0.0/16" }))},
		{"overlay cilium policy on the azure dataplane", overlay(cl(func(c *spec.Cluster) {
			c.NetworkDataplane, c.NetworkPolicy = spec.DataplaneAzure, spec.NetworkPolicyCilium
		}))},
		{"overlay cilium dataplane with calico", overlay(cl(func(c *spec.Cluster) {
			c.NetworkDataplane, c.NetworkPolicy = spec.DataplaneCilium, spec.NetworkPolicyCalico
		}))},
		{"overlay long names", overlay(nw(func(n *spec.Network) { n.SubnetName = strings.Repeat("s", 64) }))},
		{"network modes", kubenet(cl(func(c *spec.Cluster) { c.NetworkDataplane = "cilium" }))},
		{"network mode unknown", kubenet(cl(func(c *spec.Cluster) { c.NetworkPlugin = "azure" }))},
		{"kubenet network policy", kubenet(cl(func(c *spec.Cluster) { c.NetworkPolicy = "azure" }))},
		{"firewall", kubenet(firewall(func(f *spec.Firewall) {
			f.SubnetCidr, f.Tier, f.PublicIPCount, f.ThreatIntelMode, f.Name = "10.0.4.0/27", "Basic", spec.Int(0), "On", "-fw"
			f.AllowFqdns = []string{"not a domain"}
			f.NetworkRules = []spec.NetworkRule{
				{Name: "", Protocols: nil, DestinationPorts: nil},
				{Name: "r", Protocols: []string{"tcp"}, DestinationAddresses: []string{"10.0.0.0/33"}, DestinationFqdns: []string{"bad fqdn"}, DestinationPorts: spec.StringList{"0"}},
				{Name: "R", Protocols: []string{"TCP"}, DestinationPorts: spec.StringList{"443"}},
				{Name: "f", Protocols: []string{"TCP"}, DestinationFqdns: []string{"example.com"}, DestinationPorts: spec.StringList{"443"}},
			}
			f.DNSProxy = flag(false)
		}), cl(func(c *spec.Cluster) { c.OutboundType = spec.OutboundLoadBalancer }), nw(func(n *spec.Network) {
			n.PeeredCidrs = []string{"10.0.4.0/24"}
			n.DefaultRouteName = "default-route"
			n.Routes = []spec.Route{route("default-route", "0.0.0.0/0", spec.NextHopVirtualNetworkGateway, "")}
		}))},
		{"firewall subnet", kubenet(firewall(func(f *spec.Firewall) { f.SubnetCidr = "10.244.0.0/26" }))},
		{"firewall subnet outside", kubenet(firewall(func(f *spec.Firewall) { f.SubnetCidr = "10.1.2.0/26" }), cl(func(c *spec.Cluster) { c.PodCidr = "10.1.0.0/16" }))},
		{"firewall in production", edited(base(), firewall(nil), func(s *spec.Stack) { s.Name = "prod" })},
		{"firewall and hub", kubenet(firewall(nil), hub(func(h *spec.Hub) {
			h.VnetID, h.AddressSpace, h.FirewallPrivateIP = "", nil, ""
		}))},
		{"hub", kubenet(hub(func(h *spec.Hub) {
			h.VnetID, h.AddressSpace, h.FirewallPrivateIP = "not-an-id", []string{"10.0.0.0/8"}, "192.168.0.4"
		}))},
		{"hub in the placeholder subscription", kubenet(hub(func(h *spec.Hub) {
			h.VnetID, h.FirewallPrivateIP = "/subscriptions/"+spec.PlaceholderSubscription+"/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet", "10.100.0.x"
		}), cl(func(c *spec.Cluster) {
			c.PrivateCluster, c.APIServerAuthorizedIPRanges = nil, []string{"203.0.113.0/24"}
		}))},
		{"security", kubenet(cl(func(c *spec.Cluster) {
			c.EntraID, c.DisableLocalAccounts = flag(false), flag(true)
			c.ClusterAdmins = []string{"3f2b1c4e-0000-0000-0000-000000000000", "Group:nope", "Group:6f1c2e3d-4b5a-4c7d-8e9f-0a1b2c3d4e5f", "Group:6F1C2E3D-4B5A-4C7D-8E9F-0A1B2C3D4E5F", "Group:" + spec.PlaceholderSubscription}
			c.APIServerAuthorizedIPRanges = []string{"203.0.113.0/24", "203.0.113.0/24", "0.0.0.0/0", "10.0.0.0/8"}
			c.WorkloadIdentity, c.OIDCIssuer = flag(true), flag(false)
			c.Tier = "Gold"
			c.UpgradeChannel, c.NodeOSUpgradeChannel = "weekly", "Daily"
			c.MaintenanceWindow = window("Funday", "25:00", 2, "+15:00")
			c.Monitoring = &spec.Monitoring{Enabled: true, RetentionDays: n(7), WorkspaceName: "ws"}
		}))},
		{"security warnings", edited(base(), func(s *spec.Stack) { s.Name = "prod" }, firewall(nil), cl(func(c *spec.Cluster) {
			c.PrivateCluster, c.APIServerAuthorizedIPRanges = nil, nil
			c.Tier, c.ClusterAdmins = spec.TierFree, nil
			c.UpgradeChannel, c.NodeOSUpgradeChannel, c.KubernetesVersion = spec.UpgradeChannelNodeImage, "None", "1.31"
			c.MaintenanceWindow = &spec.MaintenanceWindow{Day: "Sunday", StartTime: "02:00", UTCOffset: "+00:00"}
		}))},
		{"window without effect", kubenet(cl(func(c *spec.Cluster) {
			c.UpgradeChannel, c.NodeOSUpgradeChannel = spec.UpgradeChannelNone, "None"
			c.MaintenanceWindow = window("Sunday", "02:00", 4, "+00:00")
		}))},
		{"authorized ranges through an appliance", kubenet(cl(func(c *spec.Cluster) {
			c.PrivateCluster, c.APIServerAuthorizedIPRanges = nil, []string{"203.0.113.0/24"}
		}))},
		{"too many authorized ranges", kubenet(firewall(nil), cl(func(c *spec.Cluster) {
			c.PrivateCluster = nil
			for i := range MaxAuthorizedIPRanges {
				c.APIServerAuthorizedIPRanges = append(c.APIServerAuthorizedIPRanges, fmt.Sprintf("203.%d.%d.0/24", i/256, i%256))
			}
		}))},
		{"subscription", edited(base(), func(s *spec.Stack) { s.Subscription = "prod" })},
		{"no subscription", edited(base(), func(s *spec.Stack) { s.Subscription = "" })},
		{"placeholder subscription", edited(base(), func(s *spec.Stack) { s.Subscription = spec.PlaceholderSubscription })},
		{"zones", kubenet(cl(func(c *spec.Cluster) { c.Zones = spec.StringList{"1", "1", "4"} }))},
		{"pinned version on a moving channel", kubenet(cl(func(c *spec.Cluster) { c.UpgradeChannel, c.KubernetesVersion = spec.UpgradeChannelPatch, "1.31" }))},
		{"names", edited(base(), func(s *spec.Stack) {
			s.ResourceGroup = spec.ResourceGroup{Existing: true}
			s.Location = ""
			s.Cluster.KubernetesVersion, s.Cluster.VMSize = "v1.31", ""
			s.Tags = map[string]string{"a/b": strings.Repeat("v", 300), strings.Repeat("k", 513): "v"}
			for i := range 50 {
				s.Tags[fmt.Sprintf("t%d", i)] = "v"
			}
		})},
		{"node resource groups", kubenet(cl(func(c *spec.Cluster) { c.NodeResourceGroup = "AKS-KUBENET-RG" }))},
		{"long node resource group", kubenet(cl(func(c *spec.Cluster) { c.NodeResourceGroup = strings.Repeat("g", 81) }))},
		{"long derived node resource group", edited(base(), func(s *spec.Stack) { s.ResourceGroup.Name = strings.Repeat("g", 60) })},
		{"location as a display name", edited(base(), func(s *spec.Stack) { s.Location, s.LocationAsWritten = "eastus", "East US" })},
		{"location not a region", edited(base(), func(s *spec.Stack) { s.Location = "East_US" })},
		{"system pool counts", kubenet(cl(func(c *spec.Cluster) { c.NodeCount, c.MinCount = n(0), n(0) }))},
		{"system pool on a 1-vCPU size", kubenet(cl(func(c *spec.Cluster) { c.VMSize = "Standard_B1s" }))},
		{"system pool autoscaler bounds", kubenet(cl(func(c *spec.Cluster) { c.MinCount = n(5) }))},
		{"system pool autoscaler bounds reversed", kubenet(cl(func(c *spec.Cluster) { c.MaxCount = n(2) }))},
		{"user pools", kubenet(withPools(
			userPool("system"),
			userPool("dup"), userPool("dup"),
			userPool("sizes", func(p *spec.Pool) { p.VMSize = "" }),
			userPool("space", func(p *spec.Pool) { p.VMSize = "Standard D4" }),
			userPool("nocount", counts(-1, -1, -1)),
			userPool("sys", system, counts(0, -1, -1)),
			userPool("neg", counts(-1, -2, 3)),
			userPool("huge", counts(1001, -1, -1)),
			userPool("pods", maxPods(5)),
			userPool("syspods", system, maxPods(10), counts(1, -1, -1)),
			userPool("mode", func(p *spec.Pool) { p.Mode = "Primary" }),
			spotPool("spotsys", system),
			userPool("surge", func(p *spec.Pool) { p.MaxSurge = "x"; p.OSSku = "Windows2022" }),
			userPool("labels", labels("-bad", "v", "kubernetes.azure.com/x", "v", "ok", "-bad-", "kubernetes.io/x", "v", "node.kubernetes.io/instance-type", "v")),
			userPool("taints", taints("nocolon", "-k=v:NoSchedule", "k=-v-:NoSchedule", "k=v:Never", "a=b:NoSchedule", "a=c:NoSchedule")),
			spotPool("spott", taints("kubernetes.azure.com/scalesetpriority=other:NoSchedule")),
			userPool("systaint", system, taints("k=v:NoSchedule")),
			userPool("regular", func(p *spec.Pool) { p.EvictionPolicy = "Delete"; p.SpotMaxPrice = new(float64) }),
			userPool("prio", func(p *spec.Pool) { p.Priority = "Low" }),
			spotPool("evict", func(p *spec.Pool) { p.EvictionPolicy = "Keep" }, price(-2)),
			spotPool("cents", price(0.123456)),
		))},
		{"too many pools", kubenet(withPools(manyPools(MaxNodePools)...))},
		{"only Spot pools", kubenet(withPools(spotPool("spot")))},
		{"overlay pool pods", overlay(withPools(userPool("none"), userPool("many", maxPods(300))), func(s *spec.Stack) { s.Pools[0].MaxPods = nil })},
	}
}

// TestEveryRefusalPathIsWalked reaches every site of the package with
// walkCases, fails for a site no case reaches, a finding from no site, a
// finding without the code its refusal has, and a message that shows Go
// internals.
func TestEveryRefusalPathIsWalked(t *testing.T) {
	sites := findingSites(t)
	reached := map[string]bool{}
	codes := map[string]bool{}
	check := func(name string, f Finding, isError bool) {
		if goInternals.MatchString(f.Message) {
			t.Errorf("%s: message shows Go internals: %s", name, f.Message)
		}
		from := sitesOf(sites, f.Message)
		if len(from) == 0 {
			t.Errorf("%s: finding from no known site: %s", name, f.Message)
			return
		}
		for _, s := range from {
			reached[s.pos] = true
		}
		if f.Code != "" {
			codes[f.Code] = true
			if !isError {
				t.Errorf("%s: a warning has code %s: %s", name, f.Code, f.Message)
			}
		}
		for _, c := range codeOf {
			if strings.Contains(f.Message, c.text) && f.Code != c.code {
				t.Errorf("%s: finding %q has code %q, want %q", name, f.Message, f.Code, c.code)
			}
		}
	}
	for _, tc := range walkCases() {
		r := Check(tc.stack)
		for _, f := range r.Errors {
			check(tc.name, f, true)
		}
		for _, f := range r.Warnings {
			check(tc.name, f, false)
		}
	}
	a, b := namedStack("a", 0), namedStack("b", 0)
	a.Cluster.PodCidr, b.Cluster.PodCidr = "10.244.0.0/16", "10.244.0.0/16"
	b.Network.PeeredCidrs = []string{a.Network.VnetCidr}
	c := copyOf(a, "c")
	for _, f := range CheckAcross([]spec.Stack{a, b, c}) {
		check("across", f, true)
	}
	for _, key := range []string{"", "ssh-ed25519 AAAAC3Nza", "ssh-rsa !!!", sshRSA(t, 1024)} {
		if f := CheckSSHPublicKey(key); f != nil {
			check("ssh key", *f, true)
		}
	}
	for _, s := range sites {
		if !reached[s.pos] {
			t.Errorf("%s: no case reaches %q", s.pos, s.format)
		}
	}
	for _, code := range declaredCodes(t) {
		if !codes[code] {
			t.Errorf("no case reaches a refusal with code %s", code)
		}
	}
}

// declaredCodes returns the values of the Code constants of rules.go.
func declaredCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "rules.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(f, func(n ast.Node) bool {
		if spec, ok := n.(*ast.ValueSpec); ok && strings.HasPrefix(spec.Names[0].Name, "Code") {
			v, _ := strconv.Unquote(spec.Values[0].(*ast.BasicLit).Value)
			codes = append(codes, v)
		}
		return true
	})
	return slices.Compact(slices.Sorted(slices.Values(codes)))
}

// A route to a service tag is taken, with a region or without, in any
// letter case, and keeps every check but the CIDR arithmetic; a misspelled
// tag or garbage is refused, naming the tag it probably means.
func TestServiceTagRoutes(t *testing.T) {
	tag := func(prefix string) func(*spec.Stack) {
		return addRoute(route("tag", prefix, spec.NextHopVirtualAppliance, "10.0.2.4"))
	}
	runCases(t, []testCase{
		{"tag", tag("AzureMonitor"), nil, ""},
		{"tag with region", tag("Storage.WestEurope"), nil, ""},
		{"tag with a lower-case region", tag("AzureCloud.eastus"), nil, ""},
		{"dotted tag", tag("AzureFrontDoor.Frontend"), nil, ""},
		{"tag in another case", tag("azuremonitor"), nil, ""},
		{"misspelled tag", tag("AzureMonitr"), []string{`network.routes[1].addressPrefix "AzureMonitr" is not a service tag a route takes`, "did you mean AzureMonitor?"}, ""},
		{"misspelled tag with region", tag("Stroage.WestEurope"), []string{"did you mean Storage.WestEurope?"}, ""},
		{"tag no route takes", tag("VirtualNetwork"), []string{`"VirtualNetwork" is not a service tag a route takes`}, ""},
		{"garbage", tag("not a prefix"), []string{`"not a prefix" is not a service tag a route takes: set the route's destination`}, ""},
		{"tag twice", func(s *spec.Stack) { tag("Storage")(s); tag("storage")(s) }, []string{"network.routes[2].addressPrefix storage repeats network.routes[1].addressPrefix"}, CodeRouteConflict},
		{"tag still needs its next hop address", addRoute(route("tag", "AzureMonitor", spec.NextHopVirtualAppliance, "")), []string{"network.routes[1].nextHopIpAddress is missing"}, CodeMissingNextHopIPAddress},
		{"tag still needs a next hop type", addRoute(route("tag", "AzureMonitor", "Appliance", "")), []string{`network.routes[1].nextHopType "Appliance" is not a next hop type`}, ""},
		{"a tag is no default route", func(s *spec.Stack) {
			s.Network.Routes = []spec.Route{route("tag", "AzureCloud", spec.NextHopVirtualAppliance, "10.0.2.4")}
		},
			[]string{"network.routes has no 0.0.0.0/0 route"}, CodeRouteTableMissingDefaultRoute},
	})
}
