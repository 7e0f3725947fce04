// Package workflows holds the pieces the BiaPy workflows (train/pretrain and
// train/segment) share: the seed mixing and stream salts, the channel-last ↔ NCHW
// batch layout, the batch order and sample drawing, option checks and the run's
// output folders, scheduler settings and loggers. Errors name the calling package
// through a pkg argument ("pretrain", "segment").
package workflows
