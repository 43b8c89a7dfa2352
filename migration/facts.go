package migration

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Version is a Kubernetes MAJOR.MINOR version.
type Version struct{ Major, Minor int }

// String returns "1.27".
func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less reports whether v is before w.
func (v Version) Less(w Version) bool {
	return v.Major < w.Major || v.Major == w.Major && v.Minor < w.Minor
}

// The Kubernetes versions the move needs: 1.27 for the move itself
// (aks-rules 11.2), 1.30 to turn Calico off or on (aks-rules 11.4).
var (
	MinVersion       = Version{1, 27}
	MinPolicyVersion = Version{1, 30}
)

// kubernetesVersion matches MAJOR.MINOR and MAJOR.MINOR.PATCH.
var kubernetesVersion = regexp.MustCompile(`^(\d{1,4})\.(\d{1,4})(\.\d{1,4})?$`)

// ParseVersion reads a Kubernetes version, "1.29" or "1.29.7"; ok is false
// for anything else.
func ParseVersion(s string) (v Version, ok bool) {
	m := kubernetesVersion.FindStringSubmatch(strings.TrimPrefix(s, "v"))
	if m == nil {
		return Version{}, false
	}
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	return v, true
}

// dcsv2 matches the DCsv2 VM sizes, Standard_DC<n>s_v2, which Azure CNI
// Overlay does not run (aks-rules 11.16).
var dcsv2 = regexp.MustCompile(`(?i)^Standard_DC\d+s_v2$`)
