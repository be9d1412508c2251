// Package t4 is the fax image coding of ITU-T T.4: one-dimensional Modified
// Huffman (MH) encoding and decoding of bi-level pages, and TIFF Class F
// files for keeping received pages.
//
// A page is a Page: one bit per pixel, 1 is black, rows packed MSB first.
// Encode turns a page into the bit stream a Class 2/2.0 fax modem sends
// (EOL before every line, RTC at the end); Decode reads such a stream back,
// re-synchronising on EOL after a damaged line the way a fax machine does
// and counting the bad lines. FromImage scales any image.Image to the fax
// width at standard (98 lpi) or fine (196 lpi) resolution.
//
// WriteTIFF and ReadTIFF store and load multi-page TIFF-F files
// (Compression 3, 1-D, 204 dpi across, 98 or 196 lpi down). ReadPBM reads
// portable bitmaps (P1 and P4), the output of pdftoppm -mono. WritePDF
// makes a PDF of pages with their MH data as CCITTFaxDecode images, for
// people to open a received fax.
//
// Every decoder here takes outside input and returns an error rather than
// panicking; each has a fuzz test.
package t4
