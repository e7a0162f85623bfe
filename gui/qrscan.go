package gui

import (
	"context"
	"fmt"
	"image"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"exmail-upgrade/core/confirm"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// qrImage encodes url as a black-on-white QR code with its quiet zone.
func qrImage(url string, size int) (image.Image, error) {
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("encode QR: %w", err)
	}
	q.DisableBorder = false
	return q.Image(size), nil
}

// showQR is method 2's scan step: the target's creator scans the QR with a
// phone on the same network, sees the company, method, counts and the
// irreversibility warning, and confirms; the screen follows live and then
// asks the second confirmation here. "Confirm on this computer" is the
// fallback where no shared network exists.
func (wz *wizard) showQR() {
	var sess *confirm.Session
	var cancel context.CancelFunc
	stop := func() {
		if cancel != nil {
			cancel()
		}
		if sess != nil {
			_ = sess.Close()
		}
		sess = nil
	}
	// The labels of the screen shown now: a language switch rebuilds the
	// screen around the same session (same URL, same token, so a phone
	// that opened the link goes on), and the session's callbacks update
	// whichever labels are on screen.
	var statusL, countdown *widget.Label
	sessAddr := "" // the local address sess listens on
	lastStatus := qrStatusKey(confirm.StatusWaiting)
	wz.ui.show(func() fyne.CanvasObject {
		addrs, err := confirm.LocalAddresses()
		if err != nil || len(addrs) == 0 {
			addrs = []string{"127.0.0.1"}
		}
		addrSel := newSafeSelect(addrs, nil)
		qr := canvas.NewImageFromImage(image.NewGray(image.Rect(0, 0, 1, 1)))
		qr.FillMode = canvas.ImageFillContain
		qr.ScaleMode = canvas.ImageScalePixels
		qr.SetMinSize(fyne.NewSize(300, 300))
		urlL := widget.NewLabel("")
		urlL.Selectable = true
		statusL = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		countdown = widget.NewLabel("")
		local := widget.NewButton(i18n.T("qr.confirm_here"), nil)
		st := wz.up.State()
		dir, _, _ := wz.ui.Store.Contacts(wz.project.ID)
		info := confirm.Info{Company: wz.project.Name, Method: upgrade.MethodBind}
		if st.Target != nil {
			info.TargetName, info.TargetMembers, info.TargetDepartments = st.Target.Name, st.Target.Members, st.Target.Departments
		}
		if dir != nil {
			info.Members, info.Departments = len(dir.Members), len(dir.AllDepartments())
		}
		onStatus := func(s confirm.Status) {
			wz.ui.do(func() {
				lastStatus = qrStatusKey(s)
				statusL.SetText(i18n.T(lastStatus))
				if s == confirm.StatusConfirmed {
					// The page stays served until the step is left, so the
					// phone still receives its answer.
					if _, err := wz.flow.ConfirmTarget("phone"); err != nil {
						wz.ui.showError(err)
						return
					}
					wz.confirmTargetHere()
				}
			})
		}
		// showSession puts the session's QR code and URL on screen.
		showSession := func(s *confirm.Session) {
			img, err := qrImage(s.URL(), 512)
			if err != nil {
				statusL.SetText("✗ " + err.Error())
				return
			}
			qr.Image = img
			qr.Refresh()
			urlL.SetText(s.URL())
			statusL.SetText(i18n.T(lastStatus))
		}
		start := func(addr string) {
			if sess != nil && sessAddr == addr && !ended(sess) {
				sess.SetLang(i18n.Language()) // a language switch: same code, page in the new language first
				showSession(sess)             // the same screen rebuilt: keep its code
				return
			}
			stop()
			var ctx context.Context
			ctx, cancel = context.WithCancel(context.Background())
			s, err := confirm.Start(ctx, confirm.Options{Addr: addr, Info: info, OnStatus: onStatus, Lang: i18n.Language()})
			if err != nil {
				statusL.SetText("✗ " + err.Error())
				return
			}
			sess, sessAddr = s, addr
			lastStatus = qrStatusKey(confirm.StatusWaiting)
			showSession(s)
			go func() {
				t := time.NewTicker(time.Second)
				defer t.Stop()
				for {
					left := time.Until(s.ExpiresAt()).Round(time.Second)
					wz.ui.do(func() {
						if left < 0 {
							left = 0
						}
						countdown.SetText(i18n.Tf("qr.expires_in", int(left.Minutes()), int(left.Seconds())%60))
					})
					select {
					case <-s.Done():
						return
					case <-ctx.Done():
						return
					case <-t.C:
					}
				}
			}()
		}
		addrSel.OnChanged = start
		local.OnTapped = func() {
			if sess != nil {
				if err := sess.ConfirmLocally(); err != nil {
					wz.ui.showError(err)
				}
			}
		}
		renew := widget.NewButton(i18n.T("qr.renew"), func() {
			// A new code on the same listener: a phone holding the old
			// link is told it was replaced.
			if sess != nil && sessAddr == addrSel.Selected && !ended(sess) {
				if _, err := sess.Renew(); err == nil {
					lastStatus = "qr.status_waiting"
					showSession(sess)
					return
				}
			}
			stop()
			start(addrSel.Selected)
		})
		addr := addrs[0]
		if sess != nil && !ended(sess) {
			for _, a := range addrs {
				if a == sessAddr {
					addr = a
				}
			}
		}
		addrSel.SetSelected(addr)
		title := widget.NewLabelWithStyle(i18n.T("qr.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		help := widgetWrapped(i18n.T("qr.help"))
		right := container.NewVBox(title, help,
			widget.NewForm(widget.NewFormItem(i18n.T("qr.address"), addrSel)),
			urlL, statusL, countdown, container.NewHBox(renew, local))
		body := container.NewBorder(nil, nil, container.NewCenter(qr), nil, container.NewVScroll(right))
		wz.ui.leaving = stop
		back := widget.NewButton(i18n.T("common.back"), wz.showTarget)
		return wz.frame(body, back)
	})
}

// ended reports whether s is over (confirmed, expired, cancelled, closed).
func ended(s *confirm.Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

// qrStatusKey is the catalogue key of a confirmation status.
func qrStatusKey(s confirm.Status) string { return "qr.status_" + string(s) }
