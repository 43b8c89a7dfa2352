package spec

import "testing"

// TestNormalLocation checks the programmatic form of a location: lower
// case, without spaces, as Azure and azure-native compare locations.
func TestNormalLocation(t *testing.T) {
	for written, want := range map[string]string{
		"eastus":      "eastus",
		"East US":     "eastus",
		"EastUS":      "eastus",
		"East US 2":   "eastus2",
		"West Europe": "westeurope",
		"Mars":        "mars",
		"":            "",
	} {
		if got := NormalLocation(written); got != want {
			t.Errorf("NormalLocation(%q) = %q, want %q", written, got, want)
		}
	}
}

// TestLoadNormalizesLocation checks that Load gives the location in its
// normal form and keeps the value as written when it differs, and that
// Defaults applied again keeps both.
func TestLoadNormalizesLocation(t *testing.T) {
	for _, tc := range []struct{ written, location, asWritten string }{
		{"eastus", "eastus", ""},
		{"East US", "eastus", "East US"},
		{"  West Europe ", "westeurope", "West Europe"},
		{"EastUS", "eastus", "EastUS"},
	} {
		s, err := Load("dev", source(map[string]string{KeyLocation: tc.written, KeyNetwork: `{}`, KeyCluster: `{}`}))
		if err != nil {
			t.Fatal(err)
		}
		if s.Location != tc.location || s.LocationAsWritten != tc.asWritten {
			t.Errorf("%q: Location %q, LocationAsWritten %q; want %q, %q", tc.written, s.Location, s.LocationAsWritten, tc.location, tc.asWritten)
		}
		if again := Defaults(s); again.Location != s.Location || again.LocationAsWritten != s.LocationAsWritten {
			t.Errorf("%q: Defaults again gives %q, %q", tc.written, again.Location, again.LocationAsWritten)
		}
	}
}
