package gui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/fsname"
	"exmail-upgrade/core/migrate"
	"exmail-upgrade/core/report"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// showDone shows the outcome: the summary and verification, failed items
// with advice and "retry failed", the report export and what to do next in
// the WeCom admin console. A done project is locked for ever.
func (wz *wizard) showDone() {
	if wz.result == nil && !wz.resultRead {
		// After a restart the outcome is read back from the journal, which
		// takes seconds for 100k rows: off the UI thread, with a note.
		wz.ui.show(func() fyne.CanvasObject {
			return wz.frame(container.NewVBox(widget.NewLabel(i18n.T("migrate.reading_journal")), widget.NewProgressBarInfinite()))
		})
		wz.ui.background(func() {
			res, _ := wz.flow.Status()
			n, err := wz.flow.OtherMailboxes()
			if err != nil {
				n = 0 // no plan to count in: say nothing about other mailboxes
			}
			wz.ui.do(func() {
				if wz.ui.wizardForTest != wz || wz.result != nil {
					return // left meanwhile, or a run ended
				}
				wz.result, wz.resultRead, wz.otherMailboxes = res, true, n
				wz.showDone()
			})
		})
		return
	}
	if wz.otherMailboxes < 0 {
		// Right after a run the confirmed plan is kept in memory: quick.
		n, err := wz.flow.OtherMailboxes()
		if err != nil {
			n = 0 // no plan to count in: say nothing about other mailboxes
		}
		wz.otherMailboxes = n
	}
	wz.ui.show(func() fyne.CanvasObject {
		st := wz.up.State()
		title := widget.NewLabelWithStyle(i18n.T("done.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		res := wz.result // read from the journal above when nil
		if n := notArrived(res); n > 0 {
			// Said plainly, even after "accept and finish".
			title.SetText(i18n.Pick(fmt.Sprintf("完成，%d 项未迁移", n), fmt.Sprintf("Finished — %d items not migrated", n)))
			title.Importance = widget.DangerImportance
		}
		box := container.NewVBox(title)
		var failures []migrate.Failure
		if res != nil {
			failures = res.Failures
		}
		if len(failures) > 0 { // what did not arrive comes first
			box.Add(widget.NewLabelWithStyle(i18n.T("done.failures"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		}
		info := container.NewVBox()
		if res != nil {
			info.Add(widget.NewLabel(i18n.Tf("done.summary", res.DeptsCreated, res.MembersCreated, res.MembersUpdated, res.Failed)))
			if res.Verification != nil {
				v := widgetWrapped(verificationText(res.Verification))
				if res.Verification.OK {
					v.Importance = widget.SuccessImportance
				} else {
					v.Importance = widget.DangerImportance
				}
				info.Add(v)
			}
		}
		if wz.otherMailboxes > 0 { // 其他邮箱 were kept as mailboxes on purpose
			info.Add(widgetWrapped(i18n.Tf("done.other_mailboxes", wz.otherMailboxes)))
		}
		if !st.FinishedAt.IsZero() {
			info.Add(widget.NewLabel(i18n.Tf("done.finished_at", st.FinishedAt.Local().Format("2006-01-02 15:04:05"))))
		}
		failList := widget.NewList(func() int { return len(failures) },
			func() fyne.CanvasObject { l := widget.NewLabel(""); l.Wrapping = wrapMode(); return l },
			func(i widget.ListItemID, o fyne.CanvasObject) {
				if i < len(failures) {
					f := failures[i]
					o.(*widget.Label).SetText(fmt.Sprintf("✗ %s %s — %s", f.Key, f.Name, i18n.Text(f.Explain)))
				}
			})
		next := container.NewVBox(info, widgetWrapped(i18n.T("done.next_steps")))
		exportBtn := widget.NewButton(i18n.T("done.export_report"), wz.exportReport)
		buttons := []fyne.CanvasObject{exportBtn}
		if wz.up.Stage() == upgrade.StageFailedItems {
			retry := widget.NewButton(i18n.T("done.retry_failed"), wz.retryFailed)
			correct := widget.NewButton(i18n.Pick("修正失败成员", "Correct failed members"), wz.correctFailed)
			correct.Importance = widget.HighImportance
			accept := widget.NewButton(i18n.T("done.accept"), func() {
				dialog.ShowConfirm(i18n.T("done.accept"), i18n.T("done.accept_msg"), func(ok bool) {
					if !ok {
						return
					}
					if err := wz.flow.AcceptFailures("accepted in the app"); err != nil {
						wz.ui.showError(err)
						return
					}
					wz.showDone()
				}, wz.ui.Win)
			})
			buttons = append(buttons, accept, retry, correct)
		} else {
			lock := widgetWrapped(i18n.T("done.locked"))
			lock.Importance = widget.SuccessImportance
			info.Add(lock)
		}
		var body fyne.CanvasObject = container.NewBorder(box, next, nil, nil, failList)
		if len(failures) == 0 {
			body = container.NewVScroll(container.NewVBox(box, next))
		}
		return wz.frame(body, buttons...)
	})
}

// verificationText is the read-back check in the current language.
func verificationText(v *migrate.Verification) string {
	if v.Error != "" {
		return i18n.Tf("done.verify_error", v.Error)
	}
	s := i18n.Tf("done.verify", v.DepartmentsFound, v.DepartmentsExpected, v.MembersFound, v.MembersExpected)
	if v.OK {
		return "✓ " + s
	}
	var miss []string
	miss = append(miss, v.MissingDepartments...)
	miss = append(miss, v.MissingMembers...)
	miss = append(miss, v.DuplicateMembers...)
	if len(miss) > 10 {
		miss = append(miss[:10], "…")
	}
	return "✗ " + s + " " + strings.Join(miss, ", ")
}

// exportReport writes the xlsx report (per member: result, userid, error
// and advice, plus a summary sheet).
func (wz *wizard) exportReport() {
	d := newFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			wz.ui.showError(err)
			return
		}
		defer w.Close()
		in, err := wz.reportInput()
		if err == nil {
			err = report.WriteXLSX(w, in)
		}
		if err != nil {
			wz.ui.showError(err)
			return
		}
		dialog.ShowInformation(i18n.T("done.export_report"), i18n.Tf("projects.exported", filepath.FromSlash(w.URI().Path())), wz.ui.Win)
	}, wz.ui.Win)
	d.SetFileName(fsname.FileName(wz.project.Name + "-迁移报告.xlsx"))
	d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx"}))
	d.Show()
}

// reportInput collects the plan and the journal for core/report.
func (wz *wizard) reportInput() (report.Input, error) {
	pl, err := wz.flow.StoredPlan()
	if err != nil {
		return report.Input{}, err
	}
	meta, _, recs, err := migrate.LoadJournal(wz.ui.Store.DB(), wz.project.ID)
	if err != nil {
		return report.Input{}, err
	}
	return report.Input{Plan: pl, Records: recs, Meta: &meta, Now: time.Now()}, nil
}

// notArrived counts the items of the last run that are not in the target
// (failed for good, or never run).
func notArrived(res *migrate.Result) int {
	if res == nil {
		return 0
	}
	return res.Failed + res.Pending
}
