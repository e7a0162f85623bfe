package gui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/plan"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/textfold"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// msg renders a core message in the current language.
func msg(m plan.Msg) string { return i18n.Text(m.Text()) }

// ensureConn reopens the target when the app was restarted. A rehearsal
// reconnects at once; the real WeCom needs its secret typed again (it is
// never stored): session.ErrNeedSecret.
func (wz *wizard) ensureConn() error { return wz.flow.Reconnect("") }

// askSecret asks for the real target's secret again after a restart.
func (wz *wizard) askSecret(then func()) {
	secret := widget.NewPasswordEntry()
	items := []*widget.FormItem{widget.NewFormItem(i18n.T("target.secret"), secret)}
	dialog.ShowForm(i18n.T("plan.secret_again"), i18n.T("common.ok"), i18n.T("common.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		if err := wz.flow.Reconnect(secret.Text); err != nil {
			wz.ui.showError(err)
			return
		}
		then()
	}, wz.ui.Win)
}

// planView is the plan screen's state.
type planView struct {
	wz      *wizard
	plan    *plan.Plan
	checks  []plan.Check
	err     error
	loading bool
	// left is set when the user left the loading screen: the plan that
	// arrives later is not shown.
	left bool
	// cancel ends the target reads of the plan being built (leaving stops
	// them rather than letting them run on); done is closed, and planErr
	// set, once Flow.Plan returned (tests wait on it).
	cancel  context.CancelFunc
	done    chan struct{}
	planErr error
}

// showPlan reads the target, builds the plan and shows it for the typed
// confirmation.
func (wz *wizard) showPlan() {
	if old := wz.building; old != nil {
		old.leave() // a rebuild replaces a plan still being built
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	pv := &planView{wz: wz, loading: true, cancel: cancel, done: make(chan struct{})}
	wz.building = pv
	wz.ui.show(pv.build)
	if err := wz.ensureConn(); err != nil {
		if errors.Is(err, session.ErrNeedSecret) {
			cancel()
			close(pv.done)
			wz.askSecret(wz.showPlan)
			return
		}
		pv.loading, pv.err = false, err
		cancel()
		close(pv.done)
		wz.ui.show(pv.build)
		return
	}
	wz.ui.background(func() {
		defer cancel()
		pl, checks, err := wz.flow.Plan(ctx)
		pv.planErr = err
		close(pv.done)
		wz.ui.do(func() {
			if wz.building == pv {
				wz.building = nil
			}
			if pv.left {
				return // cancelled: the half-read target is dropped
			}
			pv.plan, pv.checks, pv.err, pv.loading = pl, checks, err, false
			wz.ui.show(pv.build)
			wz.plan = pv // after the screen is up: tests wait on it
		})
	})
}

func (pv *planView) build() fyne.CanvasObject {
	wz := pv.wz
	title := widget.NewLabelWithStyle(i18n.T("plan.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	backToContacts := widget.NewButton(i18n.T("plan.back_contacts"), func() {
		pv.leave()
		if err := wz.flow.EditContacts(); err != nil {
			wz.ui.showError(err)
			return
		}
		wz.showContacts()
	})
	if pv.loading {
		bar := widget.NewProgressBarInfinite()
		return wz.frame(container.NewVBox(title, widgetWrapped(i18n.T("plan.loading")), bar, pv.elapsed()), backToContacts)
	}
	checks := container.NewVBox()
	rehearsal := wz.up.State().Target != nil && wz.up.State().Target.Kind == upgrade.TargetSim
	for _, c := range pv.checks {
		if rehearsal && c.Name == "secret" && c.OK {
			continue // the rehearsal has no secret to be valid
		}
		mark := "✓ "
		if !c.OK {
			mark = "✗ "
		}
		if !c.Known {
			mark = "? "
		}
		l := widgetWrapped(mark + msg(c.Msg))
		if !c.OK {
			l.Importance = widget.DangerImportance
		}
		checks.Add(l)
		if !c.OK && c.Advice.ZH != "" {
			checks.Add(widgetWrapped("    → " + msg(c.Advice)))
		}
	}
	if pv.err != nil {
		checks.Add(widgetWrapped("✗ " + explain(pv.err)))
	}
	if pv.plan == nil {
		retry := widget.NewButton(i18n.T("plan.retry"), wz.showPlan)
		return wz.frame(container.NewVScroll(container.NewVBox(title, checks)), backToContacts, retry)
	}
	p := pv.plan
	counts := widget.NewLabel(i18n.Tf("plan.counts", len(p.Departments), len(p.Create), len(p.Update), len(p.Untouched), len(p.Conflicts)))
	counts.TextStyle = fyne.TextStyle{Bold: true}

	// The searchable list of everything the plan does, by kind.
	type row struct{ kind, text string }
	var all []row
	for _, d := range p.Departments {
		all = append(all, row{"dept", i18n.Tf("plan.item_dept", d.Path)})
	}
	for _, m := range p.Create {
		all = append(all, row{"create", i18n.Tf("plan.item_create", m.User.Name, m.User.UserID, m.User.BizMail)})
	}
	for _, m := range p.Update {
		all = append(all, row{"update", i18n.Tf("plan.item_update", m.User.Name, m.User.UserID, msg(m.Reason))})
	}
	for _, it := range p.Conflicts {
		all = append(all, row{"conflict", itemText(it)})
	}
	for _, it := range p.Warnings {
		all = append(all, row{"warning", itemText(it)})
	}
	for _, it := range p.Untouched {
		all = append(all, row{"untouched", itemText(it)})
	}
	for _, r := range mailboxPlanRows(p) { // mailboxes.go
		all = append(all, row{r[0], r[1]})
	}
	kinds := []string{i18n.T("plan.kind_all"), i18n.T("plan.kind_conflict"), i18n.T("plan.kind_dept"), i18n.T("plan.kind_create"),
		i18n.T("plan.kind_update"), i18n.T("plan.kind_untouched"), i18n.T("plan.kind_warning"),
		i18n.Tf("plan.kind_other", len(p.OtherMailboxes)), i18n.Tf("plan.kind_group", len(p.MailGroups))}
	kindKeys := []string{"", "conflict", "dept", "create", "update", "untouched", "warning", "other", "group"}
	var shown []row
	kindSel := newSafeSelect(kinds, nil)
	search := widget.NewEntry()
	search.SetPlaceHolder(i18n.T("plan.search"))
	list := widget.NewList(func() int { return len(shown) },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Truncation = fyne.TextTruncateEllipsis; return l },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(shown) {
				o.(*widget.Label).SetText(shown[i].text)
			}
		})
	filter := func() {
		k := ""
		for i, n := range kinds {
			if n == kindSel.Selected {
				k = kindKeys[i]
			}
		}
		q := strings.ToLower(strings.TrimSpace(search.Text))
		shown = shown[:0]
		for _, r := range all {
			if (k == "" || r.kind == k) && (q == "" || strings.Contains(strings.ToLower(r.text), q)) {
				shown = append(shown, r)
			}
		}
		list.Refresh()
	}
	kindSel.OnChanged = func(string) { filter() }
	search.OnChanged = func(string) { filter() }
	if len(p.Conflicts) > 0 {
		kindSel.SetSelected(kinds[1])
	} else {
		kindSel.SetSelected(kinds[0])
	}

	typed := widget.NewEntry()
	typed.SetPlaceHolder(wz.project.Name)
	start := widget.NewButton(i18n.T("plan.start"), nil)
	start.Importance = widget.DangerImportance
	blocked := session.CanStart(p, pv.checks) != nil
	hint := widget.NewLabel("")
	hint.Wrapping = wrapMode()
	update := func(s string) {
		res := textfold.Compare(s, wz.project.Name)
		hint.SetText(typedHint(res))
		if res.Match {
			hint.Importance = widget.SuccessImportance
		} else {
			hint.Importance = widget.WarningImportance
		}
		hint.Refresh()
		if !blocked && res.Match {
			start.Enable()
		} else {
			start.Disable()
		}
	}
	typed.OnChanged = update
	update("")
	start.OnTapped = func() {
		// What was typed is compared once folded (（ = (, spaces) by the
		// flow. Saving a 100k-row plan takes seconds: off the UI thread,
		// behind a modal that says so and takes the clicks meanwhile. It is
		// one database write, not cancelled half-way; once the migration
		// screen is up, 「停止」 stops the run while it prepares.
		text := typed.Text
		wz.ui.waitWith(i18n.T("plan.confirming"), false, func(context.Context, *waitProgress) error {
			return wz.flow.ConfirmPlan(p, pv.checks, text)
		}, func(err error) {
			if err != nil {
				wz.ui.showError(err)
				return
			}
			wz.showMigrate(false)
		})
	}
	var confirmBox fyne.CanvasObject
	if blocked {
		l := widgetWrapped(i18n.T("plan.blocked"))
		l.Importance = widget.DangerImportance
		confirmBox = l
	} else {
		confirmBox = container.NewVBox(widgetWrapped(i18n.Tf("plan.type_name", wz.project.Name)), typed, hint)
	}
	// The checks, counts, seats, expander and filter scroll in at most half
	// the height, the list takes the rest: opening the expander scrolls
	// instead of growing the window.
	seats := widget.NewLabel(msg(p.SeatsText())) // member accounts vs the cap, other mailboxes vs the advanced seats
	seats.Wrapping = wrapMode()
	top := container.NewVBox(title, checks, counts, seats, pv.advanced())
	rest := container.NewBorder(container.NewBorder(nil, nil, kindSel, nil, search), nil, nil, nil, list)
	body := container.NewBorder(nil, confirmBox, nil, nil,
		container.New(&topThenRest{top: top, share: 0.5, restMin: 120}, container.NewVScroll(top), rest))
	return wz.frame(body, backToContacts, start)
}

// leave drops the plan screen: a plan still being built is cancelled (its
// target reads stop) and not shown when Flow.Plan returns.
func (pv *planView) leave() {
	pv.left = true
	if pv.cancel != nil {
		pv.cancel()
	}
}

// elapsed is a label counting the seconds the plan has been loading.
func (pv *planView) elapsed() fyne.CanvasObject {
	l := widget.NewLabel(i18n.Tf("wait.seconds", 0))
	start := time.Now()
	ui := pv.wz.ui
	ui.background(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for range t.C {
			done := make(chan bool, 1)
			ui.do(func() {
				l.SetText(i18n.Tf("wait.seconds", int(time.Since(start).Seconds())))
				done <- !pv.loading || pv.left || pv.wz.ui.screen == nil
			})
			if ui.updates != nil {
				return // tests pump updates themselves; one tick is enough
			}
			if <-done {
				return
			}
		}
	})
	return l
}

// typedHint says what the typed company name lacks or gets wrong.
func typedHint(r textfold.Result) string {
	switch {
	case r.Match:
		return i18n.T("plan.typed_ok")
	case r.Pos == 0 && r.Got == "":
		return i18n.T("plan.typed_empty")
	case r.Got == "":
		return i18n.Tf("plan.typed_missing", r.Pos, r.Missing)
	case r.Want == "":
		return i18n.Tf("plan.typed_extra", r.Extra)
	}
	return i18n.Tf("plan.typed_differs", r.Pos+1, r.Want, r.Got)
}

// itemText is one conflict, warning or untouched item with its advice.
func itemText(it plan.Item) string {
	s := it.Key + "：" + msg(it.Reason)
	if it.Row > 0 {
		s = i18n.Tf("plan.row", it.Row) + " " + s
	}
	if it.Advice.ZH != "" {
		s += " → " + msg(it.Advice)
	}
	return s
}

// advanced lets the creator add what the API cannot tell: the target's own
// exported contacts sheet (department names where 48009 hides them, and the
// mobiles/emails its members own, so conflicts show before migrating), the
// account cap and the accounts created this month. The plan is rebuilt.
func (pv *planView) advanced() fyne.CanvasObject {
	wz := pv.wz
	o := wz.flow.PlanOptions()
	sheetL := widget.NewLabel(i18n.T("plan.no_target_sheet"))
	if o.TargetSheet != nil {
		sheetL.SetText(i18n.Tf("plan.target_sheet_rows", len(o.TargetSheet.Members)))
	}
	pick := widget.NewButton(i18n.T("plan.pick_target_sheet"), func() {
		d := newFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				wz.ui.showError(err)
				return
			}
			path := r.URI().Path()
			r.Close()
			wz.ui.background(func() {
				d, err := session.ReadTargetSheet(path)
				wz.ui.do(func() {
					if err != nil {
						wz.ui.showError(err)
						return
					}
					o := wz.flow.PlanOptions()
					o.TargetSheet = d
					wz.flow.SetPlanOptions(o)
					wz.showPlan()
				})
			})
		}, wz.ui.Win)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv", ".txt"}))
		d.Show()
	})
	capE := widget.NewEntry()
	capE.SetPlaceHolder(i18n.T("plan.unknown"))
	if o.AccountCap > 0 {
		capE.SetText(strconv.Itoa(o.AccountCap))
	}
	monthE := widget.NewEntry()
	monthE.SetPlaceHolder(i18n.T("plan.unknown"))
	if o.CreatedThisMonth != session.Unknown {
		monthE.SetText(strconv.Itoa(o.CreatedThisMonth))
	}
	seatsE := widget.NewEntry()
	seatsE.SetPlaceHolder(i18n.T("plan.unknown"))
	if o.AdvancedSeats > 0 {
		seatsE.SetText(strconv.Itoa(o.AdvancedSeats))
	}
	rebuild := widget.NewButton(i18n.T("plan.rebuild"), func() {
		n, err1 := session.ParseCount(capE.Text)
		m, err2 := session.ParseCount(monthE.Text)
		seats, err3 := session.ParseCount(seatsE.Text)
		if err1 != nil || err2 != nil || err3 != nil {
			wz.ui.showError(fmt.Errorf("%s", i18n.T("plan.bad_number")))
			return
		}
		o := wz.flow.PlanOptions()
		o.AccountCap, o.CreatedThisMonth, o.AdvancedSeats = n, m, max(seats, 0) // 0: unknown
		wz.flow.SetPlanOptions(o)
		wz.showPlan()
	})
	form := widget.NewForm(
		widget.NewFormItem(i18n.T("plan.target_sheet"), container.NewBorder(nil, nil, nil, pick, sheetL)),
		widget.NewFormItem(i18n.T("plan.account_cap"), capE),
		widget.NewFormItem(i18n.T("plan.created_this_month"), monthE),
		widget.NewFormItem(i18n.T("plan.advanced_seats"), seatsE),
	)
	return widget.NewAccordion(widget.NewAccordionItem(i18n.T("plan.advanced"),
		container.NewVBox(widgetWrapped(i18n.T("plan.advanced_help")), form, container.NewHBox(rebuild))))
}
