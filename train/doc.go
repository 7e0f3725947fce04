// Package train fits models: optimisers (SGD, Adam, AdamW), learning-rate schedulers
// (warm-up cosine, reduce-on-plateau, one-cycle), early stopping, atomic resumable
// checkpoints (safetensors + JSON side-car), JSON-lines logs, charts, TensorBoard event
// files and progress display, all cancellable through context.Context.
//
// The entry point is Fit: it runs the epoch loop over a Batches source with a caller's
// loss function, steps an Optimizer (with optional gradient accumulation) under a
// Scheduler, evaluates on validation batches, stops early on a validation-loss plateau
// or on a non-finite loss, writes best/last checkpoints and reports progress to a Logger.
// A run resumed from its last checkpoint continues bit-for-bit where it stopped.
//
// # Checkpoints
//
// CheckpointPath(dir, "<name>_<run_id>", "best"|"last") is a safetensors file holding
// the model's state_dict under its nn (PyTorch) names, buffers included, plus the
// optimizer's moment tensors under the reserved prefix "optimizer/" (see
// OptimizerPrefix). Its JSON side-car (same stem, ".json") holds CheckpointInfo:
// configuration text, epoch, batch, global step, optimizer scalars, scheduler and
// early-stopping state, best validation loss, generator states (base64), version and
// time. Both files are written atomically; a save_id shared by both detects a torn pair.
//
// Package train knows nothing of YAML, data loading or pretext tasks; train/pretrain
// wires those together.
package train
