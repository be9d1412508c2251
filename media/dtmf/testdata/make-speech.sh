#!/bin/sh
# Makes the speech samples the DTMF and fax-tone detector tests must not
# trigger on: espeak-ng synthesis, resampled by sox to 8 kHz mono
# μ-law raw samples (.ul). Run from this directory.
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -w "$tmp/en.wav" "Thank you for calling. Please hold while we connect you to the next available agent. Your call is important to us. One two three four five six seven eight nine zero. Press star or pound to return to the main menu."
sox "$tmp/en.wav" -r 8000 -c 1 -t ul speech-en.ul vol 0.8
espeak-ng -v cmn -w "$tmp/zh.wav" "感谢您的来电。请稍候，我们正在为您转接下一位空闲的座席。一二三四五六七八九零。按星号键或井号键返回主菜单。"
sox "$tmp/zh.wav" -r 8000 -c 1 -t ul speech-zh.ul vol 0.8
