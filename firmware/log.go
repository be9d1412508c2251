package firmware

import (
	"io"
	"log/slog"
)

// newLogger logs text records to the console and to the rotating file, both
// at level. Either writer may be nil.
func newLogger(level slog.Level, console, file io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var hs []slog.Handler
	for _, w := range []io.Writer{console, file} {
		if w != nil {
			hs = append(hs, slog.NewTextHandler(w, opts))
		}
	}
	if len(hs) == 0 {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewMultiHandler(hs...))
}
