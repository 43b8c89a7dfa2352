package armid

import (
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
