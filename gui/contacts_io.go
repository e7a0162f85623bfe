package gui

func (cv *contactsView) importDialog() {}
func (cv *contactsView) exportMenu()   {}
func (cv *contactsView) exportUpload() {}
