package gui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/session"
	"exmail-upgrade/core/text"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/core/wecom"
	"exmail-upgrade/gui/i18n"
)

// explain shows an error in the current language: its core/text when it
// has one, else the target's plain words for it (session.Explain: 60020,
// 48009, 40001 …).
func explain(err error) string {
	if err == nil {
		return ""
	}
	if t := text.Of(err); t.Zh != t.En {
		return i18n.Text(t)
	}
	return i18n.Text(session.Explain(err))
}

// showTarget asks where the directory goes: the rehearsal WeCom (default,
// no credentials) or the real WeCom (corp ID, contact-sync secret, API base
// under "advanced"), and checks the connection.
func (wz *wizard) showTarget() {
	wz.ui.show(func() fyne.CanvasObject {
		kinds := []string{i18n.T("target.sim"), i18n.T("target.wecom")}
		kind := widget.NewRadioGroup(kinds, nil)
		corp := widget.NewEntry()
		corp.SetPlaceHolder("ww0123456789abcdef")
		corp.SetText(wz.project.CorpID)
		secret := widget.NewPasswordEntry()
		secret.SetPlaceHolder(i18n.T("target.secret_placeholder"))
		apiBase := widget.NewEntry()
		apiBase.SetPlaceHolder(wecom.DefaultBaseURL)
		apiBase.SetText(wz.ui.Opt.APIBase)
		name := widget.NewEntry()
		name.SetPlaceHolder(i18n.T("target.name_placeholder"))
		realForm := widget.NewForm(
			widget.NewFormItem(i18n.T("target.corp_id"), corp),
			widget.NewFormItem(i18n.T("target.secret"), secret),
			widget.NewFormItem(i18n.T("target.name"), name),
		)
		adv := widget.NewAccordion(widget.NewAccordionItem(i18n.T("target.advanced"),
			widget.NewForm(widget.NewFormItem(i18n.T("target.api_base"), apiBase))))
		realBox := container.NewVBox(realForm, adv, widgetWrapped(i18n.T("target.wecom_help")))
		simHelp := widgetWrapped(i18n.T("target.sim_help"))
		status := widgetWrapped("")
		next := widget.NewButton(i18n.T("common.next"), nil)
		next.Importance = widget.HighImportance
		next.Disable()
		var found upgrade.Target
		kind.OnChanged = func(s string) {
			next.Disable()
			status.SetText(i18n.T("target.check_first")) // why Next waits
			if s == kinds[1] {
				realBox.Show()
				simHelp.Hide()
			} else {
				realBox.Hide()
				simHelp.Show()
			}
		}
		if upgrade.TargetKind(wz.project.TargetKind) == upgrade.TargetWeCom {
			kind.SetSelected(kinds[1])
		} else {
			kind.SetSelected(kinds[0])
		}
		check := widget.NewButton(i18n.T("target.check"), nil)
		check.OnTapped = func() {
			cfg := session.TargetConfig{Kind: upgrade.TargetSim}
			label := ""
			if kind.Selected == kinds[1] {
				cfg = session.TargetConfig{Kind: upgrade.TargetWeCom, CorpID: corp.Text, Secret: secret.Text, APIBase: apiBase.Text}
				label = name.Text
			}
			status.SetText(i18n.T("target.checking"))
			check.Disable()
			wz.ui.background(func() {
				t, err := wz.checkTarget(cfg, label)
				wz.ui.do(func() {
					check.Enable()
					if err != nil {
						status.SetText("✗ " + explain(err))
						next.Disable()
						return
					}
					found = t
					status.SetText("✓ " + i18n.Tf("target.found", t.Name, t.Members, t.Departments))
					next.Enable()
				})
			})
		}
		next.OnTapped = func() { wz.identify(found) }
		title := widget.NewLabelWithStyle(i18n.T("target.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		body := container.NewVScroll(container.NewVBox(title, kind, simHelp, realBox, container.NewHBox(check), status))
		back := widget.NewButton(i18n.T("common.back"), wz.showMethod)
		return wz.frame(body, back, next)
	})
}

// checkTarget connects and identifies the target (runs off the UI thread).
func (wz *wizard) checkTarget(cfg session.TargetConfig, name string) (upgrade.Target, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return wz.flow.CheckTarget(ctx, cfg, name)
}

// identify records the target and moves on to its confirmation: method 2
// through the phone (QR), method 1 with one confirmation here.
func (wz *wizard) identify(t upgrade.Target) {
	if err := wz.flow.IdentifyTarget(t); err != nil {
		wz.ui.showError(err)
		return
	}
	if p, err := wz.ui.Store.GetProject(wz.project.ID); err == nil { // the flow recorded the target in it
		wz.project = p
	}
	if wz.up.State().Method == upgrade.MethodBind {
		wz.showQR()
		return
	}
	wz.confirmTargetHere()
}

// confirmTargetHere asks the remaining confirmations of the target in a
// dialog that names the target and its counts.
func (wz *wizard) confirmTargetHere() {
	st := wz.up.State()
	given, needed := wz.up.Confirmations()
	if given >= needed {
		wz.showStage()
		return
	}
	t := st.Target
	msg := i18n.Tf("target.confirm_msg", t.Name, t.CorpID, t.Members, t.Departments, given+1, needed)
	dialog.ShowConfirm(i18n.T("target.confirm_title"), msg, func(ok bool) {
		if !ok {
			return
		}
		if _, err := wz.flow.ConfirmTarget("local"); err != nil {
			wz.ui.showError(err)
			return
		}
		wz.confirmTargetHere()
	}, wz.ui.Win)
}
