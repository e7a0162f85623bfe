package contacts

import (
	"math/rand"
	"regexp"
	"testing"
)

var matchers = []struct {
	name string
	re   *regexp.Regexp
	fn   func(string) bool
}{
	{"account", regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`), matchAccount},
	{"mainland", regexp.MustCompile(`^1[0-9]{10}$`), matchMainland},
	{"telephone", regexp.MustCompile(`^[0-9+,-]+$`), matchTelephone},
	{"bizlocal", regexp.MustCompile(`^[A-Za-z0-9._-]+$`), matchBizLocal},
	{"email", regexp.MustCompile(`^[A-Za-z0-9._%+'-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`), matchEmail},
}

func checkMatchers(t *testing.T, s string) {
	for _, m := range matchers {
		if got, want := m.fn(s), m.re.MatchString(s); got != want {
			t.Fatalf("%s(%q) = %v, regexp says %v", m.name, s, got, want)
		}
	}
}

func TestMatchersEqualRegexps(t *testing.T) {
	for _, s := range []string{"", "a", "1", "_a", "a_b.c-d@e", "13800000000", "1380000000", "23800000000",
		"010-1,2+3", "a@b.c", "a@b", "a@@b.c", "a@-b.c", "a@b-.c", "a@b..c", "a@b.c.", "a.b'c%d+e@x-y.z9",
		"张@b.c", "a@张.c", "a b@c.d", "a@b.c\n"} {
		checkMatchers(t, s)
	}
	alphabet := "aZ09._-@+%',. 1\n张"
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		n := r.Intn(12)
		b := make([]rune, n)
		for j := range b {
			b[j] = []rune(alphabet)[r.Intn(len([]rune(alphabet)))]
		}
		checkMatchers(t, string(b))
	}
}

func FuzzMatchers(f *testing.F) {
	f.Add("a.b@c.d")
	f.Fuzz(func(t *testing.T, s string) { checkMatchers(t, s) })
}
