//go:build !amd64 || purego

package tensor

// winogradAvailable is false: this build has no Winograd transforms.
const winogradAvailable = false

func winoInputAVX512(v *float32, vxi, vci int, x *float32, ldx, xci, nch int) {
	panic("tensor: winoInputAVX512 without assembly")
}

func winoOutputAVX512(y *float32, ldy, yco int, m *float32, mxi, mco, ncout, ngroups int, bias *float32, acc int) {
	panic("tensor: winoOutputAVX512 without assembly")
}
