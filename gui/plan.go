package gui

import (
	"context"
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
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// msg renders a core message in the current language.
func msg(m plan.Msg) string { return i18n.Pick(m.ZH, m.EN) }

// session returns the session view of the open project.
func (wz *wizard) session() *session.Project {
	return &session.Project{Store: wz.ui.Store, Up: wz.up, ID: wz.project.ID, Name: wz.project.Name}
}

// ensureConn reopens the target when the app was restarted. A rehearsal
// reconnects at once; the real WeCom needs its secret typed again (it is
// never stored), so ask sends the user to the target screen.
func (wz *wizard) ensureConn() error {
	if wz.conn != nil {
		return nil
	}
	st := wz.up.State()
	if st.Target == nil || st.Target.Kind != upgrade.TargetSim {
		return errNeedSecret
	}
	_, err := wz.connect(session.TargetConfig{Kind: session.TargetSim})
	return err
}

var errNeedSecret = fmt.Errorf("请重新输入通讯录同步 Secret（Secret 不会保存到磁盘）/ type the contact-sync secret again (it is never saved to disk)")

// askSecret asks for the real target's secret again after a restart.
func (wz *wizard) askSecret(then func()) {
	secret := widget.NewPasswordEntry()
	st := wz.up.State()
	corp := ""
	if st.Target != nil {
		corp = st.Target.CorpID
	}
	items := []*widget.FormItem{widget.NewFormItem(i18n.T("target.secret"), secret)}
	dialog.ShowForm(i18n.T("plan.secret_again"), i18n.T("common.ok"), i18n.T("common.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		_, err := wz.connect(session.TargetConfig{Kind: session.TargetWeCom, CorpID: corp, Secret: secret.Text, APIBase: wz.ui.Opt.APIBase})
		if err != nil {
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
}

// showPlan reads the target, builds the plan and shows it for the typed
// confirmation.
func (wz *wizard) showPlan() {
	pv := &planView{wz: wz, loading: true}
	wz.ui.show(pv.build)
	if err := wz.ensureConn(); err != nil {
		if err == errNeedSecret {
			wz.askSecret(wz.showPlan)
			return
		}
		pv.loading, pv.err = false, err
		wz.ui.show(pv.build)
		return
	}
	wz.ui.background(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		pl, checks, err := wz.session().Plan(ctx, wz.conn, wz.planOpts)
		wz.ui.do(func() {
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
		if err := wz.up.Back(upgrade.StageTargetConfirmed); err != nil {
			wz.ui.showError(err)
			return
		}
		wz.showContacts()
	})
	if pv.loading {
		bar := widget.NewProgressBarInfinite()
		return wz.frame(container.NewVBox(title, widget.NewLabel(i18n.T("plan.loading")), bar))
	}
	checks := container.NewVBox()
	for _, c := range pv.checks {
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
	kindSel := widget.NewSelect(kinds, nil)
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
	blocked := p.Blocked()
	for _, c := range pv.checks {
		if !c.OK && c.Known {
			blocked = true
		}
	}
	update := func(s string) {
		if !blocked && strings.TrimSpace(s) == wz.project.Name {
			start.Enable()
		} else {
			start.Disable()
		}
	}
	typed.OnChanged = update
	update("")
	start.OnTapped = func() {
		if err := wz.session().ConfirmPlan(p, typed.Text); err != nil {
			wz.ui.showError(err)
			return
		}
		wz.showMigrate(false)
	}
	var confirmBox fyne.CanvasObject
	if blocked {
		l := widgetWrapped(i18n.T("plan.blocked"))
		l.Importance = widget.DangerImportance
		confirmBox = l
	} else {
		confirmBox = container.NewVBox(widgetWrapped(i18n.Tf("plan.type_name", wz.project.Name)), typed)
	}
	seats := widget.NewLabel(msg(p.SeatsText())) // member accounts vs the cap, other mailboxes vs the advanced seats
	top := container.NewVBox(title, checks, counts, seats, pv.advanced(), container.NewBorder(nil, nil, kindSel, nil, search))
	body := container.NewBorder(top, confirmBox, nil, nil, list)
	return wz.frame(body, backToContacts, start)
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
	o := wz.planOpts
	sheetL := widget.NewLabel(i18n.T("plan.no_target_sheet"))
	if o.TargetSheet != nil {
		sheetL.SetText(i18n.Tf("plan.target_sheet_rows", len(o.TargetSheet.Members)))
	}
	pick := widget.NewButton(i18n.T("plan.pick_target_sheet"), func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				wz.ui.showError(err)
				return
			}
			path := r.URI().Path()
			r.Close()
			res, err := sheet.Read(path, sheet.Options{})
			if err != nil {
				wz.ui.showError(err)
				return
			}
			wz.planOpts.TargetSheet = res.Dir
			wz.showPlan()
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
	if o.CreatedThisMonth > 0 {
		monthE.SetText(strconv.Itoa(o.CreatedThisMonth))
	}
	seatsE := widget.NewEntry()
	seatsE.SetPlaceHolder(i18n.T("plan.unknown"))
	if o.AdvancedSeats > 0 {
		seatsE.SetText(strconv.Itoa(o.AdvancedSeats))
	}
	rebuild := widget.NewButton(i18n.T("plan.rebuild"), func() {
		n, err1 := atoiOrZero(capE.Text)
		m, err2 := atoiOrZero(monthE.Text)
		s, err3 := atoiOrZero(seatsE.Text)
		if err1 != nil || err2 != nil || err3 != nil {
			wz.ui.showError(fmt.Errorf("%s", i18n.T("plan.bad_number")))
			return
		}
		wz.planOpts.AccountCap, wz.planOpts.CreatedThisMonth, wz.planOpts.AdvancedSeats = n, m, s
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

// atoiOrZero parses a non-negative count; empty means unknown (0).
func atoiOrZero(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return n, nil
}
