package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// envelope is how every record is stored: the kind and its record version
// travel with the data, so a reader can refuse or upgrade what it does not
// know instead of misreading it.
//
//	{"kind":"users","v":1,"data":{...}}
type envelope struct {
	Kind Kind            `json:"kind"`
	V    int             `json:"v"`
	Data json.RawMessage `json:"data"`
}

// MaxRecordSize bounds one stored record (bytes of its envelope).
const MaxRecordSize = 4 << 20

var errDecode = errors.New("store: cannot decode record")

// encode validates r and wraps it in its envelope.
func encode(r Record) ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("store: encode %s %q: %w", r.Kind(), r.Key(), err)
	}
	b, err := json.Marshal(envelope{Kind: r.Kind(), V: recordVersions[r.Kind()], Data: data})
	if err != nil {
		return nil, fmt.Errorf("store: encode %s %q: %w", r.Kind(), r.Key(), err)
	}
	if len(b) > MaxRecordSize {
		return nil, &ValidationError{Kind: r.Kind(), Key: r.Key(), Fields: []FieldError{{Field: "record", Code: codeTooLong, Args: []any{MaxRecordSize}}}}
	}
	return b, nil
}

// decodeInto reads an envelope of kind into dst. It refuses another kind, a
// record version newer than this firmware knows, and trailing garbage.
func decodeInto(kind Kind, b []byte, dst any) error {
	if len(b) > MaxRecordSize {
		return fmt.Errorf("%w: %d bytes is too large", errDecode, len(b))
	}
	var env envelope
	if err := strictUnmarshal(b, &env); err != nil {
		return fmt.Errorf("%w: envelope: %v", errDecode, err)
	}
	if env.Kind != kind {
		return fmt.Errorf("%w: kind %q in bucket %q", errDecode, env.Kind, kind)
	}
	want, ok := recordVersions[kind]
	if !ok {
		return fmt.Errorf("%w: unknown kind %q", errDecode, kind)
	}
	if env.V < 1 || env.V > want {
		return fmt.Errorf("%w: %s record version %d (this firmware reads up to %d)", errDecode, kind, env.V, want)
	}
	if len(env.Data) == 0 || bytes.Equal(bytes.TrimSpace(env.Data), []byte("null")) {
		return fmt.Errorf("%w: no data", errDecode)
	}
	data, err := upgrade(kind, env.V, env.Data)
	if err != nil {
		return fmt.Errorf("%w: %s version %d: %v", errDecode, kind, env.V, err)
	}
	if err := strictUnmarshal(data, dst); err != nil {
		return fmt.Errorf("%w: %s: %v", errDecode, kind, err)
	}
	return nil
}

// upgrade brings the data of a record of version v to the current version
// of its kind, step by step. Data of the current version is returned as is.
func upgrade(kind Kind, v int, data []byte) ([]byte, error) {
	steps := recordUpgrades[kind]
	var obj map[string]any
	for ; v < recordVersions[kind]; v++ {
		step, ok := steps[v]
		if !ok {
			continue
		}
		if obj == nil {
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&obj); err != nil || obj == nil {
				return nil, errors.New("not a JSON object")
			}
		}
		if err := step(obj); err != nil {
			return nil, err
		}
	}
	if obj == nil {
		return data, nil
	}
	return json.Marshal(obj)
}

// strictUnmarshal decodes exactly one JSON value; unknown fields are
// refused so that a record from a newer shape is never silently truncated.
func strictUnmarshal(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return errors.New("trailing data")
	}
	return nil
}

// decode reads a stored record of T's kind.
func decode[T Record](b []byte) (T, error) {
	var r T
	err := decodeInto(r.Kind(), b, &r)
	return r, err
}

// codec reads any kind's records without knowing its Go type at compile
// time: Check, DecodeRecord and replication use it.
type codec struct {
	decode func(b []byte) (Record, error)
}

func codecFor[T Record]() codec {
	return codec{decode: func(b []byte) (Record, error) { return decode[T](b) }}
}

var codecs = map[Kind]codec{
	KindSettings:      codecFor[Settings](),
	KindUser:          codecFor[User](),
	KindExtension:     codecFor[Extension](),
	KindTrunk:         codecFor[Trunk](),
	KindLine:          codecFor[Line](),
	KindAgent:         codecFor[Agent](),
	KindSkill:         codecFor[Skill](),
	KindQueue:         codecFor[Queue](),
	KindFlow:          codecFor[Flow](),
	KindHours:         codecFor[Hours](),
	KindCustomer:      codecFor[Customer](),
	KindContact:       codecFor[Contact](),
	KindCDR:           codecFor[CDR](),
	KindRecording:     codecFor[Recording](),
	KindRegistration:  codecFor[Registration](),
	KindMessage:       codecFor[Message](),
	KindCallback:      codecFor[Callback](),
	KindQueueInterval: codecFor[QueueInterval](),
}

// DecodeRecord decodes a stored record of kind (an envelope as Export and
// the change log carry it) and validates it. It never panics on bad input.
func DecodeRecord(kind Kind, b []byte) (Record, error) {
	c, ok := codecs[kind]
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", errDecode, kind)
	}
	r, err := c.decode(b)
	if err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}
