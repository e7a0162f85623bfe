package gui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/session"
	"exmail-upgrade/gui/i18n"
)

// correctFields are the values the correction dialog offers per failed
// member: those another target member can own (60104, 60106, 60145).
var correctFields = []contacts.Field{contacts.FieldMobile, contacts.FieldEmail, contacts.FieldBizMail}

// correctFailed opens a correction of the failed members (core:
// session.Correction): only their rows, revalidated on every keystroke;
// "review" lists what changes, and confirming records it and retries them.
func (wz *wizard) correctFailed() {
	c, err := wz.flow.OpenCorrection()
	if err != nil {
		wz.ui.showError(err)
		return
	}
	wz.correction = c
	rows := container.NewVBox()
	for _, r := range c.Rows() {
		r := r
		fl := c.Failure(r)
		m := c.Member(r)
		head := widget.NewLabelWithStyle(fmt.Sprintf("%s %s (%s)", i18n.Tf("plan.row", r), m.Name, fl.Key), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		why := widgetWrapped("✗ " + i18n.Text(fl.Explain))
		probs := widgetWrapped("")
		probs.Importance = widget.DangerImportance
		form := widget.NewForm()
		for _, f := range correctFields {
			f := f
			e := widget.NewEntry()
			e.SetText(m.Get(f))
			e.OnChanged = func(s string) {
				ps, err := c.Set(r, f, s)
				if err != nil {
					probs.SetText(explain(err))
					return
				}
				var lines []string
				for _, p := range ps {
					if p.Severity == contacts.SeverityError {
						lines = append(lines, problemText(p))
					}
				}
				probs.SetText(strings.Join(lines, "\n"))
			}
			form.Append(f.Header(), e)
		}
		rows.Add(container.NewVBox(head, why, form, probs, widget.NewSeparator()))
	}
	help := widgetWrapped(i18n.Pick("只能修改迁移失败的成员；修改后会重新检查，确认后只重试这些成员。",
		"Only the members that failed can be changed; each change is checked again, and after you confirm only these members are retried."))
	var d dialog.Dialog
	review := widget.NewButton(i18n.Pick("查看修改并重试", "Review changes and retry"), func() { wz.reviewCorrection(c, d) })
	review.Importance = widget.HighImportance
	body := container.NewBorder(help, container.NewHBox(layoutSpacer(), review), nil, nil, container.NewVScroll(rows))
	d = dialog.NewCustom(i18n.Pick("修正失败成员", "Correct failed members"), i18n.T("common.cancel"), body, wz.ui.Win)
	d.Resize(fyne.NewSize(720, 560))
	d.Show()
}

// reviewCorrection shows what the correction changes and, once confirmed,
// applies it and retries the failed items.
func (wz *wizard) reviewCorrection(c *session.Correction, parent dialog.Dialog) {
	if n := c.Errors(); n > 0 {
		wz.ui.showError(fmt.Errorf("%s", i18n.Pick(fmt.Sprintf("还有 %d 个错误，请先修正", n), fmt.Sprintf("%d errors remain; correct them first", n))))
		return
	}
	changes := c.Changes()
	if len(changes) == 0 {
		wz.ui.showError(session.ErrNothingChanged)
		return
	}
	var lines []string
	for _, ch := range changes {
		lines = append(lines, fmt.Sprintf("%s %s · %s: «%s» → «%s»", ch.UserID, ch.Name, ch.Field.Header(), ch.Old, ch.New))
	}
	msg := i18n.Pick("将修改：\n", "These values change:\n") + strings.Join(lines, "\n")
	dialog.ShowConfirm(i18n.Pick("确认修改并重试", "Confirm the changes and retry"), msg, func(ok bool) {
		if !ok {
			return
		}
		if err := c.Apply(); err != nil {
			wz.ui.showError(err)
			return
		}
		parent.Hide()
		wz.correction = nil
		wz.retryFailed()
	}, wz.ui.Win)
}

// retryFailed shows the migration screen and runs the failed items again.
func (wz *wizard) retryFailed() {
	mv := &migrateView{wz: wz}
	wz.migrate = mv
	wz.ui.show(mv.build)
	mv.start(true)
}
