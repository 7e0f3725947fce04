// Package examples groups selfsup's runnable programs, one per sub-directory
// (examples/pretrain runs a whole BiaPy self-supervised workflow from a YAML file).
// This package itself holds no code.
package examples
