package bench

import (
	"testing"
	"unsafe"
)

// TestFloorContextSize checks that the floor's context has the size of the
// one triggergen allocates for an operation's triggers (112 bytes on a
// 64-bit machine), so that the floor allocates what triggergen does.
func TestFloorContextSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 && unsafe.Sizeof(floorCtx{}) != 112 {
		t.Fatalf("floorCtx is %d bytes, want 112", unsafe.Sizeof(floorCtx{}))
	}
}
