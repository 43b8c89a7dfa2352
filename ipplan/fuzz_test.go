package ipplan

import (
	"net/netip"
	"testing"
)

// interval is a prefix as the closed range [lo, hi] of uint32 addresses,
// computed from the raw address and bit length without package netip.
type interval struct{ lo, hi uint32 }

func intervalOf(addr uint32, bits int) interval {
	mask := ^uint32(0) << (32 - bits) // a shift by 32 gives 0: the /0 mask
	return interval{addr & mask, addr&mask | ^mask}
}

// member reports whether x lies in the prefix addr/bits, by comparing the
// network bits.
func member(x, addr uint32, bits int) bool {
	mask := ^uint32(0) << (32 - bits)
	return x&mask == addr&mask
}

func addrFrom(u uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)})
}

// enumerationLimit is the largest prefix whose addresses the fuzz test walks one
// by one.
const enumerationLimit = 1 << 12

// FuzzOverlapsContains checks Overlaps, Contains, Addresses and Last against a
// reference built from uint32 intervals, and, when one prefix is small, against
// a walk over its addresses. Bit lengths above 32 make invalid prefixes, for
// which every function must report false or zero.
func FuzzOverlapsContains(f *testing.F) {
	f.Add(uint32(0x0a000000), uint8(16), uint32(0x0a000100), uint8(24))
	f.Add(uint32(0x0af40000), uint8(16), uint32(0x0a000000), uint8(8))
	f.Add(uint32(0), uint8(0), uint32(0xffffffff), uint8(32))
	f.Add(uint32(0xac100000), uint8(12), uint32(0xac1e0000), uint8(16))
	f.Add(uint32(0x0a000105), uint8(24), uint32(0x0a000200), uint8(24))
	f.Add(uint32(0x0a000000), uint8(33), uint32(0x0a000000), uint8(8))
	f.Fuzz(func(t *testing.T, a uint32, aBits uint8, b uint32, bBits uint8) {
		ab, bb := int(aBits%40), int(bBits%40)
		pa, pb := netip.PrefixFrom(addrFrom(a), ab), netip.PrefixFrom(addrFrom(b), bb)
		if ab > 32 || bb > 32 {
			if Overlaps(pa, pb) || Contains(pa, pb) || Contains(pb, pa) {
				t.Fatalf("invalid prefix %v or %v overlaps or contains", pa, pb)
			}
			return
		}
		ia, ib := intervalOf(a, ab), intervalOf(b, bb)
		wantOverlaps := ia.lo <= ib.hi && ib.lo <= ia.hi
		if got := Overlaps(pa, pb); got != wantOverlaps {
			t.Fatalf("Overlaps(%v, %v) = %t, want %t", pa, pb, got, wantOverlaps)
		}
		for _, c := range []struct {
			outer, inner   netip.Prefix
			iOuter, iInner interval
		}{{pa, pb, ia, ib}, {pb, pa, ib, ia}} {
			want := c.iOuter.lo <= c.iInner.lo && c.iInner.hi <= c.iOuter.hi
			if got := Contains(c.outer, c.inner); got != want {
				t.Fatalf("Contains(%v, %v) = %t, want %t", c.outer, c.inner, got, want)
			}
		}
		if got, want := Addresses(pa), int(ia.hi-ia.lo)+1; got != want {
			t.Fatalf("Addresses(%v) = %d, want %d", pa, got, want)
		}
		if got, want := Last(pa), addrFrom(ia.hi); got != want {
			t.Fatalf("Last(%v) = %v, want %v", pa, got, want)
		}
		if ia.hi-ia.lo < enumerationLimit {
			checkByWalking(t, pa, pb, ia, b, bb)
		}
	})
}

// checkByWalking walks every address of small prefix pa and checks Overlaps and
// Contains(pb, pa) against membership of those addresses in b/bBits.
func checkByWalking(t *testing.T, pa, pb netip.Prefix, ia interval, b uint32, bBits int) {
	t.Helper()
	some, all := false, true
	for x := uint64(ia.lo); x <= uint64(ia.hi); x++ {
		in := member(uint32(x), b, bBits)
		some = some || in
		all = all && in
	}
	if got := Overlaps(pa, pb); got != some {
		t.Fatalf("Overlaps(%v, %v) = %t, but walking %v says %t", pa, pb, got, pa, some)
	}
	if got := Contains(pb, pa); got != all {
		t.Fatalf("Contains(%v, %v) = %t, but walking %v says %t", pb, pa, got, pa, all)
	}
}
