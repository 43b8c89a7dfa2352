package rules

import (
	"regexp"
	"slices"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// guid is the form of an Azure subscription id.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkSubscription is rule 13: the stack names the subscription it deploys
// into. Without azure-native:subscriptionId the azure-native provider deploys
// into whatever subscription the shell's Azure login points at
// (https://www.pulumi.com/registry/packages/azure-native/installation-configuration/),
// so `pulumi up -s prod` from a shell set to dev's subscription would build
// prod there. The committed placeholder is a warning here; Program refuses it
// at `pulumi up`.
func (c *checker) checkSubscription() {
	key, sub := spec.KeySubscriptionID, c.s.Subscription
	switch {
	case sub == "":
		c.warnf(keys(key), "%s is not set: the stack deploys into whatever subscription the Azure login points at; pin it with pulumi config set %s <subscription-id>", key, key)
	case !guid.MatchString(sub):
		c.errorf(keys(key), "%s %s is not a subscription id (a GUID such as 0b1f6471-1bf0-4dda-aec3-cb9272f09590; az account show --query id -o tsv)", key, abbreviate(sub))
	case sub == spec.PlaceholderSubscription:
		c.warnf(keys(key), "%s is the placeholder %s: replace it with the stack's subscription id (az account show --query id -o tsv); pulumi up refuses it", key, sub)
	}
}

// availabilityZones are the zones AKS takes for a pool in a region with zones
// (https://learn.microsoft.com/azure/aks/availability-zones).
var availabilityZones = []string{"1", "2", "3"}

// checkZones checks cluster.zones, the system pool's zones (checkZoneList).
func (c *checker) checkZones() { c.checkZoneList(spec.PathClusterZones, c.s.Cluster.Zones) }

// checkZoneList checks the availability zones of one node pool, the value of
// listKey ("cluster.zones", "pools[0].zones"): each of 1, 2 or 3, none twice,
// each finding naming its entry ("cluster.zones[1]"). Zones cannot be added to
// or removed from an existing pool, so they are chosen at create time
// (https://learn.microsoft.com/azure/aks/availability-zones#limitations).
func (c *checker) checkZoneList(listKey string, zones []string) {
	seen := map[string]bool{}
	for i, z := range zones {
		key := spec.Index(listKey, i)
		switch {
		case !slices.Contains(availabilityZones, z):
			c.errorf(keys(key), "%s %s is not an availability zone: AKS takes 1, 2 and 3", key, abbreviate(z))
		case seen[z]:
			c.errorf(keys(key), "%s %s is listed twice", key, abbreviate(z))
		}
		seen[z] = true
	}
}
