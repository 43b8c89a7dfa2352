package rules

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// MinSSHKeyBits is the smallest RSA key AKS nodes take.
const MinSSHKeyBits = 2048

// CheckSSHPublicKey checks the value of aks-kubenet:sshPublicKey: AKS takes
// only RSA keys in OpenSSH's authorized_keys form ("ssh-rsa AAAA... comment")
// of at least 2048 bits, and refuses others, such as Ed25519, with
// InvalidParameter on linuxProfile.ssh.publicKeys.keyData, after everything
// before the cluster exists (Azure/AKS#4431;
// https://learn.microsoft.com/azure/aks/node-access). It returns nil for a
// good key, else a Finding that describes the key (its type and size) and
// never contains it: the key is a secret.
func CheckSSHPublicKey(key string) *Finding {
	refuse := func(why string) *Finding {
		return &Finding{Keys: keys(spec.KeySSHPublicKey), Code: CodeInvalidParameter, Message: fmt.Sprintf(
			"%s is %s: AKS nodes take only an RSA public key of at least %d bits in OpenSSH form (ssh-rsa AAAA...), such as ssh-keygen -t rsa -b 4096 makes",
			spec.KeySSHPublicKey, why, MinSSHKeyBits)}
	}
	fields := strings.Fields(key)
	if len(fields) < 2 {
		return refuse("not an OpenSSH public key")
	}
	if fields[0] != "ssh-rsa" {
		if sshKeyType.MatchString(fields[0]) {
			return refuse(fmt.Sprintf("a %s key", fields[0]))
		}
		return refuse("not an OpenSSH public key")
	}
	bits, err := rsaKeyBits(fields[1])
	if err != nil {
		return refuse("not a readable ssh-rsa key")
	}
	if bits < MinSSHKeyBits {
		return refuse(fmt.Sprintf("a %d-bit RSA key", bits))
	}
	return nil
}

// rsaKeyBits returns the modulus size of an ssh-rsa key's base64 body (RFC
// 4253 section 6.6: string "ssh-rsa", mpint e, mpint n).
func rsaKeyBits(body string) (int, error) {
	wire, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return 0, err
	}
	var fields [][]byte
	for range 3 {
		if len(wire) < 4 {
			return 0, errors.New("short key")
		}
		n := binary.BigEndian.Uint32(wire)
		if uint64(n) > uint64(len(wire)-4) {
			return 0, errors.New("short key")
		}
		fields = append(fields, wire[4:4+n])
		wire = wire[4+n:]
	}
	if !bytes.Equal(fields[0], []byte("ssh-rsa")) {
		return 0, errors.New("not an ssh-rsa key")
	}
	return new(big.Int).SetBytes(fields[2]).BitLen(), nil
}

// sshKeyType is the form of an OpenSSH key type other than ssh-rsa
// (ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com): short, and
// safe to name in a message.
var sshKeyType = regexp.MustCompile(`^(ssh|ecdsa|sk)-[a-z0-9@.-]{1,36}$`)
