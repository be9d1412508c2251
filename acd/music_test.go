package acd

import (
	"context"
	"errors"
	"io"
	"testing"

	"callbox/media"
	"callbox/media/prompt"
)

func TestLoopMusic_RepeatsSourceUntilStopped(t *testing.T) {
	opened := 0
	m := LoopMusic(func() (media.FrameReader, error) {
		opened++
		n := 0
		return media.FrameReaderFunc(func(f *media.Frame) error {
			if n == 2 {
				return io.EOF
			}
			n++
			f[0] = 1
			return nil
		}), nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	written := 0
	err := m(ctx, media.FrameWriterFunc(func(f *media.Frame) error {
		if written++; written == 5 {
			cancel()
		}
		return nil
	}))
	if err != nil || opened < 3 {
		t.Fatalf("err %v, opened %d times for 5 frames of a 2-frame source", err, opened)
	}
}

func TestLoopMusic_EmptySourceFails(t *testing.T) {
	m := LoopMusic(func() (media.FrameReader, error) {
		return media.FrameReaderFunc(func(*media.Frame) error { return io.EOF }), nil
	})
	err := m(context.Background(), media.FrameWriterFunc(func(*media.Frame) error { return nil }))
	if !errors.Is(err, ErrNoMusic) {
		t.Fatalf("err = %v, want ErrNoMusic", err)
	}
}

func TestToneMusic_IsAudible(t *testing.T) {
	c := &chime{}
	var f media.Frame
	loud := 0
	for c.ReadFrame(&f) == nil {
		for _, v := range f {
			if v > 2000 {
				loud++
				break
			}
		}
	}
	if loud < len(chimeNotes)*noteFrames-1 {
		t.Fatalf("%d loud frames in one pass", loud)
	}
}

func TestPromptMusic_PlaysTheLibraryAndFallsBackToTones(t *testing.T) {
	lib := prompt.NewLibrary("")
	for _, key := range []string{"please-hold", "no-such-prompt"} {
		ctx, cancel := context.WithCancel(context.Background())
		loud := 0
		err := PromptMusic(lib, "en", key)(ctx, media.FrameWriterFunc(func(f *media.Frame) error {
			for _, v := range f {
				if v > 1000 || v < -1000 {
					loud++
					break
				}
			}
			if loud == 10 {
				cancel()
			}
			return nil
		}))
		cancel()
		if err != nil || loud < 10 {
			t.Errorf("%s: err %v, %d loud frames", key, err, loud)
		}
	}
}
