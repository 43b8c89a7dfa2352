package aksfacts

// RuleCollectionGroupName is the name of the firewall policy's one rule
// collection group, which holds the RequiredRules and the stack's own.
const RuleCollectionGroupName = "aks-egress"

// RequiredRule is one outbound rule Microsoft documents as required for AKS in
// Azure public cloud, with the document that requires it.
type RequiredRule struct {
	// Name is the rule's name in the policy.
	Name string
	// Kind is "network" or "application".
	Kind string
	// Protocols are the network rule's IP protocols, or the application
	// rule's protocol:port pairs.
	Protocols []string
	// Destinations are the network rule's destination addresses (service
	// tags), or the application rule's FQDN tags.
	Destinations []string
	// Fqdns are the application rule's target FQDNs, for a rule without
	// FQDN tags.
	Fqdns []string
	// Ports are the network rule's destination ports.
	Ports []string
	// Source is the document that requires the rule.
	Source string
}

// outboundRulesDoc is Microsoft's list of AKS's required outbound rules.
const outboundRulesDoc = "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress#azure-global-required-network-rules"

// Addons are the cluster add-ons that are on, whose endpoints the firewall
// allows.
type Addons struct {
	// AzurePolicy is cluster.azurePolicy.
	AzurePolicy bool
	// ContainerInsights is cluster.monitoring.enabled.
	ContainerInsights bool
}

// addonRulesDoc is Microsoft's list of the add-ons' outbound rules.
const addonRulesDoc = "https://learn.microsoft.com/azure/aks/outbound-rules-control-egress#aks-addons-and-integrations"

// RequiredRules returns the outbound rules AKS requires in Azure public cloud
// for a cluster in location (aks-rules 7.5-7.7) with the given add-ons, and
// nothing optional:
//
//   - UDP 1194 and TCP 9000 to AzureCloud.<location>: the tunnel between the
//     nodes and the API server (outbound-rules-control-egress, Azure Global
//     required network rules);
//
//   - the FQDN tag AzureKubernetesService on HTTP 80 and HTTPS 443: the
//     required FQDNs (MCR, management.azure.com, login.microsoftonline.com,
//     packages, the API server's *.hcp.<location>.azmk8s.io), kept current
//     by Microsoft (limit-egress-traffic, fqdn-tags).
//
//   - with the Azure Policy add-on, its endpoints on HTTPS, and with
//     Container insights, Azure Monitor's (outbound-rules-control-egress,
//     AKS add-ons and integrations): the AzureKubernetesService tag covers
//     AKS itself, not its add-ons (Azure/AKS#2215).
//
// NTP (UDP 123) is left out: it is not required for nodes provisioned after
// March 2021 (aks-rules 7.6).
func RequiredRules(location string, addons Addons) []RequiredRule {
	tag := "AzureCloud." + location
	rules := []RequiredRule{
		{Name: "aks-apiserver-udp-1194", Kind: "network", Protocols: []string{"UDP"}, Destinations: []string{tag}, Ports: []string{"1194"}, Source: outboundRulesDoc},
		{Name: "aks-apiserver-tcp-9000", Kind: "network", Protocols: []string{"TCP"}, Destinations: []string{tag}, Ports: []string{"9000"}, Source: outboundRulesDoc},
		{Name: "aks-fqdn-tag", Kind: "application", Protocols: []string{"Http:80", "Https:443"}, Destinations: []string{"AzureKubernetesService"},
			Source: "https://learn.microsoft.com/azure/aks/limit-egress-traffic#add-firewall-rules"},
	}
	if addons.AzurePolicy {
		rules = append(rules, RequiredRule{Name: "aks-azure-policy", Kind: "application", Protocols: []string{"Https:443"},
			Fqdns: []string{"data.policy.core.windows.net", "store.policy.core.windows.net", "dc.services.visualstudio.com"}, Source: addonRulesDoc})
	}
	if addons.ContainerInsights {
		rules = append(rules, RequiredRule{Name: "aks-container-insights", Kind: "application", Protocols: []string{"Https:443"},
			Fqdns: []string{
				"dc.services.visualstudio.com", "*.ods.opinsights.azure.com", "*.oms.opinsights.azure.com", "*.monitoring.azure.com",
				"global.handler.control.monitor.azure.com", location + ".handler.control.monitor.azure.com", location + ".ingest.monitor.azure.com",
			}, Source: addonRulesDoc})
	}
	return rules
}
