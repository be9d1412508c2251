// Package fax sends and receives faxes through Class 2.0 fax modems
// (ITU-T T.32, AT+FCLASS=2.0) driven by drivers/modem.
//
// Send dials, sends each page as T.4 one-dimensional MH data (media/t4)
// between AT+FDT and a DLE post-page code, and reads the receiver's page
// result (+FPS) and the hang-up status (+FHS). Receive answers a ringing
// call, collects pages with AT+FDR until +FHS, and writes them as one
// TIFF Class F file, crash-safe (temporary file, fsync, rename).
//
// LoadDocument turns what a user uploads (TIFF, PNG, PBM, or PDF through
// Debian's pdftoppm from poppler-utils) into fax pages at standard or fine
// resolution, with a clear error for an empty or unusable file.
//
// Service ties both to the store: faxes to send are store.Message records
// in the fax outbox (retried on failure), received faxes become inbound
// records with the TIFF path, page count and remote station ID.
package fax
