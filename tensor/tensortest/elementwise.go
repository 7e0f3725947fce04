package tensortest

import (
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func testElementwise(t *testing.T, dev tensor.Device) { t.Skip("TODO") }

func testReduce(t *testing.T, dev tensor.Device) { t.Skip("TODO") }

func testNorm(t *testing.T, dev tensor.Device) { t.Skip("TODO") }

func testIndex(t *testing.T, dev tensor.Device) { t.Skip("TODO") }

func testAdamW(t *testing.T, dev tensor.Device) { t.Skip("TODO") }
