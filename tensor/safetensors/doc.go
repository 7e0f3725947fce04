// Package safetensors reads and writes the safetensors file format, the flat
// name→tensor container used by PyTorch/Hugging Face checkpoints, BiaPy's golden
// fixtures and selfsup's own checkpoints.
//
// # Format
//
// A file is an 8-byte little-endian header length N, then N bytes of JSON
//
//	{"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …,
//	 "__metadata__": {"<key>": "<string value>"}}
//
// (padded with spaces to a multiple of 8 when written), then the raw little-endian
// tensor data. Offsets are bytes relative to the start of the data section; the
// tensors must cover it exactly, without gaps or overlaps. A 0-d tensor has shape [].
//
// # Reading
//
// [Read] and [ReadFile] accept the dtypes F32, F64, F16, BF16, I64, I32, I16, I8, U8
// and BOOL and convert every tensor to a contiguous float32 CPU [tensor.Tensor],
// recording the original dtype in [File.DTypes]. Integers beyond ±2^24 cannot be held
// exactly in a float32 and are rejected. Input is validated strictly (header size,
// JSON syntax, dtype, shape, offsets, byte counts, coverage): a corrupt file gives an
// error naming the tensor or field at fault, never a panic.
//
// # Writing
//
// [Write] and [WriteFile] store float32 tensors of any device and layout as F32, in
// sorted name order, so equal inputs give byte-identical files. [WriteFile] is
// atomic: it writes a temporary file in the target directory, syncs it and renames
// it over the target.
package safetensors
