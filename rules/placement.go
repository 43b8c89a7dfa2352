package rules

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// guid is the form of an Azure subscription id.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// checkSubscription is rule 13: the stack names the subscription it deploys
// into. Without azure-native:subscriptionId the azure-native provider deploys
// into whatever subscription the shell's Azure login points at
// (https://www.pulumi.com/registry/packages/azure-native/installation-configuration/),
// so `pulumi up -s prod` from a shell set to dev's subscription would build
// prod there. The committed placeholder is a warning here; Program refuses it
// at `pulumi up`.
func (c *checker) checkSubscription() {
	key, sub := spec.KeySubscriptionID, c.s.Subscription
	switch {
	case sub == "":
		c.warnf(keys(key), "%s is not set: the stack deploys into whatever subscription the Azure login points at; pin it with pulumi config set %s <subscription-id>", key, key)
	case !guid.MatchString(sub):
		c.errorf(keys(key), "%s %s is not a subscription id (a GUID such as 0b1f6471-1bf0-4dda-aec3-cb9272f09590; az account show --query id -o tsv)", key, abbreviate(sub))
	case sub == spec.PlaceholderSubscription:
		c.warnf(keys(key), "%s is the placeholder %s: replace it with the stack's subscription id (az account show --query id -o tsv); pulumi up refuses it", key, sub)
	}
}

// availabilityZones are the zones AKS takes for a pool in a region with zones
// (https://learn.microsoft.com/azure/aks/availability-zones).
var availabilityZones = []string{"1", "2", "3"}

// checkZones checks cluster.zones, the system pool's zones (checkZoneList).
func (c *checker) checkZones() { c.checkZoneList(spec.PathClusterZones, c.s.Cluster.Zones) }

// checkZoneList checks the availability zones of one node pool, the value of
// listKey ("cluster.zones", "pools[0].zones"): each of 1, 2 or 3, none twice,
// each finding naming its entry ("cluster.zones[1]"). Zones cannot be added to
// or removed from an existing pool, so they are chosen at create time
// (https://learn.microsoft.com/azure/aks/availability-zones#limitations).
func (c *checker) checkZoneList(listKey string, zones []string) {
	seen := map[string]bool{}
	for i, z := range zones {
		key := spec.Index(listKey, i)
		switch {
		case !slices.Contains(availabilityZones, z):
			c.errorf(keys(key), "%s %s is not an availability zone: AKS takes 1, 2 and 3", key, abbreviate(z))
		case seen[z]:
			c.errorf(keys(key), "%s %s is listed twice", key, abbreviate(z))
		}
		seen[z] = true
	}
}

// sshKeyType is the form of an OpenSSH key type other than ssh-rsa
// (ssh-ed25519, ecdsa-sha2-nistp256, sk-ssh-ed25519@openssh.com): short, and
// safe to name in a message.
var sshKeyType = regexp.MustCompile(`^(ssh|ecdsa|sk)-[a-z0-9@.-]{1,36}$`)

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
		return &Finding{Keys: keys(spec.KeySSHPublicKey), Message: fmt.Sprintf(
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
