package armid

import (
	"slices"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	t.Parallel()
	const sub = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	group := "/subscriptions/" + sub + "/resourceGroups/rg"
	inputs := map[string]string{
		"resourceGroupName": "rg", "routeTableName": "rt", "routeName": "default", "resourceName": "aks",
		"agentPoolName": "user1", "roleAssignmentName": "ra", "scope": group + "/providers/Microsoft.Network/routeTables/rt",
	}
	get := func(k string) string { return inputs[k] }
	tests := []struct{ typ, id, parent string }{
		{ResourceGroup, group, ""},
		{RouteTable, group + "/providers/Microsoft.Network/routeTables/rt", group},
		{Route, group + "/providers/Microsoft.Network/routeTables/rt/routes/default", group + "/providers/Microsoft.Network/routeTables/rt"},
		{ManagedCluster, group + "/providers/Microsoft.ContainerService/managedClusters/aks", group},
		{AgentPool, group + "/providers/Microsoft.ContainerService/managedClusters/aks/agentPools/user1", group + "/providers/Microsoft.ContainerService/managedClusters/aks"},
		{RoleAssignment, group + "/providers/Microsoft.Network/routeTables/rt/providers/Microsoft.Authorization/roleAssignments/ra", group + "/providers/Microsoft.Network/routeTables/rt"},
	}
	for _, tc := range tests {
		id, parent, err := Of(sub, tc.typ, get)
		if err != nil || id != tc.id || parent != tc.parent {
			t.Errorf("Of(%s) = %s, %s, %v; want %s, %s", tc.typ, id, parent, err, tc.id, tc.parent)
		}
	}
	if _, _, err := Of(sub, Subnet, get); err == nil || !strings.Contains(err.Error(), `"subnetName"`) {
		t.Errorf("a subnet without its name: error %v, want the missing input named", err)
	}
	if _, _, err := Of(sub, "azure-native:compute:VirtualMachine", get); err == nil {
		t.Error("a type the program does not create: no error")
	}
}

// Every type has its name input among the properties the plan's text format
// shows, first but for a role assignment (shown by its role and scope, its
// name a GUID), and its ARM type.
func TestEveryTypeShowsItsName(t *testing.T) {
	t.Parallel()
	for typ, kind := range Types {
		if kind.ARMType == "" || kind.NameKey == "" {
			t.Errorf("%s: ARM type %q, name input %q; want both", typ, kind.ARMType, kind.NameKey)
		}
		props := kind.KeyProperties
		if typ == RoleAssignment {
			if !slices.Contains(props, kind.NameKey) {
				t.Errorf("%s: key properties %q, want its name input %s among them", typ, props, kind.NameKey)
			}
			continue
		}
		if len(props) == 0 || props[0] != kind.NameKey {
			t.Errorf("%s: key properties %q, want its name input %s first", typ, props, kind.NameKey)
		}
	}
}

// The containerservice types are the versioned ones the program registers;
// the unversioned tokens it no longer uses are unknown, so that a program
// registering one fails the plan and the tests' mocks.
func TestUnversionedContainerServiceTypesAreUnknown(t *testing.T) {
	t.Parallel()
	for _, old := range []string{"azure-native:containerservice:ManagedCluster", "azure-native:containerservice:MaintenanceConfiguration",
		"azure-native:containerservice:AgentPool"} {
		if _, ok := Types[old]; ok {
			t.Errorf("Types has %s, which the program no longer registers", old)
		}
	}
}
