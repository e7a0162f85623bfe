package gui

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
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

// importFile reads a contacts sheet off the UI thread and replaces the
// working copy with it (after asking, when rows would be replaced).
func (cv *contactsView) importFile(path string) {
	cv.load(func(p *waitProgress) (*contacts.Directory, contacts.Options, []contacts.Problem, error) {
		res, err := readCounting(path, p)
		if err != nil {
			return nil, contacts.Options{}, nil, err
		}
		return res.Dir, res.ValidationOptions(), res.Problems, nil
	}, filepath.Base(path))
}

// readCounting reads the sheet at path like sheet.Read, telling p how
// much of the file has been read so far.
func readCounting(path string, p *waitProgress) (*sheet.Result, error) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return sheet.Read(path, sheet.Options{}) // its error names what is wrong
	}
	f, err := os.Open(path)
	if err != nil {
		return sheet.Read(path, sheet.Options{})
	}
	defer f.Close()
	size := st.Size()
	return sheet.ReadFrom(&countingReaderAt{r: f, size: size, p: p}, size, path, sheet.Options{})
}

// countingReaderAt passes reads through and reports the bytes read as a
// share of the file (capped below 1 until the reader is done: a zip
// re-reads its directory).
type countingReaderAt struct {
	r    io.ReaderAt
	size int64
	n    atomic.Int64
	p    *waitProgress
}

func (c *countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(b, off)
	if c.size > 0 {
		c.p.Fraction(min(float64(c.n.Add(int64(n)))/float64(c.size), 0.99))
	}
	return n, err
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

// replace makes m (built over dir) the editor's model and saves dir as the
// working copy in the background.
func (cv *contactsView) replace(m *editor.Model, dir *contacts.Directory) {
	cv.saveMu.Lock()
	cv.model = m
	cv.saveMu.Unlock()
	st, id := cv.wz.ui.Store, cv.wz.project.ID
	cv.wz.ui.background(func() {
		cv.saveMu.Lock()
		defer cv.saveMu.Unlock()
		if err := session.SaveWorkingCopy(st, id, dir); err != nil {
			cv.wz.ui.do(func() { cv.wz.ui.showError(err) })
		}
	})
	cv.sel = widget.TableCellID{Row: -1}
	cv.table.UnselectAll()
	cv.search.SetText("")
	cv.onlyBad.SetChecked(false)
	cv.model.SetFilter(false, "")
	// Scroll first, then redraw: the other order left the new sheet's
	// cells undrawn until the table was scrolled.
	cv.table.ScrollToTop()
	cv.refresh()
	cv.status.SetText(i18n.Tf("contacts.replaced", m.Index().Len()))
	cv.status.Show()
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
			dialog.ShowInformation(i18n.T("contacts.export"), i18n.Tf("projects.exported", w.URI().Path()), win)
		})
	}, win)
	d.SetFileName(fsname.FileName(name))
	d.Show()
}
