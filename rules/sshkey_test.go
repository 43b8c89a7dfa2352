package rules

import (
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/internal/sshkey"
)

// sshRSA returns a new OpenSSH ssh-rsa public key of the given size.
func sshRSA(t *testing.T, bits int) string {
	t.Helper()
	key, err := sshkey.NewRSA(bits, "me@host")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestCheckSSHPublicKey(t *testing.T) {
	ed, err := sshkey.NewEd25519("me@host")
	if err != nil {
		t.Fatal(err)
	}
	rsa4096, rsa2048, rsa1024 := sshRSA(t, 4096), sshRSA(t, 2048), sshRSA(t, 1024)
	for _, tc := range []struct {
		name, key, want string
	}{
		{"RSA 4096", rsa4096, ""},
		{"RSA 2048", rsa2048, ""},
		{"RSA 2048 without a comment", strings.Join(strings.Fields(rsa2048)[:2], " "), ""},
		{"RSA 1024", rsa1024, "aks-kubenet:sshPublicKey is a 1024-bit RSA key: AKS nodes take only an RSA public key of at least 2048 bits"},
		{"Ed25519", ed, "aks-kubenet:sshPublicKey is a ssh-ed25519 key: AKS nodes take only an RSA public key"},
		{"a private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----", "aks-kubenet:sshPublicKey is not an OpenSSH public key"},
		{"ssh-rsa with a broken body", "ssh-rsa AAAA!!!! me", "aks-kubenet:sshPublicKey is not a readable ssh-rsa key"},
		{"ssh-rsa with an ed25519 body", "ssh-rsa " + strings.Fields(ed)[1], "aks-kubenet:sshPublicKey is not a readable ssh-rsa key"},
		{"empty", "", "aks-kubenet:sshPublicKey is not an OpenSSH public key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := CheckSSHPublicKey(tc.key)
			switch {
			case tc.want == "" && f != nil:
				t.Fatalf("refused a good key: %s", f)
			case tc.want != "" && f == nil:
				t.Fatalf("accepted the key, want %q", tc.want)
			case tc.want != "" && !strings.Contains(f.Message, tc.want):
				t.Fatalf("message %q, want it to contain %q", f.Message, tc.want)
			}
			if f != nil && len(tc.key) > 20 {
				for _, part := range strings.Fields(tc.key) {
					if len(part) > 20 && strings.Contains(f.Message, part) {
						t.Errorf("the message prints the key: %s", f.Message)
					}
				}
			}
		})
	}
}

// FuzzCheckSSHPublicKey: any input is refused or accepted without a panic,
// and a refusal never contains a long part of the input.
func FuzzCheckSSHPublicKey(f *testing.F) {
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== me")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== me")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		finding := CheckSSHPublicKey(key)
		if finding == nil {
			return
		}
		for _, part := range strings.Fields(key) {
			if len(part) > 40 && strings.Contains(finding.Message, part) {
				t.Fatalf("the message prints the key: %s", finding.Message)
			}
		}
	})
}
