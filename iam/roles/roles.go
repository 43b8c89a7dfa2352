// Package roles holds the ids of the Azure built-in roles that the program
// assigns and that its pipelines' identities hold, each written once: the
// program's grants (package iam), the offline plan's names for them, and the
// one-time setup of the pipelines (package pipeline) read them here. It has
// no Pulumi imports.
//
// The ids are the same in every tenant:
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
package roles

// Built-in roles by id.
const (
	// NetworkContributor manages networks: the cluster identity's grant on
	// the node subnet and the route table.
	NetworkContributor = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	// ClusterAdmin is Azure Kubernetes Service RBAC Cluster Admin: every
	// action on every Kubernetes resource of the cluster, with Azure RBAC for
	// Kubernetes (cluster.clusterAdmins).
	ClusterAdmin = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
	// ClusterUser is Azure Kubernetes Service Cluster User Role: lists the
	// cluster user's kubeconfig (listClusterUserCredential), which a preview
	// of a stack with exportKubeconfig reads.
	ClusterUser = "4abbcc35-e782-43d8-92c5-2d3f1bd2253f"
	// Contributor manages everything but access.
	Contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	// Reader views everything but secrets and data.
	Reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	// RBACAdministrator is Role Based Access Control Administrator: manages
	// role assignments, and can be limited by a condition to given roles.
	RBACAdministrator = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	// StorageBlobDataContributor reads, writes and deletes blobs.
	StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
	// StorageBlobDataReader reads blobs.
	StorageBlobDataReader = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
)

// Names are the roles' names as Azure shows them, by id.
var Names = map[string]string{
	NetworkContributor:         "Network Contributor",
	ClusterAdmin:               "Azure Kubernetes Service RBAC Cluster Admin",
	ClusterUser:                "Azure Kubernetes Service Cluster User Role",
	Contributor:                "Contributor",
	Reader:                     "Reader",
	RBACAdministrator:          "Role Based Access Control Administrator",
	StorageBlobDataContributor: "Storage Blob Data Contributor",
	StorageBlobDataReader:      "Storage Blob Data Reader",
}
