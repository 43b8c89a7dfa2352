// Package rules validates a stack's configuration against the rules Azure and
// AKS enforce on a kubenet or Azure CNI Overlay cluster in its own VNet,
// subnet and route table, so that a plan Azure would refuse, or that would
// break later, is refused before anything is created.
//
// Check reports every problem at once, each as a Finding that names the config
// keys and values involved and the rule they break. Rule numbers in comments
// ("aks-rules 3.1") refer to docs/aks-rules.md, which names the Microsoft
// document or source behind each.
package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Error codes AKS or Azure answer with when they refuse a plan at create time,
// as Finding.Code reports them.
const (
	// CodeRouteTableMissingDefaultRoute: outboundType userDefinedRouting without a
	// 0.0.0.0/0 route (aks-rules 5.3).
	CodeRouteTableMissingDefaultRoute = "RouteTableMissingDefaultRouteError"
	// CodeRouteTableInvalidNextHop: a 0.0.0.0/0 route to a next hop other than
	// VirtualAppliance or VirtualNetworkGateway (aks-rules 5.3, 5.4).
	CodeRouteTableInvalidNextHop = "RouteTableInvalidNextHop"
	// CodeInsufficientPodCidr: a pod CIDR without a /24 for every node (aks-rules 2.8).
	CodeInsufficientPodCidr = "InsufficientPodCidr"
	// CodeInsufficientSubnetSize: a node subnet without an address for every node
	// (aks-rules 2.8, 4.4), or an Overlay pod CIDR without a /24 for every
	// node, target NetworkProfile_PodCIDR (aks-rules 10.9).
	CodeInsufficientSubnetSize = "InsufficientSubnetSize"
	// CodeBadRequest: AKS's answer to a Cilium dataplane without Cilium
	// network policy, or the reverse (aks-rules 10.10).
	CodeBadRequest = "BadRequest"

	// The codes below are named in the AKS resource provider's list of error
	// codes (package apierror, found through code search, as aks-rules 1.11
	// says), and where noted also in a Microsoft Learn troubleshooting page or
	// an issue that quotes AKS's answer.

	// CodeCidrStringParseError: a pod or service CIDR that is not a CIDR
	// (aks-rules 3.3, 3.4; Azure/AKS#506 quotes it, target networkProfile.serviceCIDR).
	CodeCidrStringParseError = "CidrStringParseError"
	// CodeDNSServiceIPParseError: a dnsServiceIP that is not an IP address
	// (aks-rules 3.6).
	CodeDNSServiceIPParseError = "DnsServiceIpParseError"
	// CodeDNSServiceIPOutOfServiceCidr: a dnsServiceIP outside the service CIDR
	// (aks-rules 3.6; https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/error-codes/dnsserviceipoutofservicecidr-error).
	CodeDNSServiceIPOutOfServiceCidr = "DnsServiceIpOutOfServiceCidr"
	// CodeDNSServiceIPConflicting: a dnsServiceIP that is the service CIDR's
	// first address, the kubernetes service's (aks-rules 3.6).
	CodeDNSServiceIPConflicting = "DnsServiceIpConflicting"
	// CodeDNSBroadcastAddressConflicting: a dnsServiceIP that is the service
	// CIDR's broadcast address (aks-rules 3.6).
	CodeDNSBroadcastAddressConflicting = "DnsBroadcastAddressConflicting"
	// CodePodCidrOverlapServiceCidr: pod and service CIDRs that overlap
	// (aks-rules 3.4, 10.2).
	CodePodCidrOverlapServiceCidr = "PodCidrOverlapServiceCidr"
	// CodePodCidrOverlapExistingSubnetsCidr: a pod CIDR that overlaps a subnet
	// of the VNet (aks-rules 3.3, 10.2).
	CodePodCidrOverlapExistingSubnetsCidr = "PodCidrOverlapExistingSubnetsCidr"
	// CodeServiceCidrOverlapExistingSubnetsCidr: a service CIDR that overlaps a
	// subnet of the VNet (aks-rules 3.4; Azure/AKS#1117,
	// Azure/terraform-azurerm-aks#57 quote it).
	CodeServiceCidrOverlapExistingSubnetsCidr = "ServiceCidrOverlapExistingSubnetsCidr"
	// CodeNetworkPolicyAzureNotSupportedForKubenet: networkPolicy azure with
	// kubenet (aks-rules 1.19; coder/docs#1091 quotes it, target
	// networkProfile.networkPolicy).
	CodeNetworkPolicyAzureNotSupportedForKubenet = "NetworkPolicyAzureNotSupportedForKubenet"

	// The codes below are Microsoft.Network's, which refuses the route table
	// before the cluster is created.

	// CodeMissingNextHopIPAddress: a VirtualAppliance route without a next hop
	// address (aks-rules 6.2; hashicorp/terraform-provider-azurerm#20365
	// quotes it: "NextHopIpAddress cannot be Null or Empty in route route1
	// when NextHopType is VirtualAppliance").
	CodeMissingNextHopIPAddress = "MissingNextHopIpAddress"
	// CodeRouteConflict: two routes of a table with one address prefix
	// (aks-rules 6.4; kubernetes-sigs/cloud-provider-azure#657 quotes it:
	// "Routes cannot have the same AddressPrefix").
	CodeRouteConflict = "RouteConflict"

	// CodeInvalidParameter: AKS's answer to an SSH key it does not take
	// (Azure/AKS#4431, target linuxProfile.ssh.publicKeys.keyData), and to
	// a node resource group longer than 80 characters (aks-rules 12.2;
	// rancher/rancher#21264 quotes it).
	CodeInvalidParameter = "InvalidParameter"

	// CodeNodeResourceGroupSameAsResourceGroup: a node resource group named
	// as the cluster's own group, in any letter case (aks-rules 12.3;
	// Azure/azure-cli#27215 quotes it).
	CodeNodeResourceGroupSameAsResourceGroup = "NodeResourceGroupSameAsResourceGroup"

	// CodeSystemPoolHasRestrictedTaint: a System-mode pool's taint whose key
	// is not CriticalAddonsOnly and whose effect is not PreferNoSchedule
	// (https://learn.microsoft.com/azure/aks/use-system-pools, Azure/AKS#2578).
	CodeSystemPoolHasRestrictedTaint = "SystemPoolHasRestrictedTaint"
)

// Finding is one problem with a stack's configuration.
type Finding struct {
	// Keys are the config paths involved, such as "cluster.podCidr" or
	// "network.routes[0].nextHopIpAddress", the offending key first.
	Keys []string
	// Message is one sentence naming the keys, their values and the rule.
	Message string
	// Code is the error code AKS or Azure would refuse the cluster with at
	// create time, or "" when they would accept it (and it would break later)
	// or the code is not known.
	Code string
}

// String returns the message, followed by " (AKS would refuse the cluster with
// <Code>)" when Code is set.
func (f Finding) String() string {
	if f.Code == "" {
		return f.Message
	}
	return fmt.Sprintf("%s (AKS would refuse the cluster with %s)", f.Message, f.Code)
}

// Report is the result of Check. Errors refuse the stack; warnings do not. Both
// are in rule order, then in config order.
type Report struct {
	Errors, Warnings []Finding
}

// Err returns nil when r has no errors. Otherwise it returns an error whose
// text lists every error, one per line:
//
//	stack configuration refused, nothing was created (2 errors):
//	  - ...
//	  - ...
func (r Report) Err() error {
	if len(r.Errors) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stack configuration refused, nothing was created (%s):", count(len(r.Errors), "error"))
	for _, f := range r.Errors {
		b.WriteString("\n  - ")
		b.WriteString(f.String())
	}
	return errors.New(b.String())
}

// Check validates s, which must have had spec.Defaults applied (spec.Load does
// that; an unset default is reported as missing). It never panics.
//
// A key that is missing or does not parse is reported once, and the checks that
// need its value are skipped; every other check still runs, so that the report
// lists every problem of s at once.
func Check(s spec.Stack) Report {
	c := &checker{s: s}
	for _, rule := range []func(*checker){
		(*checker).parse,             // 1
		(*checker).checkVNet,         // 2
		(*checker).checkReserved,     // 3
		(*checker).checkPodCIDR,      // 4
		(*checker).checkServiceCIDR,  // 5
		(*checker).checkDNSServiceIP, // 6
		(*checker).checkRoutes,       // 7
		(*checker).checkPodRoutes,    // 8
		(*checker).checkOutbound,     // 9
		(*checker).checkCapacity,     // 10
		(*checker).checkPool,         // 11
		(*checker).checkNames,        // 12
		(*checker).checkSubscription, // 13
		(*checker).checkEgress,       // 14
		(*checker).checkSecurity,     // 15
		(*checker).checkPools,        // 16
		(*checker).checkOverlay,      // 17
	} {
		rule(c)
	}
	return c.report
}

// checker holds the stack under check, the values parsed from it and the
// findings so far. A parsed value is the zero Prefix or Addr when its key is
// missing or did not parse, and checks that need it skip it.
type checker struct {
	s      spec.Stack
	report Report

	vnet, subnet, pod, service netip.Prefix
	dns                        netip.Addr
	peered                     []netip.Prefix // by index of network.peeredCidrs
	hub                        []netip.Prefix // by index of hub.addressSpace
	firewallSubnet             netip.Prefix
	routePrefixes              []netip.Prefix // by index of network.routes; zero for a service tag
	routeTags                  []bool         // by index of network.routes: the prefix is a service tag
	routeHops                  []netip.Addr   // by index of network.routes
}

func (c *checker) errorf(keys []string, format string, args ...any) {
	c.refusef("", keys, format, args...)
}

func (c *checker) refusef(code string, keys []string, format string, args ...any) {
	c.report.Errors = append(c.report.Errors, Finding{Keys: keys, Message: fmt.Sprintf(format, args...), Code: code})
}

func (c *checker) warnf(keys []string, format string, args ...any) {
	c.report.Warnings = append(c.report.Warnings, Finding{Keys: keys, Message: fmt.Sprintf(format, args...)})
}

// keyedPrefix is a parsed range with the config key it came from, and why
// another range or address may not fall in it, for the checks that test one
// value against several ranges.
type keyedPrefix struct {
	key    string
	prefix netip.Prefix
	why    string
}

// keys returns its arguments, for the Keys of a Finding.
func keys(k ...string) []string { return k }

// The top-level objects some findings name as a whole, "hub": their paths
// without the project's namespace.
var (
	pathHub   = spec.PathOf(spec.KeyHub)
	pathPools = spec.PathOf(spec.KeyPools)
)

// count returns "1 error", "2 errors".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// join returns the items as an English list with conjunction conj: "a",
// "a or b", "a, b or c".
func join(conj string, items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

// abbreviate returns s quoted, shortened to about 60 characters, for messages
// about values that may be very long.
func abbreviate(s string) string {
	if r := []rune(s); len(r) > 60 {
		return fmt.Sprintf("%q...", string(r[:57]))
	}
	return fmt.Sprintf("%q", s)
}
