// Package iam holds the cluster's control-plane identity, the Network
// Contributor grants it needs on the node subnet and the route table, and the
// cluster admins' grants (cluster.clusterAdmins).
package iam

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi-azure-native-sdk/managedidentity/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/iam/roles"
)

// ClusterIdentityArgs configures a ClusterIdentity.
type ClusterIdentityArgs struct {
	// ResourceGroupName is the resource group the identity is created in.
	ResourceGroupName pulumi.StringInput
	// Location is the Azure region.
	Location string
	// Name is the identity's Azure name.
	Name string
	// SubnetID and RouteTableID are the scopes of the two grants.
	SubnetID, RouteTableID pulumi.StringInput
	// Tags are applied to the identity.
	Tags pulumi.StringMapInput
	// Protect protects the identity and its grants with the cluster: a
	// change that would replace one deletes it first (its name is fixed),
	// and the running cluster would lose its identity, or the right to write
	// its node routes, until the create succeeds (faults.md §3.2).
	Protect bool
}

// ClusterIdentity is the user-assigned managed identity of the AKS control plane
// and its Network Contributor role assignments on the node subnet and on the
// route table, and nowhere else.
//
// It exists because the reference article's order does not work outside the
// Azure CLI: a cluster with a system-assigned identity and a custom route table
// is refused (CustomRouteTableWithUnsupportedMSIType, aks-rules 1.10/1.11), and
// the identity must hold its grants before the cluster is created
// (CustomRouteTableMissingPermission, aks-rules 1.17). A user-assigned identity
// exists before the cluster, so it can be granted first.
type ClusterIdentity struct {
	pulumi.ResourceState

	// Identity is the user-assigned managed identity the cluster runs as.
	Identity *managedidentity.UserAssignedIdentity
	// SubnetGrant and RouteTableGrant are the role assignments the cluster must
	// wait for.
	SubnetGrant, RouteTableGrant *authorization.RoleAssignment
}

// NewClusterIdentity registers the identity and its two grants as children of a
// component of type aks-kubenet:iam:ClusterIdentity.
func NewClusterIdentity(ctx *pulumi.Context, name string, args ClusterIdentityArgs, opts ...pulumi.ResourceOption) (*ClusterIdentity, error) {
	ci := &ClusterIdentity{}
	if err := ctx.RegisterComponentResource("aks-kubenet:iam:ClusterIdentity", name, ci, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(ci)
	protect := pulumi.Protect(args.Protect)

	identity, err := managedidentity.NewUserAssignedIdentity(ctx, name+"-uami", &managedidentity.UserAssignedIdentityArgs{
		ResourceGroupName: args.ResourceGroupName,
		ResourceName:      pulumi.String(args.Name),
		Location:          pulumi.String(args.Location),
		Tags:              args.Tags,
	}, parent, protect)
	if err != nil {
		return nil, err
	}
	ci.Identity = identity

	if ci.SubnetGrant, err = grantNetworkContributor(ctx, name+"-subnet-network-contributor", identity, args.SubnetID, parent, protect); err != nil {
		return nil, err
	}
	if ci.RouteTableGrant, err = grantNetworkContributor(ctx, name+"-route-table-network-contributor", identity, args.RouteTableID, parent, protect); err != nil {
		return nil, err
	}

	return ci, ctx.RegisterResourceOutputs(ci, pulumi.Map{
		"id":          identity.ID(),
		"principalId": identity.PrincipalId,
		"clientId":    identity.ClientId,
	})
}

// grantNetworkContributor assigns Network Contributor on scope to the identity.
// principalType is ServicePrincipal so that ARM does not look the new principal
// up in Entra ID, where it may not have replicated yet (PrincipalNotFound,
// aks-rules 9.5). The assignment's name is derived from scope, principal and
// role, so every run asks for the same assignment.
func grantNetworkContributor(ctx *pulumi.Context, name string, identity *managedidentity.UserAssignedIdentity,
	scope pulumi.StringInput, opts ...pulumi.ResourceOption,
) (*authorization.RoleAssignment, error) {
	scopeID := scope.ToStringOutput()
	roleDefinitionID := scopeID.ApplyT(func(scope string) (string, error) {
		return RoleDefinitionID(scope, roles.NetworkContributor)
	}).(pulumi.StringOutput)
	assignmentName := pulumi.All(scopeID, identity.PrincipalId, roleDefinitionID).ApplyT(func(v []any) string {
		return AssignmentName(v[0].(string), v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
	return authorization.NewRoleAssignment(ctx, name, &authorization.RoleAssignmentArgs{
		RoleAssignmentName: assignmentName,
		Scope:              scopeID,
		PrincipalId:        identity.PrincipalId,
		PrincipalType:      pulumi.String("ServicePrincipal"),
		RoleDefinitionId:   roleDefinitionID,
		Description:        pulumi.String("aks-kubenet: AKS control plane manages the node subnet and its route table"),
	}, opts...)
}

// RoleDefinitionID returns the fully qualified id of the built-in role roleID in
// the subscription of the Azure resource id scope. It returns an error when
// scope does not start with /subscriptions/<id>/.
func RoleDefinitionID(scope, roleID string) (string, error) {
	id, err := armid.Parse(scope, "")
	if err != nil || id.SubscriptionID == "" {
		return "", fmt.Errorf("role assignment scope %q: want an Azure resource id starting with /subscriptions/<id>/", scope)
	}
	return fmt.Sprintf("/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s", id.SubscriptionID, roleID), nil
}

// armGUIDNamespace is the namespace ARM's guid() template function hashes its
// arguments in.
var armGUIDNamespace = uuid.MustParse("11fb06fb-712d-4ddd-98c7-e71bbd588830")

// AssignmentName returns the role assignment name for (scope, principal, role):
// a name-based (version 5) UUID over the three joined by "-", as ARM templates
// derive one with guid(scope, principalId, roleDefinitionId). Scope and role
// are lower-cased first, because Azure returns the same resource id in varying
// case ("resourceGroups", "resourcegroups") and ARM compares ids
// case-insensitively: the name must not change, and the assignment must not be
// replaced, when only the case of an id does. So the name equals guid()'s only
// for lower-case ids.
func AssignmentName(scope, principalID, roleDefinitionID string) string {
	data := strings.Join([]string{strings.ToLower(scope), principalID, strings.ToLower(roleDefinitionID)}, "-")
	return uuid.NewSHA1(armGUIDNamespace, []byte(data)).String()
}
