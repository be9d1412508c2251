package firmware

// wiredServices are the services of other parts of the box that the
// router reaches, placed around the switch in the start order.
type wiredServices struct {
	beforeSwitch, afterSwitch []Service
}

// wire connects the router's targets (t.route) to the parts of the box
// that provide them. A target left nil is refused by the router with
// "service not implemented".
func (a *Appliance) wire(t *telephony) (wiredServices, error) {
	return wiredServices{}, nil
}
