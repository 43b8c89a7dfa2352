// Package sshkey writes SSH public keys in OpenSSH's authorized_keys form, for
// the tests that need a real key of a given type and size.
package sshkey

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"math/big"
)

// Wire joins fields in SSH's wire form: each one preceded by its length as a
// 32-bit big-endian number (RFC 4251 section 5).
func Wire(fields ...[]byte) []byte {
	var out []byte
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// NewRSA returns a new RSA public key of the given size as "ssh-rsa AAAA...
// comment".
func NewRSA(bits int, comment string) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return "", err
	}
	// The modulus as an mpint: a leading zero byte keeps it positive.
	body := Wire([]byte("ssh-rsa"), big.NewInt(int64(key.E)).Bytes(), append([]byte{0}, key.N.Bytes()...))
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(body) + " " + comment, nil
}

// NewEd25519 returns a new Ed25519 public key as "ssh-ed25519 AAAA... comment".
func NewEd25519(comment string) (string, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(Wire([]byte("ssh-ed25519"), pub)) + " " + comment, nil
}
