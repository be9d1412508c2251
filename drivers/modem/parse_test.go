package modem

import "testing"

func FuzzResponseParsing(f *testing.F) {
	f.Add([]byte("\r\n+CMGL: 1,0,,24\r\n0011000B916407281553F80000AA0AE8329BFD4697D9EC37\r\nOK\r\n"))
	f.Add([]byte("\r\n+CMS ERROR: 322\r\n\r\n> "))
	f.Add([]byte("CONNECT\r\n\x10\x10ab\x10\x03\r\n+FPS:1,1143,0,0,0\r\n+FET:2\r\nOK\r\n"))
	f.Add([]byte(`+CLIP: "+8613911110000",145,"",,"a,b",0` + "\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr framer
		fr.push(b)
		for {
			l, ok := fr.line()
			if !ok {
				break
			}
			if f, ce := ParseFinal(l); f == FinalError && ce == nil {
				t.Fatal("error result without error")
			} else if ce != nil {
				_ = ce.Error()
			}
			if u, ok := ParseURC(l); ok {
				_ = Fields(u.Value)
			}
			_ = Fields(l)
		}
		fr.prompt()
		var u unstuffer
		rest := u.feed(b)
		if u.ended && len(rest) > len(b) {
			t.Fatal("rest longer than input")
		}
		if st := stuff(u.out.Bytes()); len(st) < u.out.Len() {
			t.Fatal("stuffing lost bytes")
		}
	})
}
