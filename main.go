// Command aks-kubenet is the Pulumi program that deploys a kubenet AKS cluster
// into its own VNet and subnet with a custom route table, user-defined routes and
// pre-created Network Contributor grants. Run it with `pulumi up`.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/stack"
)

func main() {
	pulumi.Run(stack.Program)
}
