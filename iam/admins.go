package iam

import (
	"strings"

	"github.com/pulumi/pulumi-azure-native-sdk/authorization/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// ClusterAdminsArgs configures ClusterAdmins.
type ClusterAdminsArgs struct {
	// ClusterID is the managed cluster, the grants' scope.
	ClusterID pulumi.StringInput
	// Admins are the cluster.clusterAdmins entries, validated.
	Admins []string
}

// ClusterAdmins are the Azure Kubernetes Service RBAC Cluster Admin grants
// of the cluster.clusterAdmins principals on the cluster: with Entra ID and
// local accounts off, the way into the cluster.
type ClusterAdmins struct {
	pulumi.ResourceState

	// Grants are the role assignments, by lower-case object id.
	Grants map[string]*authorization.RoleAssignment
}

// NewClusterAdmins registers one role assignment per admin as children of a
// component of type aks-kubenet:iam:ClusterAdmins.
//
// Each grant's logical name holds the admin's object id, so that reordering
// the list changes nothing and removing an admin deletes that grant only.
// Its Azure name is derived from scope, principal and role like the
// identity's grants. principalType is the entry's ("Group:<id>"), which
// package rules requires: the azure-native SDK would send User for an unset
// one, and ARM refuses a grant whose type is not the principal's
// (UnmatchedPrincipalType).
func NewClusterAdmins(ctx *pulumi.Context, name string, args ClusterAdminsArgs, opts ...pulumi.ResourceOption) (*ClusterAdmins, error) {
	ca := &ClusterAdmins{Grants: map[string]*authorization.RoleAssignment{}}
	if err := ctx.RegisterComponentResource("aks-kubenet:iam:ClusterAdmins", name, ca, opts...); err != nil {
		return nil, err
	}
	scope := args.ClusterID.ToStringOutput()
	roleDefinitionID := scope.ApplyT(func(scope string) (string, error) {
		return RoleDefinitionID(scope, roles.ClusterAdmin)
	}).(pulumi.StringOutput)
	outputs := pulumi.Map{}
	for _, entry := range args.Admins {
		admin := spec.ParseClusterAdmin(entry)
		id := strings.ToLower(admin.ObjectID)
		assignmentName := pulumi.All(scope, roleDefinitionID).ApplyT(func(v []any) string {
			return AssignmentName(v[0].(string), id, v[1].(string))
		}).(pulumi.StringOutput)
		grant, err := authorization.NewRoleAssignment(ctx, name+"-"+id, &authorization.RoleAssignmentArgs{
			RoleAssignmentName: assignmentName,
			Scope:              scope,
			PrincipalId:        pulumi.String(id),
			PrincipalType:      pulumi.String(admin.PrincipalType),
			RoleDefinitionId:   roleDefinitionID,
			Description:        pulumi.String("aks-kubenet: cluster admin (" + spec.PathClusterClusterAdmins + ")"),
		}, pulumi.Parent(ca))
		if err != nil {
			return nil, err
		}
		ca.Grants[id] = grant
		outputs[id] = grant.Name
	}
	return ca, ctx.RegisterResourceOutputs(ca, outputs)
}
