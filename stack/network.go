package stack

import (
	"errors"

	containerservice "github.com/pulumi/pulumi-azure-native-sdk/containerservice/v2/v20240901"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/cluster"
	"github.com/aks-kubenet/aks-kubenet/migration"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// deployedNetwork is the deployed cluster's network mode, "kubenet" or
// "overlay", read from the cluster's state: the outputs it had after the last
// up, or after the last refresh, which reads what az aks update or
// cmd/migrate did to it. The cluster ignores its network mode
// (cluster.IgnoredChanges), so the state keeps the deployed one whatever the
// config says; when the config asks for another (migration.CheckNetwork),
// the program fails with the refusal: in a preview, before anything is
// changed.
//
// A cluster not yet created has no state: the output is unknown in a
// preview, and nothing is compared.
func deployedNetwork(ctx *pulumi.Context, s spec.Stack, aks *cluster.AKSCluster) pulumi.StringOutput {
	want := migration.ConfigNetwork(s.Cluster)
	return aks.Cluster.NetworkProfile.ApplyT(func(p *containerservice.ContainerServiceNetworkProfileResponse) (string, error) {
		deployed := stateNetwork(p)
		if f := migration.CheckNetwork(ctx.Stack(), s.Cluster.Name, want, deployed); f != nil {
			if err := ctx.Log.Error(f.String(), nil); err != nil {
				return "", err
			}
			return "", errors.New("the stack's network mode differs from the deployed cluster's; see the error above. Nothing was changed")
		}
		if deployed.Overlay() {
			return spec.NetworkPluginOverlay, nil
		}
		return spec.NetworkPluginKubenet, nil
	}).(pulumi.StringOutput)
}

// stateNetwork is the network mode in the cluster's state.
func stateNetwork(p *containerservice.ContainerServiceNetworkProfileResponse) migration.Network {
	if p == nil {
		return migration.Network{}
	}
	value := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	return migration.Network{
		Plugin: value(p.NetworkPlugin), Mode: value(p.NetworkPluginMode), Dataplane: value(p.NetworkDataplane),
		Policy: value(p.NetworkPolicy), PodCIDR: value(p.PodCidr),
	}
}
