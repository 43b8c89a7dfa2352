package rules

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// maxNodeResourceGroupChars is the longest node resource group AKS takes,
// shorter than Azure's 90 for a resource group (aks-rules 12.2).
const maxNodeResourceGroupChars = 80

// nameRule is Azure's rule for the name of one kind of resource
// (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
type nameRule struct {
	kind     string // "AKS cluster", as in "AKS cluster names have ..."
	min, max int    // length in characters
	char     func(rune) bool
	first    func(rune) bool
	last     func(rune) bool
	summary  string // the rule in words, after "names have"
}

func isAlnum(r rune) bool {
	return r < utf8.RuneSelf && (isLower(r) || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
}

func isLower(r rune) bool { return 'a' <= r && r <= 'z' }

func isAlnumOr(extra string) func(rune) bool {
	return func(r rune) bool { return isAlnum(r) || strings.ContainsRune(extra, r) }
}

func anyRune(rune) bool { return true }

var (
	// Microsoft.Resources/resourceGroups; letters and digits are Unicode ones.
	resourceGroupName = nameRule{
		kind: "resource group", min: 1, max: 90,
		char: func(r rune) bool {
			return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_()-.", r)
		},
		first: anyRune, last: func(r rune) bool { return r != '.' },
		summary: `1-90 characters: letters, digits, "_", "(", ")", "-" and ".", not ending in "."`,
	}
	// Microsoft.ContainerService/managedClusters.
	clusterName = nameRule{
		kind: "AKS cluster", min: 1, max: 63,
		char: isAlnumOr("_-"), first: isAlnum, last: isAlnum,
		summary: `1-63 characters: letters, digits, "_" and "-", starting and ending with a letter or digit`,
	}
	// managedClusters dnsPrefix, as the AKS API validates it (mirrored by
	// hashicorp/terraform-provider-azurerm internal/services/containers/validate,
	// KubernetesDNSPrefix).
	dnsPrefix = nameRule{
		kind: "DNS prefix", min: 1, max: 54,
		char: isAlnumOr("-"), first: isAlnum, last: isAlnum,
		summary: `1-54 characters: letters, digits and "-", starting and ending with a letter or digit`,
	}
	// Microsoft.ContainerService/managedClusters/agentPools, Linux
	// (https://learn.microsoft.com/azure/aks/create-node-pools).
	nodePoolName = nameRule{
		kind: "Linux node pool", min: 1, max: 12,
		char: func(r rune) bool { return isLower(r) || '0' <= r && r <= '9' }, first: isLower, last: anyRune,
		summary: "1-12 characters: lowercase letters and digits, starting with a letter",
	}
	// Microsoft.Network/virtualNetworks.
	vnetName = nameRule{
		kind: "VNet", min: 2, max: 64,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: `2-64 characters: letters, digits, "_", "." and "-", starting with a letter or digit and ending with a letter, digit or "_"`,
	}
	// Microsoft.Network/virtualNetworks/subnets.
	subnetName = nameRule{
		kind: "subnet", min: 1, max: 80,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: `1-80 characters: letters, digits, "_", "." and "-", starting with a letter or digit and ending with a letter, digit or "_"`,
	}
	// Microsoft.Network/routeTables (aks-rules 6.5).
	routeTableName = nameRule{
		kind: "route table", min: 1, max: 80,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: subnetName.summary,
	}
	// Microsoft.Network/routeTables/routes (aks-rules 6.5).
	routeName = nameRule{
		kind: "route", min: 1, max: 80,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: subnetName.summary,
	}
	// Microsoft.Network/networkSecurityGroups.
	nsgName = nameRule{
		kind: "network security group", min: 1, max: 80,
		char: isAlnumOr("_.-"), first: isAlnum, last: isAlnumOr("_"),
		summary: subnetName.summary,
	}
	// Microsoft.ManagedIdentity/userAssignedIdentities.
	identityName = nameRule{
		kind: "managed identity", min: 3, max: 128,
		char: isAlnumOr("-_"), first: isAlnum, last: anyRune,
		summary: `3-128 characters: letters, digits, "-" and "_", starting with a letter or digit`,
	}
)

// problem returns what is wrong with name under r ("is 70 characters long",
// `contains '*'`), or "" when nothing is.
func (r nameRule) problem(name string) string {
	if n := utf8.RuneCountInString(name); n < r.min || n > r.max {
		return fmt.Sprintf("is %s long", count(n, "character"))
	}
	for _, ch := range name {
		if !r.char(ch) {
			return fmt.Sprintf("contains %q", ch)
		}
	}
	if first, _ := utf8.DecodeRuneInString(name); !r.first(first) {
		return fmt.Sprintf("starts with %q", first)
	}
	if last, _ := utf8.DecodeLastRuneInString(name); !r.last(last) {
		return fmt.Sprintf("ends with %q", last)
	}
	return ""
}

// valid reports whether name keeps r.
func valid(name string, r nameRule) bool { return r.problem(name) == "" }

// checkName reports name, the value of key, when it breaks r, and reports
// whether it is valid.
func (c *checker) checkName(key, name string, r nameRule) bool {
	switch p := r.problem(name); {
	case name == "":
		c.errorf(keys(key), "%s is missing: %s names have %s", key, r.kind, r.summary)
	case p != "":
		c.errorf(keys(key), "%s %s %s: %s names have %s", key, abbreviate(name), p, r.kind, r.summary)
	default:
		return true
	}
	return false
}

// kubernetesVersion is the form AKS takes a Kubernetes version in
// (https://learn.microsoft.com/azure/aks/supported-kubernetes-versions).
var kubernetesVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?$`)

// checkNames is rule 12: resource names follow Azure's rules, the node
// resource group AKS's, the Kubernetes version has AKS's form, the location
// is set and has a region name's form, the VM size is set, and the tags are
// within Azure's limits. Route names are checkRoutes'.
func (c *checker) checkNames() {
	s, n, cl := c.s, c.s.Network, c.s.Cluster
	if s.ResourceGroup.Existing && s.ResourceGroup.Name == "" {
		c.errorf(keys(s.ResourceGroupKey), "%s is missing: name the existing group (%s is true)", s.ResourceGroupKey, spec.PathResourceGroupExisting)
	} else {
		c.checkName(s.ResourceGroupKey, s.ResourceGroup.Name, resourceGroupName)
	}
	if n.NSG {
		c.checkName(spec.PathNetworkNSGName, n.NSGName, nsgName)
	}
	c.checkNodeResourceGroup()
	c.checkName(spec.PathClusterName, cl.Name, clusterName)
	c.checkName(spec.PathClusterDNSPrefix, cl.DNSPrefix, dnsPrefix)
	c.checkName(spec.PathClusterNodePoolName, cl.NodePoolName, nodePoolName)
	c.checkName(spec.PathNetworkVnetName, n.VnetName, vnetName)
	c.checkName(spec.PathNetworkSubnetName, n.SubnetName, subnetName)
	c.checkName(spec.PathNetworkRouteTableName, n.RouteTableName, routeTableName)
	c.checkName(spec.PathClusterIdentityName, cl.IdentityName, identityName)
	c.checkZones()
	if v := cl.KubernetesVersion; v != "" && !kubernetesVersion.MatchString(v) {
		c.errorf(keys(spec.PathClusterKubernetesVersion), "%s %s is not MAJOR.MINOR or MAJOR.MINOR.PATCH, such as 1.31 or 1.31.2", spec.PathClusterKubernetesVersion, abbreviate(v))
	}
	c.checkLocation()
	if cl.VMSize == "" {
		c.errorf(keys(spec.PathClusterVMSize), "%s is missing: set the nodes' VM size, such as %s", spec.PathClusterVMSize, spec.DefaultVMSize)
	}
	c.checkTags()
}

// checkNodeResourceGroup checks the cluster's node resource group, the
// configured one or AKS's MC_<group>_<cluster>_<location>: a resource group
// name of at most 80 characters, which AKS refuses longer with
// InvalidParameter (aks-rules 12.2), and not the cluster's own group, which
// AKS refuses with NodeResourceGroupSameAsResourceGroup (aks-rules 12.3).
// AKS's default is checked only when the names it is built from are valid:
// the others are refused on their own.
func (c *checker) checkNodeResourceGroup() {
	s, key := c.s, spec.PathClusterNodeResourceGroup
	if set := s.Cluster.NodeResourceGroup; set != "" {
		if !c.checkName(key, set, resourceGroupName) {
			return
		}
		if n := utf8.RuneCountInString(set); n > maxNodeResourceGroupChars {
			c.refusef(CodeInvalidParameter, keys(key), "%s %s is %s long: AKS takes a node resource group of at most %d (aks-rules 12.2)",
				key, abbreviate(set), count(n, "character"), maxNodeResourceGroupChars)
		}
		if strings.EqualFold(set, s.ResourceGroup.Name) {
			c.refusef(CodeNodeResourceGroupSameAsResourceGroup, keys(key, s.ResourceGroupKey), "%s %q is the cluster's own resource group, %s %q: AKS keeps the nodes in a group of their own, which it creates; name another group, or leave %s unset for AKS's MC_<group>_<cluster>_<location> (aks-rules 12.3)",
				key, set, s.ResourceGroupKey, s.ResourceGroup.Name, key)
		}
		return
	}
	if !valid(s.ResourceGroup.Name, resourceGroupName) || !valid(s.Cluster.Name, clusterName) || s.Location == "" {
		return
	}
	name := aksfacts.NodeResourceGroup(s)
	if n := utf8.RuneCountInString(name); n > maxNodeResourceGroupChars {
		c.refusef(CodeInvalidParameter, keys(s.ResourceGroupKey, spec.PathClusterName, spec.KeyLocation, key),
			"%s is unset, and the node resource group AKS names from %s %q, %s %q and %s %s, %s, is %s long: AKS takes at most %d; shorten the group or cluster name, or set %s to a name of at most %d characters (aks-rules 12.2)",
			key, s.ResourceGroupKey, s.ResourceGroup.Name, spec.PathClusterName, s.Cluster.Name, spec.KeyLocation, s.Location, abbreviate(name), count(n, "character"),
			maxNodeResourceGroupChars, key, maxNodeResourceGroupChars)
	}
}

// checkLocation checks azure-native:location: set, and in its normal form
// a region name, lower-case letters and digits (aks-rules 12.5). It warns
// when the config writes it otherwise, such as the display name "East US"
// or "EastUS", which spec.Defaults has normalized (aks-rules 12.4). Whether
// the region exists is Azure's to answer: the program keeps no list of
// regions.
func (c *checker) checkLocation() {
	key, loc := spec.KeyLocation, c.s.Location
	written := loc
	if c.s.LocationAsWritten != "" {
		written = c.s.LocationAsWritten
	}
	switch {
	case loc == "":
		c.errorf(keys(key), "%s is missing: set the Azure region, such as eastus (pulumi config set %s eastus)", key, key)
	case strings.ContainsFunc(loc, func(r rune) bool { return !isLower(r) && !('0' <= r && r <= '9') }):
		c.errorf(keys(key), "%s %s is not an Azure region: region names are lower-case letters and digits, such as eastus or westeurope, as az account list-locations --query [].name lists them (aks-rules 12.5)",
			key, abbreviate(written))
	case c.s.LocationAsWritten != "":
		c.warnf(keys(key), "%s %s is not the region's name as Azure writes it: the program uses %s, in lower case without spaces; set it so (pulumi config set %s %s) (aks-rules 12.4)",
			key, abbreviate(written), loc, key, loc)
	}
}

// Azure's tag limits
// (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
const (
	maxTags          = 50
	maxTagNameChars  = 512
	maxTagValueChars = 256
	tagNameForbidden = `<>%&\?/`
)

// checkTags checks the number of tags and each tag, in name order.
func (c *checker) checkTags() {
	key := spec.KeyTags
	if len(c.s.Tags) > maxTags {
		c.errorf(keys(key), "%s has %d tags, but Azure allows at most %d per resource", key, len(c.s.Tags), maxTags)
	}
	for _, name := range slices.Sorted(maps.Keys(c.s.Tags)) {
		if n := utf8.RuneCountInString(name); n == 0 || n > maxTagNameChars {
			c.errorf(keys(key), "%s name %s is %s long: tag names have 1-%d", key, abbreviate(name), count(n, "character"), maxTagNameChars)
		}
		if i := strings.IndexAny(name, tagNameForbidden); i >= 0 {
			c.errorf(keys(key), "%s name %s contains %q: tag names cannot contain any of %s", key, abbreviate(name), name[i], strings.Join(strings.Split(tagNameForbidden, ""), " "))
		}
		if n := utf8.RuneCountInString(c.s.Tags[name]); n > maxTagValueChars {
			c.errorf(keys(key), "%s value of %s is %s long: tag values have at most %d", key, abbreviate(name), count(n, "character"), maxTagValueChars)
		}
	}
}
