// Package data reads and writes microscopy images (TIFF: 2-D, multi-page 3-D, 8/16/32-bit
// and float, multi-channel, compressed; PNG), builds folder datasets, normalises
// images, extracts and merges patches, splits validation data and augments samples.
// Images are (z,)y,x,c arrays that remember their original dtype.
//
// Status: the readers and datasets arrive with the data/pretext/metrics issue; this
// package currently holds only this documentation.
package data
