package firmware

import (
	"context"
	"fmt"
	"io"
	"time"

	"callbox/firmware/store"
	"callbox/webui"
)

// AdminUser is the name of the administrator the demo creates and the
// console resets when no other admin exists.
const AdminUser = "admin"

// oneTimePasswordLen gives about 94 bits from the 59-letter alphabet of
// store.GenerateSecret: long enough, short enough to type from a screen.
const oneTimePasswordLen = 16

// ResetAdminPassword gives an administrator a new random one-time password
// (changed at the next login) and re-enables the account. It picks the
// user called admin, else the first admin by name, else creates admin. The
// password is returned once and stored only as a hash.
func ResetAdminPassword(s *store.Store, now func() time.Time) (user, password string, err error) {
	users, err := store.List[store.User](s)
	if err != nil {
		return "", "", err
	}
	u := store.User{Name: AdminUser, Role: store.RoleAdmin, CreatedAt: now()}
	found := false
	for _, c := range users {
		if c.Role != store.RoleAdmin {
			continue
		}
		if !found || c.Name == AdminUser {
			u, found = c, true
		}
	}
	if password, err = store.GenerateSecret(oneTimePasswordLen); err != nil {
		return "", "", err
	}
	if err := u.SetPassword(password); err != nil {
		return "", "", err
	}
	u.OneTimePassword, u.Disabled = true, false
	if _, err := store.Put(s, u); err != nil {
		return "", "", fmt.Errorf("save user %s: %w", u.Name, err)
	}
	return u.Name, password, nil
}

// backend is the console's view of the box: the live status when the box
// runs, or what the store alone can tell when the console opened it
// directly.
type backend struct {
	version string
	store   *store.Store
	now     func() time.Time
	status  func() webui.Status
}

func (b *backend) Status(ctx context.Context) (webui.Status, error) {
	if b.status != nil {
		return b.status(), nil
	}
	ss, err := webui.StoreStatusOf(b.store)
	return webui.Status{Version: b.version, Store: ss}, err
}

func (b *backend) ResetAdminPassword(ctx context.Context) (string, string, error) {
	return ResetAdminPassword(b.store, b.now)
}

func (b *backend) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return b.store.Backup(w)
}
