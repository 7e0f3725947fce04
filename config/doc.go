// Package config loads BiaPy YAML configuration files unchanged (dotted or nested keys,
// Python tuple literals, True/False) with BiaPy's defaults and validity rules, and turns
// them into the plain option structs of the packages below it. It is the only package
// that knows BiaPy's key names.
//
// [Load] / [Parse] read a file into a [Config] (starting from [Defaults]) and apply
// BiaPy's rules ([Config.Check]); [Config.Validate] also checks that the input folders
// exist. Every problem is reported at once, each an [*Error] naming file, line and key:
//
//	run.yaml:7: TRAIN.EPOCH: unknown key; did you mean TRAIN.EPOCHS?
//	run.yaml:12: MODEL.ARCHITECTURE: mae cannot be used with PROBLEM.SELF_SUPERVISED.PRETEXT_TASK crappify (use masking)
//	run.yaml:3: AUGMENTOR.GRIDMASK: not supported by selfsup (...); only BiaPy's default False is accepted
//
// BiaPy keys selfsup does not implement are accepted only at BiaPy's default value
// (where that has no effect) and otherwise reported as "not supported"; keys of older
// BiaPy releases (legacy templates: MASK_PATH, TEST.STATS.*, ...) are renamed or
// dropped with a note in [Config.Warnings].
//
// Builders turn a Config into the option structs of the lower packages:
// [Config.NewModel] (and [Config.UNetOptions], [Config.MAEOptions], ...),
// [Config.AugmentOptions], [Config.Normalization], [Config.OptimizerOptions].
// [Config.SetJob] derives BiaPy's output paths and [Config.YAML] writes the effective
// configuration (the config_files/ copy of a run).
package config
