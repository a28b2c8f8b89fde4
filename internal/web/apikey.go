package web

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/accountd/accountd/internal/account"
)

// Pagination of lists (docs/api.md#conventions).
const (
	defaultPageSize = 25
	maxPageSize     = 100
)

var errInvalidPage = &account.Error{Kind: account.KindNotFound, Code: "not_found", Message: "Invalid page."}

func apiKeyJSON(t account.Token, key, tz string) map[string]any {
	return map[string]any{"id": t.ID, "key": key, "label": t.Label,
		"created_at": formatTime(t.CreatedAt, tz), "updated_at": formatTime(t.UpdatedAt, tz)}
}

// lastPage stands for ?page=last until the count is known.
const lastPage = -1

// pageParams reads ?page= and ?page_size= as DRF's PageNumberPagination: a
// page that is not a positive number or "last", past the end, or too large
// for its offset to fit an int, is 404 "Invalid page."; a page_size that is not a positive number is the default,
// and is capped.
func pageParams(q url.Values) (page, size int, err error) {
	page, size = 1, defaultPageSize
	switch v := q.Get("page"); v {
	case "":
	case "last":
		page = lastPage
	default:
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, errInvalidPage
		}
	}
	if n, err := strconv.Atoi(q.Get("page_size")); err == nil && n > 0 {
		size = min(n, maxPageSize)
	}
	// No such page can hold anything, and page*size would overflow: the
	// offset would wrap to page 1's, or the next link go negative.
	if page > math.MaxInt/size {
		return 0, 0, errInvalidPage
	}
	return page, size, nil
}

// pageURL is the absolute URL of another page of the same list, under the
// configured public URL: behind a proxy the request's Host and scheme are
// the proxy's view, not the client's.
func (s *Server) pageURL(r *http.Request, page int) any {
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	if base, err := url.Parse(s.cfg.PublicURL); err == nil && s.cfg.PublicURL != "" {
		u.Scheme, u.Host = base.Scheme, base.Host
		u.Path = strings.TrimRight(base.Path, "/") + r.URL.Path
	}
	q := r.URL.Query()
	if page == 1 {
		q.Del("page")
	} else {
		q.Set("page", strconv.Itoa(page))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// writePage answers a page of a list (docs/api.md#conventions) as DRF's pagination does:
// fetch returns the results from offset, at most limit, and the count of all.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, fetch func(offset, limit int) ([]map[string]any, int, error)) error {
	page, size, err := pageParams(r.URL.Query())
	if err != nil {
		return err
	}
	if page == lastPage {
		_, count, err := fetch(0, 0)
		if err != nil {
			return err
		}
		page = max(1, (count+size-1)/size)
	}
	results, count, err := fetch((page-1)*size, size)
	if err != nil {
		return err
	}
	if page > 1 && len(results) == 0 {
		return errInvalidPage
	}
	var next, prev any
	if page*size < count {
		next = s.pageURL(r, page+1)
	}
	if page > 1 {
		prev = s.pageURL(r, page-1)
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": count, "next": next, "previous": prev, "results": results})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, c caller) error {
	return s.writePage(w, r, func(offset, limit int) ([]map[string]any, int, error) {
		keys, count, err := s.svc.APIKeys(r.Context(), c.user, offset, limit)
		results := make([]map[string]any, 0, len(keys))
		for _, k := range keys {
			results = append(results, apiKeyJSON(k, account.MaskedKey(k), c.user.Timezone))
		}
		return results, count, err
	})
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, c caller) error {
	var label string
	if err := s.input(w, r, c, func(b *body) { label = b.str("label", true) }); err != nil {
		return err
	}
	t, raw, err := s.svc.CreateAPIKey(r.Context(), c.user, label, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, apiKeyJSON(t, raw, c.user.Timezone))
	return nil
}

// keyID reads the {id} of the path; one that is not a number is not found.
func keyID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errNotFound
	}
	return id, nil
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := keyID(r)
	if err != nil {
		return err
	}
	t, err := s.svc.APIKey(r.Context(), c.user, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyJSON(t, account.MaskedKey(t), c.user.Timezone))
	return nil
}

func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := keyID(r)
	if err != nil {
		return err
	}
	// A partial update, as DRF's PATCH: no label leaves the key as is.
	var label *string
	if err := s.input(w, r, c, func(b *body) { label = b.optStr("label") }); err != nil {
		return err
	}
	var t account.Token
	if label == nil {
		t, err = s.svc.APIKey(r.Context(), c.user, id)
	} else {
		t, err = s.svc.UpdateAPIKey(r.Context(), c.user, id, *label)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyJSON(t, account.MaskedKey(t), c.user.Timezone))
	return nil
}

func (s *Server) deleteAPIKey(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := keyID(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteAPIKey(r.Context(), c.user, id, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}
