package tensortest

import (
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func testConv(t *testing.T, dev tensor.Device) { t.Skip("TODO") }

func testPool(t *testing.T, dev tensor.Device) { t.Skip("TODO") }

func testUpsample(t *testing.T, dev tensor.Device) { t.Skip("TODO") }
