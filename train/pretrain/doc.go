// Package pretrain is BiaPy's SELF_SUPERVISED workflow wired together from the
// packages below it, usable from Go without YAML: [Run] loads the images, makes the
// pretext pairs (crappify: degraded input → original; masking: the MAE's masked
// reconstruction), trains the model with package train, runs the test phase (tiled
// prediction, merge, un-normalisation, BiaPy's metrics next to a do-nothing baseline)
// and writes BiaPy's output tree (SPEC §8 with Part A's changes):
//
//	<result_dir>/<name>/
//	├── config_files/<config>            copy of the configuration text
//	├── checkpoints/<job>-checkpoint-{best,last}.safetensors (+ .json side-cars)
//	├── train_logs/<job>_log_<time>.txt  JSON line per epoch
//	└── results/<job>/
//	    ├── aug/          augmented training pairs (Options.AugSamples)
//	    ├── charts/       <job>_loss.png, <job>_<METRIC>.png
//	    ├── MAE_checks/   <stem>_{original,masked,reconstruction,reconstruction_and_visible}.tif
//	    ├── per_image/    <stem>.tif predictions in the original dtype
//	    ├── tensorboard/  event file
//	    └── report.json   test metrics, baseline, per-image values, timings
//
// where <job> is "<name>_<run_id>". Crappified inputs are cached beside the input
// folders in "<PATH>_ssl_source/" with a manifest of the noise, resizing factor and
// seed they were made with; they are regenerated when those change (SPEC Part A
// item 6).
//
// Every random draw (validation split, crappify noise, patch origins, augmentation,
// shuffling, initial weights) derives from Options.Train.Seed and the sample and epoch
// index, so a run is reproducible, independent of the number of threads, and a run
// resumed from its last checkpoint continues exactly where it stopped.
//
// Package config maps BiaPy YAML keys onto [Options]; examples/pretrain is the
// command-line program.
package pretrain
