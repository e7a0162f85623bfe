// Package sample generates deterministic, realistic company directories for
// tests, benchmarks and demos, and plants known problems into them so tests
// can prove that every planted problem is found.
package sample

import (
	"fmt"
	"math/rand"
	"strings"

	"exmail-upgrade/core/contacts"
)

// DefaultDomain is the biz-mail domain Company uses.
const DefaultDomain = "example.com"

type syllable struct{ han, pinyin string }

var surnames = []syllable{
	{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"},
	{"黄", "huang"}, {"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"}, {"徐", "xu"}, {"孙", "sun"},
	{"马", "ma"}, {"朱", "zhu"}, {"胡", "hu"}, {"郭", "guo"}, {"何", "he"}, {"林", "lin"},
	{"罗", "luo"}, {"高", "gao"}, {"郑", "zheng"}, {"梁", "liang"}, {"谢", "xie"}, {"宋", "song"},
	{"唐", "tang"}, {"许", "xu"}, {"韩", "han"}, {"冯", "feng"}, {"邓", "deng"}, {"曹", "cao"},
	{"欧阳", "ouyang"}, {"司马", "sima"}, {"诸葛", "zhuge"},
}

// given-name characters; female marks characters mostly used for women.
// 喆 堃 玥 珺 昇 are in GBK but not in GB2312.
var givenMale = []syllable{
	{"伟", "wei"}, {"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"},
	{"杰", "jie"}, {"涛", "tao"}, {"明", "ming"}, {"超", "chao"}, {"刚", "gang"}, {"平", "ping"},
	{"浩", "hao"}, {"宇", "yu"}, {"轩", "xuan"}, {"博", "bo"}, {"文", "wen"}, {"鑫", "xin"},
	{"喆", "zhe"}, {"堃", "kun"}, {"昇", "sheng"}, {"建", "jian"}, {"国", "guo"}, {"志", "zhi"},
}

var givenFemale = []syllable{
	{"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"}, {"艳", "yan"},
	{"娟", "juan"}, {"秀", "xiu"}, {"霞", "xia"}, {"婷", "ting"}, {"欣", "xin"}, {"怡", "yi"},
	{"雪", "xue"}, {"琳", "lin"}, {"玥", "yue"}, {"珺", "jun"}, {"晨", "chen"}, {"佳", "jia"},
}

// Departments are the leaf paths members are placed in (1 to 4 levels).
var Departments = []string{
	"研发中心/后端组", "研发中心/前端组", "研发中心/测试组/自动化测试", "研发中心/测试组/性能测试",
	"研发中心/平台部/基础架构组/存储小组", "研发中心/平台部/运维组", "市场部/品牌组", "市场部/渠道组/华东区",
	"销售部/华北大区/北京分部", "销售部/华南大区/深圳分部", "销售部/华东大区/上海分部/大客户组",
	"财务部", "人力资源部/招聘组", "人力资源部/培训组", "行政部", "总经办",
}

var positions = []string{"工程师", "高级工程师", "主管", "经理", "专员", "总监", "助理", "架构师", "顾问"}

var mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139",
	"150", "151", "152", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181",
	"182", "183", "185", "186", "187", "188", "189", "191", "198", "199"}

var personalDomains = []string{"qq.com", "163.com", "126.com", "gmail.com", "outlook.com"}

// Company returns a deterministic company of n members with biz mail in
// DefaultDomain. The same n and seed always give the same directory.
func Company(n int, seed int64) *contacts.Directory {
	return CompanyDomain(n, seed, DefaultDomain)
}

// CompanyDomain is Company with the biz-mail domain given (DefaultDomain
// when empty). Members are numbered as rows 2..n+1 of a sheet whose header
// is row 1.
func CompanyDomain(n int, seed int64, domain string) *contacts.Directory {
	if domain == "" {
		domain = DefaultDomain
	}
	r := rand.New(rand.NewSource(seed))
	d := &contacts.Directory{Members: make([]contacts.Member, 0, n)}
	accounts := make(map[string]int, n)
	mobiles := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		sur := surnames[r.Intn(len(surnames))]
		female := r.Intn(2) == 0
		pool := givenMale
		gender := "男"
		if female {
			pool, gender = givenFemale, "女"
		}
		name, py := sur.han, sur.pinyin
		for k := 1 + r.Intn(2); k > 0; k-- {
			g := pool[r.Intn(len(pool))]
			name += g.han
			py += g.pinyin
		}
		accounts[py]++
		account := py
		if c := accounts[py]; c > 1 {
			account = fmt.Sprintf("%s%d", py, c)
			for accounts[account] > 0 { // "wei2" may exist as a plain pinyin
				accounts[py]++
				account = fmt.Sprintf("%s%d", py, accounts[py])
			}
			accounts[account]++
		}
		var mobile string
		for {
			mobile = mobilePrefixes[r.Intn(len(mobilePrefixes))] + fmt.Sprintf("%08d", r.Intn(100000000))
			if !mobiles[mobile] {
				mobiles[mobile] = true
				break
			}
		}
		m := contacts.Member{
			Row:         i + 2,
			Name:        name,
			Account:     account,
			Position:    positions[r.Intn(len(positions))],
			Departments: []string{Departments[r.Intn(len(Departments))]},
			Gender:      gender,
			Mobile:      mobile,
			BizMail:     account + "@" + domain,
		}
		if r.Intn(10) == 0 {
			second := Departments[r.Intn(len(Departments))]
			if second != m.Departments[0] {
				m.Departments = append(m.Departments, second)
			}
		}
		if r.Intn(4) == 0 {
			m.Email = account + "@" + personalDomains[r.Intn(len(personalDomains))]
		}
		if r.Intn(5) == 0 {
			m.Telephone = fmt.Sprintf("010-%08d", r.Intn(100000000))
		}
		if r.Intn(8) == 0 {
			m.Alias = strings.ToUpper(py[:1]) + py[1:]
		}
		if r.Intn(6) == 0 {
			m.Address = fmt.Sprintf("北京市海淀区科学院南路%d号", 1+r.Intn(200))
		}
		d.Members = append(d.Members, m)
	}
	return d
}
