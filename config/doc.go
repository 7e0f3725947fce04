// Package config loads BiaPy YAML configuration files unchanged (dotted or nested keys,
// Python tuple literals, True/False) with BiaPy's defaults and validity rules, and turns
// them into the plain option structs of the packages below it. It is the only package
// that knows BiaPy's key names.
//
// Status: the loader arrives with the workflow issue; this package currently holds only
// this documentation.
package config
