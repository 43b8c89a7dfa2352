// Package spec is the typed configuration of one aks-kubenet stack: the values a
// platform team keeps in Pulumi.<stack>.yaml, with the defaults the program applies.
//
// It has no Pulumi imports: the program (package stack), the offline plan
// (cmd/plan) and the validation rules (package rules) all read the same types.
// CIDRs and IP addresses stay strings here, exactly as configured; package rules
// parses and checks them, so that a bad value is reported with the key it came from.
//
// Every config key is declared once: the top-level keys in keys.go, the
// paths inside their objects in paths.go, generated from the json tags of the
// types here (go test ./spec -run TestPathsFile -update).
package spec

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Project is the Pulumi project name and the namespace of every project config key.
const Project = "aks-kubenet"

// Defaults applied by Defaults when a key is not set.
const (
	DefaultVMSize  = "Standard_D4s_v5"
	DefaultMaxPods = 110 // kubenet default, https://learn.microsoft.com/azure/aks/configure-kubenet
	// DefaultOverlayMaxPods is an Overlay pool's default and most pods a
	// node (https://learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay).
	DefaultOverlayMaxPods = 250
	DefaultNetworkPlugin  = NetworkPluginKubenet
	DefaultMaxSurge       = "1"
	DefaultNodePoolName   = "system"
	DefaultOutboundType   = OutboundUserDefinedRouting
)

// Network modes of cluster.networkPlugin: kubenet (retired on 31 March
// 2028) or Azure CNI Overlay, which AKS names networkPlugin azure with
// networkPluginMode overlay
// (https://learn.microsoft.com/azure/aks/azure-cni-overlay).
const (
	NetworkPluginKubenet = "kubenet"
	NetworkPluginOverlay = "overlay"
)

// NetworkPlugins lists cluster.networkPlugin's values.
var NetworkPlugins = []string{NetworkPluginKubenet, NetworkPluginOverlay}

// Dataplanes of cluster.networkDataplane, an Overlay cluster's: azure
// (iptables) or cilium (eBPF, Azure CNI Powered by Cilium,
// https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium).
const (
	DataplaneAzure  = "azure"
	DataplaneCilium = "cilium"
)

// Dataplanes lists cluster.networkDataplane's values.
var Dataplanes = []string{DataplaneAzure, DataplaneCilium}

// Outbound types the program accepts for cluster.outboundType.
const (
	OutboundUserDefinedRouting = "userDefinedRouting"
	OutboundLoadBalancer       = "loadBalancer"
)

// Next hop types a user-defined route may have
// (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview).
const (
	NextHopVirtualNetworkGateway = "VirtualNetworkGateway"
	NextHopVnetLocal             = "VnetLocal"
	NextHopInternet              = "Internet"
	NextHopVirtualAppliance      = "VirtualAppliance"
	NextHopNone                  = "None"
)

// NextHopTypes lists every next hop type a user-defined route may have, in the
// order the Azure documentation gives them.
var NextHopTypes = []string{
	NextHopVirtualNetworkGateway, NextHopVnetLocal, NextHopInternet, NextHopVirtualAppliance, NextHopNone,
}

// Stack is the whole configuration of one stack (one region or environment).
type Stack struct {
	// Name is the Pulumi stack name, used to derive default resource names.
	Name string
	// Location is azure-native:location, the Azure region of every resource,
	// in its programmatic form ("eastus"): Defaults normalizes a display
	// name ("East US") with NormalLocation.
	Location string
	// LocationAsWritten is azure-native:location as the stack's config
	// writes it when that differs from Location ("East US"), and "" when
	// it does not, so that the rules can warn of the rewrite.
	LocationAsWritten string
	// Subscription is azure-native:subscriptionId, the subscription the stack
	// deploys into; "" when the stack does not name one.
	Subscription string
	// ResourceGroup is aks-kubenet:resourceGroup (or the older
	// aks-kubenet:resourceGroupName, which sets only its name).
	ResourceGroup ResourceGroup
	// ResourceGroupKey is the config key that names the group, for messages:
	// aks-kubenet:resourceGroupName or aks-kubenet:resourceGroup.name.
	ResourceGroupKey string
	// Tags is aks-kubenet:tags, applied to every resource that takes tags.
	Tags map[string]string
	// HasSSHPublicKey reports whether the secret aks-kubenet:sshPublicKey is set;
	// the key itself never enters this struct, so it cannot be printed by accident.
	HasSSHPublicKey bool
	// Protect is aks-kubenet:protect (default true): the cluster, the VNet, the
	// node subnet and the route table are protected, so that no config edit can
	// delete them.
	Protect bool
	// ExportKubeconfig is aks-kubenet:exportKubeconfig (default false): export
	// the cluster user's kubeconfig as the secret stack output kubeconfig.
	ExportKubeconfig bool
	// ReadLastDeployment is aks-kubenet:readLastDeployment (default true): a
	// preview reads the stack's last deployment (its outputs, through a
	// StackReference to itself) to warn about renames and settings AKS
	// cannot change. deploy.yml sets it false in its plan and up jobs: an
	// update plan cannot hold a read that only the preview makes (the up
	// would refuse the plan for the pulumi provider it never registers).
	ReadLastDeployment bool
	// Adopt is aks-kubenet:adopt, which the state doctor (cmd/doctor) sets
	// for one targeted run: the URNs of resources whose create a killed run
	// left pending, each with the id of what that create made in Azure,
	// which the program then imports (the import resource option) instead
	// of creating again. Empty otherwise.
	Adopt map[string]string
	// Firewall is aks-kubenet:firewall: an Azure Firewall in the cluster's
	// VNet takes all egress (egress mode 2); nil without one.
	Firewall *Firewall
	// Hub is aks-kubenet:hub: a hub VNet's firewall takes all egress through
	// peering (egress mode 3); nil without one.
	Hub *Hub
	// Network is aks-kubenet:network.
	Network Network
	// Cluster is aks-kubenet:cluster.
	Cluster Cluster
	// Pools is aks-kubenet:pools, the user node pools, in config order.
	Pools []Pool
}

// ResourceGroup is the aks-kubenet:resourceGroup config object: the group
// every resource is in.
type ResourceGroup struct {
	// Name is the group's name.
	Name string `json:"name"`
	// Existing is true for a group that exists already: the program looks it up
	// instead of creating it, and never deletes it.
	Existing bool `json:"existing"`
}

// Firewall is the aks-kubenet:firewall config object: an Azure Firewall in
// the cluster's VNet with the outbound rules AKS requires.
type Firewall struct {
	// SubnetCidr is the AzureFirewallSubnet, inside the VNet.
	SubnetCidr string `json:"subnetCidr"`
	// Tier is Standard or Premium.
	Tier string `json:"tier"`
	// PublicIPCount is the number of public IPs, 1 to 250.
	PublicIPCount *int `json:"publicIpCount"`
	// Name is the firewall's name; its policy and public IPs derive theirs.
	Name string `json:"name"`
	// ThreatIntelMode is Alert, Deny or Off.
	ThreatIntelMode string `json:"threatIntelMode"`
	// DNSProxy turns on the firewall's DNS proxy.
	DNSProxy *bool `json:"dnsProxy"`
	// AllowFqdns are extra FQDNs the workloads may reach on HTTPS.
	AllowFqdns []string `json:"allowFqdns"`
	// NetworkRules are extra network rules.
	NetworkRules []NetworkRule `json:"networkRules"`
}

// NetworkRule is one extra network rule of the firewall.
type NetworkRule struct {
	Name                 string     `json:"name"`
	Protocols            []string   `json:"protocols"`
	DestinationAddresses []string   `json:"destinationAddresses"`
	DestinationFqdns     []string   `json:"destinationFqdns"`
	DestinationPorts     StringList `json:"destinationPorts"`
}

// Hub is the aks-kubenet:hub config object: the hub VNet whose firewall takes
// the cluster's egress, peered both ways.
type Hub struct {
	// VnetID is the hub VNet's resource id, in any subscription.
	VnetID string `json:"vnetId"`
	// AddressSpace are the hub's CIDRs; they count as peered ranges.
	AddressSpace []string `json:"addressSpace"`
	// FirewallPrivateIP is the hub firewall's private IP, the default route's
	// next hop.
	FirewallPrivateIP string `json:"firewallPrivateIp"`
	// UseRemoteGateways uses the hub's VPN or ExpressRoute gateway.
	UseRemoteGateways bool `json:"useRemoteGateways"`
}

// GeneratedRoutes is the number of routes the program adds to the route
// table beside network.routes: in firewall mode the default route and one
// /32 per firewall public IP, in hub mode the default route.
func (s Stack) GeneratedRoutes() int {
	switch {
	case s.Firewall != nil && s.Firewall.PublicIPCount != nil:
		return 1 + max(*s.Firewall.PublicIPCount, 0)
	case s.Firewall != nil, s.Hub != nil:
		return 1
	}
	return 0
}

// DefaultDefaultRouteName is network.defaultRouteName's default: the
// article's name for its 0.0.0.0/0 route.
const DefaultDefaultRouteName = "default-route"

// Firewall defaults.
const (
	DefaultFirewallTier            = "Standard"
	DefaultFirewallPublicIPCount   = 1
	DefaultFirewallThreatIntelMode = "Alert"
)

// PlaceholderSubscription is the subscription id the committed stack files
// carry until their owner replaces it: pulumi up refuses it.
const PlaceholderSubscription = "00000000-0000-0000-0000-000000000000"

// Network is the aks-kubenet:network config object: the VNet, the node subnet,
// the ranges reachable through peering, and the user-defined routes.
type Network struct {
	VnetName       string   `json:"vnetName"`
	SubnetName     string   `json:"subnetName"`
	RouteTableName string   `json:"routeTableName"`
	VnetCidr       string   `json:"vnetCidr"`
	NodeSubnetCidr string   `json:"nodeSubnetCidr"`
	PeeredCidrs    []string `json:"peeredCidrs"`
	Routes         []Route  `json:"routes"`
	// DefaultRouteName is the Azure name of the 0.0.0.0/0 route the program
	// generates in firewall or hub mode: the name of the hand-written route it
	// takes over, so that switching modes updates that route in place.
	DefaultRouteName string `json:"defaultRouteName"`
	// NSG, when true, puts a network security group on the node subnet.
	NSG bool `json:"nsg"`
	// NSGName is the NSG's name, when NSG is true.
	NSGName string `json:"nsgName"`
}

// Route is one user-defined route in the cluster's route table.
type Route struct {
	Name             string `json:"name"`
	AddressPrefix    string `json:"addressPrefix"`
	NextHopType      string `json:"nextHopType"`
	NextHopIPAddress string `json:"nextHopIpAddress"`
}

// Cluster is the aks-kubenet:cluster config object: the AKS cluster, its system
// node pool and its kubenet network profile. Counts are pointers so that an
// unset key (take the default, or report it missing) differs from an explicit 0.
type Cluster struct {
	Name              string     `json:"name"`
	DNSPrefix         string     `json:"dnsPrefix"`
	NodeResourceGroup string     `json:"nodeResourceGroup"`
	IdentityName      string     `json:"identityName"`
	KubernetesVersion string     `json:"kubernetesVersion"`
	NodePoolName      string     `json:"nodePoolName"`
	VMSize            string     `json:"vmSize"`
	Zones             StringList `json:"zones"`
	NodeCount         *int       `json:"nodeCount"`
	MinCount          *int       `json:"minCount"`
	MaxCount          *int       `json:"maxCount"`
	MaxPods           *int       `json:"maxPods"`
	MaxSurge          Surge      `json:"maxSurge"`
	PodCidr           string     `json:"podCidr"`
	ServiceCidr       string     `json:"serviceCidr"`
	DNSServiceIP      string     `json:"dnsServiceIP"`
	OutboundType      string     `json:"outboundType"`
	// NetworkPlugin is the network mode: kubenet (the default, which a
	// deployed stack keeps) or overlay (Azure CNI Overlay).
	NetworkPlugin string `json:"networkPlugin"`
	// NetworkDataplane is an Overlay cluster's dataplane, azure or cilium
	// (the default); a kubenet cluster has none.
	NetworkDataplane string `json:"networkDataplane"`

	// The security posture; securityDefaults fills in its defaults.

	// EntraID turns on Entra ID (managed AAD) with Azure RBAC for Kubernetes.
	EntraID *bool `json:"entraId"`
	// DisableLocalAccounts turns off the local admin account and its
	// static credential; it needs EntraID.
	DisableLocalAccounts *bool `json:"disableLocalAccounts"`
	// ClusterAdmins are Entra object ids (users, groups or service
	// principals) granted Azure Kubernetes Service RBAC Cluster Admin on the
	// cluster.
	ClusterAdmins []string `json:"clusterAdmins"`
	// NetworkPolicy is calico or none; with Overlay also cilium, its default
	// there, which needs the cilium dataplane.
	NetworkPolicy string `json:"networkPolicy"`
	// APIServerAuthorizedIPRanges are the CIDRs allowed to reach the public
	// API server.
	APIServerAuthorizedIPRanges []string `json:"apiServerAuthorizedIpRanges"`
	// PrivateCluster gives the API server a private endpoint in the VNet and
	// no public one.
	PrivateCluster *bool `json:"privateCluster"`
	// UpgradeChannel is the cluster auto-upgrade channel: none, patch,
	// stable, rapid or node-image.
	UpgradeChannel string `json:"upgradeChannel"`
	// NodeOSUpgradeChannel is the node OS auto-upgrade channel: None,
	// Unmanaged, NodeImage or SecurityPatch.
	NodeOSUpgradeChannel string `json:"nodeOsUpgradeChannel"`
	// MaintenanceWindow, when set, is the weekly window both auto-upgrade
	// schedules keep to.
	MaintenanceWindow *MaintenanceWindow `json:"maintenanceWindow"`
	// OIDCIssuer turns on the cluster's OIDC issuer.
	OIDCIssuer *bool `json:"oidcIssuer"`
	// WorkloadIdentity turns on Entra Workload ID; it needs OIDCIssuer.
	WorkloadIdentity *bool `json:"workloadIdentity"`
	// AzurePolicy turns on the Azure Policy add-on.
	AzurePolicy *bool `json:"azurePolicy"`
	// ImageCleaner turns on the image cleaner, which removes unused images
	// with known vulnerabilities from the nodes.
	ImageCleaner *bool `json:"imageCleaner"`
	// Tier is the pricing tier: Free, Standard or Premium.
	Tier string `json:"tier"`
	// Monitoring, when enabled, sends Container insights to a Log Analytics
	// workspace the program creates.
	Monitoring *Monitoring `json:"monitoring"`
	// CriticalAddonsOnly taints the system pool CriticalAddonsOnly while user
	// pools exist (default true), so that workloads land on the user pools.
	CriticalAddonsOnly *bool `json:"criticalAddonsOnly"`
}

// Autoscaling reports whether the system pool runs the cluster autoscaler, that
// is whether minCount or maxCount is set (rules require both or neither).
func (c Cluster) Autoscaling() bool { return c.MinCount != nil || c.MaxCount != nil }

// MaxNodes is the largest number of nodes the system pool can have outside an
// upgrade: maxCount when autoscaling, else nodeCount; 0 when neither is set.
func (c Cluster) MaxNodes() int { return maxNodes(c.NodeCount, c.MaxCount) }

// SurgeNodes is the number of extra nodes an upgrade adds to MaxNodes, as AKS
// computes it from maxSurge: the integer itself, or the percentage of the node
// count rounded up. It returns an error when maxSurge is neither.
func (c Cluster) SurgeNodes() (int, error) {
	return c.MaxSurge.Nodes(c.MaxNodes())
}

// StringList is a list of short values written as strings or numbers in
// YAML, such as availability zones ([1, 2, 3]) or ports (["443", 8000]).
type StringList []string

// UnmarshalJSON accepts a list of strings or numbers; null leaves l unset.
func (l *StringList) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	if items == nil {
		return nil
	}
	out := StringList{}
	for _, item := range items {
		var text string
		if err := json.Unmarshal(item, &text); err == nil {
			out = append(out, text)
			continue
		}
		var n json.Number
		if err := json.Unmarshal(item, &n); err != nil {
			return fmt.Errorf("%s: want a string or a number", item)
		}
		out = append(out, n.String())
	}
	*l = out
	return nil
}

// Surge is an upgrade max surge as AKS takes it: a node count ("1", "3") or a
// percentage of the pool ("33%"). It accepts a JSON number or string.
type Surge string

// UnmarshalJSON accepts 3, "3" and "33%"; null leaves s unset. Anything else
// is kept as written, for package rules to refuse with the key and the value.
func (s *Surge) UnmarshalJSON(b []byte) error {
	text := strings.TrimSpace(string(b))
	if text == "null" {
		return nil
	}
	if unquoted, err := strconv.Unquote(text); err == nil {
		text = unquoted
	} else if f, err := strconv.ParseFloat(text, 64); err == nil {
		// A number the Pulumi CLI hands over as 1e+06 reads as 1000000.
		text = strconv.FormatFloat(f, 'f', -1, 64)
	}
	*s = Surge(text)
	return nil
}

// Nodes is the number of surge nodes for a pool of the given size: the integer
// itself, or ceil(percent*pool/100) for a percentage
// (https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling).
// An empty Surge is the program's default of one node.
func (s Surge) Nodes(pool int) (int, error) {
	text := string(s)
	if text == "" {
		text = DefaultMaxSurge
	}
	if pct, ok := strings.CutSuffix(text, "%"); ok {
		p, err := strconv.Atoi(pct)
		if err != nil || p < 1 || p > 100 {
			return 0, fmt.Errorf("max surge %q: want a node count such as 1 or a percentage from 1%% to 100%%", text)
		}
		// ceil(p*pool/100) without forming p*pool, which overflows for huge pools.
		return pool/100*p + (pool%100*p+99)/100, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("max surge %q: want a node count such as 1 or a percentage from 1%% to 100%%", text)
	}
	return n, nil
}

// Defaults returns s with the location in its normal form (NormalLocation)
// and every unset optional key filled in: resource names derived from the
// stack name, vmSize, maxPods, maxSurge, the node pool name,
// dnsPrefix and outboundType. Required keys (CIDRs, nodeCount) stay unset so
// that validation reports them as missing.
func Defaults(s Stack) Stack {
	if l := NormalLocation(s.Location); l != s.Location {
		s.LocationAsWritten, s.Location = s.Location, l
	}
	prefix := Project + "-" + nameSafe(s.Name, 40)
	setDefault(&s.ResourceGroup.Name, prefix+"-rg")
	n := &s.Network
	setDefault(&n.VnetName, prefix+"-vnet")
	setDefault(&n.SubnetName, prefix+"-nodes")
	setDefault(&n.RouteTableName, prefix+"-rt")
	if n.NSG {
		setDefault(&n.NSGName, n.SubnetName+"-nsg")
	}
	if s.Firewall != nil || s.Hub != nil {
		setDefault(&n.DefaultRouteName, DefaultDefaultRouteName)
	}
	if f := s.Firewall; f != nil {
		setDefault(&f.Name, prefix+"-fw")
		setDefault(&f.Tier, DefaultFirewallTier)
		setDefault(&f.ThreatIntelMode, DefaultFirewallThreatIntelMode)
		if f.PublicIPCount == nil {
			f.PublicIPCount = Int(DefaultFirewallPublicIPCount)
		}
		if f.DNSProxy == nil {
			yes := true
			f.DNSProxy = &yes
		}
	}
	c := &s.Cluster
	setDefault(&c.Name, prefix+"-aks")
	setDefault(&c.DNSPrefix, nameSafe(c.Name, 54))
	setDefault(&c.IdentityName, c.Name+"-identity")
	setDefault(&c.NodePoolName, DefaultNodePoolName)
	setDefault(&c.VMSize, DefaultVMSize)
	setDefault(&c.OutboundType, DefaultOutboundType)
	setDefault(&c.NetworkPlugin, DefaultNetworkPlugin)
	if c.Overlay() {
		setDefault(&c.NetworkDataplane, DataplaneCilium)
		setDefault(&c.NetworkPolicy, NetworkPolicyCilium)
	}
	if c.MaxSurge == "" {
		c.MaxSurge = DefaultMaxSurge
	}
	if c.MaxPods == nil {
		c.MaxPods = Int(c.DefaultMaxPods())
	}
	securityDefaults(c)
	if c.CriticalAddonsOnly == nil {
		yes := true
		c.CriticalAddonsOnly = &yes
	}
	for i := range s.Pools {
		poolDefaults(&s.Pools[i], *c)
	}
	return s
}

// NormalLocation returns location, an Azure region, in its programmatic
// form: lower case and without spaces, "eastus" for the display name
// "East US" or for "EastUS". Azure and the azure-native provider compare
// locations in this form, so a stack that changes only the case or the
// spaces of its location changes no resource; the firewall's service tags,
// the monitoring endpoints and AKS's node resource group name are built from
// it and need it.
func NormalLocation(location string) string {
	return strings.ToLower(strings.ReplaceAll(location, " ", ""))
}

// nameSafe returns name with every character but ASCII letters, digits and
// hyphens replaced by a hyphen, cut to at most max characters and without
// hyphens at either end: a stack or cluster name made fit for the names
// derived from it (a stack may be called "team.dev", a DNS prefix allows only
// letters, digits and hyphens and 54 characters).
func nameSafe(name string, max int) string {
	safe := []byte(name)
	for i, ch := range safe {
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9') {
			safe[i] = '-'
		}
	}
	if len(safe) > max {
		safe = safe[:max]
	}
	return strings.Trim(string(safe), "-")
}

func setDefault(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

// Int returns a pointer to n, for the optional counts of Cluster.
func Int(n int) *int { return &n }

// MaintenanceWindow is the cluster.maintenanceWindow config object: a weekly
// window, such as Sunday from 02:00 for 4 hours at +01:00, applied to the
// cluster's and the node OS's auto-upgrade schedules.
type MaintenanceWindow struct {
	// Day is the day of the week, Monday to Sunday.
	Day string `json:"day"`
	// StartTime is the window's start, "HH:MM" in UtcOffset's time.
	StartTime string `json:"startTime"`
	// DurationHours is the window's length, 4 to 24 hours.
	DurationHours *int `json:"durationHours"`
	// UTCOffset is the window's offset from UTC, "+01:00" or "-05:30";
	// "+00:00" when unset.
	UTCOffset string `json:"utcOffset"`
}

// Monitoring is the cluster.monitoring config object: Container insights
// into a Log Analytics workspace, with managed identity authentication.
type Monitoring struct {
	// Enabled creates the workspace and turns Container insights on.
	Enabled bool `json:"enabled"`
	// RetentionDays is how long the workspace keeps data, 30 to 730 days.
	RetentionDays *int `json:"retentionDays"`
	// WorkspaceName is the Log Analytics workspace's name.
	WorkspaceName string `json:"workspaceName"`
}

// Upgrade channels of cluster.upgradeChannel
// (https://learn.microsoft.com/azure/aks/auto-upgrade-cluster).
const (
	UpgradeChannelNone      = "none"
	UpgradeChannelPatch     = "patch"
	UpgradeChannelStable    = "stable"
	UpgradeChannelRapid     = "rapid"
	UpgradeChannelNodeImage = "node-image"
)

// UpgradeChannels lists cluster.upgradeChannel's values.
var UpgradeChannels = []string{UpgradeChannelNone, UpgradeChannelPatch, UpgradeChannelStable, UpgradeChannelRapid, UpgradeChannelNodeImage}

// Node OS upgrade channels of cluster.nodeOsUpgradeChannel
// (https://learn.microsoft.com/azure/aks/auto-upgrade-node-os-image).
const (
	NodeOSChannelNone          = "None"
	NodeOSChannelUnmanaged     = "Unmanaged"
	NodeOSChannelNodeImage     = "NodeImage"
	NodeOSChannelSecurityPatch = "SecurityPatch"
)

// NodeOSUpgradeChannels lists cluster.nodeOsUpgradeChannel's values.
var NodeOSUpgradeChannels = []string{NodeOSChannelNone, NodeOSChannelUnmanaged, NodeOSChannelNodeImage, NodeOSChannelSecurityPatch}

// Network policy engines of cluster.networkPolicy: kubenet supports Calico
// only; Overlay Calico or Cilium, Cilium with the cilium dataplane
// (https://learn.microsoft.com/azure/aks/use-network-policies).
const (
	NetworkPolicyCalico = "calico"
	NetworkPolicyCilium = "cilium"
	NetworkPolicyNone   = "none"
)

// Pricing tiers of cluster.tier (https://learn.microsoft.com/azure/aks/free-standard-pricing-tiers).
const (
	TierFree     = "Free"
	TierStandard = "Standard"
	TierPremium  = "Premium"
)

// Tiers lists cluster.tier's values.
var Tiers = []string{TierFree, TierStandard, TierPremium}

// Security posture defaults: the AKS baseline's, where they cost nothing and
// need no other infrastructure. Each is a key of aks-kubenet:cluster.
const (
	DefaultUpgradeChannel       = UpgradeChannelPatch
	DefaultNodeOSUpgradeChannel = NodeOSChannelNodeImage
	DefaultNetworkPolicy        = NetworkPolicyCalico
	DefaultTier                 = TierFree
	DefaultUTCOffset            = "+00:00"
	DefaultRetentionDays        = 30
)

// VersionMovingChannel reports whether the cluster's upgrade channel moves
// its Kubernetes version (patch, stable, rapid): the version in config then
// counts at creation only. none and node-image leave the version alone.
func (c Cluster) VersionMovingChannel() bool {
	switch c.UpgradeChannel {
	case UpgradeChannelPatch, UpgradeChannelStable, UpgradeChannelRapid:
		return true
	}
	return false
}

// Overlay reports whether the cluster is Azure CNI Overlay rather than
// kubenet.
func (c Cluster) Overlay() bool { return c.NetworkPlugin == NetworkPluginOverlay }

// DefaultMaxPods is the pods per node of a pool that does not set maxPods:
// 110 with kubenet, 250 with Overlay.
func (c Cluster) DefaultMaxPods() int {
	if c.Overlay() {
		return DefaultOverlayMaxPods
	}
	return DefaultMaxPods
}

// On reports whether an optional flag is set and true.
func On(flag *bool) bool { return flag != nil && *flag }

// MonitoringEnabled reports whether cluster.monitoring.enabled is true.
func (c Cluster) MonitoringEnabled() bool { return c.Monitoring != nil && c.Monitoring.Enabled }

// securityDefaults fills in the security posture's defaults: Entra ID with
// Azure RBAC, no local accounts, Calico, a public API server (with a
// warning), the patch and NodeImage channels, OIDC issuer and workload
// identity, Azure Policy, the image cleaner, and the Free tier.
func securityDefaults(c *Cluster) {
	for _, flag := range []**bool{&c.EntraID, &c.DisableLocalAccounts, &c.OIDCIssuer, &c.WorkloadIdentity, &c.AzurePolicy, &c.ImageCleaner} {
		if *flag == nil {
			yes := true
			*flag = &yes
		}
	}
	if c.PrivateCluster == nil {
		no := false
		c.PrivateCluster = &no
	}
	setDefault(&c.NetworkPolicy, DefaultNetworkPolicy)
	setDefault(&c.UpgradeChannel, DefaultUpgradeChannel)
	setDefault(&c.NodeOSUpgradeChannel, DefaultNodeOSUpgradeChannel)
	setDefault(&c.Tier, DefaultTier)
	if w := c.MaintenanceWindow; w != nil {
		setDefault(&w.UTCOffset, DefaultUTCOffset)
	}
	if m := c.Monitoring; m != nil {
		if m.RetentionDays == nil {
			m.RetentionDays = Int(DefaultRetentionDays)
		}
		setDefault(&m.WorkspaceName, c.Name+"-logs")
	}
}

// NodeOSScheduled reports whether the node OS channel upgrades on AKS's
// schedule (NodeImage, SecurityPatch), so that the node OS maintenance
// window applies; None and Unmanaged keep no schedule.
func (c Cluster) NodeOSScheduled() bool {
	return c.NodeOSUpgradeChannel == NodeOSChannelNodeImage || c.NodeOSUpgradeChannel == NodeOSChannelSecurityPatch
}

// PrincipalTypes are the principal types a cluster.clusterAdmins entry may
// name, as role assignments take them.
var PrincipalTypes = []string{"User", "Group", "ServicePrincipal"}

// ClusterAdmin is one entry of cluster.clusterAdmins,
// "<principalType>:<objectId>" ("Group:3f2b1c4e-..."). The type is required:
// the azure-native SDK sends principalType User when none is given, and ARM
// refuses a group or service principal granted as a user
// (UnmatchedPrincipalType).
type ClusterAdmin struct {
	// ObjectID is the principal's Entra object id.
	ObjectID string
	// PrincipalType is User, Group or ServicePrincipal; "" when the entry
	// names none, which package rules refuses.
	PrincipalType string
}

// ParseClusterAdmin splits a cluster.clusterAdmins entry at its first ":"
// into the principal type and the object id. It does not validate either.
func ParseClusterAdmin(entry string) ClusterAdmin {
	if typ, id, ok := strings.Cut(entry, ":"); ok {
		return ClusterAdmin{ObjectID: id, PrincipalType: typ}
	}
	return ClusterAdmin{ObjectID: entry}
}

// WorkspaceName is the Log Analytics workspace's name with monitoring on,
// and "" with it off.
func (c Cluster) WorkspaceName() string {
	if !c.MonitoringEnabled() {
		return ""
	}
	return c.Monitoring.WorkspaceName
}

// Pool is one entry of aks-kubenet:pools: a node pool of its own beside the
// cluster's inline system pool, an AgentPool resource in the node subnet.
// Counts are pointers so that an unset key differs from an explicit 0.
type Pool struct {
	// Name is the pool's name in AKS: lower-case letters and digits, at
	// most 12 characters.
	Name string `json:"name"`
	// VMSize is the nodes' VM size; cluster.vmSize's default when unset.
	VMSize string `json:"vmSize"`
	// NodeCount is the pool's size, or its size at creation when autoscaled.
	NodeCount *int `json:"nodeCount"`
	// MinCount and MaxCount turn the cluster autoscaler on for the pool.
	MinCount *int `json:"minCount"`
	MaxCount *int `json:"maxCount"`
	// MaxPods is the pods per node, 110 when unset.
	MaxPods *int `json:"maxPods"`
	// MaxSurge is the upgrade surge, one node when unset.
	MaxSurge Surge `json:"maxSurge"`
	// Mode is User (the default) or System.
	Mode string `json:"mode"`
	// OSSku is the Linux distribution: Ubuntu (the default) or AzureLinux.
	OSSku string `json:"osSku"`
	// Zones are the pool's availability zones.
	Zones StringList `json:"zones"`
	// Labels are Kubernetes labels on every node.
	Labels map[string]string `json:"labels"`
	// Taints are Kubernetes taints on every node, "key=value:Effect".
	Taints []string `json:"taints"`
	// Priority is Regular (the default) or Spot.
	Priority string `json:"priority"`
	// EvictionPolicy is a Spot pool's: Delete (the default) or Deallocate.
	EvictionPolicy string `json:"evictionPolicy"`
	// SpotMaxPrice is a Spot pool's highest price per hour in US dollars,
	// or -1 (the default) for up to the on-demand price.
	SpotMaxPrice *float64 `json:"spotMaxPrice"`
}

// Pool defaults and values.
const (
	PoolModeUser          = "User"
	PoolModeSystem        = "System"
	PriorityRegular       = "Regular"
	PrioritySpot          = "Spot"
	EvictionDelete        = "Delete"
	EvictionDeallocate    = "Deallocate"
	OSSkuUbuntu           = "Ubuntu"
	OSSkuAzureLinux       = "AzureLinux"
	DefaultSpotMaxPrice   = -1.0
	CriticalAddonsOnly    = "CriticalAddonsOnly=true:NoSchedule"
	SpotTaint             = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
	DefaultPoolOSSku      = OSSkuUbuntu
	DefaultPoolMode       = PoolModeUser
	DefaultPoolPriority   = PriorityRegular
	DefaultEvictionPolicy = EvictionDelete
)

// Spot reports whether the pool runs on Spot VMs.
func (p Pool) Spot() bool { return p.Priority == PrioritySpot }

// Autoscaling reports whether the pool runs the cluster autoscaler, that is
// whether minCount or maxCount is set (rules require both or neither).
func (p Pool) Autoscaling() bool { return p.MinCount != nil || p.MaxCount != nil }

// MaxNodes is the largest number of nodes the pool can have outside an
// upgrade: maxCount when autoscaling, else nodeCount; 0 when neither is set.
func (p Pool) MaxNodes() int { return maxNodes(p.NodeCount, p.MaxCount) }

// SurgeNodes is the number of extra nodes an upgrade of the pool adds.
func (p Pool) SurgeNodes() (int, error) { return p.MaxSurge.Nodes(p.MaxNodes()) }

// maxNodes is maxCount when set, else nodeCount, else 0.
func maxNodes(nodeCount, maxCount *int) int {
	switch {
	case maxCount != nil:
		return *maxCount
	case nodeCount != nil:
		return *nodeCount
	}
	return 0
}

// poolDefaults fills in a user pool's unset keys from the cluster's: the VM
// size, maxPods, maxSurge, and the pool's own defaults (User mode, Ubuntu,
// Regular priority; Delete eviction and the on-demand price cap for Spot).
func poolDefaults(p *Pool, c Cluster) {
	setDefault(&p.VMSize, c.VMSize)
	if p.MaxPods == nil {
		p.MaxPods = Int(c.DefaultMaxPods())
	}
	if p.MaxSurge == "" {
		p.MaxSurge = DefaultMaxSurge
	}
	setDefault(&p.Mode, DefaultPoolMode)
	setDefault(&p.OSSku, DefaultPoolOSSku)
	setDefault(&p.Priority, DefaultPoolPriority)
	if p.Spot() {
		setDefault(&p.EvictionPolicy, DefaultEvictionPolicy)
		if p.SpotMaxPrice == nil {
			price := DefaultSpotMaxPrice
			p.SpotMaxPrice = &price
		}
	}
}

// SystemPoolTaints are the system pool's taints: CriticalAddonsOnly when
// user pools exist and cluster.criticalAddonsOnly is not false, so that
// workloads land on the user pools; none otherwise.
func (s Stack) SystemPoolTaints() []string {
	if len(s.Pools) > 0 && On(s.Cluster.CriticalAddonsOnly) {
		return []string{CriticalAddonsOnly}
	}
	return nil
}
