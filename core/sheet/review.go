package sheet

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"exmail-upgrade/core/contacts"
)

// severityLabel is the Chinese label of a severity in the review workbook.
func severityLabel(s contacts.Severity) string {
	switch s {
	case contacts.SeverityError:
		return "错误"
	case contacts.SeverityWarning:
		return "提醒"
	case contacts.SeverityFixed:
		return "已修正"
	}
	return string(s)
}

func severityRank(s contacts.Severity) int {
	switch s {
	case contacts.SeverityError:
		return 3
	case contacts.SeverityWarning:
		return 2
	case contacts.SeverityFixed:
		return 1
	}
	return 0
}

// WriteReview writes the review workbook: sheet 成员 holds the user's rows
// (values as found, with their original row numbers in the first column)
// in the admin import layout, each cell with a problem filled (red error,
// yellow warning, green fixed) and commented with the messages; sheet 问题
// lists every problem. problems are those of contacts.Validate (plus any
// sheet-level ones) for d.
func WriteReview(w io.Writer, d *contacts.Directory, problems []contacts.Problem) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetMembers); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("review: %w", err)
	}
	type cellKey struct {
		row int
		fd  contacts.Field
	}
	type note struct {
		sev  contacts.Severity
		msgs []string
	}
	notes := map[cellKey]*note{}
	for _, p := range problems {
		if p.Row == 0 || p.Field == "" {
			continue
		}
		k := cellKey{p.Row, p.Field}
		n := notes[k]
		if n == nil {
			n = &note{}
			notes[k] = n
		}
		if severityRank(p.Severity) > severityRank(n.sev) {
			n.sev = p.Severity
		}
		n.msgs = append(n.msgs, "["+severityLabel(p.Severity)+"] "+p.Message)
	}
	sw, err := f.NewStreamWriter(SheetMembers)
	if err != nil {
		return fmt.Errorf("review: %w", err)
	}
	if err := sw.SetColWidth(1, 1, 8); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	for i, wd := range importWidths {
		if err := sw.SetColWidth(i+2, i+2, wd); err != nil {
			return fmt.Errorf("review: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	fields := exportFields(d) // the import layout, plus 邮箱类型 when typed (mailboxes.go)
	h := []any{excelize.Cell{StyleID: st.header, Value: rowLabel}}
	for _, fd := range fields {
		h = append(h, excelize.Cell{StyleID: st.header, Value: fd.Header()})
	}
	if err := sw.SetRow("A1", h); err != nil {
		return fmt.Errorf("review header: %w", err)
	}
	type comment struct{ cell, text string }
	var comments []comment
	row := make([]any, len(fields)+1)
	for i := range d.Members {
		m := &d.Members[i]
		r := i + 2
		row[0] = m.Row
		for j, fd := range fields {
			c := excelize.Cell{StyleID: cellStyle(fd, st), Value: cellText(m.Get(fd))}
			if n := notes[cellKey{m.Row, fd}]; n != nil {
				switch n.sev {
				case contacts.SeverityError:
					c.StyleID = st.errFill
				case contacts.SeverityWarning:
					c.StyleID = st.warnFill
				default:
					c.StyleID = st.fixFill
				}
				name, _ := excelize.CoordinatesToCellName(j+2, r)
				comments = append(comments, comment{name, strings.Join(n.msgs, "\n")})
			}
			row[j+1] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, row); err != nil {
			return fmt.Errorf("review row %d: %w", r, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	for _, c := range comments {
		if err := f.AddComment(SheetMembers, excelize.Comment{Cell: c.cell, Author: "检查",
			Paragraph: []excelize.RichTextRun{{Text: c.text}}}); err != nil {
			return fmt.Errorf("review comment %s: %w", c.cell, err)
		}
	}
	if err := writeProblemsSheet(f, st, problems); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("review: %w", err)
	}
	return nil
}

// cellText cuts a value longer than a cell can hold (a value_too_long
// error, marked with …) so the review stays a valid workbook of bounded
// size.
func cellText(v string) string {
	if len(v) <= contacts.MaxCellChars {
		return v
	}
	n := 0
	for i := range v {
		if n++; n == contacts.MaxCellChars {
			return v[:i] + "…"
		}
	}
	return v
}

// ProblemHeaders are the columns of the 问题 sheet.
var ProblemHeaders = []string{"行号", "列", "级别", "代码", "说明", "原值", "相关行"}

func writeProblemsSheet(f *excelize.File, st *styles, problems []contacts.Problem) error {
	if _, err := f.NewSheet(SheetProblems); err != nil {
		return fmt.Errorf("review problems: %w", err)
	}
	sw, err := f.NewStreamWriter(SheetProblems)
	if err != nil {
		return fmt.Errorf("review problems: %w", err)
	}
	for i, wd := range []float64{8, 12, 8, 26, 80, 30, 16} {
		_ = sw.SetColWidth(i+1, i+1, wd)
	}
	_ = sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	h := make([]any, len(ProblemHeaders))
	for i, s := range ProblemHeaders {
		h[i] = excelize.Cell{StyleID: st.header, Value: s}
	}
	if err := sw.SetRow("A1", h); err != nil {
		return fmt.Errorf("review problems: %w", err)
	}
	for i, p := range problems {
		var rowV any = p.Row
		if p.Row == 0 {
			rowV = ""
		}
		rel := make([]string, len(p.Related))
		for j, r := range p.Related {
			rel[j] = fmt.Sprint(r)
		}
		style := 0
		if p.Severity == contacts.SeverityError {
			style = st.errText
		}
		rec := []any{rowV, p.Column, excelize.Cell{StyleID: style, Value: severityLabel(p.Severity)},
			string(p.Code), p.Message, excelize.Cell{StyleID: st.text, Value: p.Value}, strings.Join(rel, ",")}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, rec); err != nil {
			return fmt.Errorf("review problems row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("review problems: %w", err)
	}
	return nil
}
