package iam

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/aks-kubenet/aks-kubenet/iam/roles"
)

func TestRoleDefinitionID(t *testing.T) {
	cases := []struct {
		scope, want, wantErr string
	}{
		{
			scope: "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt",
			want:  "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/" + roles.NetworkContributor,
		},
		{
			scope: "/SUBSCRIPTIONS/sub-2/resourcegroups/rg",
			want:  "/subscriptions/sub-2/providers/Microsoft.Authorization/roleDefinitions/" + roles.NetworkContributor,
		},
		{scope: "", wantErr: `scope ""`},
		{scope: "subscriptions/sub-1/resourceGroups/rg", wantErr: "want an Azure resource id"},
		{scope: "/subscriptions//resourceGroups/rg", wantErr: "want an Azure resource id"},
		{scope: "/providers/Microsoft.Management/managementGroups/mg", wantErr: "want an Azure resource id"},
	}
	for _, tc := range cases {
		got, err := RoleDefinitionID(tc.scope, roles.NetworkContributor)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("RoleDefinitionID(%q) error = %v, want one containing %q", tc.scope, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("RoleDefinitionID(%q) = %q, %v; want %q", tc.scope, got, err, tc.want)
		}
	}
}

func TestAssignmentName(t *testing.T) {
	scope := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/routeTables/rt"
	role := "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/" + roles.NetworkContributor
	name := AssignmentName(scope, "principal", role)

	parsed, err := uuid.Parse(name)
	if err != nil {
		t.Fatalf("AssignmentName = %q, not a UUID: %v", name, err)
	}
	if parsed.Version() != 5 {
		t.Errorf("AssignmentName is a version %d UUID, want 5 (name-based, SHA-1)", parsed.Version())
	}
	if again := AssignmentName(scope, "principal", role); again != name {
		t.Errorf("AssignmentName is not deterministic: %q then %q", name, again)
	}
	if upper := AssignmentName(strings.ToUpper(scope), "principal", strings.ToUpper(role)); upper != name {
		t.Errorf("the case of the ids changed the name: %q vs %q", upper, name)
	}
	for _, other := range []string{
		AssignmentName(scope+"2", "principal", role),
		AssignmentName(scope, "principal2", role),
		AssignmentName(scope, "principal", role+"2"),
	} {
		if other == name {
			t.Errorf("a different scope, principal or role gave the same name %q", name)
		}
	}
}
