// Package configtest helps tests edit a stack's config values, as the Pulumi
// CLI hands them to a program: object keys hold JSON.
package configtest

import (
	"encoding/json"
	"testing"
)

// SetField sets one field of the JSON object at key in values; a nil value
// removes the field. It fails the test when the value at key is not an
// object.
func SetField(t testing.TB, values map[string]string, key, field string, value any) {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(values[key]), &obj); err != nil {
		t.Fatal(err)
	}
	if value == nil {
		delete(obj, field)
	} else {
		obj[field] = value
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	values[key] = string(raw)
}
