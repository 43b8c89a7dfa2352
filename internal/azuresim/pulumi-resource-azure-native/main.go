// Command pulumi-resource-azure-native is the simulated azure-native provider
// plugin of the engine tests. Put on PATH under this name, it is the provider
// the Pulumi engine uses for every azure-native resource; it keeps its cloud in
// the file named by AZURESIM_CLOUD (see package azuresim).
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
)

func main() {
	err := provider.Main("azure-native", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		path := os.Getenv(azuresim.CloudEnv)
		if path == "" {
			return nil, fmt.Errorf("the simulated azure-native provider needs %s, the path of its cloud file", azuresim.CloudEnv)
		}
		return azuresim.NewProvider(path), nil
	})
	if err != nil {
		cmdutil.ExitError(err.Error())
	}
}
