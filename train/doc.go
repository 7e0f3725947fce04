// Package train fits models: optimisers (SGD, Adam, AdamW), learning-rate schedulers
// (warm-up cosine, reduce-on-plateau, one-cycle), early stopping, atomic resumable
// checkpoints (safetensors + JSON side-car), JSON-lines logs, charts, TensorBoard event
// files and progress display, all cancellable through context.Context.
//
// Status: the trainer arrives with the workflow issue; this package currently holds
// only this documentation.
package train
