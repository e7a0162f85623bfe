package wecomsim

import (
	"strconv"
	"strings"
)

// DeptKey names a department as department/create does: by its parent's
// ID and its name.
type DeptKey struct {
	Parent int
	Name   string
}

// Creates counts the successful creates the server answered since New, per
// key, for tests that prove each item was created exactly once (a crash and
// resume must not send a create twice). Counts live in memory only. With
// Knobs.AcceptDuplicateCreates a repeated create is accepted and counted
// again instead of being refused with 60102/60008.
type Creates struct {
	// Users counts by lower-case userid: user/create successes plus
	// batch/syncuser rows that created the member.
	Users map[string]int
	// Departments counts department/create successes by parent and name.
	Departments map[DeptKey]int
	// SyncRows counts successful batch/syncuser rows by lower-case userid
	// (creates and updates alike): a batch job sent twice shows as 2.
	SyncRows map[string]int
}

func newCreates() Creates {
	return Creates{Users: map[string]int{}, Departments: map[DeptKey]int{}, SyncRows: map[string]int{}}
}

// Creates returns a copy of the create counters.
func (s *Server) Creates() Creates {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := newCreates()
	for k, v := range s.creates.Users {
		out.Users[k] = v
	}
	for k, v := range s.creates.Departments {
		out.Departments[k] = v
	}
	for k, v := range s.creates.SyncRows {
		out.SyncRows[k] = v
	}
	return out
}

// ResetCreates sets every create counter back to zero (e.g. after seeding
// through the API).
func (s *Server) ResetCreates() {
	s.mu.Lock()
	s.creates = newCreates()
	s.mu.Unlock()
}

// UserCreates returns how often the member userid (ignoring case) was
// created.
func (c Creates) UserCreates(userid string) int { return c.Users[strings.ToLower(userid)] }

// DepartmentCreates returns how often the department name under parent
// was created.
func (c Creates) DepartmentCreates(parent int, name string) int {
	return c.Departments[DeptKey{Parent: parent, Name: name}]
}

// Duplicates returns the keys created more than once: userids, and
// departments as "parent/name".
func (c Creates) Duplicates() []string {
	var out []string
	for k, n := range c.Users {
		if n > 1 {
			out = append(out, "user "+k)
		}
	}
	for k, n := range c.Departments {
		if n > 1 {
			out = append(out, "department "+strconv.Itoa(k.Parent)+"/"+k.Name)
		}
	}
	return out
}
