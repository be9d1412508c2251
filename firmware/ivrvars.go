package firmware

import (
	"context"
	"time"

	"callbox/acd"
	"callbox/acd/directory"
)

// customerLookupLimit bounds how long a flow waits for the caller's
// customer record before it starts. The caller has been answered and
// hears nothing meanwhile, so it is shorter than the directory's own
// deadline: the built-in directory answers in microseconds, and a slower
// CRM's fields are left out of the flow's facts (the agent's pop still
// gets them when they come).
const customerLookupLimit = 500 * time.Millisecond

// customerLookup is what the IVR's customer facts need of the directory
// (*source.Live).
type customerLookup interface {
	Lookup(ctx context.Context, number string) (directory.Result, error)
}

// customerVars gives a flow the caller's customer record as variables,
// so that branch and set-language nodes can use them:
// customer.found ("yes"/"no"), customer.id, customer.name,
// customer.company, customer.email, customer.lang, customer.vip
// ("yes"/"no"), and customer.<field> for every other field a source gave
// (the built-in directory's vipLevel, tags and the installer's custom
// fields among them). A caller nobody knows, or a lookup that fails, gives
// customer.found = "no" and nothing else: the flow goes on.
func customerVars(dir customerLookup) func(ctx context.Context, c *acd.Call) map[string]string {
	return func(ctx context.Context, c *acd.Call) map[string]string {
		return customerFacts(ctx, dir, c.Caller().Caller().Number)
	}
}

// customerFacts are the customer.* variables of the caller number.
func customerFacts(ctx context.Context, dir customerLookup, number string) map[string]string {
	vars := map[string]string{"customer.found": "no"}
	if number == "" || dir == nil {
		return vars
	}
	lctx, cancel := context.WithTimeout(ctx, customerLookupLimit)
	defer cancel()
	res, err := dir.Lookup(lctx, number)
	if err != nil || !res.Found {
		return vars
	}
	r := res.Record
	for k, v := range r.Fields {
		vars["customer."+k] = v
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	// The standard fields last, so no source's custom field hides them.
	vars["customer.found"] = "yes"
	vars["customer.vip"] = yes(r.VIP)
	for k, v := range map[string]string{"id": r.CustomerID, "name": r.Name, "company": r.Company, "email": r.Email, "lang": string(r.Lang)} {
		if v != "" {
			vars["customer."+k] = v
		} else {
			delete(vars, "customer."+k)
		}
	}
	return vars
}
