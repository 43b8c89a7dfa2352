package engine

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/internal/azuresim"
	"github.com/aks-kubenet/aks-kubenet/internal/sshkey"
)

// TestSecretsStayEncryptedInState: the state, as the local backend stores it
// (its every file: the stack, backups and history), holds neither the
// kubeconfig nor the SSH public key set with `pulumi config set --secret` in
// plaintext, while both reach where they belong: the key the cluster in the
// cloud, the kubeconfig the stack's secret output.
func TestSecretsStayEncryptedInState(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "dev", "aks-kubenet:exportKubeconfig", "true")
	sshKey := rsaPublicKey(t)
	if err := w.stack.SetConfig(w.ctx, "aks-kubenet:sshPublicKey", auto.ConfigValue{Value: sshKey, Secret: true}); err != nil {
		t.Fatal(err)
	}
	w.up()

	cluster, err := w.openCloud().Cluster("aks-kubenet-cluster")
	if err != nil {
		t.Fatal(err)
	}
	if got := clusterSSHKey(cluster); got != sshKey {
		t.Fatalf("the cluster in the cloud has SSH key %q, want the configured one", got)
	}
	outs, err := w.stack.Outputs(w.ctx) // decrypted by the CLI: only to learn what to look for
	if err != nil {
		t.Fatal(err)
	}
	// With Entra ID the program asks for the exec format: kubelogin.
	want, err := azuresim.UserKubeconfig(cluster, "exec")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, _ := outs["kubeconfig"].Value.(string)
	if kubeconfig != want {
		t.Fatalf("output kubeconfig = %q, want the cluster's in the exec format %q", kubeconfig, want)
	}
	if !outs["kubeconfig"].Secret {
		t.Errorf("output kubeconfig is not a secret")
	}

	keyBody := strings.Fields(sshKey)[1]
	plaintexts := map[string]string{
		"the kubeconfig's certificate authority": azuresim.ClusterCA(cluster),
		"the kubeconfig in base64":               base64.StdEncoding.EncodeToString([]byte(kubeconfig))[:40],
		"the SSH public key":                     keyBody[len(keyBody)-64:],
	}
	files := w.stateFiles()
	if len(files) == 0 {
		t.Fatal("the backend holds no files")
	}
	for path, content := range files {
		for what, plain := range plaintexts {
			if strings.Contains(content, plain) {
				t.Errorf("%s holds %s in plaintext", path, what)
			}
		}
	}
}

// clusterSSHKey is the admin SSH key of a cluster in the cloud, or "".
func clusterSSHKey(cluster *azuresim.Resource) string {
	v := resource.NewProperty(resource.PropertyMap(cluster.Properties))
	for _, step := range []any{"linuxProfile", "ssh", "publicKeys", 0, "keyData"} {
		for v.IsSecret() {
			v = v.SecretValue().Element
		}
		switch s := step.(type) {
		case string:
			if !v.IsObject() {
				return ""
			}
			v = v.ObjectValue()[resource.PropertyKey(s)]
		case int:
			if !v.IsArray() || len(v.ArrayValue()) <= s {
				return ""
			}
			v = v.ArrayValue()[s]
		}
	}
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// rsaPublicKey returns a new 2048-bit RSA public key in OpenSSH's
// authorized_keys form, the kind AKS accepts.
func rsaPublicKey(t *testing.T) string {
	t.Helper()
	key, err := sshkey.NewRSA(2048, "engine-test")
	if err != nil {
		t.Fatal(err)
	}
	return key
}
