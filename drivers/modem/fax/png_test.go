package fax_test

import (
	"image"
	"image/color"
	"image/png"
	"io"
)

// encodePNG writes a small grey-scale logo: a dark disc on white.
func encodePNG(w io.Writer) error {
	img := image.NewGray(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			dx, dy := x-150, y-100
			v := uint8(255)
			if dx*dx+dy*dy < 80*80 {
				v = 30
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return png.Encode(w, img)
}
