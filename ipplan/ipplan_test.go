package ipplan

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in      string
		want    string // canonical prefix, or "" for an error
		wantErr string // substring of the error
	}{
		{in: "10.0.0.0/16", want: "10.0.0.0/16"},
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
		{in: "10.0.2.4/32", want: "10.0.2.4/32"},
		{in: "10.0.1.5/24", wantErr: "10.0.1.5/24 has host bits set; did you mean 10.0.1.0/24?"},
		{in: "10.0.0.0/33", wantErr: `"10.0.0.0/33" is not a CIDR prefix`},
		{in: "10.0.0.0", wantErr: `"10.0.0.0" is not a CIDR prefix`},
		{in: "", wantErr: `"" is not a CIDR prefix`},
		{in: " 10.0.0.0/16", wantErr: `" 10.0.0.0/16" is not a CIDR prefix`},
		{in: "010.0.0.0/16", wantErr: "is not a CIDR prefix"},
		{in: "fd00::/8", wantErr: "fd00::/8 is an IPv6 prefix"},
		{in: "::ffff:10.0.0.0/104", wantErr: "is an IPv6 prefix"},
	}
	for _, tt := range tests {
		got, err := ParsePrefix(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePrefix(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "10.0.2.4", want: "10.0.2.4"},
		{in: "10.0.2", wantErr: `"10.0.2" is not an IPv4 address`},
		{in: "10.0.2.4/32", wantErr: "is not an IPv4 address"},
		{in: "::ffff:10.0.2.4", wantErr: "::ffff:10.0.2.4 is an IPv4-mapped IPv6 address; write it as 10.0.2.4"},
		{in: "fd00::4", wantErr: "fd00::4 is an IPv6 address"},
		{in: "fe80::1%eth0", wantErr: "is an IPv6 address"},
	}
	for _, tt := range tests {
		got, err := ParseAddr(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseAddr(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseAddr(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// prefix parses a prefix in a test table, where "" stands for the zero Prefix.
func prefix(t *testing.T, s string) netip.Prefix {
	t.Helper()
	if s == "" {
		return netip.Prefix{}
	}
	return netip.MustParsePrefix(s)
}

func TestOverlapsContains(t *testing.T) {
	tests := []struct {
		a, b                 string
		overlaps, aContainsB bool
		bContainsA           bool
	}{
		{"10.0.0.0/16", "10.0.0.0/16", true, true, true},
		{"10.0.0.0/16", "10.0.1.0/24", true, true, false},
		{"10.0.0.0/16", "10.1.0.0/16", false, false, false},
		{"10.0.0.0/8", "10.244.0.0/16", true, true, false},
		{"0.0.0.0/0", "255.255.255.255/32", true, true, false},
		{"172.16.0.0/12", "172.30.0.0/16", true, true, false},
		{"172.16.0.0/12", "172.32.0.0/16", false, false, false},
		{"10.0.4.0/24", "10.0.4.10/32", true, true, false},
		{"10.0.4.0/24", "10.0.5.0/24", false, false, false},
		{"10.0.1.5/24", "10.0.1.0/24", true, true, true}, // host bits ignored
		{"10.0.0.0/16", "", false, false, false},
		{"10.0.0.0/16", "::/0", false, false, false},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8", false, false, false},
	}
	for _, tt := range tests {
		a, b := prefix(t, tt.a), prefix(t, tt.b)
		if got := Overlaps(a, b); got != tt.overlaps {
			t.Errorf("Overlaps(%s, %s) = %t, want %t", tt.a, tt.b, got, tt.overlaps)
		}
		if got := Overlaps(b, a); got != tt.overlaps {
			t.Errorf("Overlaps(%s, %s) = %t, want %t", tt.b, tt.a, got, tt.overlaps)
		}
		if got := Contains(a, b); got != tt.aContainsB {
			t.Errorf("Contains(%s, %s) = %t, want %t", tt.a, tt.b, got, tt.aContainsB)
		}
		if got := Contains(b, a); got != tt.bContainsA {
			t.Errorf("Contains(%s, %s) = %t, want %t", tt.b, tt.a, got, tt.bContainsA)
		}
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		p                           string
		addresses, usable, podNodes int
		last                        string
	}{
		{"0.0.0.0/0", 1 << 32, 1<<32 - 5, 1 << 24, "255.255.255.255"},
		{"10.0.0.0/16", 65536, 65531, 256, "10.0.255.255"},
		{"10.244.0.0/17", 32768, 32763, 128, "10.244.127.255"},
		{"10.244.0.0/20", 4096, 4091, 16, "10.244.15.255"},
		{"10.0.1.0/24", 256, 251, 1, "10.0.1.255"},
		{"10.0.1.0/25", 128, 123, 0, "10.0.1.127"},
		{"10.0.1.0/27", 32, 27, 0, "10.0.1.31"},
		{"10.0.1.0/29", 8, 3, 0, "10.0.1.7"},
		{"10.0.1.0/30", 4, 0, 0, "10.0.1.3"},
		{"10.0.1.4/32", 1, 0, 0, "10.0.1.4"},
		{"10.0.1.5/24", 256, 251, 1, "10.0.1.255"}, // host bits ignored
		{"", 0, 0, 0, "invalid IP"},
		{"fd00::/8", 0, 0, 0, "invalid IP"},
	}
	for _, tt := range tests {
		p := prefix(t, tt.p)
		if got := Addresses(p); got != tt.addresses {
			t.Errorf("Addresses(%s) = %d, want %d", tt.p, got, tt.addresses)
		}
		if got := UsableSubnetAddresses(p); got != tt.usable {
			t.Errorf("UsableSubnetAddresses(%s) = %d, want %d", tt.p, got, tt.usable)
		}
		if got := PodCIDRNodes(p); got != tt.podNodes {
			t.Errorf("PodCIDRNodes(%s) = %d, want %d", tt.p, got, tt.podNodes)
		}
		if got := Last(p).String(); got != tt.last {
			t.Errorf("Last(%s) = %s, want %s", tt.p, got, tt.last)
		}
	}
}

func TestRouteTableNodes(t *testing.T) {
	for udrs, want := range map[int]int{-1: 1000, 0: 1000, 1: 999, 10: 990, 999: 1, 1000: 0, 1001: 0} {
		if got := RouteTableNodes(udrs); got != want {
			t.Errorf("RouteTableNodes(%d) = %d, want %d", udrs, got, want)
		}
	}
}
