// Package wav reads and writes the RIFF/WAVE files the box plays and
// records: PCM (8 or 16 bit), μ-law and A-law, mono or stereo, any common
// sample rate. Reader decodes a file into 8 kHz mono media frames
// (resampling and down-mixing as needed), so a prompt uploaded at 16 or
// 44.1 kHz plays like the shipped 8 kHz μ-law ones. Header builds the
// header of a file being written; Repair fixes the sizes in the header of a
// file whose writer died before it could.
package wav
