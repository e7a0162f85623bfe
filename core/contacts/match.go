package contacts

// Hand-written matchers for the hot validation paths; each is equivalent
// to the regular expression in its comment (match_test.go checks this).

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// allBytes reports whether s is non-empty and every byte satisfies ok.
func allBytes(s string, ok func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// matchAccount: ^[A-Za-z0-9][A-Za-z0-9._@-]*$
func matchAccount(s string) bool {
	return s != "" && isAlnum(s[0]) && allBytes(s, func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '_' || c == '@' || c == '-'
	})
}

// matchMainland: ^1[0-9]{10}$
func matchMainland(s string) bool {
	return len(s) == 11 && s[0] == '1' && allBytes(s, isDigit)
}

// matchTelephone: ^[0-9+,-]+$
func matchTelephone(s string) bool {
	return allBytes(s, func(c byte) bool { return isDigit(c) || c == '+' || c == ',' || c == '-' })
}

// matchBizLocal: ^[A-Za-z0-9._-]+$
func matchBizLocal(s string) bool {
	return allBytes(s, func(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' })
}

// matchEmail: ^[A-Za-z0-9._%+'-]+@L(\.L)+$ where a label L is
// [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?
func matchEmail(s string) bool {
	at := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			at = i
			break
		}
	}
	if at <= 0 || !allBytes(s[:at], func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '\'' || c == '-'
	}) {
		return false
	}
	domain := s[at+1:]
	labels, start := 0, 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			continue
		}
		l := domain[start:i]
		if l == "" || !isAlnum(l[0]) || !isAlnum(l[len(l)-1]) ||
			!allBytes(l, func(c byte) bool { return isAlnum(c) || c == '-' }) {
			return false
		}
		labels++
		start = i + 1
	}
	return labels >= 2
}
