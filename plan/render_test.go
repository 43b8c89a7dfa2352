package plan

import "testing"

// Every type the recorder knows is rendered: the text format shows its key
// properties, the first of them its Azure name, which the Mermaid graph
// labels it with (a role assignment by its role and scope instead). The containerservice types are the 2024-09-01 ones the
// program registers; the unversioned tokens it no longer uses are unknown,
// so that a program registering one fails the plan.
func TestEveryKnownTypeIsRendered(t *testing.T) {
	for typ, kind := range azureName {
		props := keyProperties[typ]
		if typ == "azure-native:authorization:RoleAssignment" && len(props) > 0 {
			continue // shown by role and scope, its name a GUID
		}
		if len(props) == 0 || props[0] != kind.input {
			t.Errorf("%s: key properties %q, want its name input %s first", typ, props, kind.input)
		}
	}
	for typ := range keyProperties {
		if _, ok := azureName[typ]; !ok {
			t.Errorf("%s has key properties, but the recorder does not know it", typ)
		}
	}
	for _, old := range []string{"azure-native:containerservice:ManagedCluster", "azure-native:containerservice:MaintenanceConfiguration"} {
		if _, ok := azureName[old]; ok {
			t.Errorf("the recorder knows %s, which the program no longer registers", old)
		}
	}
}
