package wecom

// SyncCSVHeader is the header of the batch/syncuser CSV file (written by
// core/migrate's SyncCSV).
var SyncCSVHeader = []string{"姓名", "帐号", "手机号", "邮箱", "所在部门", "职位", "性别", "是否部门内领导", "排序", "别名", "地址", "座机", "禁用"}
