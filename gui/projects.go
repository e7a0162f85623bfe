package gui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"exmail-upgrade/core/fsname"
	"exmail-upgrade/core/session"
	"exmail-upgrade/core/store"
	"exmail-upgrade/core/upgrade"
	"exmail-upgrade/gui/i18n"
)

// ShowProjects shows the client companies kept on this computer, with the
// ways into a new upgrade or a rehearsal.
func (ui *UI) ShowProjects() { ui.show(ui.projectsScreen) }

// migrating reports whether a migration of project id runs in this window.
func (ui *UI) migrating(id string) bool {
	wz := ui.wizardForTest
	return wz != nil && wz.project.ID == id && wz.migrate != nil && wz.migrate.running
}

// stageText is the stage of a project in the current language.
func stageText(s string) string {
	if s == "" {
		s = string(upgrade.StageNew)
	}
	return i18n.T(stageKey(upgrade.Stage(s)))
}

// stageKey is the catalogue key of a stage's name.
func stageKey(s upgrade.Stage) string { return "stage." + string(s) }

func (ui *UI) projectsScreen() fyne.CanvasObject {
	projects, bad, err := ui.Store.ScanProjects()
	if err != nil {
		ui.showError(err)
	}
	selected := -1
	var openBtn, exportBtn, deleteBtn *widget.Button
	list := widget.NewList(
		func() int { return len(projects) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("公司名称", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()),
				container.NewHBox(widget.NewLabel("stage"), widget.NewLabel("2026-01-01 00:00")), name)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			p := projects[i]
			c := o.(*fyne.Container)
			c.Objects[0].(*widget.Label).SetText(p.Name)
			right := c.Objects[2].(*fyne.Container)
			st := stageText(p.Stage)
			if p.Stage == string(upgrade.StageMigrating) && !ui.migrating(p.ID) {
				st = i18n.T("stage.migrating_interrupted") // the journal says migrating; nothing runs
			}
			right.Objects[0].(*widget.Label).SetText(st)
			right.Objects[1].(*widget.Label).SetText(p.UpdatedAt.Local().Format("2006-01-02 15:04"))
		})
	setEnabled := func() {
		for _, b := range []*widget.Button{openBtn, exportBtn, deleteBtn} {
			if selected >= 0 {
				b.Enable()
			} else {
				b.Disable()
			}
		}
	}
	list.OnSelected = func(id widget.ListItemID) { selected = id; setEnabled() }
	list.OnUnselected = func(widget.ListItemID) { selected = -1; setEnabled() }

	openBtn = widget.NewButtonWithIcon(i18n.T("projects.open"), theme.FolderOpenIcon(), func() {
		if selected >= 0 {
			ui.OpenProject(projects[selected].ID)
		}
	})
	exportBtn = widget.NewButtonWithIcon(i18n.T("projects.export"), theme.DocumentSaveIcon(), func() {
		if selected >= 0 {
			ui.exportProject(projects[selected])
		}
	})
	deleteBtn = widget.NewButtonWithIcon(i18n.T("projects.delete"), theme.DeleteIcon(), func() {
		if selected >= 0 {
			ui.deleteProject(projects[selected])
		}
	})
	setEnabled()
	newBtn := widget.NewButtonWithIcon(i18n.T("projects.new"), theme.ContentAddIcon(), ui.newProjectDialog)
	newBtn.Importance = widget.HighImportance
	rehearseBtn := widget.NewButtonWithIcon(i18n.T("projects.rehearse"), theme.MediaPlayIcon(), ui.newRehearsal)
	importBtn := widget.NewButtonWithIcon(i18n.T("projects.import"), theme.FileIcon(), ui.importProject)

	intro := widget.NewLabel(i18n.T("projects.intro"))
	intro.Wrapping = wrapMode()
	heading := widget.NewLabelWithStyle(i18n.T("projects.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(intro, container.NewHBox(newBtn, rehearseBtn, importBtn), heading)
	if len(bad) > 0 { // one unreadable record never hides the others
		top.Add(damagedRecordsLabel(bad))
	}
	if err := ui.Store.BackupError(); err != nil { // the state is fine, its safety copy is not
		top.Add(backupErrorLabel(err))
	}
	var center fyne.CanvasObject = list
	if len(projects) == 0 {
		empty := widget.NewLabelWithStyle(i18n.T("projects.empty"), fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
		empty.Wrapping = wrapMode()
		center = container.NewVBox(layoutSpacer(), empty, layoutSpacer())
	}
	bottom := container.NewHBox(openBtn, exportBtn, deleteBtn)
	return container.NewPadded(container.NewBorder(top, bottom, nil, nil, center))
}

// damagedRecordsLabel says which project records could not be read.
func damagedRecordsLabel(bad []store.DamagedProject) *widget.Label {
	ids := make([]string, len(bad))
	for i, d := range bad {
		ids[i] = d.ID
	}
	l := widget.NewLabel(i18n.Tf("projects.damaged_records", len(bad), strings.Join(ids, ", ")))
	l.Wrapping = wrapMode()
	l.Importance = widget.WarningImportance
	return l
}

// backupErrorLabel warns in one line that the last-good copy of the state
// file could not be written at start (store.Store.BackupError): the state
// itself is fine, but a later damage could not be undone from a copy.
func backupErrorLabel(err error) *widget.Label {
	l := widget.NewLabel(i18n.Tf("projects.backup_failed", err))
	l.Wrapping = wrapMode()
	l.Importance = widget.WarningImportance
	return l
}

// newProjectDialog asks for the company name and creates a project.
func (ui *UI) newProjectDialog() {
	name := widget.NewEntry()
	name.SetPlaceHolder(i18n.T("projects.company_placeholder"))
	name.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s", i18n.T("projects.company_required"))
		}
		return nil
	}
	items := []*widget.FormItem{widget.NewFormItem(i18n.T("projects.company"), name)}
	d := dialog.NewForm(i18n.T("projects.new"), i18n.T("common.create"), i18n.T("common.cancel"), items, func(ok bool) {
		if !ok {
			return
		}
		p, err := ui.Store.CreateProject(strings.TrimSpace(name.Text))
		if err != nil {
			ui.showError(err)
			return
		}
		ui.OpenProject(p.ID)
	}, ui.Win)
	d.Resize(fyne.NewSize(460, 200))
	d.Show()
	ui.Win.Canvas().Focus(name)
}

// newRehearsal creates a rehearsal project holding a generated sample
// company, so a newcomer can walk the whole upgrade without credentials.
func (ui *UI) newRehearsal() {
	p, err := session.NewRehearsal(ui.Store, time.Now())
	if err != nil {
		ui.showError(err)
		return
	}
	ui.OpenProject(p.ID)
}

func (ui *UI) exportProject(p store.Project) {
	d := newFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			ui.showError(err)
			return
		}
		ui.waitWith(i18n.Tf("contacts.writing", w.URI().Name()), false, func(context.Context, *waitProgress) error {
			err := ui.Store.ExportProject(p.ID, w)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			return err
		}, func(err error) {
			if err != nil {
				ui.showError(err)
				return
			}
			dialog.ShowInformation(i18n.T("projects.export"), i18n.Tf("projects.exported", filepath.FromSlash(w.URI().Path())), ui.Win)
		})
	}, ui.Win)
	d.SetFileName(fsname.FileName(p.Name + ".exup"))
	d.Show()
}

func (ui *UI) importProject() {
	d := newFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			ui.showError(err)
			return
		}
		defer r.Close()
		p, err := ui.Store.ImportProject(r)
		if err != nil {
			ui.showError(err)
			return
		}
		ui.ShowProjects()
		dialog.ShowInformation(i18n.T("projects.import"), i18n.Tf("projects.imported", p.Name), ui.Win)
	}, ui.Win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".exup"}))
	d.Show()
}

func (ui *UI) deleteProject(p store.Project) {
	dialog.ShowConfirm(i18n.T("projects.delete"), i18n.Tf("projects.delete_confirm", p.Name), func(ok bool) {
		if !ok {
			return
		}
		if err := ui.Store.DeleteProject(p.ID); err != nil {
			ui.showError(err)
			return
		}
		ui.ShowProjects()
	}, ui.Win)
}
