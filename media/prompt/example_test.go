package prompt_test

import (
	"fmt"

	"callbox/media/prompt"
)

// A queue announcement is a list of keys; Library.Sequence plays it.
func ExampleSayPosition() {
	en, _ := prompt.SayPosition("en", 23)
	zh, _ := prompt.SayPosition("zh", 23)
	fmt.Println(en)
	fmt.Println(zh)
	// Output:
	// [you-are-caller-number num-20 digit-3]
	// [you-are-caller-number digit-2 num-10 digit-3 caller-number-suffix]
}

func ExampleSayWait() {
	keys, _ := prompt.SayWait("en", 5)
	fmt.Println(keys)
	// Output: [estimated-wait-is digit-5 minutes]
}
