package t4

// The Modified Huffman code words of ITU-T T.4 (tables 2 and 3), written as
// bit strings so that they can be checked against the standard by eye. Index
// i of a terminating table is the run length i; index i of a make-up table is
// the run length 64*(i+1).
var (
	whiteTerminating = [64]string{
		"00110101", "000111", "0111", "1000", "1011", "1100", "1110", "1111",
		"10011", "10100", "00111", "01000", "001000", "000011", "110100", "110101",
		"101010", "101011", "0100111", "0001100", "0001000", "0010111", "0000011", "0000100",
		"0101000", "0101011", "0010011", "0100100", "0011000", "00000010", "00000011", "00011010",
		"00011011", "00010010", "00010011", "00010100", "00010101", "00010110", "00010111", "00101000",
		"00101001", "00101010", "00101011", "00101100", "00101101", "00000100", "00000101", "00001010",
		"00001011", "01010010", "01010011", "01010100", "01010101", "00100100", "00100101", "01011000",
		"01011001", "01011010", "01011011", "01001010", "01001011", "00110010", "00110011", "00110100",
	}
	whiteMakeup = [27]string{
		"11011", "10010", "010111", "0110111", "00110110", "00110111", "01100100", "01100101",
		"01101000", "01100111", "011001100", "011001101", "011010010", "011010011", "011010100", "011010101",
		"011010110", "011010111", "011011000", "011011001", "011011010", "011011011", "010011000", "010011001",
		"010011010", "011000", "010011011",
	}
	blackTerminating = [64]string{
		"0000110111", "010", "11", "10", "011", "0011", "0010", "00011",
		"000101", "000100", "0000100", "0000101", "0000111", "00000100", "00000111", "000011000",
		"0000010111", "0000011000", "0000001000", "00001100111", "00001101000", "00001101100", "00000110111", "00000101000",
		"00000010111", "00000011000", "000011001010", "000011001011", "000011001100", "000011001101", "000001101000", "000001101001",
		"000001101010", "000001101011", "000011010010", "000011010011", "000011010100", "000011010101", "000011010110", "000011010111",
		"000001101100", "000001101101", "000011011010", "000011011011", "000001010100", "000001010101", "000001010110", "000001010111",
		"000001100100", "000001100101", "000001010010", "000001010011", "000000100100", "000000110111", "000000111000", "000000100111",
		"000000101000", "000001011000", "000001011001", "000000101011", "000000101100", "000001011010", "000001100110", "000001100111",
	}
	blackMakeup = [27]string{
		"0000001111", "000011001000", "000011001001", "000001011011", "000000110011", "000000110100", "000000110101", "0000001101100",
		"0000001101101", "0000001001010", "0000001001011", "0000001001100", "0000001001101", "0000001110010", "0000001110011", "0000001110100",
		"0000001110101", "0000001110110", "0000001110111", "0000001010010", "0000001010011", "0000001010100", "0000001010101", "0000001011010",
		"0000001011011", "0000001100100", "0000001100101",
	}
	// extendedMakeup holds the make-up codes shared by both colours for runs
	// of 1792 to 2560 pixels (wide pages: B4, A3).
	extendedMakeup = [13]string{
		"00000001000", "00000001100", "00000001101", "000000010010", "000000010011", "000000010100", "000000010101",
		"000000010110", "000000010111", "000000011100", "000000011101", "000000011110", "000000011111",
	}
)

// eolCode is the 12-bit end-of-line code 0000 0000 0001.
const (
	eolCode = 0x001
	eolLen  = 12
	// rtcEOLs is the number of consecutive EOLs forming return-to-control.
	rtcEOLs = 6
	// maxCodeLen is the longest code word in the tables.
	maxCodeLen = 13
)

// code is one parsed code word.
type code struct {
	bits uint16
	n    uint8
}

// codeSet is one colour's encode table and decode table.
type codeSet struct {
	term   [64]code
	makeup [40]code // 64..2560 in steps of 64
	// decode[n] maps an n-bit code word to its run length, or -1.
	decode [maxCodeLen + 1][]int16
}

var white, black = buildCodeSet(whiteTerminating, whiteMakeup), buildCodeSet(blackTerminating, blackMakeup)

func parseCode(s string) code {
	var c code
	for _, r := range s {
		c.bits = c.bits<<1 | uint16(r-'0')
		c.n++
	}
	return c
}

func buildCodeSet(term [64]string, makeup [27]string) *codeSet {
	cs := &codeSet{}
	for n := range cs.decode {
		cs.decode[n] = make([]int16, 1<<n)
		for i := range cs.decode[n] {
			cs.decode[n][i] = -1
		}
	}
	add := func(c code, run int) { cs.decode[c.n][c.bits] = int16(run) }
	for i, s := range term {
		cs.term[i] = parseCode(s)
		add(cs.term[i], i)
	}
	for i, s := range makeup {
		cs.makeup[i] = parseCode(s)
		add(cs.makeup[i], 64*(i+1))
	}
	for i, s := range extendedMakeup {
		cs.makeup[27+i] = parseCode(s)
		add(cs.makeup[27+i], 64*(28+i))
	}
	return cs
}
