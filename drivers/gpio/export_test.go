package gpio

import "github.com/warthog618/go-gpiocdev"

// errNotFoundLikeKernel is what gpiocdev returns for a missing line name.
var errNotFoundLikeKernel = gpiocdev.ErrNotFound
