package armid

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	const vnet = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/hub-rg/providers/Microsoft.Network/virtualNetworks/hub-vnet"
	for _, c := range []struct {
		id, armType      string
		sub, group, name string
		wantErr          string
	}{
		{id: vnet, armType: "Microsoft.Network/virtualNetworks", sub: "11111111-1111-1111-1111-111111111111", group: "hub-rg", name: "hub-vnet"},
		{id: strings.ToLower(vnet), armType: "Microsoft.Network/virtualNetworks", sub: "11111111-1111-1111-1111-111111111111", group: "hub-rg", name: "hub-vnet"},
		{id: vnet + "/subnets/nodes", armType: "Microsoft.Network/virtualNetworks/subnets", sub: "11111111-1111-1111-1111-111111111111", group: "hub-rg", name: "nodes"},
		{id: "/subscriptions/abc", sub: "abc", name: "abc"},
		{id: vnet + "/subnets/nodes", armType: "Microsoft.Network/virtualNetworks", wantErr: "the id of a Microsoft.Network/virtualNetworks/subnets, not of a Microsoft.Network/virtualNetworks"},
		{id: "hub-vnet", wantErr: "is not an Azure resource id"},
		{id: "/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/", wantErr: "is not an Azure resource id"},
		{id: "", wantErr: "is not an Azure resource id"},
		{id: "/subscriptions//resourceGroups/rg", wantErr: "empty segment"},
	} {
		got, err := Parse(c.id, c.armType)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Parse(%q, %q) error %v, want %q", c.id, c.armType, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", c.id, c.armType, err)
			continue
		}
		if got.SubscriptionID != c.sub || got.ResourceGroupName != c.group || got.Name != c.name {
			t.Errorf("Parse(%q) = %s, %s, %s; want %s, %s, %s", c.id, got.SubscriptionID, got.ResourceGroupName, got.Name, c.sub, c.group, c.name)
		}
	}
}

// Every id Of builds parses back to its type, name and parent.
func TestOfParses(t *testing.T) {
	inputs := map[string]string{"resourceGroupName": "rg", "scope": "/subscriptions/s/resourceGroups/rg"}
	for typ, kind := range Types {
		in := func(key string) string {
			if v, ok := inputs[key]; ok {
				return v
			}
			return key + "-name"
		}
		id, _, err := Of("s", typ, in)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		parsed, err := Parse(id, kind.ARMType)
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if parsed.Name != in(kind.NameKey) {
			t.Errorf("%s: parsed name %q, want %q", typ, parsed.Name, in(kind.NameKey))
		}
	}
}
