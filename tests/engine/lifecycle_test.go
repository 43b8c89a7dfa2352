package engine

import (
	"testing"
)

func TestPreviewThenUpDev(t *testing.T) {
	w := newWorld(t, "dev")
	steps, err := w.previewSteps()
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	t.Logf("steps: %v", changed(steps))
	w.up()
	c := w.openCloud()
	for _, op := range c.Log {
		t.Logf("%s %s", op.Op, op.ID)
	}
	w.expectNoChanges("after up")
}
