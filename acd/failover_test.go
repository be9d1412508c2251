package acd

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestDialInOrder_FailsOverOnRouteFailuresOnly(t *testing.T) {
	results := map[string]error{
		"trunk:a": Reject(CauseNoCircuitAvailable),
		"trunk:b": errors.New("socket closed"),
		"line:1":  nil,
		"line:2":  nil,
	}
	var tried []string
	dial := func(ctx context.Context, gw string) (Leg, error) {
		tried = append(tried, gw)
		if err := results[gw]; err != nil {
			return nil, err
		}
		return newLeg(gw, "", SourceLine), nil
	}
	leg, gw, err := DialInOrder(context.Background(), []string{"trunk:a", "trunk:b", "line:1", "line:2"}, dial)
	if err != nil || gw != "line:1" || leg.ID() != "line:1" {
		t.Fatalf("got %v %q %v", leg, gw, err)
	}
	if !reflect.DeepEqual(tried, []string{"trunk:a", "trunk:b", "line:1"}) {
		t.Fatalf("tried %v", tried)
	}

	tried = nil
	results["trunk:a"] = Reject(CauseUserBusy)
	_, _, err = DialInOrder(context.Background(), []string{"trunk:a", "line:1"}, dial)
	if c, _ := CauseOf(err); c != CauseUserBusy || len(tried) != 1 {
		t.Fatalf("busy: err %v after %v", err, tried)
	}

	results["line:1"] = Reject(CauseNetworkOutOfOrder)
	results["trunk:a"] = Reject(CauseSwitchingCongestion)
	_, _, err = DialInOrder(context.Background(), []string{"trunk:a", "line:1"}, dial)
	if c, _ := CauseOf(err); c != CauseNetworkOutOfOrder {
		t.Fatalf("all failed: %v", err)
	}
	if _, _, err := DialInOrder(context.Background(), nil, dial); err == nil {
		t.Fatal("no gateways: no error")
	} else if c, _ := CauseOf(err); c != CauseNoRoute {
		t.Fatalf("no gateways: %v", err)
	}
}
