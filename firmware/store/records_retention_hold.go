package store

// SetCDRHold puts the call record callID and its recording on legal hold
// (or lifts it) in one transaction: a held call is never purged.
// ErrNotFound if there is no such call record.
func SetCDRHold(s *Store, callID string, hold bool) error {
	_, err := Batch(s, func(b *Batcher) error {
		c, err := BatchGet[CDR](b, callID)
		if err != nil {
			return err
		}
		if c.Hold != hold {
			c.Hold = hold
			if err := b.Put(c); err != nil {
				return err
			}
		}
		if c.Recording == "" {
			return nil
		}
		rec, err := BatchGet[Recording](b, c.Recording)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if rec.Hold == hold {
			return nil
		}
		rec.Hold = hold
		return b.Put(rec)
	})
	return err
}
