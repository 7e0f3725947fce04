// Package pretext builds the (input, target) pairs of the self-supervised pretext
// tasks: crappify (Gaussian noise plus down- and up-sampling, BiaPy-exact and
// deterministic given a seed) and masking (the MAE's random and grid patch masks).
//
// Status: the tasks arrive with the data/pretext/metrics issue; this package currently
// holds only this documentation.
package pretext
