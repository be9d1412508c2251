package prompt

import (
	"strings"
	"testing"
)

func TestSayNumber_English(t *testing.T) {
	cases := map[int]string{
		0:         "digit-0",
		7:         "digit-7",
		13:        "num-13",
		40:        "num-40",
		42:        "num-40 digit-2",
		100:       "digit-1 num-hundred",
		253:       "digit-2 num-hundred num-50 digit-3",
		1005:      "digit-1 num-thousand digit-5",
		21_000:    "num-20 digit-1 num-thousand",
		3_000_019: "digit-3 num-million num-19",
	}
	for n, want := range cases {
		got, err := SayNumber("en", n)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%d: %v %v, want %s", n, got, err, want)
		}
	}
}

func TestSayNumber_Chinese(t *testing.T) {
	cases := map[int]string{
		0:           "零",
		10:          "十",
		15:          "十五",
		20:          "二十",
		105:         "一百零五",
		110:         "一百一十",
		250:         "两百五十",
		1010:        "一千零一十",
		2000:        "两千",
		10_001:      "一万零一",
		20_000:      "两万",
		100_010:     "十万零一十",
		1_000_000:   "一百万",
		120_000_305: "一亿两千万零三百零五",
	}
	han := map[string]string{
		"num-10": "十", "num-hundred": "百", "num-thousand": "千", "num-ten-thousand": "万",
		"num-hundred-million": "亿", "num-liang": "两",
	}
	for i, c := range []rune("零一二三四五六七八九") {
		han[digitKey(i)] = string(c)
	}
	for n, want := range cases {
		keys, err := SayNumber("zh", n)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for _, k := range keys {
			got.WriteString(han[k])
		}
		if got.String() != want {
			t.Errorf("%d: %s (%v), want %s", n, got.String(), keys, want)
		}
	}
}

func TestSayHelpers_UseOnlyShippedPrompts(t *testing.T) {
	lib := NewLibrary("")
	for _, lang := range Languages {
		seqs := [][]string{}
		for _, n := range []int{0, 1, 9, 11, 19, 20, 99, 100, 101, 999, 1000, 2002, 12345, 99999, 1_000_000, MaxNumber} {
			k, err := SayNumber(lang, n)
			if err != nil {
				t.Fatal(err)
			}
			seqs = append(seqs, k)
		}
		for _, fn := range []func(string, int) ([]string, error){SayPosition, SayWait, SayNewMessages} {
			for _, n := range []int{0, 1, 5} {
				k, err := fn(lang, n)
				if err != nil {
					t.Fatal(err)
				}
				seqs = append(seqs, k)
			}
		}
		k, err := SayDigits(lang, "13800138000#*")
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, k)
		for _, s := range seqs {
			for _, key := range s {
				if !lib.Has(lang, key) {
					t.Fatalf("%s: %v uses missing prompt %s", lang, s, key)
				}
			}
		}
	}
	if _, err := SayNumber("en", -1); err == nil {
		t.Fatal("negative number accepted")
	}
	if _, err := SayDigits("en", "12a"); err == nil {
		t.Fatal("letter accepted as digit")
	}
}
