package gui

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/contacts"
	"exmail-upgrade/core/editor"
	"exmail-upgrade/core/fsname"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/sheet"
	"exmail-upgrade/gui/i18n"
)

// importDialog offers the two sources of contacts: a file (.xlsx, .csv,
// .txt) or the live legacy Exmail directory.
func (cv *contactsView) importDialog() {
	win := cv.wz.ui.Win
	var d dialog.Dialog
	fileBtn := widget.NewButton(i18n.T("contacts.import_file"), func() {
		d.Hide()
		fd := newFileOpen(func(r fyne.URIReadCloser, err error) {
			if err != nil || r == nil {
				cv.wz.ui.showError(err)
				return
			}
			path := r.URI().Path()
			r.Close()
			cv.importFile(path)
		}, win)
		fd.SetFilter(storage.NewExtensionFileFilter([]string{".xlsx", ".csv", ".txt"}))
		fd.Show()
	})
	exmailBtn := widget.NewButton(i18n.T("contacts.import_exmail"), func() { d.Hide(); cv.exmailDialog() })
	d = dialog.NewCustom(i18n.T("contacts.import"), i18n.T("common.cancel"),
		containerVBox(widgetWrapped(i18n.T("contacts.import_help")), fileBtn, exmailBtn), win)
	d.Show()
}

// importRun is a file import under way: the sheet's first rows show
// read-only at once while the rest is read and checked in the background,
// with a bar that says how far it got and a Cancel that puts the previous
// sheet back as it was.
type importRun struct {
	source string
	cancel context.CancelFunc
	prev   *editor.Model // the sheet before the import: back on cancel or refusal
	prog   *waitProgress
	start  time.Time
	shown  int // first rows shown (0: still the previous sheet)
	// widgets of the screen's import bar (rebuilt with the screen)
	note   *widget.Label
	bar    *widget.ProgressBar
	detail *widget.Label
}

// importFile reads a contacts sheet off the UI thread: its first rows show
// within a moment, the rest is read and checked in the background, and the
// finished sheet replaces the working copy (after asking, when rows would
// be replaced). Cancel, or leaving the screen, stops the read and keeps
// the previous sheet.
func (cv *contactsView) importFile(path string) {
	if cv.model.ReadOnly() || cv.importing != nil {
		cv.wz.ui.showError(editor.ErrReadOnly)
		return
	}
	ui := cv.wz.ui
	source := filepath.Base(path)
	domains := cv.model.Index().Options().Domains // the project's, not the file's
	ctx, cancel := context.WithCancel(context.Background())
	run := &importRun{source: source, cancel: cancel, prev: cv.model, prog: &waitProgress{pct: -1}, start: time.Now()}
	run.prog.Phase(i18n.Tf("contacts.phase_read", source))
	cv.flush() // edits typed so far are saved before the sheet freezes
	cv.model.SetReadOnly(true)
	cv.importing = run
	cv.rebuild()
	finished := make(chan struct{})
	ui.tick(finished, func() { cv.showImportProgress(run) })
	ui.background(func() {
		defer close(finished)
		res, err := sheet.Read(path, sheet.Options{Context: ctx,
			Progress: func(p sheet.Progress) {
				run.prog.Count(p.Rows, p.Total)
				if p.Size > 0 {
					run.prog.Fraction(float64(p.Bytes) / float64(p.Size))
				}
			},
			FirstRows: func(head *sheet.Result) {
				if contacts.HasErrors(head.Problems) || len(head.Dir.Members) == 0 {
					return // nothing worth showing: the end says what is wrong
				}
				opts := head.ValidationOptions()
				opts.Domains = domains
				m := editor.New(head.Dir, opts)
				m.SetReadOnly(true)
				ui.do(func() { cv.showImportHead(run, m) })
			}})
		var m *editor.Model
		var dir *contacts.Directory
		var sheetProblems []contacts.Problem
		if err == nil {
			dir, sheetProblems = res.Dir, res.Problems
			if !contacts.HasErrors(sheetProblems) && ctx.Err() == nil {
				n := len(dir.Members)
				run.prog.Phase(i18n.Tf("contacts.phase_check", n))
				run.prog.Count(0, n)
				opts := res.ValidationOptions()
				opts.Domains = domains
				m = editor.New(dir, opts)
				run.prog.Count(n, n)
			}
		}
		ui.do(func() { cv.importRead(run, m, dir, sheetProblems, err) })
	})
}

// showImportHead shows the first rows of the sheet being imported.
func (cv *contactsView) showImportHead(run *importRun, head *editor.Model) {
	if cv.importing != run || run.shown > 0 {
		return
	}
	run.shown = head.Index().Len()
	cv.setModel(head)
	cv.rebuild()
}

// importRead takes the read (and checked) sheet: it replaces the working
// copy, after asking when rows would be replaced; an error, or problems
// that make the sheet unusable, put the previous sheet back and say why.
func (cv *contactsView) importRead(run *importRun, m *editor.Model, dir *contacts.Directory, sheetProblems []contacts.Problem, err error) {
	if cv.importing != run {
		return // cancelled, or the screen was left
	}
	run.cancel()
	switch {
	case err != nil:
		cv.endImport(run, nil, nil)
		cv.wz.ui.showError(err)
		return
	case m == nil:
		cv.endImport(run, nil, nil)
		var lines []string
		for _, p := range sheetProblems {
			lines = append(lines, problemText(p))
		}
		dialog.ShowError(errors.New(strings.Join(lines, "\n")), cv.wz.ui.Win)
		return
	case run.prev.Index().Len() == 0:
		cv.endImport(run, m, dir)
		return
	}
	run.prog.Phase(i18n.T("contacts.import_confirm_wait"))
	cv.showImportProgress(run)
	dialog.ShowConfirm(i18n.T("contacts.import"), i18n.Tf("contacts.replace_confirm", run.prev.Index().Len(), len(dir.Members)),
		func(ok bool) {
			if cv.importing != run {
				return
			}
			if ok {
				cv.endImport(run, m, dir)
			} else {
				cv.endImport(run, nil, nil)
			}
		}, cv.wz.ui.Win)
}

// cancelImport stops the import and puts the previous sheet back.
func (cv *contactsView) cancelImport(run *importRun) {
	if cv.importing != run {
		return
	}
	run.cancel()
	cv.endImport(run, nil, nil)
	cv.status.SetText(i18n.T("contacts.import_cancelled"))
	cv.status.Show()
}

// endImport ends the import: m (built over dir) replaces the sheet, or,
// when m is nil, the previous sheet comes back editable as it was.
func (cv *contactsView) endImport(run *importRun, m *editor.Model, dir *contacts.Directory) {
	cv.importing = nil
	if m == nil {
		run.prev.SetReadOnly(false)
		cv.setModel(run.prev)
		cv.rebuild()
		return
	}
	cv.replace(m, dir)
}

// setModel makes m the editor's model (the autosaver reads it).
func (cv *contactsView) setModel(m *editor.Model) {
	cv.saveMu.Lock()
	cv.model = m
	cv.saveMu.Unlock()
}

// showImportProgress shows on the import bar the phase, the rows read of
// the total (or the share of the file read) and the seconds so far.
func (cv *contactsView) showImportProgress(run *importRun) {
	if cv.importing != run || run.note == nil {
		return
	}
	phase, done, total, pct := run.prog.read()
	secs := int(time.Since(run.start).Seconds())
	head := i18n.Tf("contacts.importing", run.source)
	if run.shown > 0 {
		head += " " + i18n.Tf("contacts.import_head", run.shown)
	}
	run.note.SetText(head)
	var detail string
	switch {
	case total > 0:
		run.bar.SetValue(float64(done) / float64(total))
		detail = i18n.Tf("wait.rows", done, total, secs)
	case pct >= 0:
		run.bar.SetValue(pct)
		detail = i18n.Tf("wait.rows_share", done, int(pct*100), secs)
	default:
		detail = i18n.Tf("wait.seconds", secs)
	}
	run.detail.SetText(i18n.Tf("contacts.import_detail", phase, detail))
}

// importBar is the strip over the table while a file is imported: what is
// read, how far, and Cancel.
func (cv *contactsView) importBar(run *importRun) fyne.CanvasObject {
	run.note = widget.NewLabel("")
	run.note.Importance = widget.WarningImportance
	run.note.Wrapping = wrapMode()
	run.detail = widget.NewLabel("")
	run.detail.Wrapping = wrapMode()
	run.bar = widget.NewProgressBar()
	run.bar.TextFormatter = func() string { return "" }
	cancel := widget.NewButtonWithIcon(i18n.T("contacts.import_cancel"), theme.CancelIcon(), func() { cv.cancelImport(run) })
	cv.showImportProgress(run)
	return container.NewVBox(container.NewBorder(nil, nil, nil, cancel, container.NewVBox(run.note, run.detail)), run.bar)
}

// exmailDialog pre-fills the contacts from the live legacy Exmail company
// through its open API (corp ID and the 通讯录管理 secret).
func (cv *contactsView) exmailDialog() {
	corp := widget.NewEntry()
	secret := widget.NewPasswordEntry()
	items := []*widget.FormItem{widget.NewFormItem(i18n.T("contacts.exmail_corp"), corp),
		widget.NewFormItem(i18n.T("contacts.exmail_secret"), secret)}
	dialog.ShowForm(i18n.T("contacts.import_exmail"), i18n.T("common.ok"), i18n.T("common.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		corpID, sec := corp.Text, secret.Text
		cv.load(func(*waitProgress) (*contacts.Directory, contacts.Options, []contacts.Problem, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			d, opts, err := session.ReadLegacyExmail(ctx, corpID, sec)
			return d, opts, nil, err
		}, "Exmail")
	}, cv.wz.ui.Win)
}

// load runs read in the background, builds the new model there too, and
// swaps it in after asking (when rows would be replaced); the working copy
// is saved in the background as well, so a 100k-row import never freezes
// the window.
func (cv *contactsView) load(read func(*waitProgress) (*contacts.Directory, contacts.Options, []contacts.Problem, error), source string) {
	win := cv.wz.ui.Win
	if cv.model.ReadOnly() {
		cv.wz.ui.showError(editor.ErrReadOnly)
		return
	}
	domains := cv.model.Index().Options().Domains // the project's, not the file's
	var dir *contacts.Directory
	var sheetProblems []contacts.Problem
	var m *editor.Model
	// Behind a modal that names the phase and counts the rows, with Cancel
	// (the file is then left as it was: nothing replaced).
	cv.wz.ui.wait(i18n.Tf("contacts.reading", source), func(ctx context.Context, p *waitProgress) error {
		p.Phase(i18n.Tf("contacts.phase_read", source))
		d, opts, ps, err := read(p)
		if err != nil {
			return err
		}
		dir, sheetProblems = d, ps
		if ctx.Err() != nil || contacts.HasErrors(sheetProblems) {
			return nil
		}
		p.Phase(i18n.Tf("contacts.phase_check", len(dir.Members)))
		p.Count(0, len(dir.Members))
		opts.Domains = domains
		m = editor.New(dir, opts)
		p.Count(len(dir.Members), len(dir.Members))
		return nil
	}, func(err error) {
		if err != nil {
			cv.wz.ui.showError(err)
			return
		}
		if m == nil {
			var lines []string
			for _, p := range sheetProblems {
				lines = append(lines, problemText(p))
			}
			dialog.ShowError(errors.New(strings.Join(lines, "\n")), win)
			return
		}
		if cv.model.Index().Len() == 0 {
			cv.replace(m, dir)
			return
		}
		dialog.ShowConfirm(i18n.T("contacts.import"), i18n.Tf("contacts.replace_confirm", cv.model.Index().Len(), len(dir.Members)),
			func(ok bool) {
				if ok {
					cv.replace(m, dir)
				}
			}, win)
	})
}

// replace makes m (built over dir) the editor's model, draws the screen
// anew on it and saves dir as the working copy in the background.
func (cv *contactsView) replace(m *editor.Model, dir *contacts.Directory) {
	cv.setModel(m)
	st, id := cv.wz.ui.Store, cv.wz.project.ID
	cv.wz.ui.background(func() {
		cv.saveMu.Lock()
		defer cv.saveMu.Unlock()
		if err := session.SaveWorkingCopy(st, id, dir); err != nil {
			cv.wz.ui.do(func() { cv.wz.ui.showError(err) })
		}
	})
	// A new screen on the new model: no selection, filter or scroll
	// position of the old sheet survives (the old table left the new
	// sheet's cells undrawn until scrolled).
	cv.sel = widget.TableCellID{Row: -1}
	cv.rebuild()
	cv.status.SetText(i18n.Tf("contacts.replaced", m.Index().Len()))
	cv.status.Show()
}

// rebuild draws the editor's screen again for a new state (another model,
// an import begun or ended) without leaving it: the autosaver goes on.
func (cv *contactsView) rebuild() {
	if cv.wz.contacts != cv {
		return
	}
	cv.wz.ui.leaving = nil
	cv.removeShortcuts()
	cv.wz.ui.show(cv.build)
}

// exportMenu offers the files the editor writes.
func (cv *contactsView) exportMenu() {
	win := cv.wz.ui.Win
	var d dialog.Dialog
	btn := func(key string, fn func()) *widget.Button {
		return widget.NewButton(i18n.T(key), func() { d.Hide(); fn() })
	}
	d = dialog.NewCustom(i18n.T("contacts.export"), i18n.T("common.cancel"), containerVBox(
		btn("contacts.export_upload", cv.exportUpload),
		btn("contacts.export_review", func() {
			cv.saveFile("通讯录-检查结果.xlsx", func(w io.Writer) error {
				return sheet.WriteReview(w, cv.model.Index().Directory(), cv.model.Index().All())
			})
		}),
		btn("contacts.export_mailboxes", cv.exportMailboxList),
		btn("contacts.export_template", func() { cv.saveFile("通讯录模板.xlsx", sheet.WriteTemplate) }),
		btn("contacts.export_csv", func() {
			cv.saveFile("通讯录.csv", func(w io.Writer) error { return sheet.WriteCSV(w, cv.model.Index().Fixed()) })
		}),
	), win)
	d.Show()
}

// exportUpload writes the upload-ready sheet (refused while errors remain).
func (cv *contactsView) exportUpload() {
	if cv.busy() { // Ctrl+S while the sheet is not all there
		return
	}
	if c := cv.model.Index().Counts(); c.Error > 0 {
		cv.wz.ui.showError(&sheet.BlockedError{Counts: c})
		return
	}
	cv.saveFile(cv.wz.project.Name+"-通讯录-上传.xlsx", func(w io.Writer) error {
		return sheet.WriteUpload(w, cv.model.Index().Directory(), cv.model.Index().Options())
	})
}

// saveFile asks where to save and writes with write.
func (cv *contactsView) saveFile(name string, write func(io.Writer) error) {
	win := cv.wz.ui.Win
	d := newFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			cv.wz.ui.showError(err)
			return
		}
		// A 100k-row workbook takes seconds to write: behind a wait dialog.
		cv.wz.ui.waitWith(i18n.Tf("contacts.writing", w.URI().Name()), false, func(context.Context, *waitProgress) error {
			werr := write(w)
			cerr := w.Close()
			if werr == nil {
				werr = cerr
			}
			return werr
		}, func(werr error) {
			if werr != nil {
				cv.wz.ui.showError(werr)
				return
			}
			dialog.ShowInformation(i18n.T("contacts.export"), i18n.Tf("projects.exported", filepath.FromSlash(w.URI().Path())), win)
		})
	}, win)
	d.SetFileName(fsname.FileName(name))
	d.Show()
}
